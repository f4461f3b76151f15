-- wrk script: GET $BENCH_PATH (a URL path with query string; __ID__ is replaced by a random demo
-- product id below $BENCH_IDS when set); counts responses that are not 200/304 or lack
-- $BENCH_EXPECT, responses a cache served (X-Cache-Status: HIT), and response body bytes.
-- $BENCH_ENCODING sets Accept-Encoding.
wrk.method = "GET"
local path = os.getenv("BENCH_PATH")
local encoding = os.getenv("BENCH_ENCODING")
if encoding and encoding ~= "" then
  wrk.headers["Accept-Encoding"] = encoding
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expect = os.getenv("BENCH_EXPECT")
  ids = tonumber(os.getenv("BENCH_IDS") or "0")
  bad, hits, bytes = 0, 0, 0
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local p = path
  if ids > 0 then
    p = string.gsub(path, "__ID__", string.format("p%06d", math.random(0, ids - 1)))
  end
  return wrk.format(nil, p)
end

function response(status, headers, body)
  bytes = bytes + #body
  local cache = headers["X-Cache-Status"] or headers["x-cache-status"]
  if cache == "HIT" then
    hits = hits + 1
  end
  local gz = (headers["Content-Encoding"] or headers["content-encoding"]) ~= nil
  if status ~= 200 or (not gz and not string.find(body, expect, 1, true)) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total, hit_total, byte_total = 0, 0, 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    hit_total = hit_total + t:get("hits")
    byte_total = byte_total + t:get("bytes")
  end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d rps=%.0f p50_us=%d p99_us=%d errors=%d bad_bodies=%d hit_ratio=%.3f body_bytes=%.0f\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout, bad_total,
    hit_total / math.max(summary.requests, 1), byte_total / math.max(summary.requests, 1)))
end
