-- wrk script for bench/flash_sale.sh: the request mix of a flash sale over the demo catalog.
-- 70% product pages (80% of them among the 500 "sale" products p000000..p000499, the rest over
-- all 10,000), 25% listings (half the sale listing, the same every time, so memo-warm; half
-- cold: a minimum price drawn per request makes each one a new answer), 5% checkouts of one
-- sale SKU. A response must be 200 with data and no errors. Prints one BENCH line.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local pdp = '{"query":"query($id: ID!) { product(id: $id) { id title brand availableForSale priceRange { minVariantPrice { amount currencyCode } } variants { sku title price { amount currencyCode } quantityAvailable availableForSale quote } } }","variables":{"id":"%s"}}'
local warm = '{"query":"{ products(first: 24, sortKey: PRICE, filter: {category: \\"women/knitwear\\"}) { totalCount edges { node { id title priceRange { minVariantPrice { amount } } availableForSale } } } }"}'
local cold = '{"query":"query($min: Decimal) { products(first: 24, sortKey: PRICE, filter: {category: \\"women\\", minPrice: $min}) { totalCount edges { node { id title priceRange { minVariantPrice { amount } } availableForSale } } } }","variables":{"min":"%d.%02d"}}'
local checkout = '{"query":"query($lines: [CheckoutLineInput!]!) { checkout(country: \\"US\\", lines: $lines) { total { amount } lines { sku unavailable { available } } } }","variables":{"lines":[{"sku":"%s-0","quantity":1}]}}'

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

local function sale_id()
  return string.format("p%06d", math.random(0, 499))
end

function request()
  local r = math.random()
  local body
  if r < 0.70 then
    local id = (math.random() < 0.8) and sale_id() or string.format("p%06d", math.random(0, 9999))
    body = string.format(pdp, id)
  elseif r < 0.825 then
    body = warm
  elseif r < 0.95 then
    body = string.format(cold, math.random(0, 300), math.random(0, 99))
  else
    body = string.format(checkout, sale_id())
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"data":{', 1, true) or string.find(body, '"errors"', 1, true) then
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
