#!/usr/bin/env bash
# Reservations on tansu: `reserve` latency (p50/p99, one call at a time) beside the broker's own
# produce-to-consume floor measured in the same run (write one message, read it back, the same
# producer and fetch settings), then reservations per second with concurrent callers; with one
# replica and with two (calls alternate between them, each decision written by the partition's
# owner in the deciders' group), and the memory each active hold costs (RSS of the replica
# before and after the run, over the holds made; every hold is still active at the end).
# With BASELINE (a vitrine binary), its one-replica figures run first on the same broker.
# Usage: bench/reserve.sh [samples=300] [workers=16] [seconds=10] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${1:-300}"; workers="${2:-16}"; secs="${3:-10}"; baseline="${4:-}"
cargo build --release --quiet --bin vitrine --example reserve_latency
source bench/common.sh

kport=19492
start_tansu "$kport"
target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 1000 >"$work/feed.log" 2>&1

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# replica BINARY PORT [ENV=VALUE...]: a replica serving on PORT; its pid in $last_pid (not
# run in a subshell, so the exit trap stops it).
replica() {
  local binary="$1" port="$2"; shift 2
  env VITRINE_KAFKA__FETCH_WAIT_MAX_MS=10 VITRINE_LOG__FILTER=warn \
    VITRINE_RESERVATIONS__MAX_PER_CLIENT=100000000 VITRINE_RESERVATIONS__MAX_QUANTITY=10 "$@" \
    "$binary" --brokers "127.0.0.1:$kport" --listen "127.0.0.1:$port" >>"$work/vitrine-$port.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
  for _ in $(seq 1 300); do curl -sf "localhost:$port/health/ready" >/dev/null && break; sleep 0.1; done
}

# A replica's deciders own a partition before calls start (the group's first assignment).
wait_deciding() {
  for _ in $(seq 1 200); do
    curl -sf "localhost:$1/health/ready" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("reservations",{}).get("decider",{}).get("partitions") else 1)' && return 0
    sleep 0.1
  done
}

# run LABEL SKU URLS PID: the example against URLS; prints its rows and the bytes per hold.
run() {
  local before after holds
  before=$(rss_kib "$4")
  target/release/examples/reserve_latency "127.0.0.1:$kport" "$3" "$2" "$samples" "$workers" "$secs" \
    | tee "$work/$1.out" | sed "s/^RESULT /RESULT $1 /"
  after=$(rss_kib "$4")
  holds=$(awk -F= '/holds_total/ {print $2}' "$work/$1.out")
  echo "RESULT $1 rss_before_kib=$before rss_after_kib=$after bytes_per_active_hold=$(( (after - before) * 1024 / holds ))"
}

if [ -n "$baseline" ]; then
  replica "$baseline" 18570
  run baseline_one_replica p000003-0 "http://127.0.0.1:18570" "$last_pid"
  kill "$last_pid"
fi
# Every hold lands on one SKU: the per-SKU bound on active lines is lifted for the run.
many=VITRINE_RESERVATIONS__MAX_ACTIVE_PER_SKU=100000000
replica target/release/vitrine 18580 "$many"
pid=$last_pid
wait_deciding 18580
run one_replica p000001-0 "http://127.0.0.1:18580" "$pid"
replica target/release/vitrine 18581 "$many"
# Both replicas decide some partitions once the group has rebalanced (cooperative: a second
# round may follow the first; give it time to settle).
wait_deciding 18581
sleep 5
run two_replicas p000002-0 "http://127.0.0.1:18580,http://127.0.0.1:18581" "$pid"
