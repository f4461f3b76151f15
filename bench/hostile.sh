#!/usr/bin/env bash
# Server CPU per hostile request next to a product page, on the demo catalog (10k products).
# Usage: bench/hostile.sh [requests_per_kind=200]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin vitrine
source bench/common.sh
port=18090
VITRINE_DEMO__LIVE_INTERVAL_MS=0 VITRINE_LOG__FILTER=warn taskset -c 0 \
  target/release/vitrine --listen "127.0.0.1:$port" >"$work/vitrine.log" 2>&1 &
pid=$!; pids+=("$pid")
for _ in $(seq 1 300); do curl -sf "localhost:$port/health/ready" >/dev/null && break; sleep 0.1; done
taskset -c 1 python3 bench/hostile.py "127.0.0.1:$port" "$pid" "${1:-200}"
