#!/usr/bin/env bash
# Regenerates the committed Hetzner Cloud bindings (.gen/providers/hcloud) from the schema of the
# hcloud provider built by build-terraform-tools.sh. There is no prebuilt @cdktf/provider-hetzner,
# and the provider registry is out of reach, so `cdktf get` runs against the local mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
tools_dir=$(tools/build-terraform-tools.sh | tail -n 1)
export PATH="$tools_dir/bin:$PATH" TERRAFORM_BINARY_NAME=tofu TF_CLI_CONFIG_FILE="$tools_dir/tofu.rc" CHECKPOINT_DISABLE=1
npx cdktf get --force
