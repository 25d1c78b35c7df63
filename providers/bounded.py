"""An answer read within bounds: at most so many bytes, and by a wall-clock deadline.

For every provider kind whose HTTP library streams (niquests for CalDAV,
requests for Graph). A socket's timeout starts again with every byte, and the
libraries read an answer whole into memory: a server dripping a byte every few
seconds, sending 500 MB, or a small gzip body that inflates a thousandfold would
hold a pass, or its memory, without end. Here an answer is read as it streams in
(the HTTP library decompresses it 64 KiB at a time) and reading stops at the
byte cap; an answer that says it is larger is not read at all. A timer ends the
request at its deadline, whichever part of it is under way: before the answer's
headers are in by closing the session's connections, after them by shutting the
answer's socket down (a blocked read returns at once).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Any, Protocol

CHUNK = 64 * 1024  # bytes asked of the HTTP library at a time (decompressed)


class TooLarge(Exception):
    """The answer is longer than ``limit`` bytes (decompressed)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"longer than {limit} bytes")
        self.limit = limit


class TooSlow(Exception):
    """The request ran past its deadline (``seconds``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no whole answer within {seconds:g} s")
        self.seconds = seconds


class Session(Protocol):
    """What a deadline needs of an HTTP library's session: a way to end its requests."""

    def close(self) -> None: ...


class Deadline:
    """Ends the request under way on ``session`` once ``seconds`` have passed.

    A context manager around one request; ``watch`` hands it the answer once its
    headers are in. ``expired`` tells afterwards whether a failure was the
    deadline's doing (the request then fails with a network error of the library).
    """

    def __init__(self, session: Session, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._session = session
        self._response: Any = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        # An expiry under way ends before the session's next request can start.
        self._timer.join()

    def watch(self, response: Any) -> None:
        """From now on the deadline ends ``response``; TooSlow when it has passed already."""
        with self._lock:
            self.check()
            self._response = response

    def check(self) -> None:
        """TooSlow when the deadline has passed."""
        if self.expired:
            raise TooSlow(self.seconds)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            response = self._response
        if response is None or not _shut_down(response):
            self._session.close()


def read_body(response: Any, limit: int, deadline: Deadline) -> bytes:
    """The whole body of a streamed ``response``, decompressed; TooLarge past ``limit``
    bytes, TooSlow past the deadline (the caller closes the response)."""
    headers = response.headers
    length = str(headers.get("Content-Length") or "").strip()
    if length.isdigit() and not headers.get("Content-Encoding") and int(length) > limit:
        raise TooLarge(limit)
    parts: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK):
        deadline.check()
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        parts.append(chunk)
    deadline.check()
    return b"".join(parts)


def _shut_down(response: Any) -> bool:
    """Shut the socket of ``response`` down (a read blocked on it returns at once);
    False when it cannot be found."""
    connection = getattr(getattr(response, "raw", None), "connection", None)
    sock = getattr(connection, "sock", None)
    if not isinstance(sock, socket.socket):
        return False
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    return True
