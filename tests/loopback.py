"""Loopback servers for tests: any answer function served on 127.0.0.1, and stopping a served command."""

from __future__ import annotations

import http.server
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pytest_connect_email.emulator.codec import HttpRequest, HttpResponse


def serving(answer: Callable[[HttpRequest], HttpResponse]) -> Iterator[str]:
    """``answer`` on 127.0.0.1 over plain HTTP (the emulator's own HTTP layer would add request ids)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 5

        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            split = urlsplit(self.path)
            request = HttpRequest(
                method=self.command,
                raw_path=split.path,
                query=parse_qsl(split.query, keep_blank_values=True),
                headers=dict(self.headers.items()),
                body=body,
                raw_query=split.query,
                host=self.headers.get("Host", "localhost"),
            )
            response = answer(request)
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def send_response(self, code: int, message: str | None = None) -> None:  # no Server/Date headers
            self.send_response_only(code, message)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def stop_serving(process: subprocess.Popen[str], signum: int = signal.SIGINT) -> None:
    """Stop a ``connect-email emulator serve`` process with ``signum``; one that does not stop is killed, never
    left running after the test, and the test fails."""
    process.send_signal(signum)
    try:
        process.wait(timeout=30)  # stopping joins the server's threads (5 s budgets each)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        raise
