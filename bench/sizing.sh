#!/usr/bin/env bash
# Memory per variant, for docs/operations.md#sizing: the demo with N products (one storefront,
# no live changes) bulk-loaded through the decode-and-apply path, then the process's peak RSS
# (VmHWM: the bulk load's peak) and its RSS once ready and the listing indexes are in (steady),
# each divided by the variants held. (Snapshot sizes: bench/bootstrap.sh, on a real broker.)
# Usage: bench/sizing.sh [products=200000]
set -euo pipefail
cd "$(dirname "$0")/.."
products="${1:-200000}"
cargo build --release --quiet --bin vitrine
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
port=18477
start() {
  env VITRINE_DEMO__PRODUCTS="$products" VITRINE_DEMO__BANNERS=false VITRINE_DEMO__LIVE_INTERVAL_MS=0 \
    VITRINE_LOG__FILTER=warn \
    target/release/vitrine --listen "127.0.0.1:$port" >"$work/log" 2>&1 &
  pid=$!
  local t0; t0=$(date +%s.%N)
  until curl -sf "localhost:$port/health/ready" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log"; exit 1; }
    sleep 0.05
  done
  ready_s=$(echo "$(date +%s.%N) - $t0" | bc)
  sleep 15 # the listing indexes are rebuilt on their own thread after a bulk load
}
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
report() { # label
  local variants hwm rss
  variants=$(curl -s "localhost:$port/health/ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["views"]["prices"]["records"])')
  hwm=$(kib VmHWM); rss=$(kib VmRSS)
  echo "$1: variants=$variants ready_s=$ready_s peak_rss_mib=$((hwm / 1024)) steady_rss_mib=$((rss / 1024)) peak_bytes_per_variant=$((hwm * 1024 / variants)) steady_bytes_per_variant=$((rss * 1024 / variants))"
  echo "$variants" >"$work/variants"
}
start; report "bulk load of the demo catalog"
kill -TERM "$pid"; wait "$pid" || true
