"""A counting HTTP proxy on 127.0.0.1: the scenario tests put it between syncd
and a real server to count the requests a pass makes, without looking inside.

It can also play a server's access control: ``refuse_writes(path)`` answers every
write below that path with 403, and says in PROPFIND answers that the account
holds only the read privilege there (DAV:current-user-privilege-set), as a
server does for a calendar the account may only read. Xandikos has no access
control to set up for that: it reports the privilege ``all`` on everything.

And it can play other servers' deviations (tests/e2e/quirks.py): hooks in
``before`` see each request (an ``Exchange``) and may change it or answer it
themselves; hooks in ``after`` may change the answer."""

from __future__ import annotations

import dataclasses
import http.client
import http.server
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable

from lxml import etree
from servers import free_port

_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}
# Not asked upstream: an answer must stay plain XML for the proxy to read (Radicale
# gzips PROPFIND answers when the client accepts it).
_NOT_FORWARDED = _HOP | {"accept-encoding"}
_WRITES = {"PUT", "DELETE", "PROPPATCH", "MKCALENDAR", "MOVE", "COPY"}
_NEED_PRIVILEGES = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:need-privileges/>'
    b"</D:error>"
)


@dataclasses.dataclass
class Exchange:
    """One request through the proxy and, once there, its answer: what hooks may change.
    A ``before`` hook that sets ``status`` answers the request itself (no upstream)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    status: int = 0
    reason: str = ""
    answer_headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    data: bytes = b""

    def header(self, name: str) -> str:
        """A request header, whatever its case ("" when absent)."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")

    def answer_header(self, name: str) -> str:
        return next((v for k, v in self.answer_headers if k.lower() == name.lower()), "")

    def set_answer_header(self, name: str, value: str | None) -> None:
        kept = [(k, v) for k, v in self.answer_headers if k.lower() != name.lower()]
        self.answer_headers = kept + ([(name, value)] if value is not None else [])


Hook = Callable[[Exchange], None]


class CountingProxy:
    """Forwards every request to ``upstream`` and counts them by method."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.counts: Counter[str] = Counter()
        self.read_only: set[str] = set()  # path prefixes where writes answer 403
        self.before: list[Hook] = []  # each request, in order, before it goes upstream
        self.after: list[Hook] = []  # each answer, in order, before it goes back
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
                with proxy.lock:
                    proxy.counts[self.command] += 1
                    refused = self.command in _WRITES and any(
                        self.path.startswith(prefix) for prefix in proxy.read_only
                    )
                if refused:
                    self._answer(403, "Forbidden", _NEED_PRIVILEGES)
                    return
                exchange = Exchange(self.command, self.path, headers, body)
                for hook in list(proxy.before):
                    hook(exchange)
                if not exchange.status:
                    exchange.status, exchange.reason, exchange.answer_headers, exchange.data = (
                        proxy.forward(exchange)
                    )
                    if exchange.method == "PROPFIND" and exchange.status == 207:
                        with proxy.lock:
                            prefixes = tuple(proxy.read_only)
                        if prefixes:
                            exchange.data = _read_only_privileges(exchange.data, prefixes)
                    for hook in list(proxy.after):
                        hook(exchange)
                self._answer(
                    exchange.status, exchange.reason, exchange.data, exchange.answer_headers
                )

            def _answer(
                self,
                status: int,
                reason: str,
                data: bytes,
                headers: list[tuple[str, str]] | None = None,
            ) -> None:
                self.send_response(status, reason)
                for key, value in headers or [("Content-Type", "application/xml")]:
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

    def forward(self, exchange: Exchange) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """The upstream server's answer to the request: status, reason, headers, body."""
        # The body's length as it is now (a hook may have changed it).
        headers = {k: v for k, v in exchange.headers.items() if k.lower() != "content-length"}
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(exchange.method, exchange.path, body=exchange.body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        finally:
            conn.close()
        kept = [
            (key, value)
            for key, value in answer.getheaders()
            if key.lower() not in _HOP and key.lower() != "content-length"
        ]
        return answer.status, answer.reason, kept, data

    def refuse_writes(self, path: str) -> None:
        """From now on, answer every write below ``path`` with 403 and list the calendars
        there with the read privilege only (a read-only calendar)."""
        with self.lock:
            self.read_only.add(path)

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_DAV = "{DAV:}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def _read_only_privileges(data: bytes, prefixes: tuple[str, ...]) -> bytes:
    """A multistatus whose responses below ``prefixes`` report only the read privilege."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return data
    changed = False
    for response in root.iter(_DAV + "response"):
        href = urllib.parse.urlsplit(response.findtext(_DAV + "href") or "").path
        if not href.startswith(prefixes):
            continue
        for granted in response.iter(_DAV + "current-user-privilege-set"):
            granted[:] = []
            etree.SubElement(etree.SubElement(granted, _DAV + "privilege"), _DAV + "read")
            changed = True
    return etree.tostring(root, xml_declaration=True, encoding="utf-8") if changed else data
