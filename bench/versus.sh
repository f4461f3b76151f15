#!/usr/bin/env bash
# This build against another vitrine binary (a baseline, e.g. built from an older commit), side
# by side in one run, rounds interleaved, each server pinned to core 0 in turn and wrk to core 1:
# the hot product page, product pages spread over all 10,000 demo products, and a listing.
# Every response is checked. Prints medians and the ratio new/baseline.
# Usage: bench/versus.sh BASELINE_BINARY [seconds_per_round=5] [rounds=3] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/.."
baseline="$1"; secs="${2:-5}"; rounds="${3:-3}"; conns="${4:-32}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin vitrine
source bench/common.sh

start() { # name binary port
  VITRINE_DEMO__LIVE_INTERVAL_MS=0 VITRINE_LOG__FILTER=warn taskset -c 0 "$2" \
    --listen "127.0.0.1:$3" >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do curl -sf "localhost:$3/health/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$work/$1.log"; exit 1
}
start baseline "$baseline" 18301
start new target/release/vitrine 18302

pdp='query Pdp($id: ID!) { product(id: $id) { id title brand availableForSale priceRange { minVariantPrice { amount currencyCode } } variants { sku title price { amount currencyCode } compareAtPrice { amount } quantityAvailable availableForSale } } }'
printf '{"query":"%s","variables":{"id":"p000042"}}' "$pdp" >"$work/hot.json"
printf '{"query":"%s","variables":{"id":"__ID__"}}' "$pdp" >"$work/spread.json"
printf '%s' '{"query":"{ products(first: 24, sortKey: PRICE, filter: {category: \"women\"}) { totalCount edges { node { id title priceRange { minVariantPrice { amount } } } } } }"}' >"$work/listing.json"

run() { # name port body expect [ids]
  BENCH_BODY="$3" BENCH_EXPECT="$4" BENCH_IDS="${5:-0}" \
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$2/graphql" \
    | grep '^BENCH' | sed "s/^BENCH/BENCH $1/" >>"$work/results"
}
: >"$work/results"
for _ in $(seq 1 "$rounds"); do
  for who in baseline:18301 new:18302; do
    name="${who%%:*}"; port="${who##*:}"
    run "$name-pdp-hot" "$port" "$work/hot.json" '"p000042"'
    run "$name-pdp-spread" "$port" "$work/spread.json" '"id":"p0' 10000
    run "$name-listing" "$port" "$work/listing.json" '"totalCount"'
  done
done
python3 - "$work/results" <<'PY'
import sys
sys.path.insert(0, "bench")
from wrk_rows import load
rows, med = load(sys.argv[1])
print("| request | baseline req/s | new req/s | new/baseline | baseline p99 ms | new p99 ms |")
print("|---|---:|---:|---:|---:|---:|")
for kind in ["pdp-hot", "pdp-spread", "listing"]:
    b, n = f"baseline-{kind}", f"new-{kind}"
    print(f"| {kind} | {med(b,'rps'):.0f} | {med(n,'rps'):.0f} | {med(n,'rps')/med(b,'rps'):.2f} | {med(b,'p99_us')/1000:.2f} | {med(n,'p99_us')/1000:.2f} |")
PY
