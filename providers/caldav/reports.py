"""What changed in a CalDAV collection, and the objects' data: the provider's read requests.

- ``sync``: RFC 6578 sync-collection (sync-level 1, Depth 0), following a
  truncated answer (507, section 3.6) with the token it came with.
- ``ctag_changes`` / ``ctag_listing``: the fallback for servers without it: a
  depth-0 PROPFIND for the ctag, and when it moved, one depth-1 PROPFIND for the
  ctag and every etag, compared with the hashes kept in the token. When syncd
  itself wrote there since the token (an etag it holds is not the token's), the
  ctag has moved for sure: the depth-1 PROPFIND alone.
- ``multiget``: calendar-multiget REPORTs (RFC 4791 7.9) of MULTIGET_CHUNK hrefs. An
  answer that cannot be read whole (one object's data holds a character XML
  cannot carry; the answer is past ``syncd.limits.ANSWER_BYTES``) is asked for
  again in halves, down to single objects: the object that still cannot be read
  is skipped with one warning, every other one is read. When both halves of an
  answer too large are too large again, the server is to blame: the read fails.
- ``sync_token``, ``query`` and ``series``: a full read. The collection's
  DAV:sync-token by PROPFIND, then one calendar-query REPORT (RFC 4791 7.8) with a
  VEVENT time-range for the objects with an event in a window, leaving the rest on
  the server (Radicale answers it from its cache of each item's span), and one
  for the objects with a recurring VEVENT, for the servers whose time-range test
  does not expand a series (SOGo).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from providers.caldav import davxml, tokens
from providers.caldav.bounded import Answer
from providers.caldav.davxml import Fetched, Member
from providers.caldav.transport import AnswerTooLarge, DavHttp, DeadlinePassed
from syncd import limits
from syncd.errors import NotFoundError, ProviderError, TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")

MULTIGET_CHUNK = 500  # hrefs per calendar-multiget REPORT
SYNC_MAX_PAGES = 100  # requests for one truncated sync-collection answer


class NoSyncCollection(Exception):
    """The server does not do sync-collection on this collection."""


@dataclasses.dataclass(frozen=True)
class Listing:
    """What changed in a collection: members to fetch, deleted resources, the next token.

    A sync-collection listing holds the server's token and ``seen``, what was read as
    of the token it answered (the provider makes the ``sync:`` token of both); a ctag
    listing holds its whole ``ctag:`` token and no ``seen``.
    """

    members: tuple[Member, ...]
    deleted: tuple[str, ...]
    token: str
    seen: tokens.Seen | None = None


class Reports:
    """The read requests on one source's collections (``url`` ends with "/")."""

    def __init__(self, http: DavHttp) -> None:
        self.http = http

    def sync(self, url: str, collection: str, server_token: str) -> Listing | None:
        """Changes since ``server_token`` (``""``: every member), with the server's new token
        (and an empty ``seen``); None when the token is refused.

        Raises NoSyncCollection when the server has no sync-collection here.
        """
        current: dict[str, Member | None] = {}  # resource -> member; None: deleted
        token = server_token
        headers = {**davxml.XML_HEADERS, "Depth": "0"}  # RFC 6578 3.2
        for _ in range(SYNC_MAX_PAGES):
            body = davxml.sync_collection_body(token)
            response = self.http.send("REPORT", url, body, headers, what=_reading(url))
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
        return Listing(members, deleted, token, tokens.Seen())

    def ctag_changes(
        self,
        url: str,
        collection: str,
        token: str,
        state: tokens.CtagState,
        known: Mapping[str, str],
    ) -> Listing:
        """Changes since a ``ctag:`` token; one PROPFIND when nothing changed, one when only
        syncd wrote there since (``known``: the etags it holds of its writes)."""
        unsure = state.ctag is not None and not _written_since(state, known)
        if unsure and self.ctag(url) == state.ctag:
            return Listing((), (), token)
        return self.ctag_listing(url, collection, state)

    def ctag_listing(self, url: str, collection: str, state: tokens.CtagState | None) -> Listing:
        """Members whose etag changed since ``state`` (all of them without one): one
        depth-1 PROPFIND, the collection's ctag in the same answer."""
        # The collection's own properties come first: a change during the listing
        # shows in the ctag next time.
        body = davxml.propfind_body("getctag", "getetag", "resourcetype")
        headers = {**davxml.XML_HEADERS, "Depth": "1"}
        response = self.http.send("PROPFIND", url, body, headers, what=_reading(url))
        if response.status_code != 207 or not davxml.found(response.content):
            raise self.calendar_error(response, url)
        members = _parsed(url, lambda: davxml.parse_members(response.content, collection))
        tag = davxml.property_tag("getctag")
        ctag = _parsed(url, lambda: davxml.parse_property(response.content, tag)) or None
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
        """Each member's data and etag, MULTIGET_CHUNK per request; no request for none.

        An object whose data cannot be read is left out, with one warning.
        """
        for start in range(0, len(members), MULTIGET_CHUNK):
            chunk = members[start : start + MULTIGET_CHUNK]
            try:
                answers = self._multiget(url, chunk)
            except (davxml.PartlyUnreadable, AnswerTooLarge) as exc:
                answers = self._in_halves(url, chunk, exc)
            yield from self._readable(url, answers)

    def _multiget(self, url: str, chunk: Sequence[Member]) -> list[Fetched]:
        """One calendar-multiget; PartlyUnreadable or AnswerTooLarge when its answer
        cannot be read whole, a ProviderError when the server is to blame."""
        body = davxml.multiget_body(m.href for m in chunk)
        # RFC 4791 7.9: the Depth header is ignored for calendar-multiget; send none.
        response = self.http.send("REPORT", url, body, davxml.XML_HEADERS, what=_reading(url))
        if response.status_code != 207:
            raise self.calendar_error(response, url)
        try:
            answers = davxml.parse_multiget(response.content)
        except davxml.PartlyUnreadable:
            raise
        except davxml.MalformedResponse as exc:
            raise ProviderError(
                f"{_reading(url)}: the server's answer is unreadable: {exc}"
            ) from None
        listed = {m.resource: m for m in chunk}
        return [
            dataclasses.replace(a, member=listed[a.member.resource])
            if not a.member.etag and a.member.resource in listed
            else a
            for a in answers
        ]

    def _in_halves(
        self, url: str, chunk: Sequence[Member], failure: ProviderError
    ) -> list[Fetched]:
        """The objects of a multiget whose answer could not be read whole (``failure``),
        asked for again in halves down to single objects; one that still cannot be read
        comes back without data and with the ``problem``, unless a GET of it reads it
        (``_alone``)."""
        if len(chunk) == 1:
            return [self._alone(url, chunk[0], failure)]
        middle = len(chunk) // 2
        halves = (chunk[:middle], chunk[middle:])
        outcomes: list[list[Fetched] | ProviderError] = []
        for half in halves:
            try:
                outcomes.append(self._multiget(url, half))
            except (davxml.PartlyUnreadable, AnswerTooLarge) as exc:
                outcomes.append(exc)
        if all(isinstance(o, AnswerTooLarge) for o in (failure, *outcomes)):
            raise AnswerTooLarge(
                f"{_reading(url)}: the server's answers are larger than"
                f" {limits.ANSWER_BYTES / 2**20:g} MiB even for half as many objects;"
                " check that the source's url is the CalDAV server's"
            )
        found: list[Fetched] = []
        for half, outcome in zip(halves, outcomes, strict=True):
            found.extend(
                self._in_halves(url, half, outcome) if isinstance(outcome, Exception) else outcome
            )
        return found

    def _alone(self, url: str, member: Member, failure: ProviderError) -> Fetched:
        """One object whose multiget answer, asked for alone, still failed: read by a GET
        (its iCalendar as is, no XML to carry it) unless it is too large. A GET that fails
        fails the read, as any request of it: the sync token does not move past an object
        a fault kept from being read. A GET answered with no iCalendar leaves it out."""
        if isinstance(failure, AnswerTooLarge):
            return Fetched(member, None, problem=_problem(failure))
        target = urllib.parse.urljoin(url, member.href)
        headers = {"Accept": "text/calendar"}
        response = self.http.send("GET", target, b"", headers, what=_reading(url))
        if response.status_code in (404, 410):
            return Fetched(member, None, gone=True)
        if response.status_code != 200:
            raise self.http.fail(response, f"{_reading(url)}: GET {member.resource}")
        data = _icalendar_text(response.content or b"")
        if data is None:
            return Fetched(member, None, problem=_problem(failure) + "; a GET of it too")
        etag = response.headers.get("ETag") or member.etag
        return Fetched(dataclasses.replace(member, etag=etag), data)

    def _readable(self, url: str, answers: Iterable[Fetched]) -> Iterator[Fetched]:
        """The answers, but those whose data syncd does not read: one warning each."""
        for answer in answers:
            if answer.problem:
                name = limits.shown(answer.member.resource.rsplit("/", 1)[-1], 100)
                log.warning(
                    "%s: calendar %s: %s skipped: %s",
                    self.http.source.name,
                    urllib.parse.urlsplit(url).path,
                    name,
                    answer.problem,
                )
            else:
                yield answer

    def query(self, url: str, start: dt.datetime, end: dt.datetime) -> list[Fetched] | None:
        """The objects with a VEVENT overlapping [start, end); None when the server will not
        answer a calendar-query here (then multiget is the way)."""
        body = davxml.calendar_query_body(start, end)
        return self._query(url, body, "calendar-query", "fetching every object")

    def series(self, url: str) -> list[Fetched] | None:
        """The objects holding a recurring VEVENT (an RRULE), whenever it recurs; None when
        the server will not say. For servers whose time-range test looks at a series'
        first instance only (SOGo, Yahoo; Stalwart's all-day ones)."""
        body = davxml.SERIES_QUERY_BODY
        return self._query(url, body, "query for recurring events", "not asked again")

    def _query(self, url: str, body: bytes, name: str, then: str) -> list[Fetched] | None:
        """The objects a calendar-query REPORT answers; None when it fails or is refused."""
        headers = {**davxml.XML_HEADERS, "Depth": "1"}
        try:
            response = self.http.send("REPORT", url, body, headers, what=_reading(url))
        except DeadlinePassed:
            raise  # the next request would wait as long
        except TransientError as exc:
            # Xandikos answers 500 when one stored object defeats its filter; a multiget
            # still reads the others (and a server that is down fails that one too).
            log.info("%s: %s failed (%s): %s", url, name, exc, then)
            return None
        except AnswerTooLarge:
            log.info("%s: %s answer too large: %s", url, name, then)
            return None
        status = response.status_code or 0
        if status in (403, 404, 410):
            raise self.calendar_error(response, url)
        if status != 207:
            log.info("%s: %s refused (HTTP %d): %s", url, name, status, then)
            return None
        try:
            answers = davxml.parse_multiget(response.content)
        except davxml.MalformedResponse as exc:  # PartlyUnreadable too: the multiget halves
            log.info("%s: %s answer unreadable (%s): %s", url, name, exc, then)
            return None
        return list(self._readable(url, (a for a in answers if not a.gone)))

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
        body = davxml.propfind_body(name)
        response = self.http.send("PROPFIND", url, body, headers, what=what or _reading(url))
        if not what and (response.status_code != 207 or not davxml.found(response.content or b"")):
            raise self.calendar_error(response, url)
        if response.status_code != 207:
            raise self.http.fail(response, what)
        tag = davxml.property_tag(name)
        return _parsed(url, lambda: davxml.parse_property(response.content, tag)) or None


