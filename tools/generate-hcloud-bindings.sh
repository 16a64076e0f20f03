#!/usr/bin/env bash
# Regenerates the committed Hetzner Cloud bindings (.gen/providers/hcloud) from the schema of the
# hcloud provider built by build-terraform-tools.sh. There is no prebuilt @cdktf/provider-hetzner,
# and the provider registry is out of reach, so `cdktf get` runs against the local mirror.
set -euo pipefail
usage="usage: npm run bindings [-- --help]

Regenerates the Hetzner Cloud bindings in .gen/providers/hcloud: builds OpenTofu and the hcloud
provider (tools/build-terraform-tools.sh, cached in ~/.cache/dr-estate-tools) and runs cdktf get
against that local mirror."
case "${1-}" in
  "") ;;
  -h | --help) echo "$usage"; exit 0 ;;
  *) echo "bindings: unknown option $1; see npm run bindings -- --help" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
tools_dir=$(tools/build-terraform-tools.sh | tail -n 1)
export PATH="$tools_dir/bin:$PATH" TERRAFORM_BINARY_NAME=tofu TF_CLI_CONFIG_FILE="$tools_dir/tofu.rc" CHECKPOINT_DISABLE=1
npx cdktf get --force
