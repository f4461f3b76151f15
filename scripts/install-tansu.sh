#!/usr/bin/env bash
# Installs the tansu Kafka-protocol broker used by the end-to-end tests, unless it is already
# installed at the pinned version with the pinned features (a stamp file beside the binary
# records them). The build takes 20-30 minutes on 2 cores, so an installed binary is always
# reused. `dynostore` brings the in-memory storage engine most tests use; `libsql` the SQLite
# storage that keeps SCRAM users across the restart that turns authentication on.
set -euo pipefail

TANSU_VERSION="0.6.0"
TANSU_FEATURES="dynostore,libsql"
bin="${CARGO_HOME:-$HOME/.cargo}/bin/tansu"
stamp="$bin.features"

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q " ${TANSU_VERSION}\$" \
  && [ "$(cat "$stamp" 2>/dev/null)" = "$TANSU_FEATURES" ]; then
  echo "tansu ${TANSU_VERSION} (${TANSU_FEATURES}) already installed at $bin"
  exit 0
fi

echo "installing tansu ${TANSU_VERSION} with ${TANSU_FEATURES} (one-off, 20-30 minutes on 2 cores)..."
cargo install tansu --version "${TANSU_VERSION}" --locked --features "${TANSU_FEATURES}" --force
echo "$TANSU_FEATURES" >"$stamp"
"$bin" --version
