#!/usr/bin/env bash
# Listing facets against the same listing without them and against a static body of the
# faceted answer's size (the ceiling), in one run, rounds interleaved, every body checked.
# Servers pinned to core 0, wrk to core 1; categories vary per request over the demo's 17
# category prefixes; answer memo off (every request computes its facets).
#
# Usage: bench/facets.sh [seconds_per_round=5] [rounds=3] [connections=32]
#
# Rows (48 products of a category by PRICE, with totalCount, cursors, prices, stock):
#   ceiling-48 / ceiling-48-facets   static bodies of the plain and the faceted answer's size
#   10k-48 / 10k-48-facets           10,000 products (~50,000 variants)
#   200k-48 / 200k-48-facets         200,000 products (~1M variants)
# Then p99 at half of each faceted row's peak, open loop (examples/fixed_rate.rs), and the
# bitmaps' memory per variant (examples/index_memory.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-3}"; conns="${3:-32}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin vitrine --example static_ceiling --example fixed_rate --example index_memory
source bench/common.sh

start() { # name port extra-env...
  local name=$1 port=$2; shift 2
  env VITRINE_DEMO__LIVE_INTERVAL_MS=0 VITRINE_LOG__FILTER=warn VITRINE_GRAPHQL__MEMO_ENTRIES=0 "$@" \
    taskset -c 0 target/release/vitrine --listen "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  pids+=($!); on_core0+=($!)
  for _ in $(seq 1 1200); do curl -sf "localhost:$port/health/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$work/$name.log"; exit 1
}
start small 18601
# Facets cost a walk of the scope in the cost model: 20,000 units at 200,000 products, past the
# default max_cost (2,000), as a text search there would.
start big 18602 VITRINE_DEMO__PRODUCTS=200000 VITRINE_GRAPHQL__MAX_COST=100000

categories="women,women/knitwear,women/knitwear/sweaters,women/knitwear/cardigans,women/dresses,women/shoes,women/shoes/boots,women/bags,men,men/knitwear,men/shirts,men/outerwear,men/outerwear/coats,men/shoes,men/shoes/sneakers,home,home/textiles"
facets='facets { id type values { label count selected input } range { min { amount currencyCode } max { amount } buckets { from to count } } }'
listing() { # extra-selection
  printf '{"query":"query Listing($category: String) { products(first: 48, sortKey: PRICE, filter: {category: $category}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title brand images priceRange { minVariantPrice { amount currencyCode } } availableForSale } } %s } }","variables":{"category":"__CHOICE__"}}' "$1"
}
listing "" >"$work/plain.json"; listing "$facets" >"$work/faceted.json"
for kind in plain:18691 faceted:18692; do
  name="${kind%%:*}"; port="${kind##*:}"
  sed 's/__CHOICE__/women/' "$work/$name.json" >"$work/$name-one.json"
  curl -sf -H 'content-type: application/json' --data @"$work/$name-one.json" localhost:18601/graphql >"$work/$name.out"
  grep -q '"errors"' "$work/$name.out" && { echo "query failed: $(cat "$work/$name.out")"; exit 1; }
  taskset -c 0 target/release/examples/static_ceiling "$work/$name.out" "127.0.0.1:$port" &
  pids+=($!); on_core0+=($!)
done
sleep 0.5
echo "bodies: plain=$(wc -c <"$work/plain.out") B, faceted=$(wc -c <"$work/faceted.out") B; ${secs}s x ${rounds} rounds, ${conns} connections"

run() { # name port body expect
  BENCH_BODY="$3" BENCH_EXPECT="$4" BENCH_CHOICES="$categories" \
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$2/graphql" \
    | grep '^BENCH' | sed "s/^BENCH/BENCH $1/" | tr -d '\n' >>"$work/results"
  echo " memo=0,0,0:0,0,0" >>"$work/results"
}
: >"$work/results"
for _ in $(seq 1 "$rounds"); do
  run ceiling-48 18691 "$work/plain.json" '"totalCount"'
  run 10k-48 18601 "$work/plain.json" '"totalCount"'
  run 200k-48 18602 "$work/plain.json" '"totalCount"'
  run ceiling-48-facets 18692 "$work/faceted.json" '"buckets"'
  run 10k-48-facets 18601 "$work/faceted.json" '"buckets"'
  run 200k-48-facets 18602 "$work/faceted.json" '"buckets"'
done

python3 - "$work/results" <<'PY'
import sys
sys.path.insert(0, "bench")
from wrk_rows import load
rows, med = load(sys.argv[1])
ceiling = lambda n: "ceiling-48-facets" if "facets" in n else "ceiling-48"
print("\n| row | median req/s | p50 ms | p99 ms | vs ceiling | vs the same listing without facets |")
print("|---|---:|---:|---:|---:|---:|")
for n in rows:
    plain = n.replace("-facets", "")
    versus = f"{med(n,'rps')/med(plain,'rps'):.0%}" if n != plain and not n.startswith("ceiling") else ""
    print(f"| {n} | {med(n,'rps'):.0f} | {med(n,'p50_us')/1000:.2f} | {med(n,'p99_us')/1000:.2f} | {med(n,'rps')/med(ceiling(n),'rps'):.0%} | {versus} |")
with open(sys.argv[1] + ".peaks", "w") as out:
    for n in rows:
        out.write(f"{n} {med(n, 'rps'):.0f}\n")
PY

echo; echo "| row | rate req/s | p50 ms | p99 ms | ceiling p50 / p99 ms at that rate |"; echo "|---|---:|---:|---:|---:|"
while read -r name peak; do
  case "$name" in *-facets) ;; *) continue;; esac
  case "$name" in ceiling*) continue;; esac
  port=$(case "$name" in 10k*) echo 18601;; *) echo 18602;; esac)
  rate=$((peak / 2))
  read -r p50 p99 c50 c99 < <(BENCH_CHOICES="$categories" fixed_rate_rounds "$rounds" "$port" 18692 "$work/faceted.json" "$rate" "$secs" '"buckets"')
  echo "| $name | $rate | $p50 | $p99 | $c50 / $c99 |"
done <"$work/results.peaks"

echo; for n in 10000 200000; do target/release/examples/index_memory "$n" 0 | grep -E 'products=|facet'; done
