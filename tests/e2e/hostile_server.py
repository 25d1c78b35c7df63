"""CalDAV servers gone bad, on 127.0.0.1, in front of a real one.

``ReplacingProxy`` sends what the real server stores, with some bytes replaced.
Some hostile objects stop the servers of the test suite themselves: Radicale and
Xandikos expand recurrence rules and convert times with the same dateutil when
they index or filter, and hang on a zone whose rule repeats every second. To
show what syncd does when a server hands such an object over anyway (a server
that stores objects as they come, or a malicious one), the real server keeps a
harmless twin and this proxy in front of it replaces the harmless bytes with
the hostile ones in every answer.

``HostileServer`` forwards every request too, but answers those of the stages it
is told (discovery, the calendar list, a sync-collection, a multiget ...) with an
attack of its own: an entity bomb, an external entity, an endless body, a gzip
bomb, a body or headers dripped a byte at a time, a redirect (to another
origin, or to itself for ever), a 401 to everything. It notes the headers of every request it gets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.client
import http.server
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterator, Sequence

from servers import free_port

_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "content-length"}


class _Server:
    """A threading HTTP server on a free loopback port, answering every WebDAV method."""

    def __init__(self, handle: Callable[[http.server.BaseHTTPRequestHandler], None]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                handle(self)

            do_GET = do_PUT = do_DELETE = do_POST = do_HEAD = _handle  # noqa: N815
            do_OPTIONS = do_PROPFIND = do_REPORT = do_MKCALENDAR = do_PROPPATCH = _handle  # noqa: N815

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


def _forward(
    handler: http.server.BaseHTTPRequestHandler,
    upstream: str,
    body: bytes | None,
    replace: dict[bytes, bytes] | None = None,
) -> None:
    """Send the request on to ``upstream``; answer with its answer, ``replace`` applied."""
    parsed = urllib.parse.urlsplit(upstream)
    # Plain answers, so that the bytes can be found.
    skip = _HOP | {"accept-encoding"}
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in skip}
    conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port or 80, timeout=60)
    try:
        conn.request(handler.command, handler.path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
    finally:
        conn.close()
    for old, new in (replace or {}).items():
        data = data.replace(old, new)
    handler.send_response(answer.status, answer.reason)
    for key, value in answer.getheaders():
        if key.lower() not in _HOP:
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _body(handler: http.server.BaseHTTPRequestHandler) -> bytes | None:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else None


class ReplacingProxy(_Server):
    """Forwards every request to ``upstream``; answers with ``replace`` applied."""

    def __init__(self, upstream: str, replace: dict[bytes, bytes]) -> None:
        super().__init__(lambda h: _forward(h, upstream, _body(h), replace))


# --- a hostile server ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Request:
    """What the hostile server got: method, path, headers, body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def stage(self) -> str:
        """Which step of syncd's pass this request is (see STAGES); "" for another."""
        return next((name for name, test in STAGES.items() if test(self)), "")


def _propfind(depth: str, asks: bytes) -> Callable[[Request], bool]:
    return lambda r: r.method == "PROPFIND" and r.headers.get("depth") == depth and asks in r.body


# The requests of a pass, in the order syncd sends them (a full read, on a server with
# sync-collection: Radicale's and Xandikos's way).
STAGES: dict[str, Callable[[Request], bool]] = {
    "discovery": lambda r: _propfind("0", b"current-user-principal")(r) and r.path == "/",
    "principal": lambda r: _propfind("0", b"current-user-principal")(r) and r.path != "/",
    "calendars": _propfind("1", b"current-user-privilege-set"),
    "sync-token": _propfind("0", b"sync-token"),
    "query": lambda r: r.method == "REPORT" and b"calendar-query" in r.body,
    "sync": lambda r: r.method == "REPORT" and b"sync-collection" in r.body,
    "multiget": lambda r: r.method == "REPORT" and b"calendar-multiget" in r.body,
}

Attack = Callable[[http.server.BaseHTTPRequestHandler], None]


class HostileServer(_Server):
    """Forwards to ``upstream``, but answers the requests of each stage in ``attacks``
    with that attack; ``seen`` holds every request it got."""

    def __init__(self, upstream: str, attacks: dict[str, Attack]) -> None:
        self.seen: list[Request] = []
        self.lock = threading.Lock()

        def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
            body = _body(handler)
            headers = {k.lower(): v for k, v in handler.headers.items()}
            request = Request(handler.command, handler.path, headers, body or b"")
            with self.lock:
                self.seen.append(request)
            attack = attacks.get(request.stage)
            if attack is None:
                _forward(handler, upstream, body)
                return
            handler.close_connection = True
            # syncd stops reading, or cuts the request: what it should do
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                attack(handler)

        super().__init__(handle)

    def stages(self) -> list[str]:
        with self.lock:
            return [r.stage for r in self.seen]


# --- attacks ------------------------------------------------------------------------

