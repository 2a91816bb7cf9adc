#!/usr/bin/env bash
# Proxy benchmark: the same small-response backends behind fulcrumd, nginx and HAProxy,
# all on loopback with the same worker count, driven by wrk with keep-alive.
# Prints req/s and p99 for each and for the backend directly (the limit), and the ratios.
# TLS rows (fulcrumd-tls, nginx-tls, haproxy-tls): each proxy also terminates https on a
# second port of the same process, all three with the same self-signed P-256 ECDSA
# certificate (made here with openssl), TLS 1.2 + 1.3, the same TLS 1.2 cipher list (Mozilla
# intermediate, fulcrumd's default), the same groups, session tickets on, ALPN http/1.1;
# their ratios are against nginx-tls (plain rows: against plain nginx).
# HTTP/2 rows (fulcrumd-h2, nginx-h2, haproxy-h2): the same TLS ports with ALPN h2, driven by
# h2load (nghttp2-client) with H2_CONNECTIONS connections of H2_STREAMS concurrent streams;
# each proxy still talks HTTP/1.1 to the backends; ratios against nginx-h2. h2load prints no
# percentiles: their latency column is the mean request time.
# The relay row: bench_tcp_relay, a TCP relay that pairs each client connection with a backend
# connection and copies bytes, parsing nothing (built with the bench). It is the floor: the CPU
# per request that the kernel's loopback TCP costs any keep-alive proxy on this machine.
# Asserts nothing. Starts and stops everything itself (temp configs, free ports).
#
#   tests/bench/proxy/run.sh [BUILD_DIR]      env: WORKERS (default 2), DURATION (10s),
#                                                  CONNECTIONS (50), THREADS (2), BODY_BYTES (100),
#                                                  ROUNDS (3: targets run in turn, the median is shown),
#                                                  LIGHT_CONNECTIONS (4: the unsaturated latency run),
#                                                  PROBE_REQUESTS (20000 per target), PROBE_RATE (4000/s),
#                                                  TLS (1; 0 leaves out the TLS listeners and rows)
#                                                  H2 (as TLS; 0 leaves out the HTTP/2 rows), H2_CONNECTIONS (8),
#                                                  H2_STREAMS (16 per connection),
#                                                  ACCESS_LOG (0; 1: every proxy writes one line per request to a
#                                                  file: fulcrumd proxy.access_log text, nginx "combined" with
#                                                  buffer=64k flush=1s, HAProxy option httplog to stdout (a file))
set -euo pipefail

BUILD_DIR=${1:-build}
WORKERS=${WORKERS:-2}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
BODY_BYTES=${BODY_BYTES:-100}
ROUNDS=${ROUNDS:-3}
LIGHT_CONNECTIONS=${LIGHT_CONNECTIONS:-4}
PROBE_REQUESTS=${PROBE_REQUESTS:-20000}
PROBE_RATE=${PROBE_RATE:-4000}
TLS=${TLS:-1}
H2=${H2:-$TLS}
[ "$TLS" = 0 ] && H2=0
H2_CONNECTIONS=${H2_CONNECTIONS:-8}
H2_STREAMS=${H2_STREAMS:-16}
ACCESS_LOG=${ACCESS_LOG:-0}
FULCRUMD=$(realpath "$BUILD_DIR/bin/fulcrumd")
PROBE=$(realpath "$BUILD_DIR/bench/bench_latency_probe")
RELAY=$(realpath "$BUILD_DIR/bench/bench_tcp_relay")

for tool in nginx haproxy wrk python3 $([ "$TLS" = 0 ] || echo openssl) $([ "$H2" = 0 ] || echo h2load); do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing; install it with scripts/packages.txt (apt-get install nginx-light haproxy wrk openssl nghttp2-client)" >&2; exit 1; }
done
[ -x "$FULCRUMD" ] || { echo "run.sh: $FULCRUMD not found; build first: ninja -C $BUILD_DIR fulcrumd" >&2; exit 1; }
[ -x "$PROBE" ] || { echo "run.sh: $PROBE not found; build first: ninja -C $BUILD_DIR bench_latency_probe" >&2; exit 1; }
[ -x "$RELAY" ] || { echo "run.sh: $RELAY not found; build first: ninja -C $BUILD_DIR bench_tcp_relay" >&2; exit 1; }

