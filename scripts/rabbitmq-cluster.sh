#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, for `make test-cluster` (docs/operations.md).
#
#   scripts/rabbitmq-cluster.sh start            start catalog1..3@localhost and join them
#   scripts/rabbitmq-cluster.sh stop             stop the three nodes (their data stays)
#   scripts/rabbitmq-cluster.sh clean            stop them and delete their data
#   scripts/rabbitmq-cluster.sh status           each node's state and the cluster's members
#   scripts/rabbitmq-cluster.sh stop-node N      stop RabbitMQ on node N (its Erlang VM stays)
#   scripts/rabbitmq-cluster.sh start-node N     start it again and wait until it serves
#   scripts/rabbitmq-cluster.sh ctl N ARGS...    rabbitmqctl against node N
#
# The nodes run beside the system node (rabbit@<host>, port 5672), from the same RabbitMQ
# install, with their own names, ports (AMQP 5701-5703, management 15701-15703,
# distribution 25701-25703), config, data and logs under var/rabbitmq-cluster/, and an
# Erlang cookie of their own: no command here can reach the system node, which other
# processes use and which this script never stops or resets.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASE="${RABBITMQ_CLUSTER_DIR:-$ROOT/var/rabbitmq-cluster}"
RMQ_BIN="${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}"
HOST=localhost
NODES=(1 2 3)

node_name() { echo "catalog$1@$HOST"; }
amqp_port() { echo $((5700 + $1)); }
mgmt_port() { echo $((15700 + $1)); }
dist_port() { echo $((25700 + $1)); }

# Every CLI call names one of our nodes and uses our cookie (in our HOME).
ctl() {
  local n="$1"
  shift
  [[ "$n" =~ ^[123]$ ]] || { echo "node must be 1, 2 or 3 (got $n)" >&2; return 2; }
  HOME="$BASE/home" RABBITMQ_CONF_ENV_FILE="$BASE/rabbitmq-env.conf" \
    "$RMQ_BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"
}

prepare() {
  [[ -x "$RMQ_BIN/rabbitmq-server" ]] || {
    echo "RabbitMQ not found in $RMQ_BIN (set RABBITMQ_BIN)" >&2
    exit 1
  }
  mkdir -p "$BASE/home"
  if [[ ! -f "$BASE/home/.erlang.cookie" ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BASE/home/.erlang.cookie")
  fi
  chmod 400 "$BASE/home/.erlang.cookie"
  # An env file of our own, so the system's /etc/rabbitmq/rabbitmq-env.conf (its node
  # name) is not read; epmd stays on the loopback as the system node has it.
  echo "ERL_EPMD_ADDRESS=127.0.0.1" >"$BASE/rabbitmq-env.conf"
  for n in "${NODES[@]}"; do
    local dir="$BASE/node$n"
    mkdir -p "$dir/mnesia" "$dir/log"
    cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.local = 127.0.0.1:$(amqp_port "$n")
management.tcp.ip = 127.0.0.1
management.tcp.port = $(mgmt_port "$n")
EOF
    echo "[rabbitmq_management]." >"$dir/enabled_plugins"
  done
}

# No cookie yet means no node was ever started here (and the CLI would leave an
# erl_crash.dump in the current directory for lack of one).
running() { [[ -f "$BASE/home/.erlang.cookie" ]] && ctl "$1" -q ping >/dev/null 2>&1; }

start_vm() {
  local n="$1" dir="$BASE/node$1"
  running "$n" && return 0
  if command -v epmd >/dev/null && epmd -names 2>/dev/null | grep -q "^name catalog$n at"; then
    echo "a node named $(node_name "$n") already runs but does not answer with this" \
      "checkout's cookie: stop it from the checkout that started it" \
      "(scripts/rabbitmq-cluster.sh stop there)" >&2
    exit 1
  fi
  HOME="$BASE/home" \
    RABBITMQ_CONF_ENV_FILE="$BASE/rabbitmq-env.conf" \
    RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/pid" \
    ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    setsid "$RMQ_BIN/rabbitmq-server" >>"$dir/log/console.log" 2>&1 </dev/null &
}

await() {
  # await_startup fails at once while the node's Erlang VM is not registered yet, which on
  # a fresh machine's first start takes a while: wait for it (up to 60 s) first.
  local i
  for ((i = 0; i < 120; i++)); do
    running "$1" && break
    sleep 0.5
  done
  ctl "$1" -q --timeout 120 await_startup >/dev/null
}

joined() { ctl "$1" -q cluster_status 2>/dev/null | grep -q "$(node_name 1)"; }

start() {
  prepare
  for n in "${NODES[@]}"; do start_vm "$n"; done
  for n in "${NODES[@]}"; do
    await "$n" || {
      echo "node $(node_name "$n") did not start; see $BASE/node$n/log/" >&2
      exit 1
    }
  done
  for n in 2 3; do
    if ! joined "$n"; then
      # RabbitMQ 3.10 logs harmless errors while a node resets and joins: keep them aside.
      {
        ctl "$n" -q stop_app
        ctl "$n" -q reset
        ctl "$n" -q join_cluster "$(node_name 1)"
        ctl "$n" -q start_app
      } >>"$BASE/join.log" 2>&1 || {
        echo "node $(node_name "$n") could not join; see $BASE/join.log" >&2
        exit 1
      }
      await "$n"
    fi
  done
  status
}

stop() {
  for n in 3 2 1; do
    if running "$n"; then ctl "$n" -q stop >/dev/null && echo "stopped $(node_name "$n")"; fi
  done
}

status() {
  for n in "${NODES[@]}"; do
    local state=down
    if running "$n"; then
      state="vm up"
      ctl "$n" -q await_startup --timeout 1 >/dev/null 2>&1 && state="running"
    fi
    printf '%s  amqp://127.0.0.1:%s  http://127.0.0.1:%s  %s\n' \
      "$(node_name "$n")" "$(amqp_port "$n")" "$(mgmt_port "$n")" "$state"
  done
  for n in "${NODES[@]}"; do
    if running "$n"; then
      ctl "$n" -q cluster_status --formatter json 2>/dev/null |
        python3 -c 'import json,sys; s=json.load(sys.stdin); print("members:", " ".join(sorted(s["disk_nodes"])), "| running:", " ".join(sorted(s["running_nodes"])))' ||
        true
      break
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  clean)
    stop
    rm -rf "$BASE"
    echo "removed $BASE"
    ;;
  status) status ;;
  stop-node) ctl "${2:?node number}" -q stop_app ;;
  start-node)
    ctl "${2:?node number}" -q start_app
    await "$2"
    ;;
  ctl)
    shift
    ctl "$@"
    ;;
  *)
    sed -n '2,10p' "$0" >&2
    exit 2
    ;;
esac
