#!/usr/bin/env bash
# Reservations on tansu: `reserve` latency (p50/p99, one call at a time) beside the broker's own
# produce-to-consume floor measured in the same run (write one message, read it back, the same
# producer and fetch settings), then reservations per second with concurrent callers.
# Usage: bench/reserve.sh [samples=300] [workers=16] [seconds=10]
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${1:-300}"; workers="${2:-16}"; secs="${3:-10}"
cargo build --release --quiet --bin vitrine --example reserve_latency
source bench/common.sh

kport=19492; hport=18580
start_tansu "$kport"
target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 1000 >"$work/feed.log" 2>&1
VITRINE_KAFKA__FETCH_WAIT_MAX_MS=10 VITRINE_LOG__FILTER=warn \
  VITRINE_RESERVATIONS__MAX_PER_CLIENT=100000000 VITRINE_RESERVATIONS__MAX_QUANTITY=10 \
  target/release/vitrine --brokers "127.0.0.1:$kport" --listen "127.0.0.1:$hport" >"$work/vitrine.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do curl -sf "localhost:$hport/health/ready" >/dev/null && break; sleep 0.1; done
# The example first gives the SKU plenty of stock, so every call holds (the decision, not a
# shortage, is measured).
target/release/examples/reserve_latency "127.0.0.1:$kport" "http://127.0.0.1:$hport" p000001-0 \
  "$samples" "$workers" "$secs"
