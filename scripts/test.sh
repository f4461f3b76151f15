#!/usr/bin/env bash
# The whole test suite: installs the test broker when missing, then runs every test
# (unit, in-process over librdkafka's mock cluster, and end-to-end on a real tansu broker).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tansu.sh
# The reference graphql-ws client for the subscription interop test (Node.js from the machine).
command -v npm >/dev/null || { echo "Node.js and npm are required (the graphql-ws interop test)"; exit 1; }
npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
export TANSU_BIN="${TANSU_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/tansu}"
cargo test --locked "$@"
