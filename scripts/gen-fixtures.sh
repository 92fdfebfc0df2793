#!/usr/bin/env bash
# Regenerate fixtures/generated/ with the real peers: notary-server + notary 0.7 (Debian) and
# the docker 28 CLI (no daemon). Everything runs on 127.0.0.1 with a throw-away CA; the output
# is built in a staging dir and moved into place at the end (old output replaced as a whole).
#
#   scripts/gen-fixtures.sh            # writes fixtures/generated/
#
# Needs: notary, notary-server, docker, openssl, python3 (HTTP GETs of the exact served bytes).
# File names are fixed; contents (keys, signatures, expiry times) change on every run.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
FINAL="$REPO/fixtures/generated"

for bin in notary notary-server docker openssl python3; do
  command -v "$bin" >/dev/null 2>&1 || { echo "gen-fixtures: $bin is not installed" >&2; exit 1; }
done

# A clean environment: nothing from the user's docker/notary/trustctl setup leaks in.
for v in $(compgen -e); do
  case "$v" in DOCKER_*|NOTARY_*|TRUSTCTL_*) unset "$v" ;; esac
done
export TZ=UTC LC_ALL=C

WORK=$(mktemp -d "${TMPDIR:-/tmp}/trustctl-gen-fixtures.XXXXXX")
STAGE=$(mktemp -d "$REPO/fixtures/.generated.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK" "$STAGE"
}
trap cleanup EXIT
chmod 700 "$WORK"
export HOME="$WORK/home"
mkdir -p "$HOME" "$STAGE"/{metadata,docker,notary,keys/notary,keys/docker}

# Passphrases (recorded in fixtures/README.md).
export NOTARY_ROOT_PASSPHRASE=rootpass123
export NOTARY_TARGETS_PASSPHRASE=targetspass123
export NOTARY_SNAPSHOT_PASSPHRASE=snapshotpass123
export NOTARY_DELEGATION_PASSPHRASE=delegpass123
DOCKER_ROOT_PASS=dockerroot123
DOCKER_REPO_PASS=dockerrepo123

log() { echo "gen-fixtures: $*" >&2; }

# --- TLS: a private CA and a certificate for localhost / 127.0.0.1 -------------------------
TLS="$WORK/tls"
mkdir -p "$TLS"
openssl ecparam -name prime256v1 -genkey -noout -out "$TLS/ca.key" 2>/dev/null
openssl req -x509 -new -key "$TLS/ca.key" -subj "/CN=trustctl fixtures CA" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -out "$TLS/ca.crt" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$TLS/server.key" 2>/dev/null
openssl req -new -key "$TLS/server.key" -subj "/CN=localhost" -out "$TLS/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$TLS/ext"
openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
  -days 3650 -extfile "$TLS/ext" -out "$TLS/server.crt" 2>/dev/null

# --- notary-server on a free port ----------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SERVER="https://localhost:$PORT"
cat > "$WORK/server.json" <<EOF
{"server": {"http_addr": "127.0.0.1:$PORT", "tls_cert_file": "$TLS/server.crt", "tls_key_file": "$TLS/server.key"},
 "trust_service": {"type": "local", "hostname": "", "port": "", "key_algorithm": "ecdsa"},
 "storage": {"backend": "memory"},
 "logging": {"level": "info"}}
EOF
notary-server -config "$WORK/server.json" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

# GET URL -> FILE (exact bytes), trusting the CA. Exit status 0 only for HTTP 200.
fetch() {
  python3 - "$1" "$TLS/ca.crt" "$2" <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
with urllib.request.urlopen(sys.argv[1], context=ctx, timeout=10) as r:
    data = r.read()
with open(sys.argv[3], "wb") as f:
    f.write(data)
PY
}

up=""
for _ in $(seq 1 50); do
  if fetch "$SERVER/_notary_server/health" "$WORK/health" 2>/dev/null; then up=1; break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
  sleep 0.2
done
[ -n "$up" ] || { cat "$WORK/server.log" >&2; echo "gen-fixtures: notary-server did not start" >&2; exit 1; }
log "notary-server up at $SERVER"

# --- clients -------------------------------------------------------------------------------
NTRUST="$WORK/notary-trust"
mkdir -p "$NTRUST"
cat > "$WORK/notary.json" <<EOF
{"trust_dir": "$NTRUST", "remote_server": {"url": "$SERVER", "root_ca": "$TLS/ca.crt"}}
EOF
nt() { notary -c "$WORK/notary.json" "$@"; }