TMP=$(mktemp -d /tmp/fulcrum-bench-proxy.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "run.sh: nothing listens on 127.0.0.1:$1 (see $TMP/*.log)" >&2; exit 1
}

# What every nginx server block here does: proxy to the backends, kept alive, unbuffered.
NGINX_LOCATION='location / {
            proxy_pass http://backends;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
        }'
BACKEND1=$(free_port); BACKEND2=$(free_port)
P_FULCRUM=$(free_port); P_NGINX=$(free_port); P_HAPROXY=$(free_port); P_RELAY=$(free_port)
BODY=$(head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x')

# TLS: one certificate and one key for all three proxies (HAProxy wants them in one PEM), and
# the same TLS 1.2 cipher list and groups for all three: fulcrumd's defaults (Mozilla
# intermediate), written out for nginx and HAProxy. TLS 1.3 keeps OpenSSL's own suites in all.
CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305
TLS_GROUPS=X25519:prime256v1:secp384r1
FULCRUM_TLS_LISTENER=""; NGINX_TLS_SERVER=""; HAPROXY_TLS_BIND=""
if [ "$TLS" != 0 ]; then
    P_FULCRUM_TLS=$(free_port); P_NGINX_TLS=$(free_port); P_HAPROXY_TLS=$(free_port)
    mkdir -p "$TMP/tls"
    # The key is 0600 from the start (fulcrumd refuses a key others can read).
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        >"$TMP/tls/openssl.log" 2>&1) || { cat "$TMP/tls/openssl.log" >&2; exit 1; }
    chmod 600 "$TMP/tls/key.pem"
    (umask 077 && cat "$TMP/tls/cert.pem" "$TMP/tls/key.pem" > "$TMP/tls/haproxy.pem")
    FULCRUM_TLS_LISTENER=",
    {\"name\": \"tls\", \"listen\": \"127.0.0.1:$P_FULCRUM_TLS\", \"pool\": \"default\",
     \"tls\": {\"cert\": \"$TMP/tls/cert.pem\", \"key\": \"$TMP/tls/key.pem\", \"ciphers\": \"$CIPHERS\", \"session_tickets\": true}}"
    NGINX_TLS_SERVER="server {
        listen 127.0.0.1:$P_NGINX_TLS ssl$([ "$H2" = 0 ] || echo " http2");
        ssl_certificate $TMP/tls/cert.pem;
        ssl_certificate_key $TMP/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers $CIPHERS;
        ssl_ecdh_curve $TLS_GROUPS;
        ssl_prefer_server_ciphers off;
        ssl_session_tickets on;
        $NGINX_LOCATION
    }"
    HAPROXY_TLS_BIND="    bind 127.0.0.1:$P_HAPROXY_TLS ssl crt $TMP/tls/haproxy.pem alpn $([ "$H2" = 0 ] && echo http/1.1 || echo h2,http/1.1) ssl-min-ver TLSv1.2 ciphers $CIPHERS curves $TLS_GROUPS"
fi

# With ACCESS_LOG=1 each proxy logs every request to a file, as a shop runs them.
if [ "$ACCESS_LOG" = 1 ]; then
    NGINX_ACCESS_LOG="access_log $TMP/nginx/access.log combined buffer=64k flush=1s;"
    FULCRUM_ACCESS_LOG=", \"access_log\": {\"path\": \"$TMP/fulcrumd-access.log\"}"
    HAPROXY_LOG="    log stdout format raw local0
    option httplog"
else
    NGINX_ACCESS_LOG="access_log off;"
    FULCRUM_ACCESS_LOG=""
    HAPROXY_LOG=""
fi

# Backends: one nginx process, one worker, two servers answering a fixed small body.
mkdir -p "$TMP/backends" "$TMP/nginx"
cat > "$TMP/backends/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/backends/nginx.pid;
error_log $TMP/backends/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$BACKEND1; location / { return 200 "$BODY"; } }
    server { listen 127.0.0.1:$BACKEND2; location / { return 200 "$BODY"; } }
}
CONF
nginx -c "$TMP/backends/nginx.conf" -p "$TMP/backends" >"$TMP/backends.log" 2>&1 & PIDS+=($!); PID_BACKENDS=$!

