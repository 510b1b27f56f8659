-- wrk script: POST /api/v1/batch with the body in BATCH_BODY and the key
-- in AGENTS_KEY.
wrk.method = "POST"
wrk.path = "/api/v1/batch"
wrk.body = os.getenv("BATCH_BODY")
wrk.headers["authorization"] = "Bearer " .. os.getenv("AGENTS_KEY")
wrk.headers["content-type"] = "application/json"

done = function(summary, latency, requests)
  io.write(string.format("p95_ms %.2f\n", latency:percentile(95) / 1000))
end
