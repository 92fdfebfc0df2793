# Sourced by the bench scripts (needs WORK set, and TLS=1 for HTTPS).
#
# `bench_notary_server KEY_ALGORITHM` starts notary-server (memory backend) on a free port of
# 127.0.0.1 with server-managed keys of that algorithm, and sets PORT, URL, SERVER_PID and,
# over HTTPS, CA (the CA file both tools must trust: a self-signed certificate cannot be the
# server's, so a CA made for the run signs one for 127.0.0.1). With DELAY_MS=N, PORT and URL
# are those of scripts/delay_proxy.py in front of it: N ms each way, as a server across a
# network (everything the scripts time goes through it).
bench_notary_server() {
  local tls_json=
  PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  URL="http://127.0.0.1:$PORT"
  CA=
  if [ "${TLS:-0}" = 1 ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj /CN=bench-ca -keyout "$WORK/ca.key" -out "$WORK/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
      -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$WORK/ext.cnf"
    openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
      -CAcreateserial -days 2 -extfile "$WORK/ext.cnf" -out "$WORK/server.crt" 2>/dev/null
    tls_json=",\"tls_cert_file\":\"$WORK/server.crt\",\"tls_key_file\":\"$WORK/server.key\""
    URL="https://127.0.0.1:$PORT"
    CA="$WORK/ca.crt"
  fi
  cat >"$WORK/server.json" <<JSON
{"server":{"http_addr":"127.0.0.1:$PORT"$tls_json},"trust_service":{"type":"local","hostname":"","port":"","key_algorithm":"$1"},"storage":{"backend":"memory"},"logging":{"level":"error"}}
JSON
  notary-server -config "$WORK/server.json" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
  if [ -n "${DELAY_MS:-}" ]; then
    local proxy_port
    proxy_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    python3 "$(dirname "${BASH_SOURCE[0]}")/delay_proxy.py" "$proxy_port" "$PORT" "$DELAY_MS" >"$WORK/proxy.log" 2>&1 &
    PROXY_PID=$!
    for _ in $(seq 50); do grep -q ready "$WORK/proxy.log" 2>/dev/null && break; sleep 0.1; done
    PORT=$proxy_port
    URL="${URL%:*}:$PORT"
  fi
}
