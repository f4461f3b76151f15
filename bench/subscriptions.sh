#!/usr/bin/env bash
# Produce-to-subscriber latency with many subscribers, side by side with a bare rdkafka consumer
# of the same topic on the same tansu broker (the floor), and memory per idle subscriber. With a
# BASELINE binary, each round runs it too, on the same broker.
# Usage: bench/subscriptions.sh [subscribers=1000] [skus=100] [rate_per_s=200] [seconds=20]
#        [rounds=1] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
subs="${1:-1000}"; skus="${2:-100}"; rate="${3:-200}"; secs="${4:-20}"; rounds="${5:-1}"
baseline="${6:-}"
cargo build --release --quiet --bin vitrine --example sub_latency
source bench/common.sh
ulimit -n 65536 2>/dev/null || true

kport=19392; hport=18480
start_tansu "$kport"
target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 1000 >"$work/feed.log" 2>&1
one() { # label binary
  # Every subscriber connects from this one address: lift the per-address connection cap
  # (a setting the baseline may predate, so only for this build).
  local cap=()
  [ "$2" = target/release/vitrine ] && cap=(VITRINE_SERVER__MAX_CONNECTIONS_PER_CLIENT=0)
  env "${cap[@]}" VITRINE_KAFKA__FETCH_WAIT_MAX_MS=10 VITRINE_LOG__FILTER=warn \
    VITRINE_SUBSCRIPTIONS__MAX_PER_CLIENT=100000 \
    "$2" --brokers "127.0.0.1:$kport" --listen "127.0.0.1:$hport" >"$work/vitrine-$1.log" 2>&1 &
  local vpid=$!; pids+=($vpid)
  for _ in $(seq 1 200); do curl -sf "localhost:$hport/health/ready" >/dev/null && break; sleep 0.1; done
  echo "== $1"
  target/release/examples/sub_latency "127.0.0.1:$kport" "ws://127.0.0.1:$hport/graphql" "$vpid" \
    vitrine.prices "$subs" "$skus" "$rate" "$secs"
  kill "$vpid"; wait "$vpid" 2>/dev/null || true
}
for _ in $(seq 1 "$rounds"); do
  [ -n "$baseline" ] && one baseline "$baseline"
  one vitrine target/release/vitrine
done
