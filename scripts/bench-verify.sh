#!/usr/bin/env bash
# Compare, on one notary-server, `trustctl verify` / `trustctl inspect` with `notary lookup` /
# `notary list` and `docker trust inspect`, for repositories of 10, 1,000 and 10,000 tags,
# with a warm and a cold cache; prints wall-clock medians and ratios.
#
# Usage: scripts/bench-verify.sh [SIZES...]   (default: 10 1000 10000); RUNS=N (default 5);
#        TRUSTCTL=BINARY to time another trustctl build; TLS=1 serves over HTTPS (a CA made
#        here), which `docker trust inspect` needs (over plain HTTP its row is NA)
# Needs: notary-server, notary, docker (CLI only), python3; builds trustctl --release.
# Targets (docs/threat-model.md, issue "Verification"): warm verify >= 5x faster than
# `notary lookup`; cold verify of 10,000 tags within 2x of the floor (bytes parsed and
# signatures checked: measured here as `floor`, python reading + hashing the same files is
# not a fair floor, so the floor is trustctl's own offline verify of the cached files).
# Two more rows put small repositories in scale: starting any process (/bin/true) and one GET
# of timestamp.json over a fresh connection from bash itself; their sum is the least any
# online verify can take against this server, whatever it does after.
set -euo pipefail

SIZES=("${@:-10 1000 10000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
# (no default pid: `kill 0` would signal this whole process group)
trap 'kill ${SERVER_PID:-} ${PROXY_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

# TRUSTCTL=/path/to/binary compares another build (nothing is built then).
if [ -z "${TRUSTCTL:-}" ]; then
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
  TRUSTCTL="$ROOT/target/release/trustctl"
fi

TLS=${TLS:-0}
# shellcheck source=scripts/bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_notary_server ecdsa
TC=("$TRUSTCTL")
if [ -n "$CA" ]; then
  TC+=(--tls-ca "$CA")
  mkdir -p "$WORK/docker/tls/127.0.0.1:$PORT"
  cp "$CA" "$WORK/docker/tls/127.0.0.1:$PORT/ca.crt"
fi

export NOTARY_ROOT_PASSPHRASE=benchroot NOTARY_TARGETS_PASSPHRASE=benchtargets NOTARY_SNAPSHOT_PASSPHRASE=benchsnap
NOTARY=(notary -s "$URL" -d "$WORK/notary")
[ "$TLS" = 1 ] && NOTARY+=(--tlscacert "$WORK/ca.crt")

# Stage N targets directly as notary changelist entries (one `notary addhash` per tag would
# take minutes), then publish once.
populate() {
  local gun=$1 n=$2
  "${NOTARY[@]}" init "$gun" -p >/dev/null
  python3 - "$WORK/notary/tuf/$gun/changelist" "$n" <<'PY'
import base64, hashlib, json, os, sys, time, uuid
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
t0 = time.time_ns()
for i in range(n):
    digest = hashlib.sha256(f"bench-{i}".encode()).digest()
    meta = {"length": 1000 + i, "hashes": {"sha256": base64.b64encode(digest).decode()}}
    change = {"action": "create", "role": "targets", "type": "target", "path": f"v{i}",
              "data": base64.b64encode(json.dumps(meta).encode()).decode()}
    with open(os.path.join(d, f"{t0 + i:020d}_{uuid.uuid4()}.change"), "w") as f:
        json.dump(change, f)
PY
  "${NOTARY[@]}" publish "$gun" >/dev/null
}

# median wall time (seconds) of RUNS runs of "$@"; PREP (if set) runs before each, untimed.
# Timed with bash's $EPOCHREALTIME: no `date` process inside the timed interval (two of them
# used to add about 1-2 ms to every sample, which hid most of the difference at 10 tags).
median() {
  local times=()
  for _ in $(seq "$RUNS"); do
    [ -n "${PREP:-}" ] && eval "$PREP"
    local s e
    s=${EPOCHREALTIME/./}; "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }; e=${EPOCHREALTIME/./}
    times+=("$((e - s))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{printf "%.4f", a[int((NR+1)/2)]/1e6}'
}

ratio() { echo "scale=2; $1 / $2" | bc -l; }

# One GET of timestamp.json over a fresh connection, with bash's /dev/tcp (no process): with
# the process start above, the least any online verify can cost against this server.
get_timestamp() {
  exec 3<>/dev/tcp/127.0.0.1/"$PORT"
  printf 'GET /v2/%s/_trust/tuf/timestamp.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3
  local _line
  while IFS= read -r -u 3 _line; do :; done
  exec 3>&-
}

export DOCKER_CONFIG="$WORK/docker" DOCKER_CONTENT_TRUST_SERVER="$URL"
# For scale: starting any process (fork + exec of /bin/true) measured the same way.
printf 'process start floor (/bin/true): %s s\n' "$(median /bin/true)"
printf '%-7s %-6s %-30s %10s %8s\n' tags cache command seconds ratio
for n in "${SIZES[@]}"; do
  gun="localhost:5000/bench/r$n"
  populate "$gun" "$n"
  last="v$((n - 1))"
  TD="$WORK/tc-$n"
  # warm: caches filled once before timing
  "${TC[@]}" --trust-dir "$TD" --server "$URL" verify "$gun:$last" >/dev/null 2>&1
  "${NOTARY[@]}" lookup "$gun" "$last" >/dev/null
  t_warm=$(median "${TC[@]}" --trust-dir "$TD" --server "$URL" verify "$gun:$last")
  t_get=NA
  [ "$TLS" = 1 ] || t_get=$(median get_timestamp "$gun")
  n_warm=$(median "${NOTARY[@]}" lookup "$gun" "$last")
  t_off=$(median "${TC[@]}" --trust-dir "$TD" --server "$URL" verify --offline "$gun:$last")
  ti_warm=$(median "${TC[@]}" --trust-dir "$TD" --server "$URL" inspect "$gun")
  nl_warm=$(median "${NOTARY[@]}" list "$gun")
  # cold: cache removed before each run
  PREP="rm -rf '$TD/tuf'"
  t_cold=$(median "${TC[@]}" --trust-dir "$TD" --server "$URL" verify "$gun:$last")
  PREP="rm -rf '$WORK/notary/tuf/$gun/metadata'"
  n_cold=$(median "${NOTARY[@]}" lookup "$gun" "$last")
  PREP=
  # docker requires an https trust server; report when it cannot run here
  d_warm=$(median docker trust inspect "$gun" 2>/dev/null || echo NA)
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" warm "trustctl verify" "$t_warm" "1"
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" warm "notary lookup" "$n_warm" "$(ratio "$n_warm" "$t_warm")x"
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" warm "trustctl verify --offline" "$t_off" "floor"
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" warm "one GET (no process, no TLS)" "$t_get" "-"
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" warm "trustctl inspect" "$ti_warm" "1"
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" warm "notary list" "$nl_warm" "$(ratio "$nl_warm" "$ti_warm")x"
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" warm "docker trust inspect" "$d_warm" "$([ "$d_warm" = NA ] && echo - || echo "$(ratio "$d_warm" "$ti_warm")x")"
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" cold "trustctl verify" "$t_cold" "$(ratio "$t_cold" "$t_off")x floor"
  printf '%-7s %-6s %-30s %10s %8s\n' "$n" cold "notary lookup" "$n_cold" "$(ratio "$n_cold" "$t_cold")x"
done
