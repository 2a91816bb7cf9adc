# Sourced by the Redis lock benchmarks: a throwaway redis-server on a free loopback port in a
# temporary folder, stopped and removed when the script exits. Sets DIR, PORT, REDIS_PID, CLI.
DIR=$(mktemp -d)
free_port() {   # a loopback port nothing answers on
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    echo "no free loopback port found" >&2; exit 1
}
PORT=$(free_port)
# REDIS_CPU=N pins redis-server to core N (as production gives Redis a core of its own); the
# caller pins itself elsewhere (taskset) so the clients never share Redis's core.
PIN=()
[ -n "${REDIS_CPU:-}" ] && PIN=(taskset -c "$REDIS_CPU")
"${PIN[@]}" redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" \
    --enable-debug-command local --loglevel warning --daemonize no > "$DIR/redis.log" 2>&1 &
REDIS_PID=$!
cleanup() { kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.05; done
CLI="redis-cli -p $PORT"
