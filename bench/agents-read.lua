-- wrk script: an authenticated agents API read (GET PATH, default
-- /api/v1/billing/status) with the key in AGENTS_KEY.
wrk.method = "GET"
wrk.headers["authorization"] = "Bearer " .. os.getenv("AGENTS_KEY")
wrk.path = os.getenv("AGENTS_PATH") or "/api/v1/billing/status"

done = function(summary, latency, requests)
  io.write(string.format("p95_ms %.2f\n", latency:percentile(95) / 1000))
end
