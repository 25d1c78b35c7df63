"""A CalDAV server that sends what a real one stores, with some bytes replaced.

Some hostile objects stop the servers of the test suite themselves: Radicale and
Xandikos expand recurrence rules and convert times with the same dateutil when
they index or filter, and hang on a zone whose rule repeats every second. To
show what syncd does when a server hands such an object over anyway (a server
that stores objects as they come, or a malicious one), the real server keeps a
harmless twin and this proxy in front of it replaces the harmless bytes with
the hostile ones in every answer.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse

from servers import free_port

_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "content-length"}


class ReplacingProxy:
    """Forwards every request to ``upstream``; answers with ``replace`` applied."""

    def __init__(self, upstream: str, replace: dict[bytes, bytes]) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 80

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                # Plain answers, so that the bytes can be found.
                skip = _HOP | {"accept-encoding"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                conn = http.client.HTTPConnection(host, port, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                for old, new in replace.items():
                    data = data.replace(old, new)
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_DELETE = do_POST = do_HEAD = _forward  # noqa: N815
            do_OPTIONS = do_PROPFIND = do_REPORT = do_MKCALENDAR = do_PROPPATCH = _forward  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
