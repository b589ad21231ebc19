#!/usr/bin/env bash
# Install the Debian packages the build needs, only where they are missing.
#   scripts/system-deps.sh           mysqlclient's build deps (libmariadb-dev, pkg-config)
#   scripts/system-deps.sh browser   the above plus Debian's chromium for the browser tests
#   scripts/system-deps.sh promtool  the above plus promtool, from Debian's prometheus package
# Words combine (`make test` runs `scripts/system-deps.sh browser promtool`).
set -euo pipefail

want_browser="" want_promtool=""
for word in "$@"; do
  case "$word" in
    browser) want_browser=1 ;;
    promtool) want_promtool=1 ;;
    *) echo "system-deps.sh: unknown word '$word' (browser, promtool)" >&2; exit 2 ;;
  esac
done

need=()
pkg-config --exists libmariadb 2>/dev/null || need+=(libmariadb-dev pkg-config)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
if [[ -n "$want_browser" ]] && ! command -v chromium >/dev/null 2>&1; then
  need+=(chromium)
fi
server_package=""
if [[ -n "$want_promtool" ]] && ! command -v promtool >/dev/null 2>&1; then
  need+=(prometheus)
  server_package=1
fi
[[ ${#need[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${need[*]}. Install them with your package manager." >&2
  exit 1
fi
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"

# Only promtool is used: the prometheus package also ships the Prometheus server, whose
# maintainer scripts start it (invoke-rc.d and deb-systemd-invoke both ask policy-rc.d),
# and recommends prometheus-node-exporter, another service (--no-install-recommends).
# For this install, policy-rc.d answers 101 ("action forbidden") to every start; what was
# there before is put back afterwards.
policy=/usr/sbin/policy-rc.d
server_was_running=""
if [[ -n "$server_package" ]]; then
  pgrep -x prometheus >/dev/null 2>&1 && server_was_running=1
  if [[ -e "$policy" ]]; then
    $sudo mv "$policy" "$policy.system-deps"
    trap '$sudo mv -f "$policy.system-deps" "$policy"' EXIT
  else
    trap '$sudo rm -f "$policy"' EXIT
  fi
  printf '#!/bin/sh\n# scripts/system-deps.sh: no service starts while it installs\nexit 101\n' \
    | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
fi

echo "Installing system packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

if [[ -n "$server_package" ]]; then
  # Not at boot either: the package enables its unit (and its SysV script).
  if command -v systemctl >/dev/null 2>&1; then
    now=""
    [[ -d /run/systemd/system ]] && now="--now"  # systemd runs: stop it too, were it up
    $sudo systemctl disable $now prometheus.service >/dev/null 2>&1 || true
  fi
  if [[ -z "$server_was_running" ]] && pgrep -x prometheus >/dev/null 2>&1; then
    echo "A Prometheus server is running after installing promtool; stop it (only promtool is used)." >&2
    exit 1
  fi
  promtool --version >/dev/null
fi
