-- wrk script: one insights query (QUERY, already URL-encoded) with the demo key.
wrk.method = "GET"
wrk.headers["authorization"] = "Bearer " .. os.getenv("ADVERTISER_KEY")
wrk.path = os.getenv("QUERY")

done = function(summary, latency, requests)
  io.write(string.format("p95_ms %.2f\n", latency:percentile(95) / 1000))
end