# fulcrumd: what the quick start (--listen/--backend --algorithm round-robin --workers) makes,
# pool "default" with health checks off (as in the quick start, and as nginx and HAProxy run
# here: no active checks) and no admin API, plus the TLS listener in the same process.
cat > "$TMP/fulcrumd.json" <<CONF
{
  "listeners": [
    {"name": "plain", "listen": "127.0.0.1:$P_FULCRUM", "pool": "default"}$FULCRUM_TLS_LISTENER
  ],
  "pools": [{"name": "default", "algorithm": "round-robin", "health_check": {"enabled": false},
             "servers": [{"address": "127.0.0.1:$BACKEND1"}, {"address": "127.0.0.1:$BACKEND2"}]}],
  "proxy": {"workers": $WORKERS$FULCRUM_ACCESS_LOG}
}
CONF
"$FULCRUMD" --config "$TMP/fulcrumd.json" >"$TMP/fulcrumd.log" 2>&1 & PIDS+=($!); PID_FULCRUMD=$!

cat > "$TMP/nginx/nginx.conf" <<CONF
worker_processes $WORKERS;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 4096; }
http {
    $NGINX_ACCESS_LOG
    keepalive_requests 1000000;
    upstream backends { server 127.0.0.1:$BACKEND1; server 127.0.0.1:$BACKEND2; keepalive 64; }
    server {
        listen 127.0.0.1:$P_NGINX;
        $NGINX_LOCATION
    }
    $NGINX_TLS_SERVER
}
CONF
nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" >"$TMP/nginx.log" 2>&1 & PIDS+=($!); PID_NGINX=$!

cat > "$TMP/haproxy.cfg" <<CONF
global
    nbthread $WORKERS
    maxconn 4000
defaults
    mode http
    timeout connect 3s
    timeout client 60s
    timeout server 30s
    option forwardfor
    http-reuse always
$HAPROXY_LOG
frontend fe
    bind 127.0.0.1:$P_HAPROXY
$HAPROXY_TLS_BIND
    default_backend be
backend be
    balance roundrobin
    server b1 127.0.0.1:$BACKEND1
    server b2 127.0.0.1:$BACKEND2
CONF
haproxy -f "$TMP/haproxy.cfg" -db >"$TMP/haproxy.log" 2>&1 & PIDS+=($!); PID_HAPROXY=$!
"$RELAY" "$P_RELAY" "$WORKERS" "$BACKEND1" "$BACKEND2" >"$TMP/relay.log" 2>&1 & PIDS+=($!); PID_RELAY=$!
# ACCESS_LOG=1: fulcrumd and nginx once more each, without their log, for the log's own cost in
# the same run (rows fulcrumd-nolog and nginx-nolog).
if [ "$ACCESS_LOG" = 1 ]; then
    P_FULCRUM_NOLOG=$(free_port); P_NGINX_NOLOG=$(free_port)
    cat > "$TMP/fulcrumd-nolog.json" <<CONF
{
  "listeners": [{"name": "plain", "listen": "127.0.0.1:$P_FULCRUM_NOLOG", "pool": "default"}],
  "pools": [{"name": "default", "algorithm": "round-robin", "health_check": {"enabled": false},
             "servers": [{"address": "127.0.0.1:$BACKEND1"}, {"address": "127.0.0.1:$BACKEND2"}]}],
  "proxy": {"workers": $WORKERS},
  "admin": {"listen": "127.0.0.1:$(free_port)"}
}
CONF
    "$FULCRUMD" --config "$TMP/fulcrumd-nolog.json" >"$TMP/fulcrumd-nolog.log" 2>&1 & PIDS+=($!); PID_FULCRUMD_NOLOG=$!
    mkdir -p "$TMP/nginx-nolog"
    cat > "$TMP/nginx-nolog/nginx.conf" <<CONF
