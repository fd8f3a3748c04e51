-- wrk script for the collector benchmark (bench/collector.py drives it).
-- env: BENCH_KEYS (comma-separated ingest keys, rotated per request), BENCH_KIND
-- (single | batch50 | session). Bodies are pre-built in init() so wrk spends little CPU per request.
local kind = os.getenv("BENCH_KIND") or "single"
local keys = {}
for k in string.gmatch(os.getenv("BENCH_KEYS") or "", "[^,]+") do keys[#keys + 1] = k end
local reqs = {}
local n = 0

local function hex(len)
  local t = {}
  for i = 1, len do t[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(t)
end

local function uuid4()
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-a" .. hex(3) .. "-" .. hex(12)
end

local function event()
  return string.format('{"event_type":82,"uuid":"%s","product_id":"%d","category_id":"%d","price":%d,' ..
    '"page_url":"https://mall.cafe24.com/product/detail.html?product_no=%d"}',
    uuid4(), math.random(1, 2000), math.random(1, 40), math.random(10, 300) * 100, math.random(1, 2000))
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  for i = 1, 2000 do
    local key = keys[(i % #keys) + 1]
    local path, body
    if kind == "session" then
      path = "/api/v1/sessions"
      body = string.format('{"device_id":"%s"}', uuid4())
    elseif kind == "batch50" then
      path = "/api/v1/events"
      local evs = {}
      for j = 1, 50 do evs[j] = event() end
      body = '{"events":[' .. table.concat(evs, ",") .. ']}'
    else
      path = "/api/v1/events"
      body = event()
    end
    reqs[i] = wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-Untitle-Key"] = key}, body)
  end
end

function request()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end
