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
# The two tools take turns, one run each, so that a machine whose speed drifts (a shared VM)
# slows both alike; one untimed run of each comes first. Timing uses bash's $EPOCHREALTIME
# (no process inside the timed interval but the tool).
#
# Usage: scripts/bench-sign.sh [SIZES...]   (default: 10 10000); RUNS=N (default 11);
#        TRUSTCTL=BINARY to time another trustctl build; TLS=1 serves over HTTPS (a CA made
#        for the run; both tools trust it), as trust servers are deployed; DELAY_MS=N puts
#        N ms each way between the tools and the server (scripts/delay_proxy.py).
# Needs: notary-server, notary, python3, openssl (TLS=1); builds trustctl --release.
# Target (issue "Publishing"): trustctl at least 3x faster than notary at both sizes.
set -euo pipefail

SIZES=("${@:-10 10000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
RUNS=${RUNS:-11}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
# (no default pid: `kill 0` would signal this whole process group)
trap 'kill ${SERVER_PID:-} ${PROXY_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

# TRUSTCTL=/path/to/binary compares another build (nothing is built then).
if [ -z "${TRUSTCTL:-}" ]; then
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin trustctl
  TRUSTCTL="$ROOT/target/release/trustctl"
fi

# shellcheck source=scripts/bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_notary_server ed25519
TC=("$TRUSTCTL")
NOTARY=(notary)
if [ -n "$CA" ]; then
  TC+=(--tls-ca "$CA")
  NOTARY+=(--tlscacert "$CA")
fi

# Same passphrase source for both tools: environment variables with the same values.
export TRUSTCTL_ROOT_PASSPHRASE=benchroot TRUSTCTL_REPOSITORY_PASSPHRASE=benchrepo
export NOTARY_ROOT_PASSPHRASE=benchroot NOTARY_TARGETS_PASSPHRASE=benchrepo
DIGEST=sha256:$(printf 'bench' | sha256sum | cut -d' ' -f1)
printf 'payload' > "$WORK/payload.txt"

# Create GUN with N tags in one trustctl publish (trust dir $2).
populate() {
  local gun=$1 td=$2 n=$3 args=()
  for i in $(seq 0 $((n - 1))); do args+=("$gun:t$i"); done
  "${TC[@]}" --trust-dir "$td" --server "$URL" sign "${args[@]}" --digest "$DIGEST" --size 3 >/dev/null
}

# Microseconds one run of the command "$@" takes; a failed run stops the script.
timed() {
  local s e
  s=${EPOCHREALTIME/./}
  "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; exit 1; }
  e=${EPOCHREALTIME/./}
  echo $((e - s))
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{printf "%.4f", a[int((NR+1)/2)]/1e6}'; }

printf '%-8s %-10s %-16s %10s %8s\n' tags server command seconds ratio
for n in "${SIZES[@]}"; do
  tg="localhost:5000/bench/trustctl$n"
  ng="localhost:5000/bench/notary$n"
  TD="$WORK/tc-$n"
  ND="$WORK/notary-$n"
  populate "$tg" "$TD" "$n"
  populate "$ng" "$ND" "$n" # same layout: notary reads trustctl's key files and cache
  sign=("${TC[@]}" --trust-dir "$TD" --server "$URL" sign "$tg:new" --digest "$DIGEST" --size 3)
  add=("${NOTARY[@]}" -s "$URL" -d "$ND" add -p "$ng" new "$WORK/payload.txt")
  t=() nt=()
  for i in $(seq 0 "$RUNS"); do
    head -c 32 /dev/urandom >"$WORK/payload.txt" # a new target for notary, untimed
    a=$(timed "${sign[@]}")
    b=$(timed "${add[@]}")
    [ "$i" = 0 ] && continue # warm-up
    t+=("$a") nt+=("$b")
  done
  tm=$(median "${t[@]}") nm=$(median "${nt[@]}")
  scheme=${URL%%:*}${DELAY_MS:++${DELAY_MS}ms}
  printf '%-8s %-10s %-16s %10s %8s\n' "$n" "$scheme" "trustctl sign" "$tm" "1.00"
  printf '%-8s %-10s %-16s %10s %8s\n' "$n" "$scheme" "notary add -p" "$nm" "$(echo "scale=2; $nm / $tm" | bc -l)"
done
