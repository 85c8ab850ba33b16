#!/usr/bin/env bash
# The RabbitMQ peer of `npm run bench`: starts a throwaway broker on loopback, runs client.ts at each
# <bytes>x<messages> given (default: the hub bench's 10 KB and 1 MB cases), stops the broker, cleans up.
# Needs rabbitmq-server, Node 24 first on PATH (the bench puts its own there) and npm; amqplib, the client
# library, goes into a temporary folder, never into the repository. Prints one JSON line per size on stdout.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
AMQPLIB_VERSION=2.3.1
# Seconds to wait for the broker to answer; a cold Erlang VM takes ~5–15 s on the 2-core test machine.
BROKER_START_SECONDS_MAX=90
PORT=${PORT:-25672}
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(10240x20000 1048576x500)

command -v rabbitmq-server >/dev/null || { echo "peer-rabbitmq: rabbitmq-server is not installed" >&2; exit 3; }
W=$(mktemp -d)
export RABBITMQ_MNESIA_BASE="$W/mnesia" RABBITMQ_LOG_BASE="$W/log" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
       RABBITMQ_NODE_PORT=$PORT RABBITMQ_NODENAME="vdxpbench$$@localhost" RABBITMQ_DIST_PORT=$((PORT + 20000)) \
       RABBITMQ_ENABLED_PLUGINS_FILE="$W/plugins" RABBITMQ_PID_FILE="$W/pid" RABBITMQ_FEATURE_FLAGS_FILE="$W/feature_flags"
# The broker starts Erlang's port mapper as a daemon that outlives it: stop it again if we started it.
EPMD_WAS_RUNNING=0
if epmd -names >/dev/null 2>&1; then EPMD_WAS_RUNNING=1; fi
cleanup() {
  rabbitmqctl -n "$RABBITMQ_NODENAME" stop >/dev/null 2>&1 || true
  if [ "$EPMD_WAS_RUNNING" = 0 ]; then epmd -kill >/dev/null 2>&1 || true; fi
  rm -rf "$W"
}
trap cleanup EXIT

echo "[]." > "$W/plugins"
mkdir -p "$W/mnesia" "$W/log"
# The Debian package runs the broker as the rabbitmq user when it exists.
if id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$W"; fi

npm install --prefix "$W/client" --no-save --no-audit --no-fund --loglevel=error "amqplib@$AMQPLIB_VERSION" >&2
(cd "$W" && exec rabbitmq-server >"$W/server.log" 2>&1) &

ready=0
for _ in $(seq "$BROKER_START_SECONDS_MAX"); do
  if rabbitmqctl -n "$RABBITMQ_NODENAME" status >/dev/null 2>&1; then ready=1; break; fi
  sleep 1
done
if [ "$ready" != 1 ]; then
  echo "peer-rabbitmq: the broker did not answer within ${BROKER_START_SECONDS_MAX} s; its log ends:" >&2
  tail -n 20 "$W/server.log" >&2 || true
  exit 4
fi

for c in "${CASES[@]}"; do
  AMQPLIB_DIR="$W/client" node "$HERE/client.ts" "amqp://guest:guest@127.0.0.1:$PORT" "${c%x*}" "${c#*x}" 4
done
