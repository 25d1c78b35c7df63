"""What changed in a CalDAV collection, and the objects' data: the provider's read requests.

- ``sync``: RFC 6578 sync-collection (sync-level 1, Depth 0), following a
  truncated answer (507, section 3.6) with the token it came with.
- ``ctag_changes`` / ``ctag_listing``: the fallback for servers without it: a
  depth-0 PROPFIND for the ctag, and when it moved, a depth-1 PROPFIND for every
  etag, compared with the hashes kept in the token.
- ``multiget``: calendar-multiget REPORTs (RFC 4791 7.9) of MULTIGET_CHUNK hrefs.
- ``sync_token`` and ``query``: a full read. The collection's DAV:sync-token by
  PROPFIND, then one calendar-query REPORT (RFC 4791 7.8) with a VEVENT
  time-range for the objects with an event in a window, leaving the rest on the
  server (Radicale answers it from its cache of each item's span).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import urllib.parse
from collections.abc import Iterator, Sequence

from providers.caldav import davxml, tokens
from providers.caldav.bounded import Answer
from providers.caldav.davxml import Fetched, Member
from providers.caldav.transport import DavHttp
from syncd.errors import NotFoundError, ProviderError, TransientError

log = logging.getLogger(__name__)

MULTIGET_CHUNK = 500  # hrefs per calendar-multiget REPORT
SYNC_MAX_PAGES = 100  # requests for one truncated sync-collection answer


class NoSyncCollection(Exception):
    """The server does not do sync-collection on this collection."""


@dataclasses.dataclass(frozen=True)
class Listing:
    """What changed in a collection: members to fetch, deleted resources, the next token."""

    members: tuple[Member, ...]
    deleted: tuple[str, ...]
    token: str


class Reports:
    """The read requests on one source's collections (``url`` ends with "/")."""

    def __init__(self, http: DavHttp) -> None:
        self.http = http

    def sync(self, url: str, collection: str, server_token: str) -> Listing | None:
        """Changes since ``server_token`` (``""``: every member); None when the token is refused.

        Raises NoSyncCollection when the server has no sync-collection here.
        """
        current: dict[str, Member | None] = {}  # resource -> member; None: deleted
        token = server_token
        headers = {**davxml.XML_HEADERS, "Depth": "0"}  # RFC 6578 3.2
        for _ in range(SYNC_MAX_PAGES):
            response = self.http.send("REPORT", url, davxml.sync_collection_body(token), headers)
            status = response.status_code or 0
            if status == 404 or (status == 410 and not server_token):
                raise self.calendar_error(response, url)
            if status != 207 and server_token and 400 <= status < 500:
                # valid-sync-token: Radicale 403, Xandikos 412, others 409 or 410. A
                # real permission problem shows in the full read that follows.
                return None
            if status != 207:  # 400, 403, 405, 501 ...
                raise NoSyncCollection(f"HTTP {status}")
            try:
                page = davxml.parse_sync(response.content or b"", collection)
            except davxml.MalformedResponse as exc:
                if server_token:
                    return None
                raise NoSyncCollection(str(exc)) from None
            current.update((m.resource, m) for m in page.changed)
            current.update((resource, None) for resource in page.deleted)
            token = page.token
            if not page.truncated:
                break
        else:
            log.warning("%s: sync-collection answer still truncated, the rest comes next time", url)
        members = tuple(m for m in current.values() if m is not None)
        deleted = tuple(r for r, m in current.items() if m is None)
        return Listing(members, deleted, tokens.sync_token(token))

    def ctag_changes(
        self, url: str, collection: str, token: str, state: tokens.CtagState
    ) -> Listing:
        """Changes since a ``ctag:`` token; one PROPFIND when the ctag has not moved."""
        if state.ctag is not None and self.ctag(url) == state.ctag:
            return Listing((), (), token)
        return self.ctag_listing(url, collection, state)

    def ctag_listing(self, url: str, collection: str, state: tokens.CtagState | None) -> Listing:
        """Members whose etag changed since ``state`` (all of them without one)."""
        ctag = self.ctag(url)  # first: a change during the listing shows next time
        body = davxml.propfind_body("getetag", "resourcetype")
        headers = {**davxml.XML_HEADERS, "Depth": "1"}
        response = self.http.send("PROPFIND", url, body, headers)
        if response.status_code != 207 or not davxml.found(response.content or b""):
            raise self.calendar_error(response, url)
        members = davxml.parse_members(response.content or b"", collection)
        token = tokens.ctag_token(collection, ctag, [(m.resource, m.etag) for m in members])
        if state is None:
            return Listing(tuple(members), (), token)
        old = state.etags
        changed = tuple(m for m in members if old.get(m.resource) != tokens.etag_hash(m.etag))
        present = {m.resource for m in members}
        return Listing(changed, tuple(r for r in old if r not in present), token)

    def sync_token(self, url: str) -> str | None:
        """The collection's DAV:sync-token property (RFC 6578 4); None when it has none."""
        return self._property(url, "sync-token", "")

    def ctag(self, url: str) -> str | None:
        """The collection's CS:getctag; None when the server has none."""
        return self._property(url, "getctag", "")

    def multiget(self, url: str, members: Sequence[Member]) -> Iterator[Fetched]:
        """Each member's data and etag, MULTIGET_CHUNK per request; no request for none."""
        for start in range(0, len(members), MULTIGET_CHUNK):
            chunk = members[start : start + MULTIGET_CHUNK]
            body = davxml.multiget_body(m.href for m in chunk)
            # RFC 4791 7.9: the Depth header is ignored for calendar-multiget; send none.
            response = self.http.send("REPORT", url, body, davxml.XML_HEADERS)
            if response.status_code != 207:
                raise self.calendar_error(response, url)
            try:
                answers = davxml.parse_multiget(response.content or b"")
            except davxml.MalformedResponse as exc:
                raise TransientError(f"{url}: calendar-multiget: {exc}") from None
            listed = {m.resource: m for m in chunk}
            for answer in answers:
                if not answer.member.etag and answer.member.resource in listed:
                    answer = dataclasses.replace(answer, member=listed[answer.member.resource])
                yield answer

    def query(self, url: str, start: dt.datetime, end: dt.datetime) -> list[Fetched] | None:
        """The objects with a VEVENT overlapping [start, end); None when the server will not
        answer a calendar-query here (then multiget is the way)."""
        headers = {**davxml.XML_HEADERS, "Depth": "1"}
        body = davxml.calendar_query_body(start, end)
        try:
            response = self.http.send("REPORT", url, body, headers)
        except TransientError as exc:
            # Xandikos answers 500 when one stored object defeats its filter; a multiget
            # still reads the others (and a server that is down fails that one too).
            log.info("%s: calendar-query failed (%s): fetching every object", url, exc)
            return None
        status = response.status_code or 0
        if status in (403, 404, 410):
            raise self.calendar_error(response, url)
        if status != 207:
            log.info("%s: calendar-query refused (HTTP %d): fetching every object", url, status)
            return None
        try:
            return [a for a in davxml.parse_multiget(response.content or b"") if not a.gone]
        except davxml.MalformedResponse as exc:
            log.info("%s: calendar-query answer unreadable (%s): fetching every object", url, exc)
            return None

    def exists(self, url: str) -> bool:
        """Whether the collection (or object) at ``url`` is there: a depth-0 PROPFIND."""
        headers = {**davxml.XML_HEADERS, "Depth": "0"}
        response = self.http.send("PROPFIND", url, davxml.propfind_body("resourcetype"), headers)
        if response.status_code in (404, 410):
            return False
        if response.status_code != 207:
            raise self.http.fail(response, f"looking for {url}")
        return davxml.found(response.content or b"")

    def etag_of(self, url: str) -> str:
        """One object's etag by PROPFIND (for servers that send no ETag header)."""
        return self._property(url, "getetag", f"reading the etag of {url}") or ""

    def calendar_error(self, response: Answer, url: str) -> ProviderError:
        """The typed error for a read of a calendar that failed (to raise): NotFoundError
        when it is gone (404, 410, or a 207 saying 404), a ProviderError for a 403 (this
        calendar alone: the login itself works), else as ``DavHttp.fail``."""
        status = response.status_code or 0
        path = urllib.parse.urlsplit(url).path
        if status in (404, 410, 207):
            said = 404 if status == 207 else status  # 207: a multistatus holding a 404
            return NotFoundError(
                f"calendar {path}: no longer on the server (HTTP {said}); it was deleted,"
                " or is no longer shared with this account"
            )
        if status == 403:
            return ProviderError(
                f"calendar {path}: the server does not let this account read it (HTTP 403);"
                " check that it is still shared with the account"
            )
        return self.http.fail(response, f"reading calendar {path}")

    def _property(self, url: str, name: str, what: str) -> str | None:
        """One property (named as for ``propfind_body``) by a depth-0 PROPFIND; None when
        the server has none. ``what`` names an object; "" means ``url`` is a calendar
        (then a missing one is a NotFoundError)."""
        headers = {**davxml.XML_HEADERS, "Depth": "0"}
        response = self.http.send("PROPFIND", url, davxml.propfind_body(name), headers)
        if not what and (response.status_code != 207 or not davxml.found(response.content or b"")):
            raise self.calendar_error(response, url)
        if response.status_code != 207:
            raise self.http.fail(response, what)
        tag = davxml.property_tag(name)
        return davxml.parse_property(response.content or b"", tag) or None
