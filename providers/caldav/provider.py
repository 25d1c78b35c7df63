"""The CalDAV provider: calendars of one CalDAV account as neutral events, conditional writes.

Reading: an RFC 6578 sync-collection REPORT lists what changed (href, etag) or
was deleted since a token; a calendar-multiget REPORT then fetches the changed
objects in chunks. An idle pass is that one REPORT. A full read (no token)
takes the collection's DAV:sync-token (a depth-0 PROPFIND) and fetches only the
objects with an event near the window by one calendar-query with a time-range
(where a server refuses either, it lists every object and multigets them all).
Servers without sync-collection fall back to ctag/etag comparison
(``providers.caldav.reports``), keeping the etags in the token
(``providers.caldav.tokens``): the provider holds no state between passes. A
``sync:`` token also carries what was read as of it: an answer that lists the
whole calendar for a token the server forgot (DAViCal) is told by it and read
whole instead, and an object listed again unchanged is not fetched
(``providers.caldav.stale``).
Only objects that ``ical.may_matter`` lets through are parsed, and only their
events overlapping the window [start, end) are returned (docs/providers.md).
An object at ``<calendar>/<follow-up id>.ics`` stands for that follow-up's slot.

Writing: conditional PUT and DELETE of one object (``providers.caldav.objects``).

A resource is the object's path, percent-decoded (``davxml.resource_of``), the
same string in events, deletions and writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from caldav.collection import Calendar
from caldav.lib import error as caldav_error

from providers import CalendarInfo, ChangeSet, ReadScope
from providers.caldav import davxml, ical, stale, tokens
from providers.caldav.home import Home
from providers.caldav.objects import DavObjects, collection_url
from providers.caldav.reports import Listing, NoSyncCollection, Reports
from providers.caldav.transport import DavHttp, resolve_password
from syncd.config import Config, SourceConfig
from syncd.errors import NotFoundError, RefusedError
from syncd.model import CalendarEvent, FollowUp

log = logging.getLogger(__name__)

# A full read's calendar-query asks from two days before the window, for times
# the server reads in another zone than ours (floating, all-day, unknown TZIDs);
# what it returns is then cut to the window exactly.
QUERY_BEFORE = dt.timedelta(days=2)


def open_source(source: SourceConfig, config: Config) -> DavProvider:
    """A provider for a ``kind = "caldav"`` source; AuthError when its password cannot be had."""
    return DavProvider(source, config, DavHttp(source, config, resolve_password(source)))


class DavProvider:
    """One CalDAV account (the Provider protocol). ``requests_made`` counts HTTP responses."""

    def __init__(self, source: SourceConfig, config: Config, http: DavHttp) -> None:
        self.source, self.config, self.http = source, config, http
        self.reports = Reports(http)
        self.objects = DavObjects(source, config, http, self.reports)
        self.use_sync_collection = True  # False: always the ctag/etag fallback
        self.use_query = True  # False: a full read fetches every object by multiget
        self._no_sync: set[str] = set()  # calendars whose server refused sync-collection
        self._no_query: set[str] = set()  # calendars whose server refused calendar-query
        self._no_series: set[str] = set()  # ... the query for recurring events
        self._calendars: list[CalendarInfo] | None = None
        self.home = Home(http)

    @property
    def requests_made(self) -> int:
        """HTTP responses received so far (every request that reached the server)."""
        return self.http.requests_made

    # -- calendars

    def list_calendars(self) -> list[CalendarInfo]:
        """The account's calendars (``home.Home.calendars``): id = calendar URL, name = display
        name (or last path part), what the account may do there, its zone, the default one.

        One PROPFIND of the calendar home (after discovery, the first time).
        """
        with self.http.translated("listing calendars"):
            found = self.home.calendars()
        self._calendars = found
        return found

    def ensure_calendar(self, name: str) -> CalendarInfo:
        """The calendar of that display name or URL; created (MKCALENDAR) when missing, and
        then as the server lists it: at the URL asked, else the one new calendar of that
        name (Zimbra and OX move a new calendar to a URL of their own)."""
        before = self.list_calendars()
        match = _find(before, name)
        if match is not None:
            return match
        if _is_url(name):
            raise NotFoundError(f"no calendar at {name}")
        with self.http.translated(f'creating calendar "{name}"'):
            try:
                created = self.home.principal.make_calendar(name=name)
            except caldav_error.DAVError as exc:
                # 403: not allowed here; 405, 501: no MKCALENDAR at all (Posteo)
                if exc.status not in (403, 405, 501):
                    raise
                raise RefusedError(
                    f'creating calendar "{name}": the server refuses it (HTTP {exc.status});'
                    " create it in a calendar app, or name a calendar the account may write to"
                ) from None
            assert isinstance(created, Calendar), "a sync client answers at once"
        url = str(created.url)
        log.debug('%s: created calendar "%s" at %s', self.source.name, name, url)
        path = davxml.resource_of(url)  # listed as the server spells it ("%20" for a space)
        now = self.list_calendars()
        listed = next((c for c in now if c.aliases[0] == path), None)
        if listed is None:  # Zimbra, OX: the server put it elsewhere; the one new of that name
            ids = {c.id for c in before}
            new = [c for c in now if c.id not in ids and c.name == name]
            listed = new[0] if len(new) == 1 else None
        return listed or CalendarInfo(url, name, (davxml.resource_of(url),))

    # -- reading

    def read_changes(
        self,
        calendar: CalendarInfo,
        token: str | None,
        scope: ReadScope,
        known: Mapping[str, str] | None = None,
    ) -> ChangeSet:
        """Changes since ``token``; None or a refused token gives a full read (``full``).

        Events are those overlapping the scope's window. ``known`` (resource ->
        etag) objects whose etag is unchanged are listed in ``unchanged`` and not
        fetched. In an incremental read, a changed object that yields no event (no
        longer an interview or follow-up, or nothing in the window) is listed in
        ``deleted``: nothing of syncd's concern is there any more. Raises
        TransientError, AuthError, NotFoundError (the calendar is gone).
        """
        url = collection_url(calendar.id)
        collection = davxml.resource_of(url)
        state = tokens.decode(token, collection)
        listing: Listing | None = None
        if isinstance(state, tokens.SyncState) and self._sync_allowed(url):
            try:
                listing = self.reports.sync(url, collection, state.token)
            except NoSyncCollection:
                self._no_sync.add(url)
            if listing is None:
                log.info("%s: %s: sync token refused, reading it whole", self.source.name, url)
            else:
                listing = self._judged(url, listing, state)
        elif isinstance(state, tokens.CtagState) and token:
            listing = self.reports.ctag_changes(url, collection, token, state, known or {})
        full = listing is None
        if listing is None:
            whole = self._read_window(calendar, url, known or {}, scope)
            if whole is not None:
                return whole
            listing = self._full_listing(url, collection)
        return self._changes(calendar, listing, full, known or {}, scope)

    def _judged(self, url: str, listing: Listing, state: tokens.SyncState) -> Listing | None:
        """The sync answer to ``state``'s token without the objects it lists again unchanged;
        None when it lists the whole calendar instead of changes (``stale.judge``)."""
        verdict = stale.judge(listing.members, listing.deleted, state.seen, state.token,
                              listing.token)  # fmt: skip
        if verdict.everything:
            log.info(
                "%s: %s: the server answered the sync token with the whole calendar (%s):"
                " reading it whole",
                self.source.name,
                url,
                verdict.why,
            )
            return None
        members = tuple(m for m in listing.members if m.resource not in verdict.relisted)
        return dataclasses.replace(listing, members=members, seen=state.seen)

    def _read_window(
        self,
        calendar: CalendarInfo,
        url: str,
        known: Mapping[str, str],
        scope: ReadScope,
    ) -> ChangeSet | None:
        """A full read as the collection's sync token, one calendar-query for the objects
        near the window and one for the recurring ones (``Reports.series``); None where
        the server offers the token or the first query not (then list and multiget).

        The token comes first: what changes during the query comes again with it.
        """
        if not (self.use_query and self._sync_allowed(url) and url not in self._no_query):
            return None
        server_token = self.reports.sync_token(url)
        if not server_token:
            return None
        answers = self.reports.query(url, scope.start - QUERY_BEFORE, scope.end)
        if answers is None:
            self._no_query.add(url)
            return None
        if url not in self._no_series:
            series = self.reports.series(url)
            # None: refused; objects with no RRULE: the filter ignored (DAViCal sends all)
            recurring = [a for a in series or () if "RRULE" in (a.data or "")]
            if series is None or len(recurring) < len(series):
                self._no_series.add(url)
            have = {a.member.resource for a in answers}
            answers += [a for a in recurring if a.member.resource not in have]
        events: list[CalendarEvent] = []
        unchanged = []
        for fetched in answers:
            member = fetched.member
            if member.etag and known.get(member.resource) == member.etag:
                unchanged.append(member.resource)
            else:
                events.extend(self._events_of(calendar, fetched, scope) or ())
        seen = tokens.Seen().updated((a.member.resource, a.member.etag) for a in answers)
        token = tokens.sync_token(server_token, seen)
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
        scope: ReadScope,
    ) -> ChangeSet:
        """Fetch and parse what the listing says changed, but what the caller knows already."""
        unchanged = tuple(
            m.resource for m in listing.members if m.etag and known.get(m.resource) == m.etag
        )
        skip = set(unchanged)
        wanted = [m for m in listing.members if m.resource not in skip]
        events: list[CalendarEvent] = []
        deleted = list(listing.deleted)
        read = [(m.resource, m.etag) for m in listing.members if m.resource in skip]
        for fetched in self.reports.multiget(collection_url(calendar.id), wanted):
            if fetched.gone:
                deleted.append(fetched.member.resource)
                continue
            read.append((fetched.member.resource, fetched.member.etag))
            found = self._events_of(calendar, fetched, scope)
            if found:
                events.extend(found)
            elif found is not None and not full:
                deleted.append(fetched.member.resource)  # nothing of syncd's concern left there
        token = listing.token
        if listing.seen is not None:
            token = tokens.sync_token(token, listing.seen.updated(read, deleted))
        return ChangeSet(tuple(events), tuple(deleted), token, full, unchanged)

    def _events_of(
        self, calendar: CalendarInfo, fetched: davxml.Fetched, scope: ReadScope
    ) -> list[CalendarEvent] | None:
        """The object's events in the window; [] when it cannot matter or has none there;
        None when it is unreadable (warned)."""
        resource = fetched.member.resource
        if fetched.data is None:
            log.warning(
                "%s: %s: the server sent no data for it, skipped", self.source.name, resource
            )
            return None
        if not ical.may_matter(fetched.data, scope):
            return []
        etag, window = fetched.member.etag, (scope.start, scope.end)
        events = self.objects.parse(calendar.id, resource, etag, fetched.data, *window)
        if events is None:
            return None
        tz = self.config.timezone
        return [e for e in events if scope.overlaps(e.start, e.end, tz)]

    # -- one object (the follow-up slots)

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        """The follow-up stored at ``<calendar>/<id>.ics``; None when there is none."""
        return self.objects.get(self._calendar_id(calendar), followup_id)

    def create(self, followup: FollowUp) -> CalendarEvent:
        """Write it at ``<target>/<id>.ics`` (``objects.DavObjects.create``)."""
        return self.objects.create(self._calendar_id(followup.target), followup)

    def update(self, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        """Replace it if unchanged since ``etag`` (``objects.DavObjects.update``)."""
        return self.objects.update(self._calendar_id(followup.target), followup, resource, etag)

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        """Delete it if unchanged since ``etag`` (``objects.DavObjects.delete``)."""
        self.objects.delete(self._calendar_id(calendar), resource, etag)

    def close(self) -> None:
        self.http.close()

    # -- helpers

    def _calendar_id(self, ref: str) -> str:
        """A calendar's id (URL) from its URL, path or display name; NotFoundError when unknown."""
        if _is_url(ref):
            return ref
        calendars = self._calendars if self._calendars is not None else self.list_calendars()
        match = _find(calendars, ref)
        if match is None:
            raise NotFoundError(f'no calendar "{ref}"')
        return match.id


def _find(calendars: Iterable[CalendarInfo], ref: str) -> CalendarInfo | None:
    """The calendar ``ref`` names (URL, path or display name), or None."""
    return next((c for c in calendars if c.answers_to(ref)), None)


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))
