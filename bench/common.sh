# Shared by the benchmark scripts (sourced): a work directory, processes stopped on exit, and a
# tansu broker on a loopback port.
work=$(mktemp -d); pids=()
# The servers sharing core 0; fixed_rate_rounds pauses all but the two it measures.
on_core0=()
# Vitrine on a real Kafka refuses to start without a quote-signing secret.
export VITRINE_CHECKOUT__QUOTE_SECRET="${VITRINE_CHECKOUT__QUOTE_SECRET:-bench-quote-secret}"
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; kill -CONT "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# start_tansu PORT: a tansu broker on 127.0.0.1:PORT, logging to $work/tansu.log; in memory, or
# with TANSU_STORAGE=sqlite on SQLite in $work (tansu's memory engine answers ListOffsets LATEST
# with the newest batch's base offset + 1, so benches that restart from Vitrine's own snapshot,
# whose offsets are checked against the log end, need SQLite).
start_tansu() {
  scripts/install-tansu.sh >/dev/null
  local tansu="${TANSU_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/tansu}" url="tcp://127.0.0.1:$1"
  local storage="memory://tansu/"
  [ "${TANSU_STORAGE:-memory}" = sqlite ] && storage="sqlite://tansu.db"
  (cd "$work" && exec "$tansu" broker --listener-url "$url" --advertised-listener-url "$url" \
    --storage-engine "$storage") >"$work/tansu.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "tansu did not start"; cat "$work/tansu.log"; exit 1
}

# fixed_rate PORT BODY RATE SECONDS [EXPECT] -> "p50_ms p99_ms": an open-loop run at RATE req/s
# (examples/fixed_rate.rs on core 1, latency from each request's due time; BENCH_IDS and
# BENCH_CHOICES vary the body as in post.lua). Fails on any bad answer.
fixed_rate() {
  local line
  line=$(taskset -c 1 target/release/examples/fixed_rate "127.0.0.1:$1" /graphql "$2" "$3" "$4" 64 "${5:-}")
  echo "$line" >>"$work/fixed.log"
  python3 - "$line" <<'PY'
import sys
f = dict(kv.split("=") for kv in sys.argv[1].split()[1:])
if int(f["bad"]) or f["sent"] != f["answered"]:
    sys.exit(f"fixed_rate: {sys.argv[1]}")
print(f"{int(f['p50_us'])/1000:.2f} {int(f['p99_us'])/1000:.2f}")
PY
}

# listening PORT -> the pid listening on 127.0.0.1:PORT.
listening() { ss -Htlnp "sport = :$1" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2; }

# fixed_rate_rounds ROUNDS PORT CEILING_PORT BODY RATE SECONDS [EXPECT] -> "p50 p99 c50 c99":
# medians over ROUNDS runs, each server run beside a ceiling run at the same rate (this
# machine's tails are noisy: one run's p99 can be twice the next one's).
fixed_rate_rounds() {
  local rounds=$1 port=$2 ceiling=$3 runs=() out keep p
  shift 3
  # Only the measured server and its ceiling run on core 0 meanwhile: the other servers' idle
  # work (consumers polling, timers) would otherwise land in this one's tail.
  keep=" $(listening "$port") $(listening "$ceiling") "
  for p in "${on_core0[@]}"; do [[ "$keep" == *" $p "* ]] || kill -STOP "$p" 2>/dev/null || true; done
  for _ in $(seq 1 "$rounds"); do
    out=$(fixed_rate "$port" "$@"); runs+=("$out")
    out=$(BENCH_IDS=0 BENCH_CHOICES='' fixed_rate "$ceiling" "$1" "$2" "$3"); runs+=("$out")
  done
  for p in "${on_core0[@]}"; do kill -CONT "$p" 2>/dev/null || true; done
  python3 -c '
import statistics, sys
v = [list(map(float, r.split())) for r in sys.argv[1:]]
own, ceiling = v[0::2], v[1::2]
m = lambda rows, i: statistics.median(r[i] for r in rows)
print(f"{m(own,0):.2f} {m(own,1):.2f} {m(ceiling,0):.2f} {m(ceiling,1):.2f}")' "${runs[@]}"
}
