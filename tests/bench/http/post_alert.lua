-- wrk script for tests/bench/http/ingest.sh: every request POSTs a distinct Falco alert (the
-- input deduplicates on rule + output) with the bearer token, and the answers are counted by
-- status (ok = 200, rejected = 429/503 with Retry-After, other = anything else). The rule
-- matches no shipped playbook: the responder's consumer only acknowledges these alerts, so
-- the figure is the input's, not the actions'.
local token = os.getenv("RIPOSTE_BENCH_TOKEN") or ""
local run = os.getenv("RIPOSTE_BENCH_RUN") or "0"
local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  ok, rejected, other = 0, 0, 0
  headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
end

function request()
  n = n + 1
  local body = string.format(
    '{"hostname":"node-1","output":"A shell was spawned in a container (run=%s thread=%d n=%d)",' ..
    '"priority":"Notice","rule":"Riposte HTTP input benchmark","source":"syscall",' ..
    '"time":"2026-12-03T13:00:00.000000000Z","tags":["shell"],' ..
    '"output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web-1","proc.name":"bash"}}',
    run, id, n)
  return wrk.format("POST", "/falco", headers, body)
end

function response(status, hdrs, body)
  if status == 200 then
    ok = ok + 1
  elseif (status == 429 or status == 503) and (hdrs["Retry-After"] or hdrs["retry-after"]) then
    rejected = rejected + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local o, r, x = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    r = r + t:get("rejected")
    x = x + t:get("other")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT ok=%d rejected=%d other=%d errors=%d seconds=%.2f ok_per_s=%.0f p50_us=%d p99_us=%d\n",
    o, r, x, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    secs, o / secs, latency:percentile(50), latency:percentile(99)))
end
