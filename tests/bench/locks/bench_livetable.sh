#!/bin/bash
# The live lock table next to polling, in one run on one Redis: 1 000 000 keys, 100 000 of them
# locks, while a load makes 1 000 lock changes per second (acquire 35 % with a 10 min TTL, extend 25 % to 15 min, release
# 30 %, short locks left to expire 10 %). For each mode: how long a change takes to reach the
# engine's lock table (p50, p99, max) and redis-server's CPU per minute, the load's own share
# (mode "none", notifications off, run just before each mode) subtracted; live in ROUNDS rounds.
# Prints figures and ratios; asserts nothing.
# Usage: [BENCH_SECONDS=60] [RATE=1000] [ROUNDS=3] [REDIS_CPU=N] tests/bench/locks/bench_livetable.sh [BUILD_DIR]   (-DFULCRUM_BUILD_BENCH=ON)
# REDIS_CPU=1 with the script under `taskset -c 0`: redis-server alone on core 1, as production
# gives Redis a core of its own (2026-12-05: the same figures as unpinned, within the rounds' spread).
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
echo "   dbsize: $($CLI DBSIZE) keys; load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc --all) cores${REDIS_CPU:+, redis-server pinned to core $REDIS_CPU}"

run() {   # MODE NOTIFY_FLAGS LABEL
    $CLI CONFIG SET notify-keyspace-events "$2" >/dev/null
    echo "== $3 (notify-keyspace-events \"$2\"), $SECONDS_PER_MODE s at $RATE changes/s, load $(cut -d' ' -f1 /proc/loadavg)"
    "$BENCH" "$PORT" "$1" "$SECONDS_PER_MODE" "$RATE" | tee "$DIR/$3.txt"
    # The load's keys go, so every mode starts from the same 100 000 locks.
    $CLI --scan --pattern 'lock:load:*' | xargs -r -n 1000 $CLI DEL >/dev/null
}
# Redis's CPU for Fulcrum is a small difference of two large figures (the load's own work is
# most of it), and a shared 2-core machine drifts over minutes. So each mode is measured next to
# a run of the load alone just before it, and live, the mode with the target, in ROUNDS such
# pairs (default 3): the median of the rounds is the figure, every round is printed.
#
# The floor: what keyspace notifications cost Redis with nothing but a bare subscriber reading
# them (redis-cli PSUBSCRIBE on the same patterns, mode "subscribe"), whoever consumes them: the
# notifications are built for every write, and each event-loop turn with a lock change writes
# to the subscriber's socket. Live Fulcrum's own share is live minus that.
ROUNDS=${ROUNDS:-3}
subscribe() {   # LABEL: the load alone, with a bare subscriber on Fulcrum's default patterns
    $CLI CONFIG SET notify-keyspace-events 'Kg$hxe' >/dev/null
    redis-cli -p "$PORT" PSUBSCRIBE '__keyspace@0__:lock:*' '__keyspace@0__:*:lock:*' > /dev/null &
    local subscriber=$!
    sleep 1
    echo "== $1 (a bare redis-cli PSUBSCRIBE, notify-keyspace-events \"Kg\$hxe\"), $SECONDS_PER_MODE s at $RATE changes/s, load $(cut -d' ' -f1 /proc/loadavg)"
    "$BENCH" "$PORT" none "$SECONDS_PER_MODE" "$RATE" | tee "$DIR/$1.txt"
    kill "$subscriber"; wait "$subscriber" 2>/dev/null || true
    $CLI --scan --pattern 'lock:load:*' | xargs -r -n 1000 $CLI DEL >/dev/null
}
run none "" none-0
run polling "" polling
for r in $(seq 1 "$ROUNDS"); do
    run none "" "none-$r"
    subscribe "subscribe-$r"
    run live 'Kg$hxe' "live-$r"
done

cpu() { awk '/^redis-server cpu/ { print $3 }' "$DIR/$1.txt"; }
p99() { awk '/^freshness/ { for (i = 1; i <= NF; i++) if ($i == "p99") print $(i + 1) }' "$DIR/$1.txt"; }
echo "== summary (redis-server main thread CPU spent on Fulcrum per minute: the mode's minus the load alone's just before it)"
POLL=$(awk -v p="$(cpu polling)" -v b="$(cpu none-0)" 'BEGIN { print p - b }')
printf 'polling: %.0f ms (%.2f %% of its thread), p99 freshness %s ms\n' "$POLL" "$(awk -v x="$POLL" 'BEGIN { print x / 600 }')" "$(p99 polling)"
LIVES=()
for r in $(seq 1 "$ROUNDS"); do
    d=$(awk -v l="$(cpu "live-$r")" -v b="$(cpu "none-$r")" 'BEGIN { print l - b }')
    LIVES+=("$d")
    printf 'live round %d: %.0f ms (%.2f %%) over the load alone'"'"'s %.0f ms, p99 freshness %s ms\n' "$r" "$d" "$(awk -v x="$d" 'BEGIN { print x / 600 }')" "$(cpu "none-$r")" "$(p99 "live-$r")"
done
FLOORS=()
for r in $(seq 1 "$ROUNDS"); do
    d=$(awk -v l="$(cpu "subscribe-$r")" -v b="$(cpu "none-$r")" 'BEGIN { print l - b }')
    FLOORS+=("$d")
    printf 'bare subscriber round %d: %.0f ms (%.2f %%) over the load alone'"'"'s; live minus it: %.0f ms (%.2f %%)\n' "$r" "$d" \
        "$(awk -v x="$d" 'BEGIN { print x / 600 }')" "$(awk -v l="${LIVES[$((r - 1))]}" -v f="$d" 'BEGIN { print l - f }')" \
        "$(awk -v l="${LIVES[$((r - 1))]}" -v f="$d" 'BEGIN { print (l - f) / 600 }')"
done
FLOOR=$(printf '%s\n' "${FLOORS[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
LIVE=$(printf '%s\n' "${LIVES[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
P99_LIVE=$(for r in $(seq 1 "$ROUNDS"); do p99 "live-$r"; done | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
awk -v p="$POLL" -v l="$LIVE" -v f="$FLOOR" -v pp="$(p99 polling)" -v pl="$P99_LIVE" 'BEGIN {
  printf "median: live %.0f ms per minute (%.2f %% of its thread) against polling %.0f ms (%.2f %%): live/polling %.3fx\n", l, l / 600, p, p / 600, (p > 0 ? l / p : 0)
  printf "median bare subscriber (the floor of keyspace notifications): %.0f ms per minute (%.2f %% of its thread); live is %.2fx it\n", f, f / 600, (f > 0 ? l / f : 0)
  printf "p99 freshness: polling %.1f ms, live (median round) %.2f ms: live/polling %.4fx\n", pp, pl, (pp > 0 ? pl / pp : 0)
}'
echo "== commandstats (time Redis spent executing the commands; less noisy than its process CPU)"
for m in none-0 polling $(for r in $(seq 1 "$ROUNDS"); do echo "none-$r subscribe-$r live-$r"; done); do echo "   $m: $(grep '^redis commandstats' "$DIR/$m.txt" | cut -d: -f2-)"; done
