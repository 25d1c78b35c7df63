"""The CalDAV provider's sync tokens: opaque strings the caller stores; the provider keeps no state.

Two forms:

- ``sync:<server token>[ <seen>]``: an RFC 6578 sync-token, passed back to the
  server as is, and what the provider had read as of it (``Seen``): a short
  hash of each object's name and of its etag then, base64url after one space
  (a sync-token is a URI: it holds no space). Older tokens have no ``<seen>``.
- ``ctag:<base64url(zlib(JSON))>``: for servers without sync-collection, the
  collection's ctag and a short hash of each object's etag
  (``{"c": ctag or null, "e": {name: hash}}``; names relative to the
  collection). A change shows as a new ctag, then as a new hash. About 30
  bytes an object after compression.

Anything else (an old format, garbage) decodes to None: the caller reads the
whole calendar again.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping

SYNC_PREFIX = "sync:"
CTAG_PREFIX = "ctag:"
# The objects a ``sync:`` token remembers, the latest seen last: past it the oldest are
# forgotten (one such object listed again unchanged is fetched again; no more). 12 bytes
# each: 2,000 is 32 KB of token.
SEEN_MAX = 2000
_DIGEST = 6  # bytes of a name's, and of an etag's, hash


class Seen:
    """What a read delivered, as of its token: name hash -> etag hash per object, in the
    order seen (the latest last). ``unchanged`` tells an object listed again as it was."""

    def __init__(self, entries: Mapping[bytes, bytes] | None = None) -> None:
        self._entries: dict[bytes, bytes] = dict(entries or {})

    def __len__(self) -> int:
        return len(self._entries)

    def unchanged(self, resource: str, etag: str) -> bool:
        """Whether ``resource`` was seen with this (non-empty) etag."""
        return bool(etag) and self._entries.get(_digest(resource)) == _digest(etag)

    def updated(self, seen: Iterable[tuple[str, str]], deleted: Iterable[str] = ()) -> Seen:
        """A copy with these (resource, etag) seen now and ``deleted`` gone; SEEN_MAX kept."""
        entries = dict(self._entries)
        for resource in deleted:
            entries.pop(_digest(resource), None)
        for resource, etag in seen:
            key = _digest(resource)
            entries.pop(key, None)
            if etag:
                entries[key] = _digest(etag)
        kept = list(entries.items())[-SEEN_MAX:]
        return Seen(dict(kept))

    def packed(self) -> str:
        raw = b"".join(k + v for k, v in self._entries.items())
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def unpacked(cls, text: str) -> Seen | None:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return None
        size = 2 * _DIGEST
        if len(raw) % size:
            return None
        pairs = (raw[at : at + size] for at in range(0, len(raw), size))
        return cls({pair[:_DIGEST]: pair[_DIGEST:] for pair in pairs})


@dataclasses.dataclass(frozen=True)
class SyncState:
    """What a ``sync:`` token holds: the server's token and what was read as of it."""

    token: str
    seen: Seen


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=_DIGEST).digest()


@dataclasses.dataclass(frozen=True)
class CtagState:
    """What a ``ctag:`` token remembers: the ctag (None: the server has none) and etag hashes."""

    ctag: str | None
    etags: Mapping[str, str]  # resource -> etag_hash(etag)


def etag_hash(etag: str) -> str:
    """A short stable digest of an etag: equal etags, equal hashes."""
    return hashlib.blake2b(etag.encode("utf-8"), digest_size=6).hexdigest()


def sync_token(server_token: str, seen: Seen | None = None) -> str:
    """A ``sync:`` token for the server's token and what was read as of it."""
    packed = seen.packed() if seen else ""
    return SYNC_PREFIX + server_token + (f" {packed}" if packed else "")


def ctag_token(collection: str, ctag: str | None, etags: Iterable[tuple[str, str]]) -> str:
    """A ``ctag:`` token for (resource, etag) pairs of the collection at resource ``collection``."""
    base = _base(collection)
    names = {r.removeprefix(base): etag_hash(e) for r, e in etags}
    text = json.dumps({"c": ctag, "e": names}, separators=(",", ":"), sort_keys=True)
    packed = base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    return CTAG_PREFIX + packed


def _base(collection: str) -> str:
    return collection if collection.endswith("/") else collection + "/"


# An idle pass decodes the token it stored the pass before: each one once (up to
# SEEN_MAX entries, 2 ms). What it holds is never changed (``Seen.updated`` copies).
@functools.lru_cache(maxsize=64)
def decode(token: str | None, collection: str) -> SyncState | CtagState | None:
    """The state a ``sync:`` or a ``ctag:`` token holds, else None."""
    if not token:
        return None
    if token.startswith(SYNC_PREFIX):
        server, _, packed = token.removeprefix(SYNC_PREFIX).rpartition(" ")
        seen = Seen.unpacked(packed) if server else None
        if seen is None:  # no seen part (an older token), or a server token with a space
            server, seen = token.removeprefix(SYNC_PREFIX), Seen()
        return SyncState(server, seen) if server else None
    if not token.startswith(CTAG_PREFIX):
        return None
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(token.removeprefix(CTAG_PREFIX)))
        data = json.loads(raw)
        ctag, names = data["c"], data["e"]
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError):
        return None
    if not (ctag is None or isinstance(ctag, str)) or not isinstance(names, dict):
        return None
    base = _base(collection)
    etags = {(n if n.startswith("/") else base + n): str(h) for n, h in names.items()}
    return CtagState(ctag, etags)
