#!/usr/bin/env bash
# A flash sale on the demo catalog (10,000 products): the request mix of bench/flash_sale.lua
# (70% product pages, 80% of them among 500 sale products; 25% listings, half memo-warm, half
# cold; 5% checkouts) on a still catalog, and under a stream of price and stock changes through
# the embedded cluster at 2,000/s and 20,000/s (the demo's trickle). One server at a time, on
# core 0, wrk on core 1, rounds interleaved; each run reads the views' lag (/health/ready) and
# the answer memo's counters (/metrics) before and after. Prints medians: throughput and its
# ratio to the still catalog, p50/p99, the largest lag seen, and the memo's hit / outdated /
# miss shares. Two more runs per round: `sale-open` (the 2,000/s stream, and half-way through,
# every variant of the 500 sale products repriced at once: examples/sale_open.rs) and
# `stream-20k+subs` (the 20,000/s stream with 1,000 WebSocket subscribers to price changes of 100
# sale SKUs, fed 200 updates/s, beside a bare rdkafka consumer of the same topic:
# examples/sub_latency.rs, on core 1 with wrk, so its req/s is not comparable to the others').
# BROKER=tansu: the gateway alone on core 0, reading a tansu broker that runs on core 1 with wrk
# and `vitrine feed --live` (the catalog published once, then the stream per run): what the
# stream costs the gateway itself, without the demo's in-process cluster and generator, which
# otherwise share its core. One storefront (the embedded demo serves two banners).
# GATEWAY_BIN: the gateway binary to measure (default target/release/vitrine). BASELINE=path: a
# second binary measured beside it, run by run in every round (rows `base:*`, and the ratio of
# each row to the baseline's). RUNS: the runs to make (default all five). SKIP_BUILD=1: build
# nothing (binaries already there).
# Usage: [BROKER=tansu] [GATEWAY_BIN=path] [BASELINE=path] [RUNS="still stream-20k"] \
#   bench/flash_sale.sh [seconds_per_run=10] [rounds=3] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"; rounds="${2:-3}"; conns="${3:-32}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet --bin vitrine --example sale_open --example sub_latency
source bench/common.sh
built="${GATEWAY_BIN:-target/release/vitrine}"
port=18390
broker="${BROKER:-embedded}"; kport=19393
if [ "$broker" = tansu ]; then
  start_tansu "$kport"; taskset -p -c 1 "${pids[-1]}" >/dev/null
  target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 10000 >"$work/feed.log" 2>&1
fi

memo() { # the answer memo's counters: hits outdated misses
  curl -s "localhost:$port/metrics" | awk '/^vitrine_memo_hits_total/{h=$2} /^vitrine_memo_outdated_total/{o=$2} /^vitrine_memo_misses_total/{m=$2} END{print h+0, o+0, m+0}'
}