DCFG="$WORK/dockercfg"
mkdir -p "$DCFG/tls/localhost:$PORT"
cp "$TLS/ca.crt" "$DCFG/tls/localhost:$PORT/ca.crt"
dk() {
  DOCKER_CONFIG="$DCFG" DOCKER_HOST="unix://$WORK/no-docker-daemon.sock" DOCKER_CLI_HINTS=false \
    DOCKER_CONTENT_TRUST_SERVER="$SERVER" \
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=$DOCKER_ROOT_PASS \
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=$DOCKER_REPO_PASS docker "$@"
}
# notary on docker's trust dir, the way the samples signed tags into delegations.
ntd() {
  NOTARY_ROOT_PASSPHRASE=$DOCKER_ROOT_PASS NOTARY_TARGETS_PASSPHRASE=$DOCKER_REPO_PASS \
    NOTARY_SNAPSHOT_PASSPHRASE=$DOCKER_REPO_PASS NOTARY_DELEGATION_PASSPHRASE=$DOCKER_REPO_PASS \
    notary -c "$WORK/notary.json" -d "$DCFG/trust" "$@"
}

# meta PREFIX GUN ROLE... : store each role as served (targets/x -> PREFIX.targets_x.json).
meta() {
  local prefix=$1 gun=$2; shift 2
  local role
  for role in "$@"; do
    fetch "$SERVER/v2/$gun/_trust/tuf/$role.json" "$STAGE/metadata/$prefix.${role//\//_}.json"
  done
}
# inspect NAME ARGS... : docker trust inspect JSON and --pretty, stdout only, exit 0 required.
inspect() {
  local name=$1; shift
  dk trust inspect "$@" > "$STAGE/docker/inspect-$name.json"
  dk trust inspect --pretty "$@" > "$STAGE/docker/inspect-pretty-$name.txt"
}
# A fresh notary client's view (empty trust dir: TOFU on the served root).
fresh_list() {
  local out=$1; shift
  local d="$WORK/fresh-$RANDOM"
  mkdir -p "$d"
  notary -c "$WORK/notary.json" -d "$d" list "$@" > "$STAGE/notary/$out"
}

PAYLOAD="$WORK/payload.txt"
printf 'trustctl fixture payload\n' > "$PAYLOAD"
D1=c512d672400a70f985a0b560012538262a2d5803ecde325dcf0162d3616cddeb
D2=0000000000000000000000000000000000000000000000000000000000000001
D3=0000000000000000000000000000000000000000000000000000000000000002

# 1. notary-repo: notary init/add/publish, client-managed snapshot key ---------------------
G1=localhost:5000/gen/notary-repo
log "1/4 $G1"
nt init "$G1" -p >/dev/null
nt add "$G1" v1 "$PAYLOAD" -p >/dev/null
nt addhash "$G1" v2 262 --sha256 $D1 -p >/dev/null
meta notary-repo "$G1" root targets snapshot timestamp
fresh_list list-notary-repo.txt "$G1"
inspect notary-repo "$G1"

# 2. docker-repo: docker trust signer add (server-managed snapshot) + tags in delegations ---
G2=localhost:5000/gen/docker-repo
log "2/4 $G2"
dk trust key generate alice --dir "$STAGE/keys/docker" >/dev/null
dk trust key generate bob --dir "$STAGE/keys/docker" >/dev/null
dk trust signer add --key "$STAGE/keys/docker/alice.pub" alice "$G2" > "$STAGE/docker/signer-add-alice-new-repo.txt"
dk trust signer add --key "$STAGE/keys/docker/bob.pub" bob "$G2" > "$STAGE/docker/signer-add-bob.txt"
ntd addhash "$G2" v0 262 --sha256 $D1 -p >/dev/null
ntd addhash "$G2" v1 262 --sha256 $D1 -r targets/releases -r targets/alice -p >/dev/null
ntd addhash "$G2" v2 10 --sha256 $D2 -r targets/releases -r targets/alice -r targets/bob -p >/dev/null
ntd addhash "$G2" v10 10 --sha256 $D3 -r targets/releases -r targets/bob -p >/dev/null
meta docker-repo "$G2" root targets snapshot timestamp targets/releases targets/alice targets/bob
fresh_list list-docker-repo.txt "$G2"
fresh_list list-docker-repo-releases.txt "$G2" -r targets/releases
inspect docker-repo "$G2"
inspect docker-repo-v1 "$G2:v1"
inspect two-repos "$G1" "$G2"
# Revoke v2 (alice and bob both signed it; this user holds both keys).
dk trust revoke "$G2:v2" > "$STAGE/docker/revoke-docker-repo-v2.txt"
meta docker-repo-after-revoke "$G2" targets/releases targets/alice targets/bob snapshot timestamp
inspect docker-repo-after-revoke "$G2"
# Missing repository: stdout, stderr and exit code.
set +e
dk trust inspect localhost:5000/gen/missing > "$STAGE/docker/inspect-missing.stdout.txt" 2> "$STAGE/docker/inspect-missing.stderr.txt"
echo $? > "$STAGE/docker/inspect-missing.exit-code.txt"
set -e

