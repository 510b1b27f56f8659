-- wrk script: POST a bid request with a new chat id each time.
local counter = 0
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["thrad-api-key"] = os.getenv("PUBLISHER_KEY")
local topic = os.getenv("TOPIC") or "running shoes"

request = function()
  counter = counter + 1
  local body = string.format(
    '{"userId":"user_bench","chatId":"chat_%d_%d","messages":[{"role":"user","content":"I am looking for %s"},' ..
    '{"role":"assistant","content":"What is your budget?"}],"production":true,"turn_number":1}',
    math.random(1, 1000000000), counter, topic)
  return wrk.format(nil, "/api/v1/ssp/bid-request", nil, body)
end

-- p95 is not in wrk's own report.
done = function(summary, latency, requests)
  io.write(string.format("p95_ms %.2f\n", latency:percentile(95) / 1000))
end
