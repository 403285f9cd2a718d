#!/usr/bin/env python3
"""A curator holding and releasing a tag at a steady rate, for the lookup benchmarks: `PUT` and
`DELETE /v1/images/IMAGE/tags/TAG/hold`, alternately, over one keep-alive connection (a curl
process per write cost the shared cores more than the writes themselves). Writes the status
of each answer, one per line, to OUT until killed.

Usage: curator-writes.py PORT TOKEN WRITES_PER_SECOND DIGEST OUT [IMAGE TAG]
"""
import http.client
import json
import sys
import time

port, token, rate, digest, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
image, tag = (sys.argv[6], sys.argv[7]) if len(sys.argv) > 7 else ("debian-bookworm-slim", "bookworm-slim")
path = f"/v1/images/{image}/tags/{tag}/hold"
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
body = json.dumps({"digest": digest, "reason": "benchmark"})
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
pause = 1 / rate
with open(out, "a", buffering=1) as log:
    hold = True
    next_at = time.monotonic()
    while True:
        try:
            if hold:
                connection.request("PUT", path, body=body, headers=headers)
            else:
                connection.request("DELETE", path + "?reason=benchmark", headers=headers)
            response = connection.getresponse()
            response.read()
            log.write(f"{response.status}\n")
        except (OSError, http.client.HTTPException) as error:
            log.write(f"error {error}\n")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        hold = not hold
        next_at += pause
        time.sleep(max(0, next_at - time.monotonic()))
