-- wrk script: the S2S quickstart's collect event, with a new event_id each time.
local counter = 0
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("PARTNER_TOKEN")
wrk.headers["user-agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1"

request = function()
  counter = counter + 1
  local body = string.format(
    '{"event_name":"page_view","event_id":"pv-%d-%d","page_url":"https://example.com/checkout","params":{"step":"shipping"}}',
    math.random(1, 1000000000), counter)
  return wrk.format(nil, "/v1/api/collect", nil, body)
end

-- p95 is not in wrk's own report.
done = function(summary, latency, requests)
  io.write(string.format("p95_ms %.2f\n", latency:percentile(95) / 1000))
end
