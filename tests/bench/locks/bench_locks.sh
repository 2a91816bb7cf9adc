#!/bin/bash
# Distributed-locks benchmark: a Redis with 1 000 000 keys, 100 000 of them locks.
# Times full inspections by Fulcrum's LockInspector (wall, and the CPU time of redis-server and
# of the inspector), each next to a bare SCAN pass with the same MATCH and COUNT (the floor), then
# the ways to SCAN for two patterns and the COUNT sizes, next to what an operator would script
# (redis-cli --scan --pattern + PTTL per key) and to redis-benchmark -P 16 GET (the server's limit),
# all against the same server in one run. Prints figures and ratios; asserts nothing.
# Usage: [ROUNDS=5] tests/bench/locks/bench_locks.sh [BUILD_DIR]   (build with -DFULCRUM_BUILD_BENCH=ON)
set -euo pipefail
BUILD=${1:-build}
BENCH="$BUILD/bench/bench_lockinspector"
CTL="$BUILD/bin/fulcrumctl"
ROUNDS=${ROUNDS:-5}
[ -x "$BENCH" ] || { echo "missing $BENCH: configure with -DFULCRUM_BUILD_BENCH=ON and build" >&2; exit 2; }

source "$(dirname "${BASH_SOURCE[0]}")/bench_redis_server.sh"

now_ms() { date +%s%3N; }

echo "== populating: 900 000 non-lock keys (DEBUG POPULATE) + 100 000 locks (redis-cli --pipe)"
t0=$(now_ms)
$CLI DEBUG POPULATE 900000 data >/dev/null
# 60 000 plain (SET PX), 10 000 plain without expiry, 20 000 Redisson hashes, 10 000 Fulcrum-format.
awk 'function resp(n, a,   s, i) { s = "*" n "\r\n"; for (i = 1; i <= n; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"; return s }
BEGIN {
  for (i = 0; i < 60000; i++) { a[1]="SET"; a[2]="lock:order:" i; a[3]="tok-" i; a[4]="PX"; a[5]="600000"; printf "%s", resp(5, a) }
  for (i = 0; i < 10000; i++) { a[1]="SET"; a[2]="lock:stuck:" i; a[3]="tok-" i; printf "%s", resp(3, a) }
  for (i = 0; i < 20000; i++) {
    a[1]="HSET"; a[2]="app:lock:cart:" i; a[3]="8743c9c0-0795-4907-87fd-6c719a6b4586:" i; a[4]="1"; printf "%s", resp(4, a)
    b[1]="PEXPIRE"; b[2]="app:lock:cart:" i; b[3]="600000"; printf "%s", resp(3, b)
  }
  for (i = 0; i < 10000; i++) { a[1]="SET"; a[2]="lock:fulcrum:" i; a[3]="fulcrum:0123456789abcdef0123456789abcdef:" i; a[4]="PX"; a[5]="600000"; printf "%s", resp(5, a) }
}' | $CLI --pipe >/dev/null
t1=$(now_ms)
echo "   dbsize: $($CLI DBSIZE) keys, populated in $((t1 - t0)) ms"

echo "== load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) cores"
echo "== Fulcrum LockInspector (patterns lock:* and *:lock:*, SCAN COUNT 1000), each pass after a bare SCAN"
echo "   pass with the same MATCH and COUNT that reads nothing (the floor), $ROUNDS rounds"
"$BENCH" "$PORT" "$ROUNDS" 1000 | tee "$DIR/fulcrum.txt"
FULCRUM_MS=$(awk '/^median inspection/ { print $3 }' "$DIR/fulcrum.txt")
FLOOR_MS=$(awk '/^median bare scan/ { print $4 }' "$DIR/fulcrum.txt")
SERVER_CPU=$(awk '/^median inspection/ { print $8 }' "$DIR/fulcrum.txt")
CLIENT_CPU=$(awk '/^median inspection/ { print $12 }' "$DIR/fulcrum.txt")
FLOOR_CPU=$(awk '/^median bare scan/ { print $9 }' "$DIR/fulcrum.txt")
MIN_MS=$(awk '/^pass/ { if (m == "" || $3 < m) m = $3 } END { print m }' "$DIR/fulcrum.txt")
MAX_MS=$(awk '/^pass/ { if ($3 > m) m = $3 } END { print m }' "$DIR/fulcrum.txt")
READ_OPS=$(awk '/^   / && $1 != "scan" { n += $2 } END { print n }' "$DIR/fulcrum.txt")

