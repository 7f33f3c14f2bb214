-- wrk script for bench/wrk-post: every request is POST /workflows/{id}/execute with an empty
-- input; the workflow id comes from the WORKFLOW environment variable. Non-202 answers are
-- counted and reported, so a run that was refused is never read as a fast one.
local workflow = os.getenv("WORKFLOW")
wrk.method = "POST"
wrk.path = "/workflows/" .. workflow .. "/execute"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  accepted = 0
  refused = 0
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else refused = refused + 1 end
end

function done(summary, latency, requests)
  local a, r = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    r = r + t:get("refused")
  end
  io.write(string.format("wrk-accepted %d\nwrk-refused %d\n", a, r))
  io.write(string.format("wrk-p50-ms %.3f\nwrk-p90-ms %.3f\nwrk-p99-ms %.3f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