MULTISTATUS_HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">'


def _answer(
    handler: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: Sequence[tuple[str, str]] = (("Content-Type", "application/xml; charset=utf-8"),),
) -> None:
    handler.send_response(status)
    for key, value in headers:
        handler.send_header(key, value)
    handler.send_header("Connection", "close")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _multistatus_with(prologue: str, text: str) -> bytes:
    """A multistatus with one response whose href and display name are ``text``."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{prologue}\n'
        '<D:multistatus xmlns:D="DAV:"><D:response>'
        f"<D:href>/{text}/</D:href><D:propstat><D:prop><D:displayname>{text}</D:displayname>"
        "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
        "</D:multistatus>"
    ).encode()


def entity_bomb(handler: http.server.BaseHTTPRequestHandler) -> None:
    """Billion laughs: ten levels of ten references, 10^9 "lol"s (3 GB) once expanded."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    prologue = "<!DOCTYPE D:multistatus [" + "".join(levels) + "]>"
    _answer(handler, 207, _multistatus_with(prologue, "&lol9;"))


def external_entity(canary: str, secret_file: str) -> Attack:
    """Entities naming a local file and a URL (``canary``, which notes any fetch)."""

    def attack(handler: http.server.BaseHTTPRequestHandler) -> None:
        prologue = (
            f'<!DOCTYPE D:multistatus [<!ENTITY file SYSTEM "file://{secret_file}">'
            f'<!ENTITY net SYSTEM "{canary}/entity"><!ENTITY % dtd SYSTEM "{canary}/dtd"> %dtd;]>'
        )
        _answer(handler, 207, _multistatus_with(prologue, "&file;&net;"))

    return attack


def endless(total: int = 500_000_000, *, stated: bool = False) -> Attack:
    """A multistatus of ``total`` bytes, made up as it is sent: chunked, or with its
    length ``stated`` in Content-Length."""

    def attack(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(207)
        handler.send_header("Content-Type", "application/xml; charset=utf-8")
        handler.send_header("Connection", "close")
        if stated:
            handler.send_header("Content-Length", str(total))
        else:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for chunk in _pieces(MULTISTATUS_HEAD, b" " * 65536, total):
            handler.wfile.write(chunk if stated else b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if not stated:
            handler.wfile.write(b"0\r\n\r\n")

    return attack


def _pieces(head: bytes, piece: bytes, total: int) -> Iterator[bytes]:
    yield head
    for _ in range((total - len(head)) // len(piece)):
        yield piece


@functools.cache
def gzip_bomb_body() -> bytes:
    """About 1 MB of gzip that inflates to 1 GiB: 1,024 members of 1 MiB of zeros each."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = packer.compress(b"\0" * 2**20) + packer.flush()
    return member * 1024


def gzip_bomb(handler: http.server.BaseHTTPRequestHandler) -> None:
    body = gzip_bomb_body()
    headers = (("Content-Type", "application/xml; charset=utf-8"), ("Content-Encoding", "gzip"))
    _answer(handler, 207, body, headers)


def drip(every: float, *, headers_too: bool = False, total: int = 100_000) -> Attack:
    """An answer sent one byte every ``every`` seconds: its body, or its headers too."""

    def attack(handler: http.server.BaseHTTPRequestHandler) -> None:
        head = (
            b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n" % total
        )
        slow = MULTISTATUS_HEAD + b" " * (total - len(MULTISTATUS_HEAD))
        if headers_too:
            slow, head = head + slow, b""
        handler.wfile.write(head)
        handler.wfile.flush()
        for byte in slow:
            time.sleep(every)
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return attack


def redirect(to: str) -> Attack:
    """307 to the same path on another origin."""

    def attack(handler: http.server.BaseHTTPRequestHandler) -> None:
        _answer(handler, 307, b"", (("Location", to + handler.path),))

    return attack


def redirect_loop(handler: http.server.BaseHTTPRequestHandler) -> None:
    """307 to the very URL asked, for ever."""
    own = f"http://127.0.0.1:{handler.server.server_address[1]}"
    _answer(handler, 307, b"", (("Location", own + handler.path),))


def unauthorized(handler: http.server.BaseHTTPRequestHandler) -> None:
    """401, asking for a login again, whatever was sent."""
    _answer(handler, 401, b"", (("WWW-Authenticate", 'Basic realm="again"'),))


def refused(status: int) -> Attack:
    """An empty answer with ``status`` (501: the server does not do that REPORT)."""
    return lambda handler: _answer(handler, status, b"")


class Recorder(_Server):
    """A server that answers ``status`` to everything and notes each request's headers."""

    def __init__(self, status: int = 401) -> None:
        self.seen: list[dict[str, str]] = []

        def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
            _body(handler)
            self.seen.append({k.lower(): v for k, v in handler.headers.items()})
            _answer(handler, status, b"", (("WWW-Authenticate", 'Basic realm="other"'),))

        super().__init__(handle)
