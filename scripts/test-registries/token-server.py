#!/usr/bin/env python3
"""A small token server for the CNCF distribution registry's token authentication
(distribution docs "Token Authentication Specification"), for tests only.

GET /token?service=S&scope=repository:NAME:ACTIONS with HTTP Basic credentials answers
{"token": JWT, "expires_in": N}. The JWT is RS256-signed with KEY (by the openssl tool)
and carries CERT in its x5c header, which the registry checks against its root bundle.
Wrong or missing credentials get 401. Listens on 127.0.0.1 only.

Usage: token-server.py PORT KEY CERT USER PASSWORD ISSUER
"""
import base64
import json
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

port, key, cert, user, password, issuer = sys.argv[1:7]
with open(cert) as f:
    pem = f.read()
cert_der_b64 = "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)
EXPIRES_IN = 300


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload):
    header = {"alg": "RS256", "typ": "JWT", "x5c": [cert_der_b64]}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(), capture_output=True, check=True
    ).stdout
    return f"{signing_input}.{b64url(signature)}"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"details":"invalid credentials"}')
            return
        query = parse_qs(url.query)
        access = []
        for scope in query.get("scope", []):
            parts = scope.split(":")
            if len(parts) == 3 and parts[0] == "repository":
                access.append({"type": "repository", "name": parts[1], "actions": parts[2].split(",")})
        now = int(time.time())
        token = sign({
            "iss": issuer, "sub": user, "aud": query.get("service", [""])[0], "exp": now + EXPIRES_IN,
            "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access,
        })
        body = json.dumps({"token": token, "access_token": token, "expires_in": EXPIRES_IN}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
