#!/usr/bin/env bash
# PDP and listing throughput/latency on the demo catalog (10k products, ~50k variants), side by
# side with a plain axum endpoint returning a same-sized static body (the ceiling), in one run,
# rounds interleaved. Every response is checked (status 200 and an expected substring).
#
# Usage: bench/pdp.sh [seconds_per_round=10] [rounds=3] [connections=32]
#
# Rows:
#   ceiling-*          static body from plain axum (the ceiling)
#   vitrine-pdp        one hot product, answer memo on (the default)
#   vitrine-pdp-spread random product among all 10k per request, memo on
#   vitrine-pdp-nomemo one hot product, memo off: every request parsed-from-cache, validated, executed
#   vitrine-listing    24 products of a category sorted by price (a full scan per request)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"; rounds="${2:-3}"; conns="${3:-32}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

cargo build --release --quiet --bin vitrine --example static_ceiling
source bench/common.sh

start_vitrine() { # port, extra env...
  local port=$1; shift
  env VITRINE_DEMO__LIVE_INTERVAL_MS=0 VITRINE_LOG__FILTER=warn "$@" \
    target/release/vitrine --listen "127.0.0.1:$port" >"$work/vitrine-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    curl -sf "localhost:$port/health/ready" >/dev/null && return 0
    sleep 0.1
  done
  cat "$work/vitrine-$port.log"; exit 1
}
start_vitrine 18080
start_vitrine 18081 VITRINE_GRAPHQL__MEMO_ENTRIES=0

pdp_query='query Pdp($id: ID!) { product(id: $id) { id title brand description categories images hsCode publishedAt availableForSale priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } } variants { sku title size color price { amount currencyCode } compareAtPrice { amount currencyCode } quantityAvailable availableForSale } } }'
printf '{"query":"%s","variables":{"id":"p000042"},"operationName":"Pdp"}' "$pdp_query" >"$work/pdp.json"
printf '{"query":"%s","variables":{"id":"__ID__"},"operationName":"Pdp"}' "$pdp_query" >"$work/pdp-spread.json"
cat >"$work/listing.json" <<'JSON'
{"query":"query Listing($filter: ProductFilter) { products(first: 24, sortKey: PRICE, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title brand images priceRange { minVariantPrice { amount currencyCode } } availableForSale } } } }","variables":{"filter":{"category":"women"}}}
JSON

for kind in pdp listing; do
  curl -sf -H 'content-type: application/json' --data @"$work/$kind.json" \
    localhost:18080/graphql >"$work/$kind.out"
  if grep -q '"errors"' "$work/$kind.out"; then echo "query failed: $(cat "$work/$kind.out")"; exit 1; fi
  port=$([ "$kind" = pdp ] && echo 18090 || echo 18091)
  target/release/examples/static_ceiling "$work/$kind.out" "127.0.0.1:$port" &
  pids+=($!)
done
sleep 0.5
echo "body bytes: pdp=$(wc -c <"$work/pdp.out") listing=$(wc -c <"$work/listing.out"); ${secs}s x ${rounds} rounds, ${conns} connections, wrk -t2"

run() { # name url body expect [ids]
  BENCH_BODY="$3" BENCH_EXPECT="$4" BENCH_IDS="${5:-0}" \
    wrk -t2 -c"$conns" -d"${secs}s" -s bench/post.lua "$2" \
    | grep '^BENCH' | sed "s/^BENCH/BENCH $1/" | tee -a "$work/results"
}

: >"$work/results"
for _ in $(seq 1 "$rounds"); do
  run ceiling-pdp http://127.0.0.1:18090/graphql "$work/pdp.json" '"p000042"'
  run vitrine-pdp http://127.0.0.1:18080/graphql "$work/pdp.json" '"p000042"'
  run vitrine-pdp-spread http://127.0.0.1:18080/graphql "$work/pdp-spread.json" '"id":"p0' 10000
  run vitrine-pdp-nomemo http://127.0.0.1:18081/graphql "$work/pdp.json" '"p000042"'
  run ceiling-listing http://127.0.0.1:18091/graphql "$work/listing.json" '"totalCount"'
  run vitrine-listing http://127.0.0.1:18080/graphql "$work/listing.json" '"totalCount"'
done

python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    f = dict(kv.split("=") for kv in parts[2:])
    rows.setdefault(parts[1], []).append(f)
    if int(f["errors"]) or int(f["bad_bodies"]):
        sys.exit(f"{parts[1]}: {f['errors']} errors, {f['bad_bodies']} bad bodies")
med = lambda name, k: statistics.median(float(r[k]) for r in rows[name])
print("\n| endpoint | median req/s | median p50 ms | median p99 ms | vs ceiling |")
print("|---|---|---|---|---|")
for name in rows:
    ceiling = "ceiling-listing" if "listing" in name else "ceiling-pdp"
    ratio = med(name, "rps") / med(ceiling, "rps")
    print(f"| {name} | {med(name,'rps'):.0f} | {med(name,'p50_us')/1000:.2f} | {med(name,'p99_us')/1000:.2f} | {ratio:.0%} |")
PY
