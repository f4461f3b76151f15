#!/usr/bin/env bash
# Time to ready for a large catalog (default 200,000 products, ~1 million variants: ~2.2M
# messages over products, prices and inventory) from a full topic replay and from Vitrine's own
# snapshot, with peak memory, and the replay's ingest rate beside a bare rdkafka consumer
# reading the same topics from the same tansu broker (the floor).
# With a BASELINE binary (e.g. built from an older commit), each round runs it too, interleaved,
# on the same broker and topics.
# Usage: bench/bootstrap.sh [products=200000] [rounds=1] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
products="${1:-200000}"; rounds="${2:-1}"; baseline="${3:-}"
cargo build --release --quiet --bin vitrine --example bare_consume
source bench/common.sh

kport=19492; hport=18580
TANSU_STORAGE=sqlite start_tansu "$kport"
start=$(date +%s.%N)
target/release/vitrine feed --brokers "127.0.0.1:$kport" --products "$products" >"$work/feed.log" 2>&1
echo "fed $products products in $(echo "$(date +%s.%N) - $start" | bc) s: $(grep -o 'records=[0-9]*' "$work/feed.log" | head -1)"

# Starts vitrine, waits for ready; prints seconds to ready, peak RSS and the health report.
run_vitrine() { # label [binary]
  local t0 bin="${2:-target/release/vitrine}"; t0=$(date +%s.%N)
  VITRINE_KAFKA__FETCH_WAIT_MAX_MS=10 VITRINE_LOG__FILTER=warn VITRINE_SNAPSHOT__DIR="$work/snapshots" \
    VITRINE_SNAPSHOT__INTERVAL_SECS=0 \
    "$bin" --brokers "127.0.0.1:$kport" --listen "127.0.0.1:$hport" >"$work/vitrine-$1.log" 2>&1 &
  vpid=$!; pids+=($vpid)
  until curl -sf "localhost:$hport/health/ready" >"$work/health-$1.json" 2>/dev/null; do sleep 0.05; done
  local ready; ready=$(echo "$(date +%s.%N) - $t0" | bc)
  local hwm; hwm=$(grep VmHWM /proc/$vpid/status | awk '{print $2}')
  python3 - "$1" "$ready" "$hwm" "$work/health-$1.json" <<'PY'
import json, sys
label, ready, hwm, path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
h = json.load(open(path))
msgs = sum(v["ingest"]["applied"] + v["ingest"]["stale"] + v["ingest"]["deleted"] + v["ingest"]["malformed"] for v in h["views"].values())
snap = h.get("snapshot") or {}
from_kafka = msgs - (snap.get("records") or 0)
variants = h["views"]["prices"]["records"]
print(f"RUN {label} ready_s={ready:.2f} peak_rss_mib={hwm/1024:.0f} variants={variants} snapshot_records={snap.get('records', 0)} snapshot_load_ms={snap.get('loadMs', 0)} kafka_messages={from_kafka}")
PY
}

one_binary() { # label-prefix binary
  rm -rf "$work/snapshots"
  run_vitrine "${1}replay" "$2"
  t0=$(date +%s.%N); kill -TERM "$vpid"; wait "$vpid" || true
  echo "${1}snapshot written on shutdown in $(echo "$(date +%s.%N) - $t0" | bc) s: $(du -h "$work"/snapshots/*.snap.zst | cut -f1)"
  run_vitrine "${1}snapshot" "$2"
  kill -TERM "$vpid"; wait "$vpid" || true
}
for r in $(seq 1 "$rounds"); do
  target/release/examples/bare_consume "127.0.0.1:$kport" vitrine.products vitrine.prices vitrine.inventory vitrine.intl
  [ -n "$baseline" ] && one_binary baseline- "$baseline"
  one_binary "" target/release/vitrine
done
