#!/usr/bin/env bash
# Install the tools this project did not write that `make test-outside` runs, into a
# virtualenv of their own (var/outside-venv; OUTSIDE_TOOLS_VENV for another place), from
# the pins of scripts/outside-tools.txt. Nothing is downloaded at test time: the tests find
# the tools here or fail (under CI=true) or skip. Again only when the pins changed.
#   var/outside-venv/bin/celery-exporter --broker-url amqp://... --port 9808
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${OUTSIDE_TOOLS_VENV:-var/outside-venv}
pins=scripts/outside-tools.txt
stamp=$venv/.installed-stamp
[[ -f $stamp && $stamp -nt $pins && $stamp -nt $0 ]] && exit 0

python=${OUTSIDE_TOOLS_PYTHON:-python3}
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$pins"
"$venv/bin/python" -m pip check

# The wheel has no console script: its command is the click command src.cli:cli (what its
# Docker image runs). -I keeps our PYTHONPATH and working directory out of its imports.
cat >"$venv/bin/celery-exporter" <<'LAUNCHER'
#!/bin/sh
exec "$(dirname "$0")/python" -I -c 'from src.cli import cli; cli()' "$@"
LAUNCHER
chmod +x "$venv/bin/celery-exporter"
"$venv/bin/celery-exporter" --help >/dev/null
touch "$stamp"
echo "Outside tools installed in $venv: $("$venv/bin/python" -m pip show prometheus-exporter-celery | grep ^Version)"
