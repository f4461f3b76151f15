#!/usr/bin/env bash
# The edge of issue 13 on the demo catalog (10,000 products, live trickle on), each in one run:
# 1. product pages over GET, spread over 1,000 products: straight to Vitrine, and through nginx
#    as a CDN (proxy_cache honouring Vitrine's Cache-Control, revalidating with its ETag):
#    throughput at the proxy and its hit ratio;
# 2. a listing of 48 products with gzip, with brotli and without compression, and a product page
#    (under the compression threshold) with and without gzip: req/s and body bytes per response;
# 3. a product page by persisted-query hash over GET vs the full document over POST.
# Vitrine is pinned to core 0; wrk (and nginx) to core 1.
# Usage: bench/edge.sh [seconds=5] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; conns="${2:-32}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }
cargo build --release --quiet --bin vitrine
source bench/common.sh

vport=18601; nport=18602
VITRINE_LOG__FILTER=warn taskset -c 0 target/release/vitrine --listen "127.0.0.1:$vport" >"$work/vitrine.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -sf "localhost:$vport/health/ready" >/dev/null && break; sleep 0.1; done

mkdir -p "$work/nginx/cache"
cat >"$work/nginx/nginx.conf" <<CONF
user $(id -un);
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  proxy_cache_path $work/nginx/cache keys_zone=vitrine:32m max_size=512m inactive=10m;
  upstream vitrine { server 127.0.0.1:$vport; keepalive 64; }
  server {
    listen 127.0.0.1:$nport;
    location /graphql {
      proxy_pass http://vitrine;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache vitrine;
      proxy_cache_key \$request_uri;
      proxy_cache_revalidate on;
      proxy_cache_lock on;
      add_header X-Cache-Status \$upstream_cache_status;
    }
  }
}
CONF
taskset -c 1 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log"
for _ in $(seq 1 50); do [ -s "$work/nginx/nginx.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/nginx/nginx.pid")")

pdp='query($id: ID!) { product(id: $id) { id title brand availableForSale priceRange { minVariantPrice { amount currencyCode } } variants { sku title price { amount currencyCode } compareAtPrice { amount } quantityAvailable availableForSale } } }'
urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
pdp_path="/graphql?query=$(urlq "$pdp")&variables=$(urlq '{"id":"__ID__"}')"
listing='{ products(first: 48, sortKey: PRICE, filter: {category: "women"}) { totalCount edges { node { id title brand priceRange { minVariantPrice { amount currencyCode } } } } } }'
listing_path="/graphql?query=$(urlq "$listing")"
hash=$(printf '%s' "$pdp" | sha256sum | cut -d' ' -f1)
ext=$(urlq "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"$hash\"}}")
# Register the document once (APQ), as a client would on its first miss.
curl -sf "localhost:$vport/graphql" -H 'content-type: application/json' \
  -d "$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "variables": {"id": "p000001"}, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sys.argv[2]}}}))' "$pdp" "$hash")" >/dev/null
apq_path="/graphql?extensions=$ext&variables=$(urlq '{"id":"__ID__"}')"
printf '{"query":"%s","variables":{"id":"__ID__"}}' "$(printf '%s' "$pdp" | sed 's/"/\\"/g')" >"$work/pdp.json"

get() { # name port path expect ids encoding
  BENCH_PATH="$3" BENCH_EXPECT="$4" BENCH_IDS="${5:-0}" BENCH_ENCODING="${6:-}" \
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/get.lua "http://127.0.0.1:$2" | grep '^BENCH' | sed "s/^BENCH/$1/"
}
post() { # name port body expect ids
  BENCH_BODY="$3" BENCH_EXPECT="$4" BENCH_IDS="${5:-0}" \
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$2/graphql" | grep '^BENCH' | sed "s/^BENCH/$1/"
}
if [ -n "${EDGE_DEBUG:-}" ]; then
  curl -s -D - -o /dev/null "http://127.0.0.1:$nport${pdp_path//__ID__/p000001}"; cat "$work/nginx/error.log"; exit 0
fi
echo "request bytes: full POST body $(wc -c <"$work/pdp.json"), GET by hash path ${#apq_path}, GET with the document path ${#pdp_path}"
get direct-get-spread1000 "$vport" "$pdp_path" '"id":"p0' 1000
get cdn-get-spread1000 "$nport" "$pdp_path" '"id":"p0' 1000
get cdn-get-hot "$nport" "$pdp_path" '"id":"p0' 1
get listing-plain "$vport" "$listing_path" '"totalCount"' 0 ""
get listing-gzip "$vport" "$listing_path" '"totalCount"' 0 "gzip"
get listing-br "$vport" "$listing_path" '"totalCount"' 0 "br"
get pdp-plain "$vport" "$pdp_path" '"id":"p0' 1000 ""
get pdp-gzip "$vport" "$pdp_path" '"id":"p0' 1000 "gzip"
get apq-get-by-hash "$vport" "$apq_path" '"id":"p0' 1000
post full-post "$vport" "$work/pdp.json" '"id":"p0' 1000
