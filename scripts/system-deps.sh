#!/usr/bin/env bash
# Install the Debian packages the build needs, only where they are missing.
#   scripts/system-deps.sh          mysqlclient's build deps (libmariadb-dev, pkg-config)
#   scripts/system-deps.sh browser  the above plus Debian's chromium for the browser tests
set -euo pipefail

need=()
pkg-config --exists libmariadb 2>/dev/null || need+=(libmariadb-dev pkg-config)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
if [[ "${1:-}" == "browser" ]] && ! command -v chromium >/dev/null 2>&1; then
  need+=(chromium)
fi
[[ ${#need[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${need[*]}. Install them with your package manager." >&2
  exit 1
fi
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "Installing system packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
