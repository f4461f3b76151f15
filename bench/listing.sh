#!/usr/bin/env bash
# Listings as a flash sale sees them, side by side with a plain axum endpoint returning a
# same-size static body (the ceiling), in one run, rounds interleaved, every body checked.
# Each server is pinned to core 0 while wrk runs on core 1. Categories vary per request over
# all 17 category prefixes of the demo catalog (not one hot category).
#
# Usage: bench/listing.sh [seconds_per_round=5] [rounds=3] [connections=32]
#
# Rows (first N products of a category by PRICE, with totalCount, cursors, prices, stock):
#   ceiling-24 / ceiling-48 / ceiling-gb   static bodies of the same size
#   listing-24 / listing-48                10,000 products, answer memo on (hits and misses shown)
#   listing-24-nomemo / listing-48-nomemo  memo off: every request walks the indexes
#   listing-24-200k-nomemo                 200,000 products (~1M variants), memo off
#   listing-gb-24                          the same in GB (landed prices in GBP), memo on
#   kafka-24 / kafka-24-live               Vitrine fed from tansu (same catalog), quiet, then while
#                                          `vitrine feed --live` produces 2,000 price, stock and FX
#                                          changes/s (broker and producer on core 1 with wrk;
#                                          ceiling-24-live: the ceiling measured under the stream)
# Then p99 at half of each listing row's peak, open loop (examples/fixed_rate.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-3}"; conns="${3:-32}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin vitrine --example static_ceiling --example fixed_rate
source bench/common.sh

start() { # name port [--brokers LIST] extra-env...
  local name=$1 port=$2 brokers=(); shift 2
  [ "${1:-}" = --brokers ] && { brokers=(--brokers "$2"); shift 2; }
  env VITRINE_DEMO__LIVE_INTERVAL_MS=0 VITRINE_LOG__FILTER=warn "$@" taskset -c 0 \
    target/release/vitrine --listen "127.0.0.1:$port" "${brokers[@]}" >"$work/$name.log" 2>&1 &
  pids+=($!); on_core0+=($!)
  for _ in $(seq 1 1200); do curl -sf "localhost:$port/health/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$work/$name.log"; exit 1
}
start memo 18401
start nomemo 18402 VITRINE_GRAPHQL__MEMO_ENTRIES=0
start big 18403 VITRINE_GRAPHQL__MEMO_ENTRIES=0 VITRINE_DEMO__PRODUCTS=200000
# Kafka-fed: the same catalog published to tansu, consumed by Vitrine like production.
kport=19493
TANSU_STORAGE=sqlite start_tansu "$kport"; taskset -pc 1 "${pids[-1]}" >/dev/null
target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 10000 >"$work/feed.log" 2>&1
start kafka 18404 --brokers "127.0.0.1:$kport"
start kafka-nomemo 18405 --brokers "127.0.0.1:$kport" VITRINE_GRAPHQL__MEMO_ENTRIES=0

categories="women,women/knitwear,women/knitwear/sweaters,women/knitwear/cardigans,women/dresses,women/shoes,women/shoes/boots,women/bags,men,men/knitwear,men/shirts,men/outerwear,men/outerwear/coats,men/shoes,men/shoes/sneakers,home,home/textiles"
listing() { # first country
  local country=""; [ -n "$2" ] && country=", country: \\\"$2\\\""
  printf '{"query":"query Listing($category: String) { products(first: %s, sortKey: PRICE, filter: {category: $category}%s) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title brand images priceRange { minVariantPrice { amount currencyCode } } availableForSale } } } }","variables":{"category":"__CHOICE__"}}' "$1" "$country"
}
listing 24 "" >"$work/l24.json"; listing 48 "" >"$work/l48.json"; listing 24 GB >"$work/gb24.json"
for kind in l24:18491 l48:18492 gb24:18493; do
  name="${kind%%:*}"; port="${kind##*:}"
  sed 's/__CHOICE__/women/' "$work/$name.json" >"$work/$name-one.json"
  curl -sf -H 'content-type: application/json' --data @"$work/$name-one.json" localhost:18401/graphql >"$work/$name.out"
  grep -q '"errors"' "$work/$name.out" && { echo "query failed: $(cat "$work/$name.out")"; exit 1; }
  taskset -c 0 target/release/examples/static_ceiling "$work/$name.out" "127.0.0.1:$port" &
  pids+=($!); on_core0+=($!)
done
sleep 0.5
echo "bodies: 24=$(wc -c <"$work/l24.out") B, 48=$(wc -c <"$work/l48.out") B, gb24=$(wc -c <"$work/gb24.out") B; ${secs}s x ${rounds} rounds, ${conns} connections"

