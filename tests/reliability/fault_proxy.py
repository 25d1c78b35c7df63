"""A fault-injecting HTTP proxy on 127.0.0.1, between syncd and a server (or the Google fake).

Each request is faulted with probability ``rate`` (a seeded draw), with one kind
of fault that fits it:

- ``500``, ``502``, ``503``: answered by the proxy, never forwarded;
- ``429``: answered with ``Retry-After: 1``, never forwarded;
- ``reset``: the connection reset (RST) before anything is forwarded;
- ``stall``: nothing forwarded, nothing answered, until the client gives up (the
  source's ``timeout``) or ``stall`` seconds pass;
- ``cut``: forwarded; the answer's headers promise the whole body, half of it comes,
  then the connection is reset (reads with a body only);
- ``garbage``: forwarded; the answer's body replaced by bytes that start like the
  XML or JSON the server sends and then turn to noise (reads with a body only);
- ``lost-reply``: a write forwarded and carried out by the server, its answer lost
  (the connection reset, a stall past the client's timeout, or a 502 from the
  proxy, in turn): the nastiest, as syncd cannot know whether it happened.

With ``tls`` (a certificate and its key) it serves HTTPS: the TLS test puts the
Google fake behind it.

Every fault is counted by kind (``counts``); every write carried out whose answer
was lost is logged (``lost``: method, path, and whether it was a create, an update
or a delete). ``on_applied(method, path)`` is called after the server carried out
any write and before its answer goes back; when it returns True the answer is
lost as above (the crash test kills syncd there: between a server's write and the
state's commit).
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import http.server
import random
import select
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from servers import free_port

WRITES = frozenset({"PUT", "DELETE", "POST", "PATCH", "PROPPATCH", "MKCALENDAR", "MOVE", "COPY"})
# Not asked upstream: the proxy reads answers whole and must be able to cut them.
_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "accept-encoding"}
_GONE = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
# How often each kind is drawn, among those that fit the request. Stalls cost the
# client its whole timeout: fewer of them.
WEIGHTS = {
    "500": 1.0,
    "502": 1.0,
    "503": 1.0,
    "429": 1.0,
    "reset": 1.5,
    "stall": 0.5,
    "cut": 1.5,
    "garbage": 1.5,
    "lost-reply": 4.0,
}
_READ_ONLY_KINDS = ("cut", "garbage")
_LOST_WAYS = ("reset", "stall", "502")


@dataclasses.dataclass(frozen=True)
class Lost:
    """A write the server carried out whose answer never reached syncd."""

    method: str
    path: str
    op: str  # create, update, delete, other
    way: str  # reset, stall, 502


def write_op(method: str, path: str, headers: dict[str, str]) -> str:
    """What a write is, from its request: CalDAV's conditional PUTs and DELETE, Google's
    insert (POST to .../events), patch and delete; "other" (a token, a calendar)."""
    lower = {k.lower(): v for k, v in headers.items()}
    if method == "DELETE":
        return "delete"
    if method == "PUT" and "if-none-match" in lower:
        return "create"
    if method in ("PUT", "PATCH"):
        return "update"
    if method == "POST" and path.rstrip("/").endswith("/events"):
        return "create"
    return "other"


class FaultProxy:
    """Forwards to ``upstream``; faults ``rate`` of the requests (``rate`` may be changed
    at any time: 0 for clean passes). ``flavour``: what garbage looks like, ``xml`` or
    ``json``. ``stall``: the longest a stalled request is held."""

    def __init__(
        self,
        upstream: str,
        *,
        seed: int,
        rate: float,
        flavour: str,
        stall: float = 5.0,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.rate, self.flavour, self.stall = rate, flavour, stall
        self.random = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()  # requests by method
        self.requests = 0
        self.lost: list[Lost] = []
        self.on_applied: Callable[[str, str], bool] | None = None
        self.lock = threading.Lock()
        self._lost_turn = 0
        handler = type("Handler", (_Handler,), {"proxy": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls is not None:  # HTTPS with (certificate, key): a server of its own CA
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def draw(self, method: str) -> str:
        """The fault for one request ("" for none), counted once it is known to apply."""
        with self.lock:
            self.requests += 1
            self.methods[method] += 1
            if self.random.random() >= self.rate:
                return ""
            self.methods[method + " faulted"] += 1
            kinds = [
                k
                for k in WEIGHTS
                if (k != "lost-reply" or method in WRITES)
                and (k not in _READ_ONLY_KINDS or method not in WRITES)
            ]
            return self.random.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]

    def count(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] += 1

    def lose(self, method: str, path: str, op: str) -> str:
        """Log a lost answer; the way it is lost (reset, stall, 502 in turn)."""
        with self.lock:
            way = _LOST_WAYS[self._lost_turn % len(_LOST_WAYS)]
            self._lost_turn += 1
            self.lost.append(Lost(method, path, op, way))
            return way

    def faults(self) -> dict[str, int]:
        """The faults injected so far, by kind."""
        with self.lock:
            return dict(self.counts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: FaultProxy

    def _any(self) -> None:
        proxy, method = self.proxy, self.command
        body = self._body()
        kind = proxy.draw(method)
        if kind in ("500", "502", "503", "429"):
            proxy.count(kind)
            return self._refuse(int(kind))
        if kind == "reset":
            proxy.count(kind)
            return self._reset()
        if kind == "stall":
            proxy.count(kind)
            return self._hold()
        answer = self._forward(body)
        if answer is None:
            return self._reset()
        status, reason, headers, data = answer
        if method in WRITES and status < 300:  # carried out
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            hook = proxy.on_applied
            if kind == "lost-reply" or (hook is not None and hook(method, path)):
                proxy.count("lost-reply")
                way = proxy.lose(method, path, write_op(method, path, dict(self.headers)))
                return self._lose(way)
        elif kind == "lost-reply":  # refused by the server: nothing to lose but the line
            proxy.count("reset")
            return self._reset()
        if kind in _READ_ONLY_KINDS and len(data) >= 2:
            proxy.count(kind)
            if kind == "cut":
                return self._cut(status, reason, headers, data)
            data = garbage(proxy.flavour, proxy.random)
        self._answer(status, reason, headers, data)

    do_GET = do_PUT = do_DELETE = do_POST = do_PATCH = do_HEAD = _any  # noqa: N815
    do_OPTIONS = do_PROPFIND = do_REPORT = do_MKCALENDAR = do_PROPPATCH = _any  # noqa: N815

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(parts)
        return None

    def _forward(self, body: bytes | None) -> tuple[int, str, list[tuple[str, str]], bytes] | None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        headers["Host"] = f"{self.proxy.host}:{self.proxy.port}"
        conn = http.client.HTTPConnection(self.proxy.host, self.proxy.port, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        except OSError:
            return None
        finally:
            conn.close()
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _GONE]
        return answer.status, answer.reason, kept, data

    def _answer(
        self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes
    ) -> None:
        self.send_response(status, reason)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _refuse(self, status: int) -> None:
        if self.proxy.flavour == "json":
            reason = "rateLimitExceeded" if status == 429 else "backendError"
            text = (
                f'{{"error": {{"code": {status}, "message": "injected",'
                f' "errors": [{{"reason": "{reason}", "domain": "global"}}]}}}}'
            )
            headers = [("Content-Type", "application/json; charset=UTF-8")]
        else:
            text, headers = f"injected {status}\n", [("Content-Type", "text/plain")]
        if status == 429:
            headers.append(("Retry-After", "1"))
        self._answer(status, http.HTTPStatus(status).phrase, headers, text.encode())

    def _lose(self, way: str) -> None:
        if way == "reset":
            self._reset()
        elif way == "stall":
            self._hold()
        else:
            self._refuse(502)

    def _cut(self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status, reason)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self._reset()

    def _hold(self) -> None:
        """Answer nothing until the client hangs up or ``stall`` seconds pass."""
        deadline = time.monotonic() + self.proxy.stall
        with contextlib.suppress(OSError):
            while (left := deadline - time.monotonic()) > 0:
                readable, _, _ = select.select([self.connection], [], [], left)
                if readable and not self.connection.recv(65536, socket.MSG_PEEK):
                    break
                if readable:  # the client sent more (it should not): read it away
                    self.connection.recv(65536)
        self._reset()

    def _reset(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def garbage(flavour: str, rng: random.Random) -> bytes:
    """An answer that starts as the server's would and turns to noise."""
    noise = bytes(rng.randrange(32, 127) for _ in range(rng.randrange(20, 400)))
    if flavour == "json":
        return b'{"kind": "calendar#events", "items": [{"id": "' + noise
    return b'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:"><D:response>' + (
        noise.replace(b"<", b"(")
    )
