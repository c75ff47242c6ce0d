"""A local HTTP stand-in for the parts of Cloudinary's API the storage uses, so tests run
the real cloudinary SDK (pointed here with `upload_prefix`) without Cloudinary's servers.

It checks what Cloudinary checks that matters here: request signatures (with the SDK's
own signing function), the Admin API's basic auth, and download links' expiry.
"""

import base64
import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import cloudinary.utils

CLOUD, API_KEY, API_SECRET = "stand-in-cloud", "123456789", "stand-in-secret"
UNSIGNED = {"file", "api_key", "signature", "resource_type", "signature_algorithm"}


def signed_correctly(params: dict) -> bool:
    to_sign = {k: v for k, v in params.items() if k not in UNSIGNED and v != ""}
    return cloudinary.utils.api_sign_request(to_sign, API_SECRET) == params.get("signature")


class CloudinaryStandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.resources: dict[str, bytes] = {}  # public_id -> bytes of private raw files
        self.requests: list[str] = []  # "METHOD action" in order
        self.fail_uploads = False
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "CloudinaryStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: CloudinaryStandIn

    def log_message(self, *args) -> None:  # quiet
        pass

    def reply(self, status: int, body: dict | bytes, content_type: str = "application/json") -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def error(self, status: int, message: str) -> None:
        self.reply(status, {"error": {"message": message}})

    def route(self) -> tuple[str, str]:
        """('raw/upload', ...) from /v1_1/<cloud>/raw/upload?..."""
        parts = urlsplit(self.path)
        prefix = f"/v1_1/{CLOUD}/"
        if not parts.path.startswith(prefix):
            return "", parts.query
        return unquote(parts.path[len(prefix) :]), parts.query

    def form(self) -> dict:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + body
            )
            return {
                part.get_param("name", header="content-disposition"): (
                    part.get_payload(decode=True)
                    if part.get_filename()
                    else part.get_payload(decode=True).decode()
                )
                for part in message.iter_parts()
            }
        return dict(parse_qsl(body.decode()))

    def do_POST(self) -> None:
        action, _ = self.route()
        params = self.form()
        self.server.requests.append(f"POST {action}")
        if not signed_correctly(params):
            return self.error(401, "Invalid Signature")
        if action == "raw/upload":
            if self.server.fail_uploads:
                return self.error(500, "General Error: the stand-in is down")
            public_id = params["public_id"]
            self.server.resources[public_id] = params["file"]
            return self.reply(
                200,
                {
                    "public_id": public_id,
                    "resource_type": "raw",
                    "type": params.get("type", "upload"),
                    "bytes": len(params["file"]),
                    "version": int(time.time()),
                    "secure_url": f"https://res.cloudinary.com/{CLOUD}/raw/private/{public_id}",
                },
            )
        if action == "raw/destroy":
            found = self.server.resources.pop(params["public_id"], None)
            return self.reply(200, {"result": "ok" if found is not None else "not found"})
        self.error(404, f"unknown action {action}")

    def do_GET(self) -> None:
        action, query = self.route()
        self.server.requests.append(f"GET {action.split('/private/')[0]}")
        if action == "raw/download":
            params = dict(parse_qsl(query))
            if not signed_correctly(params) or int(params.get("expires_at", 0)) < time.time():
                return self.error(401, "Invalid or expired signature")
            content = self.server.resources.get(params["public_id"])
            if content is None:
                return self.error(404, "Resource not found")
            return self.reply(200, content, "application/pdf")
        if action.startswith("resources/raw/private/"):
            expected = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self.error(401, "Invalid credentials")
            public_id = action[len("resources/raw/private/") :]
            if public_id not in self.server.resources:
                return self.error(404, f"Resource not found - {public_id}")
            return self.reply(200, {"public_id": public_id, "bytes": len(self.server.resources[public_id])})
        self.error(404, f"unknown action {action}")
