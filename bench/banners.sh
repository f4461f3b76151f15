#!/usr/bin/env bash
# Banners side by side, one run, rounds interleaved, each server pinned to core 0 in turn and
# wrk to core 1: this build with one banner (`demo.banners = false`) against the same build
# with the demo's two (`main` and `outlet` over one catalog and one stock pool), and, given a
# BASELINE binary (a build from before banners), that one too. Rows: the hot product page,
# product pages spread over all 10,000 demo products, a listing of 24 in `main`, and in the
# two-banner server the outlet's product page and listing by path (`/b/outlet/graphql`).
# Every response is checked. Prints medians and ratios against the one-banner server.
# Usage: bench/banners.sh [seconds_per_round=5] [rounds=3] [connections=32] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-3}"; conns="${3:-32}"; baseline="${4:-}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin vitrine
source bench/common.sh

start() { # name binary port [env...]
  local name=$1 bin=$2 port=$3; shift 3
  env VITRINE_DEMO__LIVE_INTERVAL_MS=0 VITRINE_LOG__FILTER=warn "$@" taskset -c 0 "$bin" \
    --listen "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do curl -sf "localhost:$port/health/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$work/$name.log"; exit 1
}
servers="one:18311 two:18312"
start one target/release/vitrine 18311 VITRINE_DEMO__BANNERS=false
start two target/release/vitrine 18312
if [ -n "$baseline" ]; then start baseline "$baseline" 18313; servers="baseline:18313 $servers"; fi

pdp='query Pdp($id: ID!) { product(id: $id) { id title brand availableForSale priceRange { minVariantPrice { amount currencyCode } } variants { sku title price { amount currencyCode } compareAtPrice { amount } quantityAvailable availableForSale } } }'
printf '{"query":"%s","variables":{"id":"p000042"}}' "$pdp" >"$work/hot.json"
printf '{"query":"%s","variables":{"id":"__ID__"}}' "$pdp" >"$work/spread.json"
printf '%s' '{"query":"{ products(first: 24, sortKey: PRICE, filter: {category: \"women\"}) { totalCount edges { node { id title priceRange { minVariantPrice { amount } } } } } }"}' >"$work/listing.json"
# p000002 is women's knitwear in the demo: the outlet sells it.
printf '{"query":"%s","variables":{"id":"p000002"}}' "$pdp" >"$work/outlet-hot.json"

run() { # name port body expect [ids] [path]
  BENCH_BODY="$3" BENCH_EXPECT="$4" BENCH_IDS="${5:-0}" \
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$2${6:-/graphql}" \
    | grep '^BENCH' | sed "s/^BENCH/BENCH $1/" >>"$work/results"
}
: >"$work/results"
for _ in $(seq 1 "$rounds"); do
  for who in $servers; do
    name="${who%%:*}"; port="${who##*:}"
    run "$name-pdp-hot" "$port" "$work/hot.json" '"p000042"'
    run "$name-pdp-spread" "$port" "$work/spread.json" '"id":"p0' 10000
    run "$name-listing" "$port" "$work/listing.json" '"totalCount"'
  done
  run "two-outlet-pdp" 18312 "$work/outlet-hot.json" '"p000002"' 0 /b/outlet/graphql
  run "two-outlet-listing" 18312 "$work/listing.json" '"totalCount"' 0 /b/outlet/graphql
done
python3 - "$work/results" "$servers" <<'PY'
import sys
sys.path.insert(0, "bench")
from wrk_rows import load
rows, med = load(sys.argv[1])
names = [s.split(":")[0] for s in sys.argv[2].split()]
print("| request | " + " | ".join(f"{n} req/s" for n in names) + " | two/one | " + " | ".join(f"{n} p99 ms" for n in names) + " |")
print("|---|" + "---:|" * (2 * len(names) + 1))
for kind in ["pdp-hot", "pdp-spread", "listing"]:
    rps = [med(f"{n}-{kind}", "rps") for n in names]
    p99 = [med(f"{n}-{kind}", "p99_us") / 1000 for n in names]
    ratio = med(f"two-{kind}", "rps") / med(f"one-{kind}", "rps")
    print(f"| {kind} | " + " | ".join(f"{r:.0f}" for r in rps) + f" | {ratio:.2f} | " + " | ".join(f"{p:.2f}" for p in p99) + " |")
for kind in ["outlet-pdp", "outlet-listing"]:
    print(f"| two: {kind} (by path) | {med(f'two-{kind}', 'rps'):.0f} req/s | p99 {med(f'two-{kind}', 'p99_us') / 1000:.2f} ms |")
PY
