#!/usr/bin/env bash
# Enable RabbitMQ's management plugin (unacked counts, rates, active consumers) if this
# machine runs RabbitMQ and it is off, then wait for its HTTP API. Debian's package
# leaves it off. Prints one line; a failure is reported, not fatal (tests that need the
# API skip locally and fail under CI=true).
set -u
url="${RABBITMQ_MANAGEMENT_URL:-http://guest:guest@127.0.0.1:15672}"
api="${url%/}/api/overview"
if curl -sf -o /dev/null "$api"; then exit 0; fi
if ! command -v rabbitmq-plugins >/dev/null 2>&1; then
  echo "rabbitmq-plugins not found: RabbitMQ's management API stays unavailable" >&2
  exit 0
fi
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo -n"
$sudo rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null 2>&1 \
  || { echo "could not enable rabbitmq_management (need root)" >&2; exit 0; }
for _ in $(seq 1 30); do
  curl -sf -o /dev/null "$api" && { echo "RabbitMQ management API enabled"; exit 0; }
  sleep 1
done
echo "RabbitMQ management API did not answer at $api" >&2
