#!/usr/bin/env bash
# Side by side on one notary-server: `trustctl sign` vs `notary add -p` (sign + publish of
# one tag) on repositories that already hold 10 and 10,000 tags. Both tools sign into
# `targets` of repositories with the same shape (created by trustctl as docker creates them:
# server-managed snapshot), both read their passphrases from the environment, and both start
# from a warm metadata cache (each has published to its repository before timing).
# Prints the median wall time per sign+publish and the ratio notary/trustctl.
#
# Every timed run is a real publish for both tools: trustctl re-signs the tag (as docker does,
# a new targets version is signed and uploaded even for an unchanged digest); notary gets a
# new payload before each run (untimed), because `notary add` of a target it already holds
# with the same hash publishes nothing (an empty POST), which would time a no-op.
# Timing uses bash's $EPOCHREALTIME (no `date` process inside the timed interval).
#
# Usage: scripts/bench-sign.sh [SIZES...]   (default: 10 10000); RUNS=N (default 5);
#        TRUSTCTL=BINARY to time another trustctl build
# Needs: notary-server, notary, python3; builds trustctl --release. Uses hyperfine if
# installed, else a bounded loop.
# Target (issue "Publishing"): trustctl at least 3x faster than notary at both sizes.
set -euo pipefail

SIZES=("${@:-10 10000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'kill ${SERVER_PID:-0} 2>/dev/null || true; rm -rf "$WORK"' EXIT

# TRUSTCTL=/path/to/binary compares another build (nothing is built then).
if [ -z "${TRUSTCTL:-}" ]; then
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin trustctl
  TRUSTCTL="$ROOT/target/release/trustctl"
fi

PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat > "$WORK/server.json" <<JSON
{"server":{"http_addr":"127.0.0.1:$PORT"},"trust_service":{"type":"local","hostname":"","port":"","key_algorithm":"ed25519"},"storage":{"backend":"memory"},"logging":{"level":"error"}}
JSON
notary-server -config "$WORK/server.json" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

# Same passphrase source for both tools: environment variables with the same values.
export TRUSTCTL_ROOT_PASSPHRASE=benchroot TRUSTCTL_REPOSITORY_PASSPHRASE=benchrepo
export NOTARY_ROOT_PASSPHRASE=benchroot NOTARY_TARGETS_PASSPHRASE=benchrepo
DIGEST=sha256:$(printf 'bench' | sha256sum | cut -d' ' -f1)
printf 'payload' > "$WORK/payload.txt"

# Create GUN with N tags in one trustctl publish (trust dir $2).
populate() {
  local gun=$1 td=$2 n=$3 args=()
  for i in $(seq 0 $((n - 1))); do args+=("$gun:t$i"); done
  "$TRUSTCTL" --trust-dir "$td" --server "$URL" sign "${args[@]}" --digest "$DIGEST" --size 3 >/dev/null
}

# Median seconds of RUNS runs of the command string $1 after one warm-up run; the command
# string $2 (optional) runs before each run, untimed.
measure() {
  local cmd=$1 prep=${2:-true}
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 1 -r "$RUNS" --prepare "sh -c '$prep'" --export-json "$WORK/h.json" "$cmd" >/dev/null 2>&1
    python3 -c 'import json,sys;print("%.4f"%json.load(open(sys.argv[1]))["results"][0]["median"])' "$WORK/h.json"
    return
  fi
  eval "$prep" >/dev/null 2>&1
  eval "$cmd" >/dev/null 2>&1 # warm-up
  local times=()
  for _ in $(seq "$RUNS"); do
    eval "$prep" >/dev/null 2>&1
    local s e
    s=${EPOCHREALTIME/./}; eval "$cmd" >/dev/null 2>&1 || { echo "FAILED: $cmd" >&2; return 1; }; e=${EPOCHREALTIME/./}
    times+=("$((e - s))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{printf "%.4f", a[int((NR+1)/2)]/1e6}'
}

printf '%-8s %-26s %10s %8s\n' tags command seconds ratio
for n in "${SIZES[@]}"; do
  tg="localhost:5000/bench/trustctl$n"
  ng="localhost:5000/bench/notary$n"
  TD="$WORK/tc-$n"
  ND="$WORK/notary-$n"
  populate "$tg" "$TD" "$n"
  populate "$ng" "$ND" "$n" # same layout: notary reads trustctl's key files and cache
  t=$(measure "$TRUSTCTL --trust-dir $TD --server $URL sign $tg:new --digest $DIGEST --size 3")
  nt=$(measure "notary -s $URL -d $ND add -p $ng new $WORK/payload.txt" \
    "head -c 32 /dev/urandom > $WORK/payload.txt")
  printf '%-8s %-26s %10s %8s\n' "$n" "trustctl sign" "$t" "1.00"
  printf '%-8s %-26s %10s %8s\n' "$n" "notary add -p" "$nt" "$(echo "scale=2; $nt / $t" | bc -l)"
done
