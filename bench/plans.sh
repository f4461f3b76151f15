#!/usr/bin/env bash
# Compiled plans (issue 10): product pages and a checkout, side by side in one run with a plain
# axum endpoint returning a same-size static body (the ceiling), rounds interleaved. Servers
# pinned to core 0, wrk (one thread) to core 1; every response checked (200, expected text).
#
# Usage: bench/plans.sh [seconds_per_round=5] [rounds=3] [connections=32]
#
# Rows (demo catalog: 10,000 products; "spread" = a random product of all 10,000 per request):
#   ceiling-pdp / ceiling-checkout   static bodies of the same size
#   pdp-hot                          one product, memo on (the default)
#   pdp-spread-nomemo                spread, memo off, planner on: every request computed
#   pdp-spread-nomemo-agql           the same through async-graphql (planner off): the baseline
#   pdp-spread-revisit               memo on, products drawn from the first 2 x (last round's
#                                    nomemo req/s): each revisited every ~2 s on average
#   checkout-gb                      a 10-line cart priced in GB, planner on
#   checkout-gb-agql                 the same through async-graphql
# Then p50/p99 at half of each row's peak, open loop (examples/fixed_rate.rs), bodies varied alike.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-3}"; conns="${3:-32}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin vitrine --example static_ceiling --example fixed_rate
source bench/common.sh

start_vitrine() { # port, extra env...
  local port=$1; shift
  env VITRINE_DEMO__LIVE_INTERVAL_MS=0 VITRINE_LOG__FILTER=warn "$@" taskset -c 0 \
    target/release/vitrine --listen "127.0.0.1:$port" >"$work/vitrine-$port.log" 2>&1 &
  pids+=($!); on_core0+=($!)
  for _ in $(seq 1 300); do
    curl -sf "localhost:$port/health/ready" >/dev/null && return 0
    sleep 0.1
  done
  cat "$work/vitrine-$port.log"; exit 1
}
start_vitrine 18080
start_vitrine 18081 VITRINE_GRAPHQL__MEMO_ENTRIES=0
start_vitrine 18082 VITRINE_GRAPHQL__MEMO_ENTRIES=0 VITRINE_GRAPHQL__PLANNER=off

pdp_query='query Pdp($id: ID!) { product(id: $id) { id title brand description categories images hsCode publishedAt availableForSale priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } } variants { sku title size color price { amount currencyCode } compareAtPrice { amount currencyCode } quantityAvailable availableForSale } } }'
printf '{"query":"%s","variables":{"id":"p000042"},"operationName":"Pdp"}' "$pdp_query" >"$work/pdp.json"
printf '{"query":"%s","variables":{"id":"__ID__"},"operationName":"Pdp"}' "$pdp_query" >"$work/pdp-spread.json"
lines=$(for i in $(seq 1 10); do printf '{"sku":"p%06d-0","quantity":1},' "$((i * 97))"; done)
checkout_query='query Cart($lines: [CheckoutLineInput!]!) { checkout(country: \"GB\", lines: $lines) { currencyCode lines { sku quantity unitPrice { amount currencyCode } lineTotal { amount } duty { amount } tax { amount } unavailable { available } } subtotal { amount } duties { amount } taxes { amount } shipping { amount } total { amount currencyCode } } }'
printf '{"query":"%s","variables":{"lines":[%s]}}' "$checkout_query" "${lines%,}" >"$work/checkout.json"

for kind in pdp checkout; do
  curl -sf -H 'content-type: application/json' --data @"$work/$kind.json" \
    localhost:18080/graphql >"$work/$kind.out"
  if grep -q '"errors"' "$work/$kind.out"; then echo "query failed: $(cat "$work/$kind.out")"; exit 1; fi
  port=$([ "$kind" = pdp ] && echo 18090 || echo 18091)
  taskset -c 0 target/release/examples/static_ceiling "$work/$kind.out" "127.0.0.1:$port" &
  pids+=($!); on_core0+=($!)
