#!/usr/bin/env bash
# Runs every fuzz target (cargo fuzz / libFuzzer) for a bounded time on the checked-in seed
# corpus, failing on any panic, hang (-timeout) or allocation past the bound (-malloc_limit_mb).
# Usage: scripts/fuzz.sh [seconds per target, default 20]. New inputs go to a temporary
# directory; a crashing input is kept under fuzz/artifacts/TARGET/.
# cargo-fuzz drives nightly-only rustc flags; RUSTC_BOOTSTRAP lets the stable toolchain accept
# them (no sanitizer: the code is safe Rust, and builds stay short).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
if ! command -v cargo-fuzz >/dev/null; then
  echo "installing cargo-fuzz (one-off)..."
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none --release 2>&1 | tail -n 1
failed=0
targets=(decode_event snapshot_reader graphql_request framed_value)
for target in "${targets[@]}"; do
  work="$(mktemp -d)"
  dict=()
  [ "$target" = graphql_request ] && dict=(-dict=fuzz/dict/graphql.dict)
  if cargo fuzz run -s none --release "$target" "$work" "fuzz/corpus/$target" -- \
      "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=512 >"$work.log" 2>&1; then
    echo "fuzz $target: $(grep -E '^Done' "$work.log" | tail -n 1)"
  else
    failed=$((failed + 1))
    echo "fuzz $target FAILED; the input is under fuzz/artifacts/$target/:"
    grep -E 'panicked|ERROR|SUMMARY|deadly signal|Test unit written' "$work.log" | head -n 20 || true
  fi
  rm -rf "$work" "$work.log"
done
echo "fuzz targets: $((${#targets[@]} - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
