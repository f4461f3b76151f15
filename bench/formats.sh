#!/usr/bin/env bash
# Replay of one catalog (default 200,000 products, ~1 million variants) published as JSON, as
# Avro and as Protobuf (`vitrine feed --format`, the contract's schemas, Confluent's framing)
# to one tansu in memory, with bench/registry.py as the schema registry: bytes on the topics
# per format (what the feed queued), and for each round a full replay to ready per format,
# interleaved, with its rate (Kafka messages / seconds to ready).
# Usage: bench/formats.sh [products=200000] [rounds=2]
set -euo pipefail
cd "$(dirname "$0")/.."
products="${1:-200000}"; rounds="${2:-2}"
cargo build --release --quiet --bin vitrine
source bench/common.sh

port=19591; rport=18581; hport=18582
start_tansu "$port"
python3 bench/registry.py "$rport" & pids+=($!)
until curl -s "localhost:$rport/schemas/ids/1" >/dev/null; do sleep 0.05; done

topics_env() { # format -> the env naming its topics
  echo "VITRINE_TOPICS__PRODUCTS=$1.products VITRINE_TOPICS__PRICES=$1.prices" \
    "VITRINE_TOPICS__INVENTORY=$1.inventory VITRINE_TOPICS__INTL=$1.intl VITRINE_TOPICS__RESERVATIONS="
}
for format in json avro protobuf; do
  env $(topics_env $format) VITRINE_LOG__FORMAT=json target/release/vitrine feed \
    --brokers "127.0.0.1:$port" --products "$products" --format "$format" \
    --registry "http://127.0.0.1:$rport" >"$work/feed-$format.log" 2>&1
  bytes=$(grep -o '"value_bytes":[0-9]*' "$work/feed-$format.log" | head -1 | cut -d: -f2)
  records=$(grep -o '"records":[0-9]*' "$work/feed-$format.log" | head -1 | cut -d: -f2)
  echo "FED $format records=$records value_bytes=$bytes bytes_per_record=$((bytes / records))"
done

for round in $(seq 1 "$rounds"); do
  for format in json avro protobuf; do
    t0=$(date +%s.%N)
    env $(topics_env $format) VITRINE_FORMATS__DEFAULT="$format" \
      VITRINE_SCHEMA_REGISTRY__URL="http://127.0.0.1:$rport" VITRINE_KAFKA__FETCH_WAIT_MAX_MS=10 \
      VITRINE_LOG__FILTER=warn target/release/vitrine --brokers "127.0.0.1:$port" \
      --listen "127.0.0.1:$hport" >"$work/vitrine-$format.log" 2>&1 &
    vpid=$!; pids+=($vpid)
    until curl -sf "localhost:$hport/health/ready" >"$work/health.json" 2>/dev/null; do sleep 0.02; done
    ready=$(echo "$(date +%s.%N) - $t0" | bc)
    python3 - "$round" "$format" "$ready" "$work/health.json" <<'PY'
import json, sys
round_, fmt, ready, path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
h = json.load(open(path))
views = h["views"]
msgs = sum(v["ingest"]["applied"] + v["ingest"]["stale"] + v["ingest"]["deleted"] + v["ingest"]["malformed"] for v in views.values())
bad = sum(v["ingest"]["malformed"] for v in views.values())
print(f"RUN round={round_} format={fmt} ready_s={ready:.2f} rate={msgs / ready:.0f} messages={msgs} malformed={bad} variants={views['prices']['records']}")
PY
    kill -KILL "$vpid"; wait "$vpid" 2>/dev/null || true
  done
done
