"""The CalDAV provider's sync tokens: opaque strings the caller stores; the provider keeps no state.

Two forms:

- ``sync:<server token>``: an RFC 6578 sync-token, passed back to the server as is.
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
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping

SYNC_PREFIX = "sync:"
CTAG_PREFIX = "ctag:"


@dataclasses.dataclass(frozen=True)
class CtagState:
    """What a ``ctag:`` token remembers: the ctag (None: the server has none) and etag hashes."""

    ctag: str | None
    etags: Mapping[str, str]  # resource -> etag_hash(etag)


def etag_hash(etag: str) -> str:
    """A short stable digest of an etag: equal etags, equal hashes."""
    return hashlib.blake2b(etag.encode("utf-8"), digest_size=6).hexdigest()


def sync_token(server_token: str) -> str:
    return SYNC_PREFIX + server_token


def ctag_token(collection: str, ctag: str | None, etags: Iterable[tuple[str, str]]) -> str:
    """A ``ctag:`` token for (resource, etag) pairs of the collection at resource ``collection``."""
    base = _base(collection)
    names = {r.removeprefix(base): etag_hash(e) for r, e in etags}
    text = json.dumps({"c": ctag, "e": names}, separators=(",", ":"), sort_keys=True)
    packed = base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    return CTAG_PREFIX + packed


def _base(collection: str) -> str:
    return collection if collection.endswith("/") else collection + "/"


def decode(token: str | None, collection: str) -> str | CtagState | None:
    """The server token of a ``sync:`` token, the state of a ``ctag:`` one, else None."""
    if not token:
        return None
    if token.startswith(SYNC_PREFIX):
        return token.removeprefix(SYNC_PREFIX) or None
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