memo_count() { # port -> "hits misses outdated"
  { curl -sf "localhost:$1/metrics" || true; } | awk '/^vitrine_memo_(hits|misses|outdated)_total/ {v[$1]=$2} END {printf "%d,%d,%d", v["vitrine_memo_hits_total"], v["vitrine_memo_misses_total"], v["vitrine_memo_outdated_total"]}'
}
run() { # name port body expect
  local before after; before=$(memo_count "$2")
  BENCH_BODY="$3" BENCH_EXPECT="$4" BENCH_CHOICES="$categories" \
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$2/graphql" \
    | grep '^BENCH' | sed "s/^BENCH/BENCH $1/" | tr -d '\n' >>"$work/results"
  after=$(memo_count "$2")
  echo " memo=$before:$after" >>"$work/results"
}
: >"$work/results"
quiet_rounds() {
  run ceiling-24 18491 "$work/l24.json" '"totalCount"'
  run listing-24 18401 "$work/l24.json" '"totalCount"'
  run listing-24-nomemo 18402 "$work/l24.json" '"totalCount"'
  run listing-24-200k-nomemo 18403 "$work/l24.json" '"totalCount"'
  run ceiling-48 18492 "$work/l48.json" '"totalCount"'
  run listing-48 18401 "$work/l48.json" '"totalCount"'
  run listing-48-nomemo 18402 "$work/l48.json" '"totalCount"'
  run ceiling-gb 18493 "$work/gb24.json" '"totalCount"'
  run listing-gb-24 18401 "$work/gb24.json" '"GBP"'
  run kafka-24 18404 "$work/l24.json" '"totalCount"'
  run kafka-24-nomemo 18405 "$work/l24.json" '"totalCount"'
}
for _ in $(seq 1 "$rounds"); do quiet_rounds; done
applied() { curl -sf "localhost:$1/health/ready" | python3 -c 'import json,sys; h=json.load(sys.stdin); print(sum(h["views"][v]["ingest"]["applied"] for v in ("prices","inventory","intl")), max(v["lagMs"] for v in h["views"].values()))'; }
read -r before _ < <(applied 18404); t0=$(date +%s.%N)
taskset -c 1 target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 10000 --seed 7 \
  --live --interval-ms 1 --per-tick 2 >"$work/feed-live.log" 2>&1 &
feeder=$!; pids+=($feeder)
sleep 3
max_lag=0
for _ in $(seq 1 "$rounds"); do
  # The broker and the producer share wrk's core: the ceiling is measured under the stream too.
  run ceiling-24-live 18491 "$work/l24.json" '"totalCount"'
  run kafka-24-live 18404 "$work/l24.json" '"totalCount"'
  run kafka-24-live-nomemo 18405 "$work/l24.json" '"totalCount"'
  read -r _ lag < <(applied 18404); max_lag=$((lag > max_lag ? lag : max_lag))
  read -r _ lag < <(applied 18405); max_lag=$((lag > max_lag ? lag : max_lag))
done
read -r after lag < <(applied 18404)
echo "live stream: $(echo "($after - $before) / ($(date +%s.%N) - $t0)" | bc) changes/s applied by the memo-on server over the live rows; largest lag seen after a row: ${max_lag} ms"
kill "$feeder" 2>/dev/null || true

python3 - "$work/results" <<'PY'
import sys
sys.path.insert(0, "bench")
from wrk_rows import load
rows, med = load(sys.argv[1])
def ceiling(name):
    if "live" in name:
        return "ceiling-24-live"
    return "ceiling-gb" if "gb" in name else "ceiling-48" if "48" in name else "ceiling-24"
def memo(name):
    hits = misses = 0
    for r in rows[name]:
        b, a = (list(map(int, x.split(","))) for x in r["memo"].split(":"))
        hits += a[0] - b[0]; misses += a[1] - b[1] + a[2] - b[2]
    return f"{hits / (hits + misses):.0%} of {hits + misses}" if hits + misses else "off"
print("\n| row | median req/s | p50 ms | p99 ms | vs ceiling | memo hits |")
print("|---|---:|---:|---:|---:|---:|")
for n in rows:
    print(f"| {n} | {med(n,'rps'):.0f} | {med(n,'p50_us')/1000:.2f} | {med(n,'p99_us')/1000:.2f} | {med(n,'rps')/med(ceiling(n),'rps'):.0%} | {memo(n) if not n.startswith('ceiling') else ''} |")
q = lambda a, b: med(a, "rps") / med(b, "rps")
print(f"\n200k/10k (memo off): {q('listing-24-200k-nomemo', 'listing-24-nomemo'):.0%}; live/quiet (Kafka-fed): memo on {q('kafka-24-live', 'kafka-24'):.0%}, memo off {q('kafka-24-live-nomemo', 'kafka-24-nomemo'):.0%}; the ceiling under the stream: {q('ceiling-24-live', 'ceiling-24'):.0%} of the quiet one")
with open(sys.argv[1] + ".peaks", "w") as out:
    for n in rows:
        out.write(f"{n} {med(n, 'rps'):.0f}\n")
PY

# p99 at half of peak: open loop at a fixed rate (examples/fixed_rate.rs on core 1), latency
# measured from each request's due time, categories varied per request as above; the static
# ceiling measured at the same rate beside it; medians of `rounds` runs.
echo; echo "| row | rate req/s | p50 ms | p99 ms | ceiling p50 / p99 ms at that rate |"; echo "|---|---:|---:|---:|---:|"
while read -r name peak; do
  case "$name" in ceiling*|*gb*|kafka*) continue;; esac
  port=$(case "$name" in listing-24|listing-48) echo 18401;; *200k*) echo 18403;; *) echo 18402;; esac)
  body=$(case "$name" in *48*) echo "$work/l48.json";; *) echo "$work/l24.json";; esac)
  ceiling_port=$(case "$name" in *48*) echo 18492;; *) echo 18491;; esac)
  rate=$((peak / 2))
  out=$(BENCH_CHOICES="$categories" fixed_rate_rounds "$rounds" "$port" "$ceiling_port" "$body" "$rate" "$secs" '"totalCount"')
  read -r p50 p99 c50 c99 <<<"$out"
  echo "| $name | $rate | $p50 | $p99 | $c50 / $c99 |"
done <"$work/results.peaks"
