#!/usr/bin/env bash
# Transport benchmarks (short runs; figures in bench/README.md, docs/transport.md):
#  1. HTTPS requests/s at 64 kept-alive connections: the gateway (TLS 1.3, P-256 enclave-style
#     key, one event loop) vs nginx (one worker) terminating TLS 1.3 with a P-256 key, both in
#     front of the same echo upstream, same run, GET /v1/models through to the upstream;
#     BENCH_ROUNDS (3) alternating rounds, medians, and each server's CPU per request;
#  2. new TLS handshakes/s (Connection: close) for both, against `openssl speed ecdsap256`
#     signs/s on one core and against the real per-handshake limit (sign + X25519 keygen +
#     derive, from the same `openssl speed` run), and each server's CPU per handshake, i.e.
#     the handshakes one core of it serves (wrk, the client, is the bound on the rate);
#  3. the OHTTP chat path's added latency p50 over the plain path (bench_ohttp_latency).
# Needs wrk and nginx; skips what is missing.  Usage: bench/bench_transport.sh BUILD_DIR [SECS]
set -u
B="${1:-build}"; SECS="${2:-5}"
VT="$B/veritee"; ECHO="$B/veritee-echo-upstream"
T=$(mktemp -d); PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v wrk >/dev/null || { echo "bench_transport: wrk not installed (apt-get install wrk): skipped"; exit 0; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do curl -sk -o /dev/null "$1" && return 0; sleep 0.05; done; return 1; }
EP=$(port); GP=$(port); PP=$(port); NP=$(port)
"$ECHO" --listen "127.0.0.1:$EP" >/dev/null 2>&1 & PIDS="$PIDS $!"
"$VT" gateway --upstream "http://127.0.0.1:$EP" --listen "127.0.0.1:$GP" --listen-plain "127.0.0.1:$PP" --threads 1 \
  >/dev/null 2>"$T/gw.err" & G_PID=$!; PIDS="$PIDS $G_PID"
