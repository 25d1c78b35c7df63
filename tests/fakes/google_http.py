"""The HTTP side of the Google fake: the request handler, the request log, JSON answers.

An answer's body is bytes, or a ``Stream`` sent as it is made (a body larger than
memory, one sent a byte at a time, a whole answer head included): what a hostile
or broken server sends (tests/fakes/google_hostile.py).
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .google_errors import ApiError

LOGGED_HEADERS = ("authorization", "if-match", "if-none-match", "content-type")
OVERRIDE_HEADER = "x-http-method-override"


@dataclass
class Stream:
    """An answer body sent as it is made: each of ``chunks`` written at once. With
    ``length`` a Content-Length says so, else the body is chunked; ``raw``: the chunks
    are the whole answer, status line and header lines too. ``sent`` counts the bytes
    written before the client hung up (or all of them)."""

    chunks: Iterable[bytes]
    length: int | None = None
    raw: bool = False
    sent: int = 0


Answer = tuple[int, dict[str, str], "bytes | Stream"]
# (method, raw path, query, request headers, body) -> answer
Handle = Callable[[str, str, dict[str, list[str]], Message, bytes], Answer]


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered (method after any X-HTTP-Method-Override)."""

    method: str
    path: str  # as sent: percent-encoded, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names, those in LOGGED_HEADERS and the override
    status: int


def selects(method: str, path: str, want_method: str | None, path_contains: str | None) -> bool:
    """Whether a request (method, path) is one a filter on method and path part picks."""
    return (want_method is None or method == want_method.upper()) and (
        path_contains is None or path_contains in path
    )


class RequestLog:
    """Thread-safe record of the requests the fake answered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        """A copy of the records, oldest first."""
        with self._lock:
            return list(self._records)

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        """How many requests had ``method`` and ``path_contains`` in their path."""
        return sum(1 for r in self.records if selects(r.method, r.path, method, path_contains))

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def make_server(port: int, handle: Handle, log: RequestLog) -> ThreadingHTTPServer:
    """A threading server on 127.0.0.1:``port`` (0: a free one) answering with ``handle``."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    server.block_on_close = False
    server.handle = handle  # type: ignore[attr-defined]
    server.log = log  # type: ignore[attr-defined]
    return server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httplib2 expects
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server_version = "ESF"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET  # noqa: N815

    def _serve(self) -> None:
        handle: Handle = self.server.handle  # type: ignore[attr-defined]
        log: RequestLog = self.server.log  # type: ignore[attr-defined]
        split = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        method = self.command
        override = self.headers.get(OVERRIDE_HEADER)
        if method == "POST" and override:
            method = override.upper()
            if method == "GET":  # googleapiclient moves a long query into the body
                for name, values in urllib.parse.parse_qs(body.decode(), True).items():
                    query.setdefault(name, []).extend(values)
                body = b""
        try:
            status, headers, payload = handle(method, split.path, query, self.headers, body)
        except Exception:  # a bug in the fake: say so loudly, answer like Google's 500
            traceback.print_exc(file=sys.stderr)
            status, headers, payload = error_answer(ApiError(500, "backendError"))
        # Logged before answering, so a client that has its answer finds it in the log.
        logged = {name: self.headers[name] for name in LOGGED_HEADERS if name in self.headers}
        if override:
            logged[OVERRIDE_HEADER] = override
        log.append(RequestRecord(method, split.path, query, logged, status))
        if isinstance(payload, Stream):
            self._stream(status, headers, payload)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _stream(self, status: int, headers: dict[str, str], stream: Stream) -> None:
        """Send ``stream`` (then close: a client that stopped reading left it half read)."""
        self.close_connection = True
        chunked = not stream.raw and stream.length is None
        try:
            if not stream.raw:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if stream.length is not None:
                    self.send_header("Content-Length", str(stream.length))
                else:
                    self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
            for chunk in stream.chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                stream.sent += len(chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client hung up, as a client past its limits should
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
        return


def json_answer(status: int, payload: dict[str, Any], *, oauth: bool = False) -> Answer:
    """A JSON answer; ``oauth`` adds the no-store headers of Google's token endpoint."""
    headers = {"Content-Type": "application/json; charset=UTF-8", "Vary": "Origin"}
    if oauth:
        headers.update({"Cache-Control": "no-cache, no-store, max-age=0", "Pragma": "no-cache"})
    return status, headers, json.dumps(payload).encode("utf-8")


def error_answer(error: ApiError) -> Answer:
    """The answer Google gives for ``error``: its JSON body and extra headers."""
    status, headers, payload = json_answer(error.code, error.body())
    return status, {**headers, **error.headers}, payload


def json_body(body: bytes) -> dict[str, Any]:
    """The request's JSON object ({} when empty); ApiError 400 parseError otherwise."""
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "parseError") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "parseError")
    return payload
