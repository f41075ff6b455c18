"""A wrong address for Crowd Arena: a small HTTP server that redirects elsewhere or answers
200, recording every request it gets (the headers too), for what the real site never does."""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        self._answer()

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self):
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        if self.server.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass  # keep the test output quiet


@contextlib.contextmanager
def recording_server(redirect_to: str = ""):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.redirect_to, server.requests = redirect_to, []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
