"""The HTTP under the Google API client: httplib2, within a deadline and a size per answer.

httplib2 reads an answer whole, unpacks gzip whole (before 0.32 without any
bound), and its timeout is per socket operation: a server that sends one byte
every 10 s holds a request for ever. ``BoundedHttp`` keeps all httplib2 does
(proxies, TLS, redirects, reused connections) and swaps in connections whose
answers are read within one deadline for the whole request (``RequestDeadline``)
and at most ``answer_bytes`` on the wire and again once unpacked
(``AnswerTooLarge``). An answer that says it is larger is not read at all. Either
way the connections are closed: one left in the middle of an answer is of no use.

The limits travel with the request on its thread (``_active``): httplib2 builds
the connections and the connections build the answers, neither of them ours.
"""

from __future__ import annotations

import http.client
import io
import threading
import time
import zlib
from typing import TYPE_CHECKING, Any

import httplib2

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# The unpacked answer is made in steps of this many bytes, so a bomb stops within one.
_UNPACK_STEP = 1 << 20


class RequestDeadline(TimeoutError):
    """The whole request took longer than its deadline (a server sending too slowly)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no whole answer within {seconds:g} s")
        self.seconds = seconds


class AnswerTooLarge(Exception):
    """The answer is larger than the most syncd reads of one answer; ``how`` says how
    that was seen ("said so", "sent", "unpacked")."""

    def __init__(self, limit: int, how: str) -> None:
        super().__init__(f"answer larger than {limit} bytes ({how})")
        self.limit, self.how = limit, how


class _Budget:
    """What the request running on this thread may still spend: time and bytes."""

    def __init__(self, seconds: float, answer_bytes: int, per_read: float | None) -> None:
        self.seconds, self.answer_bytes, self.per_read = seconds, answer_bytes, per_read
        self.deadline = time.monotonic() + seconds
        self.read = 0

    def wait(self) -> float:
        """How long the next socket operation may wait; RequestDeadline when time is up."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise RequestDeadline(self.seconds)
        return left if self.per_read is None else min(left, self.per_read)

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def count(self, received: int) -> None:
        self.read += received
        if self.read > self.answer_bytes:
            raise AnswerTooLarge(self.answer_bytes, "sent")


_active = threading.local()


def _budget() -> _Budget:
    budget: _Budget | None = getattr(_active, "budget", None)
    if budget is None:  # never: connections connect, and answers are read, in a request
        raise RuntimeError("a bounded connection used outside BoundedHttp.request")
    return budget


class _TimedReader(io.RawIOBase):
    """The socket as an answer reads it: each read waits at most what is left of the
    deadline, and counts what it got."""

    def __init__(self, sock: Any, budget: _Budget) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # holds the socket open until closed
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        self._sock.settimeout(self._budget.wait())
        try:
            received: int | None = self._raw.readinto(buffer)
        except TimeoutError:
            if self._budget.expired():
                raise RequestDeadline(self._budget.seconds) from None
            raise
        self._budget.count(received or 0)
        return received or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Socket:
    """What ``http.client.HTTPResponse`` is given for a socket: only ``makefile`` is used."""

    def __init__(self, sock: Any, budget: _Budget) -> None:
        self._sock, self._budget = sock, budget

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_TimedReader(self._sock, self._budget))


class _Answer(http.client.HTTPResponse):
    """An answer read within the request's budget; gzip and deflate unpacked here, within
    the same size (httplib2 then finds nothing left to unpack)."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        self._budget = _budget()
        super().__init__(_Socket(sock, self._budget), *args, **kwargs)  # type: ignore[arg-type]

    def read(self, amt: int | None = None) -> bytes:
        limit = self._budget.answer_bytes
        if self.length is not None and self.length > limit:
            raise AnswerTooLarge(limit, "said so")
        data = super().read(amt)
        if amt is not None:
            return data
        coding = (self.getheader("Content-Encoding") or "").strip().lower()
        if data and coding in ("gzip", "x-gzip", "deflate"):
            data = _unpack(data, coding, limit)
            del self.msg["Content-Encoding"]
            del self.msg["Content-Length"]
            self.msg["Content-Length"] = str(len(data))
        return data


def _unpack(data: bytes, coding: str, limit: int) -> bytes:
    """gzip or deflate (zlib-wrapped or raw, as servers send both), at most ``limit`` bytes
    unpacked; AnswerTooLarge past it, httplib2's FailedToDecompressContent when broken."""
    modes = (16 + zlib.MAX_WBITS,) if "gzip" in coding else (zlib.MAX_WBITS, -zlib.MAX_WBITS)
    for mode in modes:
        unpacker = zlib.decompressobj(mode)
        out = bytearray()
        try:
            chunk = unpacker.decompress(data, _UNPACK_STEP)
            while chunk:
                out += chunk
                if len(out) > limit:
                    raise AnswerTooLarge(limit, "unpacked")
                chunk = unpacker.decompress(unpacker.unconsumed_tail, _UNPACK_STEP)
        except zlib.error:
            continue
        return bytes(out)
    raise httplib2.FailedToDecompressContent(f"answer said {coding} but is not", None, "")


class _HTTP(httplib2.HTTPConnectionWithTimeout):
    response_class = _Answer

    def connect(self) -> None:
        _connect_within(self, super().connect)


class _HTTPS(httplib2.HTTPSConnectionWithTimeout):
    response_class = _Answer

    def connect(self) -> None:
        _connect_within(self, super().connect)


def _connect_within(connection: Any, connect: Any) -> None:
    """Connect with at most what is left of the deadline (and never longer than the
    connection's own timeout)."""
    own = connection.timeout
    connection.timeout = _budget().wait()
    try:
        connect()
    finally:
        connection.timeout = own


_CONNECTIONS: dict[str, Any] = {"http": _HTTP, "https": _HTTPS}


class BoundedHttp(httplib2.Http):
    """httplib2.Http whose every request ends within ``deadline`` seconds (RequestDeadline)
    and reads at most ``answer_bytes`` of its answer (AnswerTooLarge); ``timeout`` is the
    longest one socket operation may wait, as httplib2 has it."""

    def __init__(
        self,
        *,
        timeout: float,
        deadline: float,
        answer_bytes: int,
        ca_certs: str | None = None,
        verify: bool = True,
    ) -> None:
        """``ca_certs``: the CA certificates (PEM) to trust (None: httplib2's bundle);
        ``verify`` False checks no certificate."""
        super().__init__(
            timeout=timeout, ca_certs=ca_certs, disable_ssl_certificate_validation=not verify
        )
        self.deadline, self.answer_bytes = deadline, answer_bytes

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        scheme = uri.split(":", 1)[0].lower()
        connection_type = _CONNECTIONS.get(scheme)
        if getattr(_active, "budget", None) is not None:  # a redirect followed by httplib2
            return super().request(uri, method, body, headers, redirections, connection_type)
        _active.budget = _Budget(self.deadline, self.answer_bytes, self.timeout)
        try:
            return super().request(uri, method, body, headers, redirections, connection_type)
        except BaseException:
            self.close()  # a connection left in the middle of an answer is of no more use
            raise
        finally:
            _active.budget = None
