#!/usr/bin/env bash
# Start-up of a large catalog (default 200,000 products, ~1 million variants: ~2.2M messages
# over products, prices and inventory), each figure beside the floor in the same run: a bare
# rdkafka consumer with Vitrine's consumer settings reading the same topics from the same broker.
# - Full replay from a tansu in memory (which serves ~1.8M msg/s, so the broker is not the
#   limit): time to ready, its rate against the floor's, peak RSS; then SIGTERM and the time
#   the shutdown snapshot takes.
# - Ready from that snapshot: against a second tansu on SQLite fed the same records (tansu's
#   memory engine reports high watermarks that trail the log's end, which refuses a snapshot
#   taken at the end), so only the snapshot is loaded and nothing replayed.
# With a BASELINE binary (e.g. built from an older commit), each round runs it too,
# interleaved. APPLY_WORKERS=N sets kafka.apply_workers for this build (0: one per core).
# Usage: bench/bootstrap.sh [products=200000] [rounds=1] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
products="${1:-200000}"; rounds="${2:-1}"; baseline="${3:-}"
cargo build --release --quiet --bin vitrine --example bare_consume
source bench/common.sh

mport=19491; sport=19492; hport=18580
start_tansu "$mport"
TANSU_STORAGE=sqlite start_tansu "$sport"
for port in "$mport" "$sport"; do
  start=$(date +%s.%N)
  target/release/vitrine feed --brokers "127.0.0.1:$port" --products "$products" >"$work/feed.log" 2>&1
  echo "fed $products products to :$port in $(echo "$(date +%s.%N) - $start" | bc) s: $(grep -o 'records=[0-9]*' "$work/feed.log" | head -1)"
done

# Starts vitrine on the broker at PORT, waits for ready; prints seconds to ready, peak RSS and
# the health report's counts.
# The process baseline in KiB (VmRSS with nothing loaded), for bytes per variant above it.
base_kib=0
run_vitrine() { # label port binary [env...]
  local label=$1 port=$2 bin=$3 t0; shift 3; t0=$(date +%s.%N)
  env VITRINE_KAFKA__FETCH_WAIT_MAX_MS=10 VITRINE_LOG__FILTER=warn VITRINE_SNAPSHOT__DIR="$work/snapshots" \
    VITRINE_SNAPSHOT__INTERVAL_SECS=0 "$@" \
    "$bin" --brokers "127.0.0.1:$port" --listen "127.0.0.1:$hport" >"$work/vitrine-$label.log" 2>&1 &
  vpid=$!; pids+=($vpid)
  until curl -sf "localhost:$hport/health/ready" >"$work/health-$label.json" 2>/dev/null; do sleep 0.02; done
  local ready; ready=$(echo "$(date +%s.%N) - $t0" | bc)
  local hwm; hwm=$(grep VmHWM /proc/$vpid/status | awk '{print $2}')
  python3 - "$label" "$ready" "$hwm" "$work/health-$label.json" "$base_kib" <<'PY'
import json, sys
label, ready, hwm, path, base = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
h = json.load(open(path))
msgs = sum(v["ingest"]["applied"] + v["ingest"]["stale"] + v["ingest"]["deleted"] + v["ingest"]["malformed"] for v in h["views"].values())
snap = h.get("snapshot") or {}
from_kafka = msgs - (snap.get("records") or 0)
variants = h["views"]["prices"]["records"]
print(f"RUN {label} ready_s={ready:.2f} rate={from_kafka / ready:.0f} peak_rss_mib={hwm/1024:.0f} bytes_per_variant_above_baseline={(hwm - base) * 1024 / variants:.0f} variants={variants} snapshot_records={snap.get('records', 0)} snapshot_load_ms={snap.get('loadMs', 0)} kafka_messages={from_kafka}")
PY
}

# VmRSS of a Vitrine that has loaded nothing (no broker answers): the process baseline.
baseline_rss() {
  env VITRINE_LOG__FILTER=error target/release/vitrine --brokers 127.0.0.1:1 --listen "127.0.0.1:$hport" >/dev/null 2>&1 &
  local p=$!
  until curl -s "localhost:$hport/health/live" >/dev/null; do sleep 0.05; done; sleep 1
  grep VmRSS "/proc/$p/status" | awk '{print $2}'; kill "$p"; wait "$p" 2>/dev/null || true
}

one_binary() { # label-prefix binary [env...]
  local prefix=$1 bin=$2; shift 2
  rm -rf "$work/snapshots"
  run_vitrine "${prefix}replay" "$mport" "$bin" "$@"
  local t0; t0=$(date +%s.%N); kill -TERM "$vpid"; wait "$vpid" || true
  echo "${prefix}snapshot written on shutdown (SIGTERM to exit) in $(echo "$(date +%s.%N) - $t0" | bc) s: $(du -h "$work"/snapshots/*.snap.zst | cut -f1)"
  run_vitrine "${prefix}snapshot" "$sport" "$bin" "$@"
  kill -KILL "$vpid"; wait "$vpid" 2>/dev/null || true
}
topics=(vitrine.products vitrine.prices vitrine.inventory vitrine.intl)
for _ in $(seq 1 "$rounds"); do
  # The floor with Vitrine's settings (2 MiB queued per partition), and at its fastest (16 MiB).
  target/release/examples/bare_consume "127.0.0.1:$mport" "${topics[@]}"
  BARE_CONFIG=queued.max.messages.kbytes=16384 target/release/examples/bare_consume "127.0.0.1:$mport" "${topics[@]}" | sed 's/^BARE/BARE-16MiB/'
  base_kib=$(baseline_rss); echo "process baseline: VmRSS $base_kib KiB before any record"
  [ -n "$baseline" ] && one_binary baseline- "$baseline"
  one_binary "" target/release/vitrine VITRINE_KAFKA__APPLY_WORKERS="${APPLY_WORKERS:-0}"
done