# 3. rotation: root rotated twice ----------------------------------------------------------
G3=localhost:5000/gen/rotation
log "3/4 $G3"
nt init "$G3" -p >/dev/null
nt addhash "$G3" v1 262 --sha256 $D1 -p >/dev/null
echo yes | nt key rotate "$G3" root >/dev/null
echo yes | nt key rotate "$G3" root >/dev/null
meta rotation "$G3" 1.root 2.root 3.root root targets snapshot timestamp
fresh_list list-rotation.txt "$G3"
inspect rotation "$G3"

# 4. delegation-paths: a delegation limited to path prefixes, signed in a UTC-5 zone --------
# Made by notary on docker's trust dir with a key from `docker trust key generate` (notary's own
# `key generate -o` output cannot be imported back: encrypted keys need a `path` header).
G4=localhost:5000/gen/delegation-paths
log "4/4 $G4"
ntd init "$G4" -p >/dev/null
dk trust key generate ci --dir "$STAGE/keys/docker" >/dev/null
ntd delegation add "$G4" targets/ci "$STAGE/keys/docker/ci.pub" --paths app/,lib/ -p >/dev/null
TZ=America/New_York ntd addhash "$G4" app/v1 262 --sha256 $D1 -r targets/ci -p >/dev/null
TZ=America/New_York ntd addhash "$G4" lib/v2 10 --sha256 $D2 -r targets/ci -p >/dev/null
TZ=America/New_York ntd addhash "$G4" top 10 --sha256 $D3 -p >/dev/null
meta delegation-paths "$G4" root targets snapshot timestamp targets/ci
fresh_list list-delegation-paths.txt "$G4"
inspect delegation-paths "$G4"

# --- keys ----------------------------------------------------------------------------------
cp "$NTRUST"/private/*.key "$STAGE/keys/notary/"
cp "$DCFG"/trust/private/*.key "$STAGE/keys/docker/"
chmod 644 "$STAGE"/keys/*/*
# keys/INDEX.txt: file, role and gun headers, passphrase (all throw-away TEST keys).
{
  echo "# file role gun passphrase"
  for f in "$STAGE"/keys/*/*.key; do
    rel=${f#"$STAGE/keys/"}
    role=$(sed -n 's/^role: //p' "$f")
    gun=$(sed -n 's/^gun: //p' "$f")
    case "$rel:$role" in
      notary/*:root) pw=$NOTARY_ROOT_PASSPHRASE ;;
      notary/*:targets) pw=$NOTARY_TARGETS_PASSPHRASE ;;
      notary/*:snapshot) pw=$NOTARY_SNAPSHOT_PASSPHRASE ;;
      notary/*) pw=$NOTARY_DELEGATION_PASSPHRASE ;;
      docker/*:root) pw=$DOCKER_ROOT_PASS ;;
      *) pw=$DOCKER_REPO_PASS ;;
    esac
    echo "$rel ${role:--} ${gun:--} $pw"
  done
} > "$STAGE/keys/INDEX.txt"

# --- sanity: every repository verifies with the independent Python verifier ----------------
for p in notary-repo docker-repo rotation delegation-paths; do
  out=$(cd "$STAGE/metadata" && python3 "$REPO/tests/tools/verify.py" . "$p")
  if echo "$out" | grep -qE 'False|FAIL|unknown key'; then
    echo "$out" >&2
    echo "gen-fixtures: $p does not verify" >&2
    exit 1
  fi
done

# --- versions ------------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "notary: $(dpkg-query -W -f='${Version}' notary 2>/dev/null || echo unknown) ($(notary version 2>/dev/null | grep 'Go version' | xargs))"
  echo "notary-server: $(notary-server -version 2>&1 | head -n1)"
  echo "docker: $(docker version --format '{{.Client.Version}}' 2>/dev/null || true)"
  echo "server-port: $PORT (names in files: https://localhost:$PORT)"
} > "$STAGE/VERSIONS.txt"

# --- move into place -----------------------------------------------------------------------
find "$STAGE" -type d -exec chmod 755 {} +
find "$STAGE" -type f -exec chmod 644 {} +
rm -rf "$FINAL.old"
if [ -d "$FINAL" ]; then mv "$FINAL" "$FINAL.old"; fi
mv "$STAGE" "$FINAL"
rm -rf "$FINAL.old"
# Refresh the versions block of fixtures/README.md.
python3 - "$REPO/fixtures/README.md" "$FINAL/VERSIONS.txt" <<'PY'
import re, sys
readme, versions = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
block = "<!-- gen:versions -->\n```\n" + versions + "```\n<!-- /gen:versions -->"
new = re.sub(r"<!-- gen:versions -->.*?<!-- /gen:versions -->", lambda m: block, text, flags=re.S)
open(readme, "w").write(new)
PY
log "wrote $FINAL"
cat "$FINAL/VERSIONS.txt" >&2