def _written_since(state: tokens.CtagState, known: Mapping[str, str]) -> bool:
    """Whether an object syncd holds as written has an etag the token does not know."""
    return any(state.etags.get(r) != tokens.etag_hash(e) for r, e in known.items() if e)


def _reading(url: str) -> str:
    """How an error of a read of the calendar at ``url`` begins."""
    return f"reading calendar {urllib.parse.urlsplit(url).path}"


def _icalendar_text(body: bytes) -> str | None:
    """An object's iCalendar as text, None when it is none: unfolded as bytes first (RFC
    5545 3.1: a fold may split a character's UTF-8), then UTF-8, else Windows-1252 (the
    legacy exports' encoding: "Soci\xe9t\xe9" is "Société")."""
    raw = re.sub(rb"\r?\n[ \t]", b"", body).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not raw.startswith(b"BEGIN:VCALENDAR"):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _problem(failure: ProviderError) -> str:
    """What a warning says of an object whose answer alone still failed."""
    if isinstance(failure, AnswerTooLarge):
        return davxml.TOO_LARGE
    return f"the server's answer for it is unreadable ({failure})"


def _parsed(url: str, parse: Callable[[], T]) -> T:
    """``parse()``, a MalformedResponse made the read's error."""
    try:
        return parse()
    except davxml.MalformedResponse as exc:
        raise ProviderError(f"{_reading(url)}: the server's answer is unreadable: {exc}") from None