done
sleep 0.5
echo "body bytes: pdp=$(wc -c <"$work/pdp.out") checkout=$(wc -c <"$work/checkout.out"); ${secs}s x ${rounds} rounds, ${conns} connections"

run() { # name port body expect [ids]
  BENCH_BODY="$3" BENCH_EXPECT="$4" BENCH_IDS="${5:-0}" \
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$2/graphql" \
    | grep '^BENCH' | sed "s/^BENCH/BENCH $1/" | tee -a "$work/results"
}

: >"$work/results"
revisit=10000
for _ in $(seq 1 "$rounds"); do
  run ceiling-pdp 18090 "$work/pdp.json" '"p000042"'
  run pdp-hot 18080 "$work/pdp.json" '"p000042"'
  run pdp-spread-nomemo 18081 "$work/pdp-spread.json" '"id":"p0' 10000
  rps=$(tail -n 1 "$work/results" | sed 's/.*rps=\([0-9.]*\).*/\1/')
  revisit=$(python3 -c "print(max(1000, min(10000, int(2 * $rps))))")
  run pdp-spread-nomemo-agql 18082 "$work/pdp-spread.json" '"id":"p0' 10000
  run pdp-spread-revisit 18080 "$work/pdp-spread.json" '"id":"p0' "$revisit"
  run ceiling-checkout 18091 "$work/checkout.json" '"GBP"'
  run checkout-gb 18081 "$work/checkout.json" '"GBP"'
  run checkout-gb-agql 18082 "$work/checkout.json" '"GBP"'
done
echo "pdp-spread-revisit drew from the first $revisit products (last round)"

python3 - "$work/results" <<'PY' | tee "$work/table"
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    f = dict(kv.split("=") for kv in parts[2:])
    rows.setdefault(parts[1], []).append(f)
    if int(f["errors"]) or int(f["bad_bodies"]):
        sys.exit(f"{parts[1]}: {f['errors']} errors, {f['bad_bodies']} bad bodies")
med = lambda name, k: statistics.median(float(r[k]) for r in rows[name])
print("\n| row | median req/s | p50 ms | p99 ms | vs ceiling |")
print("|---|---:|---:|---:|---:|")
for name in rows:
    ceiling = "ceiling-checkout" if "checkout" in name else "ceiling-pdp"
    print(f"| {name} | {med(name,'rps'):.0f} | {med(name,'p50_us')/1000:.2f} | {med(name,'p99_us')/1000:.2f} | {med(name,'rps') / med(ceiling,'rps'):.0%} |")
for name in rows:
    if not name.startswith("ceiling"):
        print(f"PEAK {name} {med(name,'rps'):.0f}")
PY

# p50/p99 at half of each row's peak: open loop at a fixed rate (examples/fixed_rate.rs on core
# 1), latency from each request's due time; the ceiling measured at the same rate beside it;
# medians of `rounds` runs.
echo; echo "| row | rate req/s | p50 ms | p99 ms | ceiling p50 / p99 ms at that rate |"; echo "|---|---:|---:|---:|---:|"
grep '^PEAK' "$work/table" | while read -r _ name peak; do
  ids=0
  case "$name" in
    pdp-hot) port=18080; body=pdp; ceiling=18090; expect='"variants"' ;;
    pdp-spread-nomemo) port=18081; body=pdp-spread; ids=10000; ceiling=18090; expect='"variants"' ;;
    pdp-spread-revisit) port=18080; body=pdp-spread; ids=$revisit; ceiling=18090; expect='"variants"' ;;
    checkout-gb) port=18081; body=checkout; ceiling=18091; expect='"GBP"' ;;
    *) continue ;;
  esac
  rate=$(python3 -c "print(int($peak / 2))")
  out=$(BENCH_IDS=$ids fixed_rate_rounds "$rounds" "$port" "$ceiling" "$work/$body.json" "$rate" "$secs" "$expect")
  read -r p50 p99 c50 c99 <<<"$out"
  echo "| $name | $rate | $p50 | $p99 | $c50 / $c99 |"
done
