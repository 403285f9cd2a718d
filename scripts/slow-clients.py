#!/usr/bin/env python3
"""Slow clients, as an attacker sends them: COUNT connections that each send half a request
head and then one more byte of it every INTERVAL seconds, never finishing it.

Prints one JSON object when every connection has been closed by the server, or after
--max-wait seconds: how many were opened, how many the server closed, and when (seconds
after the connection was opened: min, median, max), and how many are still open.

Usage: scripts/slow-clients.py --port 8080 [--host 127.0.0.1] [--count 2000] [--interval 1] [--max-wait 60]
"""
import argparse
import json
import selectors
import socket
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--max-wait", type=float, default=60.0)
    args = parser.parse_args()

    selector = selectors.DefaultSelector()
    opened_at = {}
    closed_after = []
    failed = 0
    for _ in range(args.count):
        s = socket.socket()
        try:
            s.connect((args.host, args.port))
            s.sendall(b"GET /v1/digests/sha256:00 HTTP/1.1\r\nHost: plinth\r\nX-Slow: ")
        except OSError:
            failed += 1
            s.close()
            continue
        s.setblocking(False)
        opened_at[s] = time.monotonic()
        selector.register(s, selectors.EVENT_READ)
    opened = len(opened_at)
    print(f"slow-clients: {opened} connections open, each sending a byte every {args.interval}s", file=sys.stderr, flush=True)

    start = time.monotonic()
    next_trickle = start + args.interval
    while opened_at and time.monotonic() - start < args.max_wait:
        for key, _ in selector.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except (ConnectionResetError, OSError):
                data = b""
            if not data:  # closed by the server (or reset)
                closed_after.append(time.monotonic() - opened_at.pop(s))
                selector.unregister(s)
                s.close()
        if time.monotonic() >= next_trickle:
            next_trickle += args.interval
            for s in list(opened_at):
                try:
                    s.send(b"a")
                except OSError:
                    pass
    result = {
        "requested": args.count,
        "opened": opened,
        "connect_failed": failed,
        "closed_by_server": len(closed_after),
        "still_open": len(opened_at),
        "closed_within_1s": sum(1 for t in closed_after if t < 1.0),
        "closed_after_s": {
            "min": round(min(closed_after), 3) if closed_after else None,
            "median": round(statistics.median(closed_after), 3) if closed_after else None,
            "max": round(max(closed_after), 3) if closed_after else None,
        },
    }
    for s in opened_at:
        s.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
