#!/usr/bin/env bash
# Memory under steady load with nobody scraping /metrics: the demo (10k products, live trickle
# on) under product-page (spread over all products) and listing load from wrk for MINUTES,
# RSS sampled every SAMPLE seconds. Flat after warm-up means every buffer and cache is bounded.
# Usage: bench/soak.sh [minutes=6] [sample_seconds=30]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-6}"; sample="${2:-30}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin vitrine
source bench/common.sh
port=18095
VITRINE_LOG__FILTER=warn taskset -c 0 target/release/vitrine --listen "127.0.0.1:$port" \
  >"$work/vitrine.log" 2>&1 &
pid=$!; pids+=("$pid")
for _ in $(seq 1 300); do curl -sf "localhost:$port/health/ready" >/dev/null && break; sleep 0.1; done
pdp='query Pdp($id: ID!) { product(id: $id) { id title variants { sku price { amount currencyCode } quantityAvailable availableForSale } } }'
printf '{"query":"%s","variables":{"id":"__ID__"}}' "$pdp" >"$work/pdp.json"
printf '%s' '{"query":"{ products(first: 24, sortKey: PRICE, filter: {category: \"women\"}) { totalCount edges { node { id priceRange { minVariantPrice { amount } } } } } }"}' >"$work/listing.json"
secs=$((minutes * 60))
BENCH_BODY="$work/pdp.json" BENCH_EXPECT='"id":"p0' BENCH_IDS=10000 \
  taskset -c 1 wrk -t1 -c16 -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$port/graphql" >"$work/wrk-pdp.txt" &
BENCH_BODY="$work/listing.json" BENCH_EXPECT='"totalCount"' \
  taskset -c 1 wrk -t1 -c4 -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$port/graphql" >"$work/wrk-listing.txt" &
echo "| minute | RSS MiB |"
echo "|---:|---:|"
for t in $(seq 0 "$sample" "$secs"); do
  [ "$t" -gt 0 ] && sleep "$sample"
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  printf '| %.1f | %d |\n' "$(echo "$t / 60" | bc -l)" $((rss / 1024))
done
wait %2 %3 2>/dev/null || true
grep -h '^BENCH' "$work"/wrk-*.txt || true
