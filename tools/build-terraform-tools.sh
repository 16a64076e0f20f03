#!/usr/bin/env bash
# Builds OpenTofu, the Terraform providers the estate uses and the other Go tools of the tests
# (actionlint, MinIO) from their Go modules (the only route to them from machines that cannot reach
# release downloads or the provider registry), adds the prebuilt providers of
# ../shared/tools/terraform-providers, and lays the providers out as a filesystem mirror. Results are
# cached outside the repo, keyed by the content of versions.env, this script and the prebuilt
# providers' checksums, so a second run takes seconds.
#
# Prints the cache directory on its last line; it holds bin/ (tofu and the tools), mirror/ and tofu.rc (the CLI config
# that points `tofu init` at the mirror: export TF_CLI_CONFIG_FILE=<dir>/tofu.rc). A provider that
# cannot be had is named, with the reason, in <dir>/missing-providers.txt (and on stderr).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
versions_file="$here/versions.env"
# shellcheck source=versions.env
source "$versions_file"
shared_providers=${DR_SHARED_PROVIDERS:-$here/../../shared/tools/terraform-providers}

# By content, never by path: the script is called by relative and absolute paths alike.
key=$(cat "$versions_file" "${BASH_SOURCE[0]}" "$shared_providers/SHA256SUMS" 2>/dev/null | sha256sum | cut -c1-16)
cache_root=${DR_TOOLS_CACHE:-$HOME/.cache/dr-estate-tools}
out="$cache_root/$key"
platform=linux_amd64

if [[ -f "$out/.complete" ]]; then
  echo "$out"
  exit 0
fi
# One build per key at a time: a second caller (a test run beside `npm run validate`) waits for the
# first and takes its result, instead of deleting the shared partial folder under it.
mkdir -p "$cache_root"
exec 9>"$cache_root/$key.lock"
flock 9
if [[ -f "$out/.complete" ]]; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
rm -rf "$out.partial"
mkdir -p "$out.partial/bin" "$out.partial/mirror"

# go.mod files with replace directives (and vendored trees the module zip drops) rule out
# `go install pkg@version`: build inside a writable copy of the downloaded module instead.
module_dir() {
  local module=$1 dir
  dir=$(go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n "$dir" ]] || { echo "cannot download $module" >&2; exit 1; }
  local copy
  copy="$work/$(echo "$module" | tr '/@' '__')"
  cp -r "$dir" "$copy"
  chmod -R u+w "$copy"
  echo "$copy"
}

build_opentofu() {
  local src
  src=$(module_dir "$OPENTOFU_MODULE")
  echo "building OpenTofu from $OPENTOFU_MODULE" >&2
  (cd "$src" && CGO_ENABLED=0 go build -mod=mod -ldflags "-X github.com/opentofu/opentofu/version.dev=no" \
    -o "$out.partial/bin/tofu" ./cmd/tofu)
}

build_provider() {
  local address=$1 version=$2 module=$3 src
  local type=${address#*/}
  src=$(module_dir "$module")
  local binary="terraform-provider-${type}_v$version"
  echo "building provider $address $version from $module" >&2
  (cd "$src" && CGO_ENABLED=0 go build -mod=mod -o "$work/$binary" .)
  # Bindings name their provider either way (prebuilt ones "cloudflare/cloudflare", which OpenTofu
  # reads as registry.opentofu.org; generated ones registry.terraform.io/...), so the mirror
  # holds both. The mirror does not follow directory symlinks: the copies are hard links.
  local registry dest
  for registry in registry.opentofu.org registry.terraform.io; do
    dest="$out.partial/mirror/$registry/$address/$version/$platform"
    mkdir -p "$dest"
    ln -f "$work/$binary" "$dest/$binary" 2>/dev/null || cp "$work/$binary" "$dest/$binary"
  done
}

build_tool() {
  local binary=$1 module=$2 package=$3 src
  src=$(module_dir "$module")
  echo "building $binary from $module" >&2
  (cd "$src" && CGO_ENABLED=0 go build -mod=mod -o "$out.partial/bin/$binary" "$package")
}

# The prebuilt providers, checked against their SHA256SUMS by the folder's own installer.
install_shared_providers() {
  local var address version missing=()
  if [[ -x "$shared_providers/install-mirror.sh" ]]; then
    "$shared_providers/install-mirror.sh" "$out.partial/mirror" >&2
  fi
  for var in $(compgen -v SHARED_PROVIDER_); do
    read -r address version <<<"${!var}"
    if [[ ! -x "$out.partial/mirror/registry.opentofu.org/$address/$version/$platform/terraform-provider-${address#*/}_v$version" ]]; then
      missing+=("$address $version: no prebuilt binary in $shared_providers (and no Go module route fast enough: see tools/versions.env)")
    fi
  done
  : > "$out.partial/missing-providers.txt"
  if [[ ${#missing[@]} -gt 0 ]]; then
    printf '%s\n' "${missing[@]}" | tee "$out.partial/missing-providers.txt" >&2
  fi
}

build_opentofu
for var in $(compgen -v TOOL_); do
  # shellcheck disable=SC2086 # the value is three space-separated words by design
  build_tool ${!var}
done
for var in $(compgen -v PROVIDER_); do
  # shellcheck disable=SC2086 # the value is three space-separated words by design
  build_provider ${!var}
done
install_shared_providers

cat > "$out.partial/tofu.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$out/mirror"
    include = ["registry.opentofu.org/*/*", "registry.terraform.io/*/*"]
  }
}
RC
touch "$out.partial/.complete"
rm -rf "$out"
mv "$out.partial" "$out"
echo "$out"