wait_port "http://127.0.0.1:$EP/v1/models" && wait_port "https://127.0.0.1:$GP/v1/models" || { echo "start failed"; cat "$T/gw.err"; exit 1; }
# rps [PID...] -- URL/wrk args: "requests/s CPU-µs-per-request" (CPU of the PIDs over the run).
. "$(dirname "$0")/lib.sh" # ticks, HZ
rps() {
  local pids=() out t0 t1
  while [ "$1" != "--" ]; do pids+=("$1"); shift; done
  shift
  t0=$(ticks "${pids[@]}")
  out=$(wrk -t2 -c64 -d"${SECS}s" "$@" 2>/dev/null)
  t1=$(ticks "${pids[@]}")
  echo "$out" | awk -v t=$((t1 - t0)) -v hz="$HZ" '/requests in/ {n = $1} /Requests\/sec/ {r = $2}
    END { printf "%s %.1f\n", r, (n > 0 ? t * 1e6 / hz / n : 0) }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
NGX_UP=0
if [ -x "$NGINX" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" -out "$T/c.pem" \
    -subj /CN=bench -days 2 >/dev/null 2>&1
  mkdir -p "$T/n/logs"
  cat >"$T/n/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $T/n/nginx.pid;
error_log $T/n/logs/error.log error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $T/n/b; proxy_temp_path $T/n/p; fastcgi_temp_path $T/n/f; uwsgi_temp_path $T/n/u; scgi_temp_path $T/n/s;
  upstream echo { server 127.0.0.1:$EP; keepalive 64; }
  server {
    listen 127.0.0.1:$NP ssl;
    ssl_certificate $T/c.pem; ssl_certificate_key $T/k.pem; ssl_protocols TLSv1.3;
    keepalive_requests 1000000;
    location / { proxy_pass http://echo; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGX
  "$NGINX" -p "$T/n" -c "$T/n/nginx.conf" -e "$T/n/logs/error.log" 2>/dev/null & N_PID=$!; PIDS="$PIDS $N_PID"
  wait_port "https://127.0.0.1:$NP/v1/models" && NGX_UP=1
fi
NW_PIDS=$( [ "$NGX_UP" = 1 ] && pgrep -P "$N_PID" | tr '\n' ' ')
# Rounds alternate which server goes first (the VM's other load drifts): each round gives a
# gateway/nginx ratio, and the medians are reported beside every round's figures.
ROUNDS="${BENCH_ROUNDS:-3}"
G_ALL=""; N_ALL=""; R_ALL=""; GC_ALL=""; NC_ALL=""; ROUND_JSON=""
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ] || [ "$NGX_UP" != 1 ]; then
    read -r g gc < <(rps "$G_PID" -- "https://127.0.0.1:$GP/v1/models")
    [ "$NGX_UP" = 1 ] && read -r n nc < <(rps $NW_PIDS -- "https://127.0.0.1:$NP/v1/models")
  else
    read -r n nc < <(rps $NW_PIDS -- "https://127.0.0.1:$NP/v1/models")
    read -r g gc < <(rps "$G_PID" -- "https://127.0.0.1:$GP/v1/models")
  fi
  [ "$NGX_UP" = 1 ] || { n=-; nc=-; }
  G_ALL="$G_ALL $g"; N_ALL="$N_ALL $n"; GC_ALL="$GC_ALL $gc"; NC_ALL="$NC_ALL $nc"
  R_ALL="$R_ALL $(awk -v a="$g" -v b="$n" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.3f", a / b }')"
  ROUND_JSON="$ROUND_JSON${ROUND_JSON:+,}{\"gateway\":\"$g\",\"nginx\":\"$n\",\"gateway_cpu_us\":\"$gc\",\"nginx_cpu_us\":\"$nc\"}"
done
G_RPS=$(echo "$G_ALL" | median); N_RPS=$(echo "$N_ALL" | median); R_MED=$(echo "$R_ALL" | median)
G_CPU=$(echo "$GC_ALL" | median); N_CPU=$(echo "$NC_ALL" | median)
# Handshakes: wrk on the same two cores pays more per handshake than the server (its own key
# pair, derive, an ECDSA verify, a TCP connect and close), so the rate is the client's bound;
# the server's CPU per handshake (from /proc, over the handshakes wrk counted) says what one
# core of it serves, whoever the client is.
read -r G_HS G_HS_CPU < <(rps "$G_PID" -- -H 'Connection: close' "https://127.0.0.1:$GP/v1/models")
N_HS=-; N_HS_CPU=-
[ "$NGX_UP" = 1 ] && read -r N_HS N_HS_CPU < <(rps $NW_PIDS -- -H 'Connection: close' "https://127.0.0.1:$NP/v1/models")
per_core() { awk -v c="$1" 'BEGIN { if (c + 0 > 0) printf "%.0f", 1e6 / c; else print "-" }'; }
G_HS_CORE=$(per_core "$G_HS_CPU"); N_HS_CORE=$(per_core "$N_HS_CPU")
# The primitive limits, one `openssl speed` run: a TLS 1.3 full handshake costs the server one
# ECDSA-P256 signature plus an ephemeral X25519 key pair and one X25519 derive.  OpenSSL 3.0's
# speed has no X25519 keygen figure; keygen is one scalar multiplication like a derive, so it is
# counted as one derive (fixed-base keygen is somewhat cheaper: this limit errs low).
openssl speed -seconds 3 ecdsap256 ecdhx25519 >"$T/speed" 2>/dev/null
SIGN=$(awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1)}' "$T/speed")
DERIVE=$(awk '/ecdh \(X25519\)/ {print $NF}' "$T/speed")
LIMIT=$(awk -v s="$SIGN" -v d="$DERIVE" 'BEGIN { if (s > 0 && d > 0) printf "%.0f", 1 / (1 / s + 2 / d); else print "-" }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.3f", a / b; else print "-" }'; }
LAT=$("$B/bench/bench_ohttp_latency" "http://127.0.0.1:$PP" 2000 2>&1)
echo "{\"https_rps_gateway\":\"$G_RPS\",\"https_rps_nginx\":\"$N_RPS\",\"rps_gateway_over_nginx\":\"$R_MED\",\"https_cpu_us_per_request_gateway\":\"$G_CPU\",\"https_cpu_us_per_request_nginx\":\"$N_CPU\",\"https_rounds\":[$ROUND_JSON],\"handshakes_gateway\":\"$G_HS\",\"handshakes_nginx\":\"$N_HS\",\"openssl_ecdsap256_sign_per_s\":\"$SIGN\",\"openssl_x25519_derive_per_s\":\"$DERIVE\",\"handshake_limit_sign_keygen_derive\":\"$LIMIT\",\"handshakes_over_sign\":\"$(ratio "$G_HS" "$SIGN")\",\"handshakes_over_limit\":\"$(ratio "$G_HS" "$LIMIT")\",\"handshakes_over_nginx\":\"$(ratio "$G_HS" "$N_HS")\",\"handshake_cpu_us_gateway\":\"$G_HS_CPU\",\"handshake_cpu_us_nginx\":\"$N_HS_CPU\",\"handshakes_per_core_gateway\":\"$G_HS_CORE\",\"handshakes_per_core_nginx\":\"$N_HS_CORE\",\"handshakes_per_core_over_limit\":\"$(ratio "$G_HS_CORE" "$LIMIT")\",\"handshakes_per_core_over_sign\":\"$(ratio "$G_HS_CORE" "$SIGN")\",\"ohttp\":$LAT}"
