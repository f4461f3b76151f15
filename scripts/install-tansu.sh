#!/usr/bin/env bash
# Installs the tansu Kafka-protocol broker used by the end-to-end tests, unless it is already
# installed at the pinned version. The build takes 10-20 minutes on 2 cores, so an installed
# binary is always reused. `dynostore` brings the in-memory storage engine the tests use.
set -euo pipefail

TANSU_VERSION="0.6.0"
bin="${CARGO_HOME:-$HOME/.cargo}/bin/tansu"

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q " ${TANSU_VERSION}\$"; then
  echo "tansu ${TANSU_VERSION} already installed at $bin"
  exit 0
fi

echo "installing tansu ${TANSU_VERSION} (one-off, 10-20 minutes on 2 cores)..."
cargo install tansu --version "${TANSU_VERSION}" --locked --features dynostore
"$bin" --version
