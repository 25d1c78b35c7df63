"""Answers of a broken or hostile server, for ``FakeGoogleCalendar.tamper``.

Each is seen in the field or made to be as bad as it can: HTML where JSON was
due (Google's own error pages, a network's login page with status 200), a 200
with an empty body, JSON cut short or nested a hundred thousand deep, bytes
that are not UTF-8, a listing of 200 MB (said or chunked), a gzip bomb, an
answer sent a byte at a time, page tokens that come again or never end, items
without an id or with fields of the wrong type. Nothing here holds a large body
in memory: big bodies are made as they are sent.
"""

from __future__ import annotations

import functools
import itertools
import json
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from .google_faults import Make, Query
from .google_http import Answer, Stream

JSON = "application/json; charset=UTF-8"

# Bodies with status 200 that are not the JSON the API promises.
CUT_SHORT = b'{"kind": "calendar#events", "items": [{"id": "a1", "summary": "Interv'
LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in to the Wi-Fi</title></head>"
    b"<body><form action='/login'>Accept the terms to go on</form></body></html>"
)
EMPTY = b""
NOT_UTF8 = b'{"kind": "calendar#events", "summary": "\xff\xfe\xc0", "items": []}'
A_LIST = b'[{"kind": "calendar#events", "items": []}]'
ITEMS_NOT_A_LIST = b'{"kind": "calendar#events", "items": {"id": "a1"}}'
TOKEN_NOT_TEXT = b'{"kind": "calendar#events", "items": [], "nextPageToken": {"a": 1}}'


def deep(levels: int = 100_000) -> bytes:
    """A listing whose items are lists nested ``levels`` deep."""
    return b'{"kind": "calendar#events", "items": ' + b"[" * levels + b"]" * levels + b"}"


def empty_objects(count: int = 1_000_000) -> bytes:
    """A listing of ``count`` empty objects: 3 bytes each on the wire, 64 once parsed."""
    return b'{"kind": "calendar#events", "items": [' + b"{}," * count + b"{}]}"


def body(data: bytes, content_type: str = JSON, status: int = 200, **headers: str) -> Make:
    """``data`` in place of the answer, with ``status`` and ``headers`` (``Content_Encoding``
    for Content-Encoding)."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}

    def make(real: Callable[[Query], Answer], query: Query) -> Answer:
        return status, {"Content-Type": content_type, **named}, data

    return make


def huge(size: int, *, said: bool = True) -> Make:
    """A listing of ``size`` bytes of events, made as it is sent; ``said``: the answer's
    Content-Length says its size, else it is chunked."""
    item = b'{"kind": "calendar#event", "id": "x", "summary": "Filler", "status": "confirmed"},'
    block = item * (65536 // len(item))
    head, tail = b'{"kind": "calendar#events", "items": [', b"{}]}"

    def chunks() -> Iterator[bytes]:
        yield head
        left = size - len(head) - len(tail)
        while left >= len(block):
            yield block
            left -= len(block)
        yield b" " * left + tail  # valid JSON to its last byte

    def make(real: Callable[[Query], Answer], query: Query) -> Answer:
        return 200, {"Content-Type": JSON}, Stream(chunks(), length=size if said else None)

    return make


@functools.cache
def _bomb(unpacked: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip
    block = b" " * (1 << 20)  # white space: valid JSON between the brackets
    parts = [packer.compress(b'{"kind": "calendar#events", "items": [')]
    parts += [packer.compress(block) for _ in range(unpacked >> 20)]
    parts += [packer.compress(b"]}"), packer.flush()]
    return b"".join(parts)


def gzip_bomb(unpacked: int = 512 << 20) -> Make:
    """A listing gzipped to about a thousandth of its ``unpacked`` size (made once)."""
    packed = _bomb(unpacked)

    def make(real: Callable[[Query], Answer], query: Query) -> Answer:
        headers = {"Content-Type": JSON, "Content-Encoding": "gzip"}
        return 200, headers, Stream(iter([packed]), length=len(packed))

    return make


class Drip:
    """The real answer, status line and headers too, sent one byte every ``every``
    seconds; ``sent`` counts the bytes the client took before it hung up."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.streams: list[Stream] = []

    @property
    def sent(self) -> int:
        return sum(stream.sent for stream in self.streams)

    def __call__(self, real: Callable[[Query], Answer], query: Query) -> Answer:
        status, headers, payload = real(query)
        assert isinstance(payload, bytes)
        lines = [f"HTTP/1.1 {status} OK"] + [f"{k}: {v}" for k, v in headers.items()]
        lines += [f"Content-Length: {len(payload)}", "Connection: close", "", ""]
        whole = "\r\n".join(lines).encode() + payload
        stream = Stream(self._drip(whole), raw=True)
        self.streams.append(stream)
        return status, {}, stream

    def _drip(self, whole: bytes) -> Iterator[bytes]:
        for index in range(len(whole)):
            if index:
                time.sleep(self.every)
            yield whole[index : index + 1]


def _rewritten(change: Callable[[dict[str, Any]], None], *, first_page: bool = False) -> Make:
    """The real answer with ``change`` made to its JSON; ``first_page``: whatever page
    token the client sends, the first page (a server that never moves on)."""

    def make(real: Callable[[Query], Answer], query: Query) -> Answer:
        if first_page:
            query = {name: values for name, values in query.items() if name != "pageToken"}
        status, headers, payload = real(query)
        assert isinstance(payload, bytes)
        answer = json.loads(payload)
        if status == 200:
            change(answer)
        return status, headers, json.dumps(answer).encode()

    return make


def same_page_token(token: str = "again") -> Make:
    """Every page says there is another, and names the same token for it."""

    def change(answer: dict[str, Any]) -> None:
        answer.pop("nextSyncToken", None)
        answer["nextPageToken"] = token

    return _rewritten(change, first_page=True)


def endless_page_tokens() -> Make:
    """Every page says there is another, under a token never sent before."""
    count = itertools.count(1)

    def change(answer: dict[str, Any]) -> None:
        answer.pop("nextSyncToken", None)
        answer["nextPageToken"] = f"page-{next(count)}"

    return _rewritten(change, first_page=True)


def with_items(*extra: object) -> Make:
    """The real listing with ``extra`` items among its own."""

    def change(answer: dict[str, Any]) -> None:
        answer["items"] = [*extra, *answer.get("items", [])]

    return _rewritten(change)
