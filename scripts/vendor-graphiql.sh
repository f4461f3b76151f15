#!/usr/bin/env bash
# Produces assets/graphiql/: the production browser bundles of GraphiQL, React, ReactDOM and
# graphql-ws, from their npm packages at pinned versions, with their licence files. Vitrine
# embeds them (src/server/graphiql.rs) and serves them itself, so GraphiQL needs no CDN.
# Rerun after changing a version below, then commit assets/graphiql/.
set -euo pipefail
cd "$(dirname "$0")/.."

GRAPHIQL=3.8.3      # the last GraphiQL with a UMD build (4.x and later are ESM only)
REACT=18.3.1        # the last React with UMD builds
GRAPHQL_WS=5.16.2   # the 5.x line ships a UMD build
GRAPHQL=16.11.0     # peer dependency of graphiql (bundled into graphiql.min.js)

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error \
  "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" "graphql-ws@$GRAPHQL_WS" "graphql@$GRAPHQL")
m="$work/node_modules"
out=assets/graphiql
rm -rf "$out"; mkdir -p "$out/licenses"
cp "$m/graphiql/graphiql.min.js" "$m/graphiql/graphiql.min.css" "$out/"
cp "$m/react/umd/react.production.min.js" "$m/react-dom/umd/react-dom.production.min.js" "$out/"
cp "$m/graphql-ws/umd/graphql-ws.min.js" "$out/"
cp "$m/graphiql/LICENSE" "$out/licenses/graphiql.LICENSE"
cp "$m/react/LICENSE" "$out/licenses/react.LICENSE"
cp "$m/react-dom/LICENSE" "$out/licenses/react-dom.LICENSE"
cp "$m/graphql-ws/LICENSE.md" "$out/licenses/graphql-ws.LICENSE.md"
cp "$m/graphql/LICENSE" "$out/licenses/graphql.LICENSE"
cat >"$out/VERSIONS" <<TXT
graphiql $GRAPHIQL
react $REACT
react-dom $REACT
graphql-ws $GRAPHQL_WS
graphql $GRAPHQL
TXT
ls -la "$out"
