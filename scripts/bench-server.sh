#!/usr/bin/env bash
# Compare trustctl server with notary-server 0.7 on this machine: N publishes with the real
# notary client, then M GETs of the current timestamp (the hottest read) with curl.
# Plain HTTP on 127.0.0.1, ephemeral ports, temp dirs removed at exit. Run once, by hand:
#   scripts/bench-server.sh [PUBLISHES=20] [GETS=200]
# Needs: notary, notary-server, curl, and a built trustctl (target/release or target/debug).
set -euo pipefail

PUBLISHES=${1:-20}
GETS=${2:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TRUSTCTL=${TRUSTCTL:-}
if [[ -z "$TRUSTCTL" ]]; then
  for c in "$ROOT/target/release/trustctl" "$ROOT/target/debug/trustctl"; do
    [[ -x "$c" ]] && TRUSTCTL=$c && break
  done
fi
for bin in notary notary-server curl "$TRUSTCTL"; do
  command -v "$bin" >/dev/null || { echo "missing: $bin" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/trustctl-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_up() { # URL
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1/_notary_server/health" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server at $1 did not come up" >&2; return 1
}

now_ms() { date +%s%3N; }

bench() { # NAME URL
  local name=$1 url=$2 gun="example.com/bench/$1" cfg="$WORK/$1-notary.json"
  printf '{"trust_dir":"%s","remote_server":{"url":"%s"}}\n' "$WORK/$1-trust" "$url" >"$cfg"
  export NOTARY_ROOT_PASSPHRASE=benchpass NOTARY_TARGETS_PASSPHRASE=benchpass \
    NOTARY_SNAPSHOT_PASSPHRASE=benchpass
  notary -c "$cfg" init "$gun" -p >/dev/null
  notary -c "$cfg" key rotate "$gun" snapshot -r >/dev/null
  local t0; t0=$(now_ms)
  for i in $(seq 1 "$PUBLISHES"); do
    notary -c "$cfg" addhash "$gun" "tag$i" 10 --sha256 "$(printf '%064x' "$i")" -p >/dev/null
  done
  local t1; t1=$(now_ms)
  for _ in $(seq 1 "$GETS"); do
    curl -fsS -o /dev/null "$url/v2/$gun/_trust/tuf/timestamp.json"
  done
  local t2; t2=$(now_ms)
  printf '%-14s %4d publishes: %6d ms (%5.1f ms each)   %4d GET timestamp: %6d ms (%5.2f ms each)\n' \
    "$name" "$PUBLISHES" $((t1 - t0)) "$(echo "($t1 - $t0) / $PUBLISHES" | bc -l)" \
    "$GETS" $((t2 - t1)) "$(echo "($t2 - $t1) / $GETS" | bc -l)"
}

# notary-server, memory storage, local signer
NPORT=$(free_port)
cat >"$WORK/notary-server.json" <<JSON
{"server":{"http_addr":"127.0.0.1:$NPORT"},"trust_service":{"type":"local"},
 "storage":{"backend":"memory"},"logging":{"level":"error"}}
JSON
notary-server -config "$WORK/notary-server.json" >"$WORK/notary-server.log" 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$NPORT"

# trustctl server, SQLite
TPORT=$(free_port)
TRUSTCTL_SERVER_PASSPHRASE=benchpass "$TRUSTCTL" server --addr "127.0.0.1:$TPORT" \
  --storage "sqlite:$WORK/trustctl.db" >"$WORK/trustctl.log" 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$TPORT"

echo "# $(date -u +%FT%TZ) $(uname -m), trustctl: $TRUSTCTL"
bench notary-server "http://127.0.0.1:$NPORT"
bench trustctl "http://127.0.0.1:$TPORT"
