#!/usr/bin/env bash
# Benchmark: trustctl server vs notary-server 0.7, side by side on this machine, same data,
# same load. Not a test; run by hand:
#   scripts/bench-server.sh [REQUESTS=10000] [CONCURRENCY=8] [PUBLISHES=20]
# For repositories of 10 and 10,000 targets (seeded by scripts/bench_seed.py, an independent
# client, so both servers receive byte-identical uploads) it measures GET timestamp.json and
# GET targets.json with `ab` (throughput, p50, p99), then PUBLISHES sequential publishes of a
# targets file (p50, p99 latency). Prints one table and the trustctl/notary ratios.
# Plain HTTP on 127.0.0.1, ephemeral ports, temp dir removed at exit.
# notary-server uses its memory backend (its fastest); trustctl uses its SQLite default.
# Needs: notary-server, ab (apache2-utils), curl, python3 with cryptography.
set -euo pipefail

REQUESTS=${1:-10000}
CONC=${2:-8}
PUBLISHES=${3:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TRUSTCTL=${TRUSTCTL:-$ROOT/target/release/trustctl}
if [[ ! -x "$TRUSTCTL" ]]; then
  echo "building release binary..." >&2
  (cd "$ROOT" && cargo build --release --locked --quiet)
fi
for bin in notary-server ab curl python3; do
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

# ab -> "rps p50 p99"
load() { # URL
  ab -q -k -n "$REQUESTS" -c "$CONC" "$1" >"$WORK/ab.txt" 2>&1 || { cat "$WORK/ab.txt" >&2; return 1; }
  if grep -q '^Non-2xx responses' "$WORK/ab.txt"; then echo "non-2xx answers from $1" >&2; return 1; fi
  awk '/^Requests per second/ {rps=$4} /^  50%/ {p50=$2} /^  99%/ {p99=$2} END {print rps, p50, p99}' "$WORK/ab.txt"
}

# latencies (ms, space separated) -> "p50 p99"
pct() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {i50=int(NR*0.5); if (i50<1) i50=1; i99=int(NR*0.99+0.5); if (i99<1) i99=1; if (i99>NR) i99=NR; printf "%.1f %.1f\n", a[i50], a[i99]}'; }

NPORT=$(free_port)
cat >"$WORK/notary-server.json" <<JSON
{"server":{"http_addr":"127.0.0.1:$NPORT"},"trust_service":{"type":"local"},
 "storage":{"backend":"memory"},"logging":{"level":"error"}}
JSON
notary-server -config "$WORK/notary-server.json" >"$WORK/notary-server.log" 2>&1 &
PIDS+=($!)
TPORT=$(free_port)
TRUSTCTL_SERVER_PASSPHRASE=benchpass "$TRUSTCTL" server --addr "127.0.0.1:$TPORT" \
  --storage "sqlite:$WORK/trustctl.db" >"$WORK/trustctl.log" 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$NPORT"
wait_up "http://127.0.0.1:$TPORT"

declare -A R
for n in 10 10000; do
  for s in notary trustctl; do
    port=$NPORT; [[ $s == trustctl ]] && port=$TPORT
    gun="bench.example.com/n$n"
    lat=$(python3 "$ROOT/scripts/bench_seed.py" "127.0.0.1:$port" "$gun" "$n" "$PUBLISHES")
    R[$s,$n,publish]=$(echo "$lat" | pct)
    R[$s,$n,timestamp]=$(load "http://127.0.0.1:$port/v2/$gun/_trust/tuf/timestamp.json")
    R[$s,$n,targets]=$(load "http://127.0.0.1:$port/v2/$gun/_trust/tuf/targets.json")
  done
done

echo "# $(date -u +%FT%TZ) $(nproc) cores; $REQUESTS requests x $CONC concurrent per GET row; $PUBLISHES publishes"
printf '%-8s %-16s %12s %12s %9s %9s %9s %9s %8s\n' targets what notary_rps trustctl_rps n_p50ms t_p50ms n_p99ms t_p99ms ratio
for n in 10 10000; do
  for what in timestamp targets; do
    read -r nr np50 np99 <<<"${R[notary,$n,$what]}"
    read -r tr tp50 tp99 <<<"${R[trustctl,$n,$what]}"
    printf '%-8s %-16s %12.0f %12.0f %9s %9s %9s %9s %7.2fx\n' "$n" "GET $what" "$nr" "$tr" "$np50" "$tp50" "$np99" "$tp99" \
      "$(echo "$tr / $nr" | bc -l)"
  done
  read -r np50 np99 <<<"${R[notary,$n,publish]}"
  read -r tp50 tp99 <<<"${R[trustctl,$n,publish]}"
  printf '%-8s %-16s %12s %12s %9s %9s %9s %9s %7.2fx\n' "$n" "publish" - - "$np50" "$tp50" "$np99" "$tp99" \
    "$(echo "$np50 / $tp50" | bc -l)"
done
echo "# ratio: GET rows = trustctl/notary throughput; publish row = notary/trustctl p50 latency (higher is better for trustctl)"
