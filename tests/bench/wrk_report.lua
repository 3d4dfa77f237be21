-- Shared wrk reporting: one machine-readable line per run.
--   RESULT name=<name> rps=<requests/s> p50_ms=.. p99_ms=.. non2xx=<n> errors=<n>
-- Set via environment: BENCH_NAME, BENCH_METHOD, BENCH_BODY_FILE, BENCH_API_KEY.
local method = os.getenv("BENCH_METHOD") or "GET"
local key = os.getenv("BENCH_API_KEY")
local body = nil
local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  body = f:read("*a")
  f:close()
end

non2xx_local = 0

function init(args)
  wrk.method = method
  if key then wrk.headers["Authorization"] = "Bearer " .. key end
  if body then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
  end
end

function response(status, headers, resp_body)
  if status < 200 or status > 299 then
    non2xx_local = non2xx_local + 1
  end
end

local threads = {}
function setup(thread)
  thread:set("non2xx_local", 0)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx_local") or 0) end
  local secs = summary.duration / 1e6
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write
             + summary.errors.timeout
  io.write(string.format(
    "RESULT name=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d errors=%d\n",
    os.getenv("BENCH_NAME") or "run", summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, bad, errs))
end
