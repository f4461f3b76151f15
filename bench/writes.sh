#!/usr/bin/env bash
# Writes under reads (issue 14): the product page spread over 10,000 products (answer memo on,
# as deployed) under wrk, quiet and while `vitrine feed --live` produces RATE price, stock and
# FX changes per second to tansu, rounds interleaved; every body checked. Vitrine alone on
# core 0; wrk, tansu and the producer on core 1. Reports medians of req/s and p99 for both, the
# changes/s Vitrine applied meanwhile and the largest ingest lag sampled every 200 ms
# throughout the stream. With a BASELINE binary, the same runs follow on it.
# Usage: bench/writes.sh [seconds=5] [rounds=3] [rate=50000] [connections=32] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-3}"; rate="${3:-50000}"; conns="${4:-32}"; baseline="${5:-}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin vitrine
source bench/common.sh
# This script and all it starts (curl and python sampling the lag, the producer, wrk) stay on
# core 1; only Vitrine runs on core 0 (sampling from core 0 took ~10% of Vitrine's core).
taskset -pc 1 $$ >/dev/null

kport=19692; hport=18780
start_tansu "$kport"; taskset -pc 1 "${pids[-1]}" >/dev/null
target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 10000 >"$work/feed.log" 2>&1
pdp='query Pdp($id: ID!) { product(id: $id) { id title brand description categories images hsCode publishedAt availableForSale priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } } variants { sku title size color price { amount currencyCode } compareAtPrice { amount currencyCode } quantityAvailable availableForSale } } }'
printf '{"query":"%s","variables":{"id":"__ID__"},"operationName":"Pdp"}' "$pdp" >"$work/pdp.json"

health() { curl -sf "localhost:$hport/health/ready" | python3 -c 'import json,sys; h=json.load(sys.stdin); print(sum(v["ingest"]["applied"]+v["ingest"]["stale"] for v in h["views"].values()), max(v["lagMs"] for v in h["views"].values()))'; }
memo() { curl -sf "localhost:$hport/metrics" | awk '/^vitrine_memo_(hits|outdated)_total/ {printf "%s=%s ", $1, $2}'; }
run() { # label
  BENCH_BODY="$work/pdp.json" BENCH_EXPECT='"variants"' BENCH_IDS=10000 \
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$hport/graphql" \
    | grep '^BENCH' | sed "s/^BENCH/BENCH $1/" >>"$work/results"
  echo "$1: $(memo)" >>"$work/memo"
}
one_binary() { # label binary
  env VITRINE_KAFKA__FETCH_WAIT_MAX_MS=10 VITRINE_LOG__FILTER=warn taskset -c 0 \
    "$2" --brokers "127.0.0.1:$kport" --listen "127.0.0.1:$hport" >"$work/vitrine-$1.log" 2>&1 &
  local vpid=$!; pids+=($vpid)
  for _ in $(seq 1 600); do curl -sf "localhost:$hport/health/ready" >/dev/null && break; sleep 0.1; done
  : >"$work/lag-$1"
  for r in $(seq 1 "$rounds"); do
    run "$1-quiet"
    taskset -c 1 target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 10000 --seed "$r" \
      --live --interval-ms 1 --per-tick "$((rate / 1000))" >"$work/feed-live.log" 2>&1 &
    local feeder=$!; pids+=($feeder)
    sleep 2 # the feed publishes its catalog first (10,000 products), then the stream
    ( while kill -0 "$feeder" 2>/dev/null; do health >>"$work/lag-$1" || true; sleep 0.2; done ) &
    local sampler=$!
    read -r before _ < <(health); local t0; t0=$(date +%s.%N)
    run "$1-live"
    read -r after _ < <(health)
    echo "$1 round $r: $(echo "($after - $before) / ($(date +%s.%N) - $t0)" | bc) changes/s applied during the live row" | tee -a "$work/applied"
    kill "$feeder"; wait "$feeder" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  done
  kill "$vpid"; wait "$vpid" 2>/dev/null || true
  echo "$1: largest lag sampled while the stream ran: $(awk '{print $2}' "$work/lag-$1" | sort -n | tail -1) ms over $(wc -l <"$work/lag-$1") samples"
}
: >"$work/results"
one_binary vitrine target/release/vitrine
[ -n "$baseline" ] && one_binary baseline "$baseline"
cat "$work/memo"
python3 - "$work/results" <<'PY'
import sys
sys.path.insert(0, "bench")
from wrk_rows import load
rows, med = load(sys.argv[1])
print("\n| row | median req/s | p50 ms | p99 ms |")
print("|---|---:|---:|---:|")
for n in rows:
    print(f"| {n} | {med(n,'rps'):.0f} | {med(n,'p50_us')/1000:.2f} | {med(n,'p99_us')/1000:.2f} |")
for b in sorted({n.rsplit("-", 1)[0] for n in rows}):
    q, l = f"{b}-quiet", f"{b}-live"
    print(f"{b}: live/quiet throughput {med(l,'rps')/med(q,'rps'):.0%}, p99 {med(l,'p99_us')/med(q,'p99_us'):.2f}x")
PY
