#!/bin/bash
# The live lock table next to polling, in one run on one Redis: 1 000 000 keys, 100 000 of them
# locks, while a load makes 1 000 lock changes per second (acquire 35 % with a 10 min TTL, extend 25 % to 15 min, release
# 30 %, short locks left to expire 10 %). For each mode: how long a change takes to reach the
# engine's lock table (p50, p99, max) and redis-server's CPU per minute, the load's own share
# (mode "none", notifications off) subtracted. Prints figures and ratios; asserts nothing.
# Usage: [BENCH_SECONDS=60] [RATE=1000] tests/bench/locks/bench_livetable.sh [BUILD_DIR]   (-DFULCRUM_BUILD_BENCH=ON)
set -euo pipefail
BUILD=${1:-build}
BENCH="$BUILD/bench/bench_livetable"
SECONDS_PER_MODE=${BENCH_SECONDS:-60}
RATE=${RATE:-1000}
[ -x "$BENCH" ] || { echo "missing $BENCH: configure with -DFULCRUM_BUILD_BENCH=ON and build" >&2; exit 2; }

source "$(dirname "${BASH_SOURCE[0]}")/bench_redis_server.sh"

echo "== populating: 900 000 non-lock keys + 100 000 locks"
$CLI DEBUG POPULATE 900000 data >/dev/null
awk 'function resp(n, a,   s, i) { s = "*" n "\r\n"; for (i = 1; i <= n; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"; return s }
BEGIN {
  for (i = 0; i < 70000; i++) { a[1]="SET"; a[2]="lock:order:" i; a[3]="tok-" i; a[4]="PX"; a[5]="3600000"; printf "%s", resp(5, a) }
  for (i = 0; i < 30000; i++) {
    a[1]="HSET"; a[2]="app:lock:cart:" i; a[3]="8743c9c0-0795-4907-87fd-6c719a6b4586:" i; a[4]="1"; printf "%s", resp(4, a)
    b[1]="PEXPIRE"; b[2]="app:lock:cart:" i; b[3]="3600000"; printf "%s", resp(3, b)
  }
}' | $CLI --pipe >/dev/null
echo "   dbsize: $($CLI DBSIZE) keys; load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

run() {   # MODE NOTIFY_FLAGS
    $CLI CONFIG SET notify-keyspace-events "$2" >/dev/null
    echo "== $1 (notify-keyspace-events \"$2\"), $SECONDS_PER_MODE s at $RATE changes/s"
    "$BENCH" "$PORT" "$1" "$SECONDS_PER_MODE" "$RATE" | tee "$DIR/$1.txt"
    # The load's keys go, so every mode starts from the same 100 000 locks.
    $CLI --scan --pattern 'lock:load:*' | xargs -r -n 1000 $CLI DEL >/dev/null
}
run none ""
run polling ""
run live 'Kg$hxe'

cpu() { awk '/^redis-server cpu/ { print $3 }' "$DIR/$1.txt"; }
BASE=$(cpu none); POLL=$(cpu polling); LIVE=$(cpu live)
P99_POLL=$(awk '/^freshness/ { for (i = 1; i <= NF; i++) if ($i == "p99") print $(i + 1) }' "$DIR/polling.txt")
P99_LIVE=$(awk '/^freshness/ { for (i = 1; i <= NF; i++) if ($i == "p99") print $(i + 1) }' "$DIR/live.txt")
echo "== summary"
awk -v b="$BASE" -v p="$POLL" -v l="$LIVE" -v pp="$P99_POLL" -v pl="$P99_LIVE" 'BEGIN {
  fp = p - b; fl = l - b;
  printf "redis-server CPU spent on Fulcrum per minute: polling %.0f ms (%.2f %% of its thread), live %.0f ms (%.2f %%): live/polling %.3fx\n", fp, fp / 600, fl, fl / 600, (fp > 0 ? fl / fp : 0)
  printf "p99 freshness: polling %.1f ms, live %.2f ms: live/polling %.4fx\n", pp, pl, (pp > 0 ? pl / pp : 0)
}'
echo "== commandstats (time Redis spent executing the commands; less noisy than its process CPU)"
for m in none polling live; do echo "   $m: $(grep '^redis commandstats' "$DIR/$m.txt" | cut -d: -f2-)"; done