echo "== one SCAN pass, ways to scan for both patterns (bare, no reads; redis-server CPU per pass)"
for match in '*lock:*' '' 'lock:*' '*:lock:*' 'no-such-prefix:*'; do
    case "$match" in
        '') what="no MATCH, patterns matched client side" ;;
        '*lock:*') what="covering MATCH (what the inspector sends)" ;;
        'no-such-prefix:*') what="MATCH that nothing matches (visiting the keys only)" ;;
        *) what="one of the two passes per pattern" ;;
    esac
    "$BENCH" "$PORT" 2 1000 --scan-only "$match" > "$DIR/ways.txt"
    awk -v what="$what" -v m="${match:-(none)}" '/^median bare scan/ { printf "   %-18s %5d ms wall, redis-server cpu %4d ms   %s\n", m, $4, $9, what }' "$DIR/ways.txt"
done

echo "== SCAN COUNT: full inspection and bare SCAN at COUNT 1000, 2000, 5000 (3 rounds each)"
for count in 1000 2000 5000; do
    "$BENCH" "$PORT" 3 "$count" > "$DIR/count.txt"
    awk -v c="$count" '/^scan/ { hold = $(NF-6) } /^median bare scan/ { b = $4 } /^median inspection/ { i = $3; cpu = $8 }
        END { printf "   COUNT %5d: inspection %5d ms (redis-server cpu %4d ms), bare SCAN %5d ms, one SCAN call holds the server %.2f ms\n", c, i, cpu, b, hold }' "$DIR/count.txt"
done

echo "== fulcrumctl locks list --json (process start, scan, JSON of 100 000 locks)"
t0=$(now_ms)
"$CTL" locks list --redis "redis://127.0.0.1:$PORT" --json > "$DIR/list.json"
t1=$(now_ms)
CTL_MS=$((t1 - t0))
echo "   $CTL_MS ms, $(grep -c '"key"' "$DIR/list.json") locks in the JSON"

echo "== operator script: redis-cli --scan --pattern P, then PTTL per key through one redis-cli"
t0=$(now_ms)
{ $CLI --scan --pattern 'lock:*'; $CLI --scan --pattern '*:lock:*'; } | sort -u | sed 's/^/PTTL /' | $CLI > "$DIR/pttl.txt"
t1=$(now_ms)
SCRIPT_MS=$((t1 - t0))
echo "   $SCRIPT_MS ms for $(wc -l < "$DIR/pttl.txt") keys (TTL only: no type, no holder)"

echo "== redis-benchmark -P 16 GET (the server's pipelined limit on this machine)"
GET_RPS=$(redis-benchmark -p "$PORT" -t get -n 2000000 -P 16 -q 2>/dev/null | tr '\r' '\n' | awk '/GET:/ { print $2 }' | tail -1)
echo "   GET: $GET_RPS requests/s"
echo "== load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

# Two floors: the bare SCAN pass timed next to each inspection (same MATCH and COUNT, no reads),
# and that plus the read commands one pass sent (INFO commandstats, SCAN excluded) at the
# benchmark's pipelined GET rate.
awk -v floorscan="$FLOOR_MS" -v floorcpu="$FLOOR_CPU" -v f="$FULCRUM_MS" -v lo="$MIN_MS" -v hi="$MAX_MS" -v scpu="$SERVER_CPU" -v ccpu="$CLIENT_CPU" \
    -v c="$CTL_MS" -v s="$SCRIPT_MS" -v rps="$GET_RPS" -v ops="$READ_OPS" -v rounds="$ROUNDS" 'BEGIN {
  reads = ops / rps * 1000
  printf "\n== summary (1 000 000 keys, 100 000 locks; medians of %d passes)\n", rounds
  printf "   Fulcrum inspector, one full pass:     %6d ms (passes %d-%d ms)   target <= 1000 ms: %s\n", f, lo, hi, (f <= 1000 ? "met" : "NOT met")
  printf "     redis-server CPU per pass %d ms, inspector CPU %d ms\n", scpu, ccpu
  printf "   bare SCAN pass, same MATCH and COUNT: %6d ms (redis-server CPU %d ms) -> inspector = %.2fx the bare SCAN\n", floorscan, floorcpu, f / floorscan
  printf "   fulcrumctl locks list --json:         %6d ms\n", c
  printf "   redis-cli --scan + PTTL per key:      %6d ms   -> Fulcrum is %.1fx faster (and reads type + holder too)\n", s, s / f
  printf "   bare SCAN + %d read commands at the redis-benchmark GET rate (%.0f/s, %.0f ms): %.0f ms -> Fulcrum at %.2fx\n", ops, rps, reads, floorscan + reads, f / (floorscan + reads)
}'
