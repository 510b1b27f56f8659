"""A fake DSP for the SSP benchmarks: `python3 fake_dsp.py PORT DELAY_MS`.

Every POST to /bid waits DELAY_MS, then bids $2.00 CPM with pre-rendered
ad data (so no render call is needed). DELAY_MS of -1 never answers."""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
DELAY_MS = int(sys.argv[2])
ANSWER = json.dumps({"data": {"bid": 2.0, "bidId": "bench", "ad_data": {
    "headline": "Benchmark ad", "description": "From the fake DSP",
    "url": "https://dsp.example.com/click", "advertiser": "Bench"}}}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        elif self.headers.get("transfer-encoding") == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        if DELAY_MS < 0:
            time.sleep(3600)
        time.sleep(DELAY_MS / 1000)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