worker_processes $WORKERS;
daemon off;
pid $TMP/nginx-nolog/nginx.pid;
error_log $TMP/nginx-nolog/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    upstream backends { server 127.0.0.1:$BACKEND1; server 127.0.0.1:$BACKEND2; keepalive 64; }
    server {
        listen 127.0.0.1:$P_NGINX_NOLOG;
        $NGINX_LOCATION
    }
}
CONF
    nginx -c "$TMP/nginx-nolog/nginx.conf" -p "$TMP/nginx-nolog" >"$TMP/nginx-nolog.log" 2>&1 & PIDS+=($!); PID_NGINX_NOLOG=$!
    wait_port "$P_FULCRUM_NOLOG"; wait_port "$P_NGINX_NOLOG"
fi

for port in "$BACKEND1" "$BACKEND2" "$P_FULCRUM" "$P_NGINX" "$P_HAPROXY" "$P_RELAY" ${P_FULCRUM_TLS:-} ${P_NGINX_TLS:-} ${P_HAPROXY_TLS:-}; do wait_port "$port"; done
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# wrk prints e.g. "Requests/sec: 41234.56" and, with --latency, "99%    1.23ms".
to_ms() { python3 -c 'import sys,re; v=sys.argv[1]; m=re.match(r"([\d.]+)(us|ms|s)",v); f={"us":0.001,"ms":1,"s":1000}[m.group(2)]; print(f"{float(m.group(1))*f:.3f}")' "$1"; }
declare -A RPS P99 CPU LIGHT TLS_SEEN
declare -A URL=([direct]=http://127.0.0.1:$BACKEND1/ [fulcrumd]=http://127.0.0.1:$P_FULCRUM/ [nginx]=http://127.0.0.1:$P_NGINX/ [haproxy]=http://127.0.0.1:$P_HAPROXY/ [relay]=http://127.0.0.1:$P_RELAY/)
# The TLS listeners live in the same process as the plain ones, so a process's CPU time covers
# both; rounds run one target at a time, so each measurement is still one listener's.
declare -A OWNER=([direct]=$PID_BACKENDS [fulcrumd]=$PID_FULCRUMD [nginx]=$PID_NGINX [haproxy]=$PID_HAPROXY [relay]=$PID_RELAY
                  [fulcrumd-tls]=$PID_FULCRUMD [nginx-tls]=$PID_NGINX [haproxy-tls]=$PID_HAPROXY
                  [fulcrumd-h2]=$PID_FULCRUMD [nginx-h2]=$PID_NGINX [haproxy-h2]=$PID_HAPROXY)
# Ratios: a plain row against nginx, a TLS row against nginx-tls.
declare -A REF=([direct]=nginx [fulcrumd]=nginx [nginx]=nginx [haproxy]=nginx [relay]=nginx
                [fulcrumd-tls]=nginx-tls [nginx-tls]=nginx-tls [haproxy-tls]=nginx-tls
                [fulcrumd-h2]=nginx-h2 [nginx-h2]=nginx-h2 [haproxy-h2]=nginx-h2)
TARGETS=(direct fulcrumd nginx haproxy relay)
if [ "$ACCESS_LOG" = 1 ]; then
    URL+=([fulcrumd-nolog]=http://127.0.0.1:$P_FULCRUM_NOLOG/ [nginx-nolog]=http://127.0.0.1:$P_NGINX_NOLOG/)
    OWNER+=([fulcrumd-nolog]=$PID_FULCRUMD_NOLOG [nginx-nolog]=$PID_NGINX_NOLOG)
    REF+=([fulcrumd-nolog]=nginx-nolog [nginx-nolog]=nginx-nolog)
    TARGETS+=(fulcrumd-nolog nginx-nolog)
fi
if [ "$TLS" != 0 ]; then
    URL+=([fulcrumd-tls]=https://127.0.0.1:$P_FULCRUM_TLS/ [nginx-tls]=https://127.0.0.1:$P_NGINX_TLS/ [haproxy-tls]=https://127.0.0.1:$P_HAPROXY_TLS/)
    TARGETS+=(fulcrumd-tls nginx-tls haproxy-tls)
    # What an OpenSSL client with default settings (as wrk is) gets from each: the same on all three.
    for name in fulcrumd-tls nginx-tls haproxy-tls; do
        hostport=${URL[$name]#https://}; hostport=${hostport%/}
        TLS_SEEN[$name]=$(openssl s_client -connect "$hostport" -servername 127.0.0.1 -alpn http/1.1 </dev/null 2>/dev/null |
            awk '/^New, / {sub(/,$/, "", $2); p=$2 " " $5} /^Server Temp Key:/ {k=$4; sub(/,$/, "", k)} /^ALPN protocol:/ {a=$3}
                 END {print p " " k " alpn " (a == "" ? "none" : a)}')
    done
fi
LOADED=("${TARGETS[@]}")   # the rows the light-load run and the probe cover (HTTP/1.1)
if [ "$H2" != 0 ]; then
    URL+=([fulcrumd-h2]=${URL[fulcrumd-tls]} [nginx-h2]=${URL[nginx-tls]} [haproxy-h2]=${URL[haproxy-tls]})
    TARGETS+=(fulcrumd-h2 nginx-h2 haproxy-h2)
fi
# One load run of a target: "requests req/s latency-ms" (wrk: p99; h2load: the mean).
load() {
    local name=$1 seconds=${2%s} out
    if [[ $name == *-h2 ]]; then
        out=$(h2load -t"$THREADS" -c"$H2_CONNECTIONS" -m"$H2_STREAMS" -D "$seconds" "${URL[$name]}" 2>&1)
        grep -q "^Application protocol: h2" <<<"$out" || echo "run.sh: $name did not negotiate h2" >&2
        awk '/^requests:/ {if ($10 + $12 > 0) print "run.sh: '"$name"': " $0 > "/dev/stderr"; req=$8}
             /^finished in/ {rps=$4}
             /^time for request:/ {v=$6; f=1; if (v ~ /us$/) f=0.001; else if (v ~ /ms$/) f=1; else f=1000; sub(/[a-z]+$/, "", v); mean=v*f}
             END {printf "%d %s %.3f\n", req, rps, mean}' <<<"$out"
    else
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$seconds"s --latency "${URL[$name]}")
        if grep -q "Non-2xx\|Socket errors" <<<"$out"; then echo "run.sh: $name: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2; fi
        echo "$(awk '/requests in/ {print $1}' <<<"$out") $(awk '/Requests\/sec/ {print $2}' <<<"$out") $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    fi
}
# CPU time (clock ticks) of a process, its threads and its children (nginx workers), as "user
# system": on a shared machine, CPU per request is steadier than requests per second.
cpu_split() {
    local user=0 system=0 pid u s
    for pid in "$1" $(pgrep -P "$1"); do
        for stat in /proc/"$pid"/task/*/stat; do
            read -r u s < <(sed 's/.*) //' "$stat" | awk '{print $12, $13}')
            user=$((user + u)); system=$((system + s))
        done
    done
    echo "$user $system"
}
cpu_ticks() { local u s; read -r u s < <(cpu_split "$1"); echo $((u + s)); }   # user + system
TICKS=$(getconf CLK_TCK)
# The whole machine's idle (+ iowait) ticks, summed over its cores.
machine_idle() { awk '/^cpu / {print $5 + $6}' /proc/stat; }
declare -A USR SYS BACK IDLE ALL
per() { python3 -c "print(f'{($2 - $1) / $TICKS * 1e6 / $requests:.2f}')"; }   # ticks -> us per request
median() { python3 -c 'import sys, statistics; print(statistics.median(float(v) for v in sys.argv[1:]))' "$@"; }
for name in "${TARGETS[@]}"; do   # warm-up: connections, pools
    load "$name" 2s >/dev/null
done
# Rounds take the targets in turn, so a busy moment of a shared machine hits all of them.
for round in $(seq 1 "$ROUNDS"); do
    for name in "${TARGETS[@]}"; do
        read -r u0 s0 < <(cpu_split "${OWNER[$name]}"); read -r b0 < <(cpu_ticks "$PID_BACKENDS"); read -r i0 < <(machine_idle)
        read -r requests rps latency < <(load "$name" "$DURATION")
        read -r u1 s1 < <(cpu_split "${OWNER[$name]}"); read -r b1 < <(cpu_ticks "$PID_BACKENDS"); read -r i1 < <(machine_idle)
        CPU[$name]+=" $(python3 -c "print(f'{($u1 + $s1 - $u0 - $s0) / $TICKS * 1e6 / $requests:.1f}')")"
        USR[$name]+=" $(per "$u0" "$u1")"; SYS[$name]+=" $(per "$s0" "$s1")"; BACK[$name]+=" $(per "$b0" "$b1")"
        IDLE[$name]+=" $(per "$i0" "$i1")"
        ALL[$name]+=" $(python3 -c "print(f'{$(nproc) * 1e6 / $rps:.2f}')")"
        RPS[$name]+=" $rps"
        P99[$name]+=" $latency"
    done
done
# Latency added by the proxy when nothing is saturated: few connections, one wrk thread.
for round in $(seq 1 "$ROUNDS"); do
    for name in "${LOADED[@]}"; do
        out=$(wrk -t1 -c"$LIGHT_CONNECTIONS" -d"$DURATION" --latency "${URL[$name]}")
        if grep -q "Non-2xx\|Socket errors" <<<"$out"; then echo "run.sh: $name (light): $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2; fi
        LIGHT[$name]+=" $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    done
done
for name in "${LOADED[@]}"; do
    echo "  $name light-load p99 ms${LIGHT[$name]}"
    LIGHT[$name]=$(median ${LIGHT[$name]})
done
for name in "${TARGETS[@]}"; do
    echo "  $name rounds: req/s${RPS[$name]}; p99 ms${P99[$name]}; CPU us/request${CPU[$name]}"
    RPS[$name]=$(median ${RPS[$name]})
    P99[$name]=$(median ${P99[$name]})
    CPU[$name]=$(median ${CPU[$name]})
done

echo "proxy benchmark: $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
echo "workers $WORKERS, wrk -t$THREADS -c$CONNECTIONS -d$DURATION keep-alive, ${BODY_BYTES}-byte responses from 2 nginx backends, median of $ROUNDS rounds"
echo "load average before: $LOAD_BEFORE"
[ "$ACCESS_LOG" = 1 ] && echo "(ACCESS_LOG=1: fulcrumd, nginx and HAProxy each write one line per request to a file; the relay logs nothing)"
echo "(CPU us/request: the proxy's own CPU time per request; for direct, the backends')"
echo "(light load: wrk -t1 -c$LIGHT_CONNECTIONS, p99 and what the proxy adds to the direct p99)"
if [ "$TLS" != 0 ]; then
    echo "(-tls rows: https on the same process, one P-256 ECDSA certificate and one TLS 1.2 cipher list for all;"
    echo " their \"vs nginx\" columns are against nginx-tls; \"light added\" is against plain direct, so it includes TLS)"
    for name in fulcrumd-tls nginx-tls haproxy-tls; do echo "  $name negotiates: ${TLS_SEEN[$name]}"; done
fi
if [ "$H2" != 0 ]; then
    echo "(-h2 rows: h2load -t$THREADS -c$H2_CONNECTIONS -m$H2_STREAMS on the TLS ports, ALPN h2; \"p99 ms\" is the mean request time,"
    echo " \"vs nginx\" against nginx-h2)"
fi
printf '%-14s %10s %9s %15s %11s %12s %11s %13s\n' target "req/s" "p99 ms" "req/s vs nginx" "CPU us/req" "CPU vs nginx" "light p99" "light added"
for name in "${TARGETS[@]}"; do
    ref=${REF[$name]}
    python3 - "$name" "${RPS[$name]}" "${P99[$name]}" "${RPS[$ref]}" "${CPU[$name]}" "${CPU[$ref]}" "${LIGHT[$name]:--1}" "${LIGHT[direct]}" <<'PY'
import sys
name, rps, p99, nginx, cpu, nginx_cpu, light, light_direct = sys.argv[1], *map(float, sys.argv[2:])
direct = name == "direct"
ratio = "-" if direct else f"{rps / nginx:.2f}x"
cpu_ratio = "-" if direct else f"{cpu / nginx_cpu:.2f}x"
added = "-" if direct or light < 0 else f"{light - light_direct:+.3f} ms"
light_text = "-" if light < 0 else f"{light:.3f}"
print(f"{name:<14} {rps:10.0f} {p99:9.3f} {ratio:>15} {cpu:11.1f} {cpu_ratio:>12} {light_text:>11} {added:>13}")
PY
done
python3 -c 'import sys; r, c, fr, fc = map(float, sys.argv[1:]); print(f"fulcrumd against the relay (the floor): req/s {r / fr:.2f}x, CPU per request {c / fc:.2f}x")' \
    "${RPS[fulcrumd]}" "${CPU[fulcrumd]}" "${RPS[relay]}" "${CPU[relay]}"
echo
echo "where the machine's $(nproc) cores went, per request (us, medians of the rounds): the proxy's own user and system"
echo "time (the loopback TCP work done in its system calls included), the backends', the cores' idle time, the rest"
echo "(wrk, and the machine's other work), and all of it (cores / req/s):"
printf '%-10s %7s %7s %9s %7s %7s %7s\n' target user system backends idle rest all
for name in fulcrumd nginx haproxy relay; do
    python3 - "$name" "$(median ${USR[$name]})" "$(median ${SYS[$name]})" "$(median ${BACK[$name]})" \
        "$(median ${IDLE[$name]})" "$(median ${ALL[$name]})" <<'PY'
import sys
name, user, system, back, idle, total = sys.argv[1], *map(float, sys.argv[2:])
rest = total - user - system - back - idle
print(f"{name:<10} {user:7.2f} {system:7.2f} {back:9.2f} {idle:7.2f} {rest:7.2f} {total:7.2f}")
PY
done
# What 1.1x nginx's req/s asks of fulcrumd in this run: all of it at most nginx's all / 1.1, so with
# everything else as it was in fulcrumd's rounds, its own CPU at most that minus the rest.
python3 - "$(median ${ALL[nginx]})" "$(median ${ALL[fulcrumd]})" "${CPU[fulcrumd]}" "${CPU[relay]}" <<'PY'
import sys
nginx_all, fulcrum_all, fulcrum_cpu, relay_cpu = map(float, sys.argv[1:])
allowed = nginx_all / 1.1 - (fulcrum_all - fulcrum_cpu)
print(f"1.1x nginx asks fulcrumd for at most {allowed:.1f} us of its own CPU per request in this run (everything else as in"
      f" its rounds); it took {fulcrum_cpu:.1f}, the relay that parses nothing {relay_cpu:.1f}"
      + (": below what parsing nothing costs" if allowed < relay_cpu else ""))
PY
echo
echo "added latency, interleaved probe: one keep-alive connection per target, one request at a time,"
echo "targets in turn at $PROBE_RATE requests/s in all, $PROBE_REQUESTS requests per target:"
"$PROBE" --requests "$PROBE_REQUESTS" --rate "$PROBE_RATE" direct="$BACKEND1" fulcrumd="$P_FULCRUM" nginx="$P_NGINX" haproxy="$P_HAPROXY" relay="$P_RELAY"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$ACCESS_LOG" = 1 ]; then
    echo "(-nolog rows: the same fulcrumd and nginx without their access log, against each other)"
    python3 -c 'import sys; f, fn, n, nn, fc, fnc, nc, nnc = map(float, sys.argv[1:]); print(f"the access log costs fulcrumd {1 - f / fn:.1%} of its req/s and {fc - fnc:+.1f} us CPU per request; nginx {1 - n / nn:.1%} and {nc - nnc:+.1f} us")' \
        "${RPS[fulcrumd]}" "${RPS[fulcrumd-nolog]}" "${RPS[nginx]}" "${RPS[nginx-nolog]}" "${CPU[fulcrumd]}" "${CPU[fulcrumd-nolog]}" "${CPU[nginx]}" "${CPU[nginx-nolog]}"
    for log in "$TMP/fulcrumd-access.log" "$TMP/nginx/access.log" "$TMP/haproxy.log"; do
        echo "access log $(basename "$(dirname "$log")")/$(basename "$log"): $(wc -l < "$log") lines, $(wc -c < "$log") bytes; last: $(tail -n1 "$log" | cut -c1-300)"
    done
fi
