#!/usr/bin/env bash
# The whole test suite: installs the test broker when missing, then runs every test
# (unit, in-process over librdkafka's mock cluster, and end-to-end on a real tansu broker).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tansu.sh
# Debian's Chromium for the GraphiQL browser test (playwright-core drives it; no test tool
# downloads a browser of its own), stunnel4, the TLS front of the secured-Kafka test, and the
# sqlite3 shell, which grows a topic in tansu's store (tansu 0.6 has no CreatePartitions).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v stunnel4 >/dev/null || command -v stunnel >/dev/null || missing+=(stunnel4)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
# nginx as a CDN stand-in (a price change shows through its proxy_cache within max-age).
command -v nginx >/dev/null || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Node.js test tools: the graphql-ws client, graphql-http's audit suite, playwright-core.
command -v npm >/dev/null || { echo "Node.js and npm are required (the graphql-ws interop test)"; exit 1; }
npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
# Confluent's Python serializers for the Avro/Protobuf test (tests/e2e/formats.rs), pinned, in a
# virtualenv of the project's own (kept between runs; reinstalled when the pins change).
venv=tests/interop/.venv
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/interop/requirements.txt "$venv/requirements.txt"; then
  command -v python3 >/dev/null || { echo "python3 is required (the Avro/Protobuf interop test)"; exit 1; }
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  cp tests/interop/requirements.txt "$venv/requirements.txt"
fi
export TANSU_BIN="${TANSU_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/tansu}"
cargo test --locked "$@"
