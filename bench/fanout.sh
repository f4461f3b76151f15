#!/usr/bin/env bash
# Fan-out of one FX move (issue 14): a catalog of 10,000 products (~50,000 variants), 1,000
# WebSocket subscribers of `priceChanged(country: GB)` with no filter, then one new GB pricing
# context produced to vitrine.intl. Prints when the subscribers got their first and last
# message (events or a resync) and the largest ingest lag meanwhile. With a BASELINE binary,
# each round runs it too, on the same broker.
# Usage: bench/fanout.sh [subscribers=1000] [rounds=3] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
subs="${1:-1000}"; rounds="${2:-3}"; baseline="${3:-}"
cargo build --release --quiet --bin vitrine --example fx_fanout
source bench/common.sh
ulimit -n 65536 2>/dev/null || true

kport=19592; hport=18680
start_tansu "$kport"
target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 10000 >"$work/feed.log" 2>&1

one() { # label binary
  # Every subscriber connects from this one address: lift the per-address connection cap
  # (a setting the baseline may predate, so only for this build).
  local cap=()
  [ "$2" = target/release/vitrine ] && cap=(VITRINE_SERVER__MAX_CONNECTIONS_PER_CLIENT=0)
  env "${cap[@]}" VITRINE_KAFKA__FETCH_WAIT_MAX_MS=10 VITRINE_LOG__FILTER=warn \
    VITRINE_SUBSCRIPTIONS__MAX_PER_CLIENT=100000 VITRINE_SUBSCRIPTIONS__MAX_TOTAL=100000 \
    "$2" --brokers "127.0.0.1:$kport" --listen "127.0.0.1:$hport" >"$work/vitrine-$1.log" 2>&1 &
  local vpid=$!; pids+=($vpid)
  for _ in $(seq 1 300); do curl -sf "localhost:$hport/health/ready" >/dev/null && break; sleep 0.1; done
  echo "$1 $(target/release/examples/fx_fanout "127.0.0.1:$kport" "127.0.0.1:$hport" "$subs" GB)"
  kill "$vpid"; wait "$vpid" 2>/dev/null || true
}
for _ in $(seq 1 "$rounds"); do
  [ -n "$baseline" ] && one baseline "$baseline"
  one vitrine target/release/vitrine
done