run() { # name changes_per_ms [sale-open|subs]: the gateway, then the baseline (if any)
  case " ${RUNS:-still stream-2k stream-20k sale-open stream-20k+subs} " in *" $1 "*) ;; *) return 0 ;; esac
  gateway="$built" run_one "$@"
  if [ -n "${BASELINE:-}" ]; then gateway="$BASELINE" run_one "base:$1" "${@:2}"; fi
}
run_one() {
  local name=$1 per_ms=$2 extra=${3:-} interval=0 source=() feeder=""
  [ "$per_ms" -gt 0 ] && interval=1
  if [ "$broker" = tansu ]; then
    source=(--brokers "127.0.0.1:$kport"); interval=0
    if [ "$per_ms" -gt 0 ]; then
      taskset -c 1 target/release/vitrine feed --brokers "127.0.0.1:$kport" --products 10000 --live \
        --interval-ms 1 --per-tick "$per_ms" >"$work/feed-$name.log" 2>&1 & feeder=$!
      until grep -q "publishing live changes" "$work/feed-$name.log"; do sleep 0.1; done
    fi
  fi
  env VITRINE_DEMO__LIVE_INTERVAL_MS="$interval" VITRINE_DEMO__LIVE_CHANGES_PER_TICK="$per_ms" \
    VITRINE_LOG__FILTER=warn,vitrine::app=info VITRINE_SERVER__METRICS_UPKEEP_MS=100 \
    VITRINE_SERVER__MAX_CONNECTIONS_PER_CLIENT=0 VITRINE_SUBSCRIPTIONS__MAX_PER_CLIENT=100000 \
    taskset -c 0 "$gateway" "${source[@]}" --listen "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  local pid=$!
  until curl -sf "localhost:$port/health/ready" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "the gateway exited:"; head -5 "$work/$name.log"; exit 1; }
    sleep 0.1
  done
  # The embedded cluster's address, for the helpers that publish or consume beside Vitrine.
  local brokers; brokers=$(grep -o 'brokers="*[0-9.:,]*' "$work/$name.log" | head -1 | sed 's/brokers="*//')
  [ "$broker" = tansu ] && brokers="127.0.0.1:$kport"
  local helper=""
  case "$extra" in
    sale-open) ( sleep $((secs / 2)); taskset -c 1 target/release/examples/sale_open "$brokers" ) >>"$work/sale" 2>&1 & helper=$! ;;
    subs) taskset -c 1 target/release/examples/sub_latency "$brokers" "ws://127.0.0.1:$port/graphql" "$pid" vitrine.prices 1000 100 200 "$secs" >>"$work/subs" 2>&1 & helper=$!
          sleep 3 ;; # subscribers connected, the floor consumer assigned
  esac
  sleep 2 # the stream at its rate before measuring
  local before; before=$(memo)
  ( while sleep 0.5; do curl -s "localhost:$port/health/ready" | python3 -c 'import json,sys; h=json.load(sys.stdin); print(max(v["lagMs"] for v in h["views"].values()))' 2>/dev/null; done ) >"$work/lag-$name" &
  local watcher=$!
  taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/flash_sale.lua "http://127.0.0.1:$port/graphql" \
    | grep '^BENCH' | sed "s/^BENCH/BENCH $name/" >>"$work/results"
  kill "$watcher" 2>/dev/null || true
  if [ -n "$helper" ]; then wait "$helper"; fi
  local after; after=$(memo)
  echo "MEMO $name $before $after $(sort -n "$work/lag-$name" | tail -1)" >>"$work/memo"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ -n "$feeder" ]; then kill -TERM "$feeder"; wait "$feeder" 2>/dev/null || true; fi  # SIGINT is ignored by background jobs
}
: >"$work/results"; : >"$work/memo"
for _ in $(seq 1 "$rounds"); do
  run still 0
  run stream-2k 2
  run stream-20k 20
  run sale-open 2 sale-open
  run stream-20k+subs 20 subs
done
grep -h SALE_OPEN "$work/sale" || true
python3 - "$work/results" "$work/memo" "$work/subs" <<'PY'
import statistics, sys
sys.path.insert(0, "bench")
from wrk_rows import load
rows, med = load(sys.argv[1])
memo = {}
for line in open(sys.argv[2]):
    p = line.split()
    name, b, a = p[1], list(map(float, p[2:5])), list(map(float, p[5:8]))
    lag = float(p[8]) if len(p) > 8 else 0.0
    d = [x - y for x, y in zip(a, b)]
    total = sum(d) or 1.0
    memo.setdefault(name, []).append((d[0] / total, d[1] / total, d[2] / total, lag))
print("| catalog | req/s | vs still | p50 ms | p99 ms | max lag ms | memo hit | outdated | miss |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
names = [n for n in ["still", "stream-2k", "stream-20k", "sale-open", "stream-20k+subs"] if n in memo]
names += ["base:" + n for n in names if "base:" + n in memo]
for name in names:
    m = memo[name]
    still = med("base:still" if name.startswith("base:") else "still", "rps")
    share = lambda i: statistics.median(x[i] for x in m)
    print(f"| {name} | {med(name,'rps'):.0f} | {med(name,'rps')/still:.2f} | {med(name,'p50_us')/1000:.2f} | {med(name,'p99_us')/1000:.2f} | {share(3):.0f} | {share(0):.0%} | {share(1):.0%} | {share(2):.0%} |")
pairs = [n for n in names if not n.startswith("base:") and "base:" + n in memo]
if pairs:
    print("this build / baseline, req/s: " + ", ".join(f"{n} {med(n,'rps') / med('base:' + n,'rps'):.2f}" for n in pairs))
floor, subs = [], []
import os
for line in (open(sys.argv[3]) if os.path.exists(sys.argv[3]) else []):
    cells = [c.strip() for c in line.split("|")]
    if len(cells) > 4 and cells[1].startswith("bare"):
        floor.append((float(cells[3]), float(cells[4])))
    if len(cells) > 4 and cells[1].startswith("vitrine subscriber"):
        subs.append((float(cells[3]), float(cells[4])))
if subs:
    m = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"subscribers (1,000, under the 20,000/s stream): p50 {m(subs,0):.2f} ms, p99 {m(subs,1):.2f} ms; "
          f"bare consumer p50 {m(floor,0):.2f} ms, p99 {m(floor,1):.2f} ms; p99 over the floor {m(subs,1) - m(floor,1):.2f} ms")
PY
