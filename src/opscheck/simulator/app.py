"""The simulated application's HTTP side on 127.0.0.1: its health endpoint and, as effects
add them, the Sentry and GitHub API answers the checks ask for."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opscheck.simulator.world import Response

NOT_FOUND = Response(404, '{"detail": "not found"}')


def serve(responses: dict[str, Response]) -> ThreadingHTTPServer:
    """Answer GETs from `responses` by path (the query string is ignored) on a free port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = responses.get(self.path.split("?")[0], NOT_FOUND)
            time.sleep(answer.delay_s)
            payload = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", f"{answer.content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="simulated-app").start()
    return server
