"""HTTP for Graph: one session, every answer read within a deadline and a size.

A socket's timeout starts again with every byte, and a server can send
gigabytes, or a small gzip body that inflates a thousandfold. Each answer is
read as it streams in (decompressed 64 KiB at a time) and reading stops at
``answer_bytes``; an answer that says it is larger is not read at all. A timer
ends the request at its deadline, whichever part of it is under way: before the
answer's headers by closing the session's connections, after them by shutting
the answer's socket down (a blocked read returns at once).
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
from collections.abc import Mapping
from typing import Any

import requests

CHUNK = 64 * 1024  # bytes asked of the HTTP library at a time (decompressed)
SOCKET_SECONDS = 30  # one socket operation (connect, one read) at most


class TooLarge(Exception):
    """The answer is longer than ``limit`` bytes (decompressed)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"longer than {limit} bytes")
        self.limit = limit


class TooSlow(Exception):
    """The request ran past its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no whole answer within {seconds:g} s")
        self.seconds = seconds


@dataclasses.dataclass(frozen=True)
class Answer:
    """A whole answer: status, headers (case-insensitive), body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Http:
    """One session; ``send`` makes one request within ``deadline`` seconds and reads at
    most ``answer_bytes`` of its answer. Redirects are not followed (Graph sends none
    to a client that asks as syncd does; a token must not travel elsewhere)."""

    def __init__(self, *, deadline: float, answer_bytes: int) -> None:
        self.deadline, self.answer_bytes = deadline, answer_bytes
        self.session = requests.Session()

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
    ) -> Answer:
        """The answer; TooSlow past the deadline, TooLarge past the size, requests'
        RequestException on a network failure."""
        expired = threading.Event()
        held: dict[str, Any] = {}
        lock = threading.Lock()

        def expire() -> None:
            with lock:
                expired.set()
                response = held.get("response")
            if response is None or not _shut_down(response):
                self.session.close()

        timer = threading.Timer(self.deadline, expire)
        timer.daemon = True
        timer.start()
        try:
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=dict(headers),
                    data=body,
                    stream=True,
                    allow_redirects=False,
                    timeout=(SOCKET_SECONDS, SOCKET_SECONDS),
                )
            except requests.RequestException:
                if expired.is_set():
                    raise TooSlow(self.deadline) from None
                raise
            with lock:
                held["response"] = response
            try:
                if expired.is_set():
                    raise TooSlow(self.deadline)
                content = _read(response, self.answer_bytes, expired, self.deadline)
            except (requests.RequestException, OSError):
                if expired.is_set():
                    raise TooSlow(self.deadline) from None
                raise
            finally:
                response.close()
            return Answer(response.status_code, response.headers, content)
        finally:
            timer.cancel()
            timer.join()

    def close(self) -> None:
        self.session.close()


def _read(response: Any, limit: int, expired: threading.Event, seconds: float) -> bytes:
    headers = response.headers
    length = str(headers.get("Content-Length") or "").strip()
    if length.isdigit() and not headers.get("Content-Encoding") and int(length) > limit:
        raise TooLarge(limit)
    parts: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK):
        if expired.is_set():
            raise TooSlow(seconds)
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        parts.append(chunk)
    if expired.is_set():
        raise TooSlow(seconds)
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
