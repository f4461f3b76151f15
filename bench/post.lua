-- wrk script: POST the GraphQL body in $BENCH_BODY; count responses that are not 200 or lack
-- $BENCH_EXPECT. With $BENCH_IDS=N, each request replaces __ID__ in the body with a random
-- demo product id below N (p000000 .. p00N-1), so requests spread over N products. With
-- $BENCH_CHOICES="a,b,c", each request replaces __CHOICE__ with one of them at random.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BENCH_BODY"), "r"))
wrk.body = f:read("*a")
f:close()

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expect = os.getenv("BENCH_EXPECT")
  ids = tonumber(os.getenv("BENCH_IDS") or "0")
  choices = {}
  for c in string.gmatch(os.getenv("BENCH_CHOICES") or "", "[^,]+") do
    table.insert(choices, c)
  end
  bad = 0
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  if ids == 0 and #choices == 0 then
    return wrk.format()
  end
  local body = wrk.body
  if ids > 0 then
    body = string.gsub(body, "__ID__", string.format("p%06d", math.random(0, ids - 1)))
  end
  if #choices > 0 then
    body = string.gsub(body, "__CHOICE__", choices[math.random(1, #choices)])
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, expect, 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d rps=%.0f p50_us=%d p99_us=%d errors=%d bad_bodies=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout, bad_total))
end
