"""The CalDAV provider: calendars of one CalDAV account as neutral events, conditional writes.

Reading: an RFC 6578 sync-collection REPORT lists what changed (href, etag) or
was deleted since a token; a calendar-multiget REPORT then fetches the changed
objects in chunks. An idle pass is that one REPORT. A full read (no token)
takes the collection's DAV:sync-token (a depth-0 PROPFIND) and fetches only the
objects with an event near [start, end) by one calendar-query with a
time-range: what lies outside can hold no interview syncd plans for nor a
follow-up of one (where a server refuses either, it lists every object and
multigets them all). Servers without
sync-collection fall back to ctag/etag comparison (``providers.caldav.reports``),
keeping the etags in the token (``providers.caldav.tokens``): the provider holds no
state between passes.
Only objects that pass ``ical.Prefilter`` are parsed.

Writing: PUT with ``If-None-Match: *`` (create) or ``If-Match: <etag>``
(update), DELETE with ``If-Match``; never the Schedule-Tag.

A resource is the object's path, percent-decoded (``davxml.resource_of``), the
same string in events, deletions and writes.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from collections.abc import Iterable, Mapping

import niquests
from caldav.collection import Calendar, Principal

from providers import CalendarInfo, ChangeSet, ReadScope
from providers.caldav import davxml, ical, tokens
from providers.caldav.reports import Listing, NoSyncCollection, Reports
from providers.caldav.transport import DavHttp, resolve_password
from syncd.config import Config, SourceConfig
from syncd.errors import ConflictError, NotFoundError, ProviderError
from syncd.model import CalendarEvent, FollowUp

log = logging.getLogger(__name__)

# Single objects (follow-ups) are read whatever their time; this only bounds a
# series found at a follow-up's href.
_WIDE = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
_ICS = {"Content-Type": "text/calendar; charset=utf-8"}
# A full read's calendar-query asks for a wider window than detection's: two
# days before, for times the server reads in another zone than ours (floating,
# all-day, unknown TZIDs); 45 days after, for the follow-ups of interviews near
# the lookahead's end (a follow-up outside is still found by its href on create).
QUERY_BEFORE = dt.timedelta(days=2)
QUERY_AFTER = dt.timedelta(days=45)


def open_source(source: SourceConfig, config: Config) -> DavProvider:
    """A provider for a ``kind = "caldav"`` source; AuthError when its password cannot be had."""
    return DavProvider(source, config, DavHttp(source, config, resolve_password(source)))


class DavProvider:
    """One CalDAV account (the Provider protocol). ``requests_made`` counts HTTP responses."""

    def __init__(self, source: SourceConfig, config: Config, http: DavHttp) -> None:
        self.source, self.config, self.http = source, config, http
        self.reports = Reports(http)
        self.prefilter = ical.Prefilter(config.detect)
        self.use_sync_collection = True  # False: always the ctag/etag fallback
        self.use_query = True  # False: a full read fetches every object by multiget
        self._no_sync: set[str] = set()  # calendars whose server refused sync-collection
        self._no_query: set[str] = set()  # calendars whose server refused calendar-query
        self._calendars: list[CalendarInfo] | None = None
        self._principal: Principal | None = None

    @property
    def requests_made(self) -> int:
        """HTTP responses received so far (every request that reached the server)."""
        return self.http.requests_made

    # -- calendars

    def list_calendars(self) -> list[CalendarInfo]:
        """The account's calendars: id = calendar URL, name = display name (or last path part)."""
        with self.http.translated("listing calendars"):
            calendars = self._get_principal().get_calendars()
            assert isinstance(calendars, list), "a sync client answers at once"
            found = [_info(str(c.url), _name_of(c)) for c in calendars]
        self._calendars = found
        return found

    def ensure_calendar(self, name: str) -> CalendarInfo:
        """The calendar of that display name or URL; created (MKCALENDAR) when missing."""
        match = _find(self.list_calendars(), name)
        if match is not None:
            return match
        if _is_url(name):
            raise NotFoundError(f"no calendar at {name}")
        with self.http.translated(f'creating calendar "{name}"'):
            created = self._get_principal().make_calendar(name=name)
            assert isinstance(created, Calendar), "a sync client answers at once"
        info = _info(str(created.url), name)
        log.info('%s: created calendar "%s" at %s', self.source.name, name, info.id)
        self._calendars = None
        return info

    # -- reading

    def read_changes(
        self,
        calendar: CalendarInfo,
        token: str | None,
        scope: ReadScope,
        known: Mapping[str, str] | None = None,
    ) -> ChangeSet:
        """Changes since ``token``; None or a refused token gives a full read (``full``).

        ``known`` (resource -> etag) objects whose etag is unchanged are listed in
        ``unchanged`` and not fetched. In an incremental read, a changed object
        that yields no event (no longer an interview or follow-up, or no instance
        in [start, end)) is listed in ``deleted``: nothing of syncd's concern is
        there any more. Raises TransientError, AuthError, NotFoundError.
        """
        start, end = scope.start, scope.end
        url = _collection_url(calendar.id)
        collection = davxml.resource_of(url)
        state = tokens.decode(token, collection)
        listing: Listing | None = None
        if isinstance(state, str) and self._sync_allowed(url):
            try:
                listing = self.reports.sync(url, collection, state)
            except NoSyncCollection:
                self._no_sync.add(url)
            if listing is None:
                log.info("%s: %s: sync token refused, reading it whole", self.source.name, url)
        elif isinstance(state, tokens.CtagState) and token:
            listing = self.reports.ctag_changes(url, collection, token, state)
        full = listing is None
        if listing is None:
            whole = self._read_window(calendar, url, known or {}, start, end)
            if whole is not None:
                return whole
            listing = self._full_listing(url, collection)
        return self._changes(calendar, listing, full, known or {}, start, end)

    def _read_window(
        self,
        calendar: CalendarInfo,
        url: str,
        known: Mapping[str, str],
        start: dt.datetime,
        end: dt.datetime,
    ) -> ChangeSet | None:
        """A full read as the collection's sync token and one calendar-query for the objects
        near [start, end); None where the server offers either not (then list and multiget).

        The token comes first: what changes during the query comes again with it.
        """
        if not (self.use_query and self._sync_allowed(url) and url not in self._no_query):
            return None
        server_token = self.reports.sync_token(url)
        if not server_token:
            return None
        answers = self.reports.query(url, start - QUERY_BEFORE, end + QUERY_AFTER)
        if answers is None:
            self._no_query.add(url)
            return None
        events: list[CalendarEvent] = []
        unchanged = []
        for fetched in answers:
            member = fetched.member
            if member.etag and known.get(member.resource) == member.etag:
                unchanged.append(member.resource)
            else:
                events.extend(self._events_of(calendar, fetched, start, end) or ())
        token = tokens.sync_token(server_token)
        return ChangeSet(tuple(events), (), token, True, tuple(unchanged))

    def _sync_allowed(self, url: str) -> bool:
        return self.use_sync_collection and url not in self._no_sync

    def _full_listing(self, url: str, collection: str) -> Listing:
        """Every member: sync-collection from an empty token, else the ctag/etag listing."""
        if self._sync_allowed(url):
            try:
                listing = self.reports.sync(url, collection, "")
            except NoSyncCollection as exc:
                log.info(
                    "%s: %s: no sync-collection (%s): comparing etags", self.source.name, url, exc
                )
                self._no_sync.add(url)
            else:
                assert listing is not None, "an empty token is never refused"
                return listing
        return self.reports.ctag_listing(url, collection, None)

    def _changes(
        self,
        calendar: CalendarInfo,
        listing: Listing,
        full: bool,
        known: Mapping[str, str],
        start: dt.datetime,
        end: dt.datetime,
    ) -> ChangeSet:
        """Fetch and parse what the listing says changed, but what the caller knows already."""
        unchanged = tuple(
            m.resource for m in listing.members if m.etag and known.get(m.resource) == m.etag
        )
        skip = set(unchanged)
        wanted = [m for m in listing.members if m.resource not in skip]
        events: list[CalendarEvent] = []
        deleted = list(listing.deleted)
        for fetched in self.reports.multiget(_collection_url(calendar.id), wanted):
            if fetched.gone:
                deleted.append(fetched.member.resource)
                continue
            found = self._events_of(calendar, fetched, start, end)
            if found:
                events.extend(found)
            elif found is not None and not full:
                deleted.append(fetched.member.resource)  # nothing of syncd's concern left there
        return ChangeSet(tuple(events), tuple(deleted), listing.token, full, unchanged)

    def _events_of(
        self, calendar: CalendarInfo, fetched: davxml.Fetched, start: dt.datetime, end: dt.datetime
    ) -> list[CalendarEvent] | None:
        """The object's events; [] when it cannot matter; None when it is unreadable (warned)."""
        resource = fetched.member.resource
        if fetched.data is None:
            log.warning(
                "%s: %s: the server sent no data for it, skipped", self.source.name, resource
            )
            return None
        if not self.prefilter.may_match(fetched.data):
            return []
        return self._parse(calendar.id, resource, fetched.member.etag, fetched.data, start, end)

    def _parse(
        self,
        calendar: str,
        resource: str,
        etag: str,
        data: str | bytes,
        start: dt.datetime,
        end: dt.datetime,
    ) -> list[CalendarEvent] | None:
        """ical.parse_object, or None with one warning for a hopeless object."""
        try:
            return ical.parse_object(
                data,
                calendar=calendar,
                resource=resource,
                etag=etag,
                tz=self.config.timezone,
                me=self.source.me,
                start=start,
                end=end,
            )
        except ical.ObjectError as exc:
            log.warning("%s: skipped an unreadable object: %s", self.source.name, exc)
        except Exception as exc:  # one odd object must not stop the calendar's read
            log.warning(
                "%s: %s: skipped, it could not be read (%s: %s)",
                self.source.name,
                resource,
                type(exc).__name__,
                exc,
            )
        return None

    # -- one object

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        """The follow-up stored at ``<calendar>/<id>.ics``; None when there is none (404).

        An unreadable object there gives None too, with a warning.
        """
        calendar_id = self._calendar_id(calendar)
        url = _object_url(calendar_id, ical.followup_href_name(followup_id))
        response = self.http.send("GET", url, b"", {"Accept": "text/calendar"})
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise self.http.fail(response, f"reading {url}")
        etag = response.headers.get("ETag") or self.reports.etag_of(url)
        resource = davxml.resource_of(url)
        events = self._parse(calendar_id, resource, etag, response.content or b"", *_WIDE)
        return events[0] if events else None

    def create(self, followup: FollowUp) -> CalendarEvent:
        """PUT ``If-None-Match: *`` at ``<target>/<id>.ics``; ConflictError when it exists.

        A UID already used elsewhere in the calendar (409/412 no-uid-conflict) is
        a conflict too.
        """
        calendar = self._calendar_id(followup.target)
        url = _object_url(calendar, ical.followup_href_name(followup.id))
        body = ical.render_followup(followup, self.config.timezone)
        response = self.http.send("PUT", url, body, {**_ICS, "If-None-Match": "*"})
        if response.status_code in (409, 412):
            conditions = davxml.error_conditions(response.content or b"")
            why = "its UID is in use" if "no-uid-conflict" in conditions else "it exists already"
            raise ConflictError(f"{url}: not created: {why}")
        return self._written(response, calendar, url, body, "creating")

    def update(self, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        """PUT ``If-Match: etag``; ConflictError when it changed (or is gone: servers say 412)."""
        calendar = self._calendar_id(followup.target)
        url = _object_url(calendar, resource or ical.followup_href_name(followup.id))
        if not etag:
            raise ConflictError(f"{url}: no etag to update against")
        body = ical.render_followup(followup, self.config.timezone)
        response = self.http.send("PUT", url, body, {**_ICS, "If-Match": etag})
        if response.status_code == 412:
            raise ConflictError(f"{url}: changed meanwhile")
        return self._written(response, calendar, url, body, "updating")

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        """DELETE ``If-Match: etag``; ConflictError when it changed, NotFoundError when gone."""
        url = _object_url(self._calendar_id(calendar), resource)
        if not etag:
            raise ConflictError(f"{url}: no etag to delete against")
        response = self.http.send("DELETE", url, b"", {"If-Match": etag})
        if response.status_code == 412:
            raise ConflictError(f"{url}: changed meanwhile")
        if not 200 <= (response.status_code or 0) < 300:
            raise self.http.fail(response, f"deleting {url}")

    def close(self) -> None:
        self.http.close()

    # -- helpers

    def _written(
        self, response: niquests.Response, calendar: str, url: str, body: bytes, doing: str
    ) -> CalendarEvent:
        """The follow-up as written, with the etag the server gave it."""
        if not 200 <= (response.status_code or 0) < 300:
            raise self.http.fail(response, f"{doing} {url}")
        etag = response.headers.get("ETag") or self.reports.etag_of(url)
        events = self._parse(calendar, davxml.resource_of(url), etag, body, *_WIDE)
        if not events:
            raise ProviderError(f"{url}: the follow-up syncd wrote cannot be read back")
        return events[0]

    def _calendar_id(self, ref: str) -> str:
        """A calendar's id (URL) from its URL, path or display name; NotFoundError when unknown."""
        if _is_url(ref):
            return ref
        calendars = self._calendars if self._calendars is not None else self.list_calendars()
        match = _find(calendars, ref)
        if match is None:
            raise NotFoundError(f'no calendar "{ref}"')
        return match.id

    def _get_principal(self) -> Principal:
        if self._principal is None:
            self._principal = self.http.client.get_principal()
        return self._principal


def _name_of(calendar: Calendar) -> str:
    """The display name, else the last part of the calendar's path."""
    name = calendar.get_display_name()
    if name:
        return str(name)
    return davxml.resource_of(str(calendar.url)).rstrip("/").rsplit("/", 1)[-1]


def _info(url: str, name: str) -> CalendarInfo:
    """A calendar by its URL, answering to its path too."""
    return CalendarInfo(url, name, (davxml.resource_of(url),))


def _find(calendars: Iterable[CalendarInfo], ref: str) -> CalendarInfo | None:
    """The calendar ``ref`` names (URL, path or display name), or None."""
    return next((c for c in calendars if c.answers_to(ref)), None)


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def _collection_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _object_url(calendar: str, name_or_resource: str) -> str:
    """The URL of an object: a name inside the calendar, or a resource (absolute path)."""
    return urllib.parse.urljoin(_collection_url(calendar), davxml.href_of(name_or_resource))
