-- Shared done() hook (after reference/performance-baselines.md A15): one parseable line.
-- wrk counts as "status errors" only answers >= 400; a 3xx would pass as success, so the
-- Python driver checks the status of one request itself before the timed runs.
threads = {}

setup = function(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local wrapped = 0
  for _, t in ipairs(threads) do
    wrapped = wrapped + (t:get("wrapped") or 0)
  end
  io.write(string.format(
    "RESULT req_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f reqs=%d "
      .. "sock_err=%d non2xx=%d threads=%d wrapped=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status, #threads, wrapped))
end
