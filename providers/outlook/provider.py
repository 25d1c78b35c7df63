"""The Outlook provider: one Microsoft account's calendars through Microsoft Graph.

Reading: a calendarView delta round per calendar (``reading``): its deltaLink
is the token, so an idle pass is one request per calendar; a refused token
(410 ``syncStateNotFound``), a token not of this source's Graph, or a window
that moved on a day begin a new round, a full read. ``@removed`` items are
deletions. Markers come from one listing of the calendar's follow-ups, made
only when the delta brought something new. Calendars: ``/me/calendars``, with
``canEdit`` as the write right.

Writing: Graph chooses the event ids. ``create`` first looks for the
follow-up (syncd's id property; ConflictError when it is there), then POSTs it
with a transactionId of its own, so a retried POST whose answer was lost gives
back the event Graph made, not a second one. ``update`` (PATCH) and ``delete``
carry ``If-Match`` with the etag; a 412 is a ConflictError, or a NotFoundError
when the event is gone (``ErrorItemNotFound``). A 403 on a write (a calendar
the account may only read) is a RefusedError. Every request goes through
``graph.Graph``: retries, Retry-After, one token refresh on 401.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

from providers import CalendarInfo, ChangeSet, ReadScope
from providers.outlook import reading
from providers.outlook.credentials import Tokens
from providers.outlook.events import (
    EXPAND,
    ID_PROPERTY,
    event_of,
    full_body,
    owned_body,
    properties_of,
)
from providers.outlook.graph import Graph
from providers.outlook.settings import OutlookSettings
from providers.outlook.transport import Http
from syncd import limits
from syncd.config import Config, SourceConfig
from syncd.errors import ConflictError, GoneError, NotFoundError, ProviderError
from syncd.model import CalendarEvent, FollowUp

log = logging.getLogger(__name__)

# A Graph calendar id (Exchange's base64 of an entry id), as opposed to a display name.
_CALENDAR_ID = re.compile(r"A[AQ]Mk[A-Za-z0-9+/=_-]{20,}")


def open_source(source: SourceConfig, config: Config) -> OutlookProvider:
    """A provider for a ``kind = "outlook"`` source; AuthError when it is not authorized."""
    return OutlookProvider(source, config)


class OutlookProvider:
    """One Microsoft account (the Provider protocol)."""

    def __init__(self, source: SourceConfig, config: Config, *, graph: Graph | None = None) -> None:
        settings: OutlookSettings = source.settings
        self.source, self.config = source, config
        self._me = frozenset(address.lower() for address in source.me)
        self.http = Http(
            deadline=settings.timeout.total_seconds(), answer_bytes=limits.ANSWER_BYTES
        )
        self.graph = graph or Graph(
            settings.graph_url, Tokens(settings, source.name), self.http, source.name
        )

    # -- calendars

    def list_calendars(self) -> list[CalendarInfo]:
        """The account's calendars: ``writable`` from ``canEdit``; the default calendar is the
        ``default`` and answers to "calendar"."""
        found = []
        first = self.graph.url("/me/calendars", {"$top": "100"})
        for page in reading.pages(self._fetch, first, "listing calendars", self.graph.ours):
            for entry in page.get("value", ()):
                calendar = reading.calendar_of(entry) if isinstance(entry, Mapping) else None
                if calendar is not None:
                    found.append(calendar)
        return found

    def ensure_calendar(self, name: str) -> CalendarInfo:
        """The calendar of that id, name or alias; created when missing (NotFoundError for
        a missing calendar named by its id)."""
        for calendar in self.list_calendars():
            if calendar.answers_to(name):
                return calendar
        if _CALENDAR_ID.fullmatch(name):
            raise NotFoundError(f"no calendar {limits.shown(name, 80)}")
        what = f"creating {name!r}"
        made = self.graph.call(
            "POST", self.graph.url("/me/calendars"), what, body={"name": name}, write=True
        )
        key = made.get("id")
        if not isinstance(key, str) or not key:
            raise ProviderError(f"{what}: Microsoft answered with a calendar that has no id")
        log.debug("%s: created calendar %r", self.source.name, name)
        return CalendarInfo(key, name)

    # -- reading

    def read_changes(
        self,
        calendar: CalendarInfo,
        token: str | None,
        scope: ReadScope,
        known: Mapping[str, str] | None = None,
    ) -> ChangeSet:
        """Changes since ``token`` (a delta round's link); a full read (a new round) without
        one, when Graph refuses it, or when the window moved on. Raises TransientError,
        AuthError, NotFoundError (the calendar is gone), ProviderError."""
        known = known or {}
        found = reading.Round.of(token) if token else None
        listed: tuple[list[Any], str] | None = None
        if found is not None and not found.stale(scope) and self.graph.ours(found.link):
            try:
                listed = reading.delta(self._fetch, found.link, self.graph.ours)
                start, end = found.start, found.end
            except GoneError:
                log.info(
                    "%s: %s: sync token refused; reading it whole", self.source.name, calendar.name
                )
        elif token:
            log.debug("%s: %s: a new delta round", self.source.name, calendar.name)
        full = listed is None
        if listed is None:
            start, end = reading.window(scope)
            path = f"/me/calendars/{_quoted(calendar.id)}/calendarView/delta"
            first = self.graph.url(
                path,
                {
                    "startDateTime": reading.graph_time(start),
                    "endDateTime": reading.graph_time(end),
                },
            )
            listed = reading.delta(self._fetch, first, self.graph.ours)
        items, link = listed
        owned: dict[str, dict[str, Any]] = {}
        if reading.needs_markers(items, known):
            events = self.graph.url(
                f"/me/calendars/{_quoted(calendar.id)}/events", reading.markers_query()
            )
            owned = reading.owned(self._fetch, events, self.graph.ours)
        return reading.change_set(
            items,
            owned,
            calendar,
            token=reading.Round(start, end, link).token(),
            full=full,
            known=known,
            scope=scope,
            me=self._me,
            zone=self.config.timezone,
            source=self.source.name,
        )

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        """The follow-up syncd created for that id in ``calendar``, or None."""
        for item in self._carrying(calendar, followup_id):
            event = self._event(item, calendar, f"reading {followup_id}")
            if event.slot == followup_id:
                return event
        return None

    # -- writing

    def create(self, followup: FollowUp) -> CalendarEvent:
        """POST it with a transactionId of its own; ConflictError when the follow-up is
        there already, NotFoundError when the calendar is gone, RefusedError (403)."""
        target = followup.target
        if self.get(target, followup.id) is not None:
            raise ConflictError(f"creating {followup.id}: the follow-up is there already")
        body = full_body(followup, time.time_ns() // 1_000_000)
        url = self.graph.url(f"/me/calendars/{_quoted(target)}/events")
        item = self.graph.call("POST", url, f"creating {followup.id}", body=body, write=True)
        item.setdefault("transactionId", body["transactionId"])
        return self._written(item, followup, f"creating {followup.id}")

    def update(self, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        """PATCH the fields syncd owns if the etag is still ``etag``: ConflictError when it
        changed, NotFoundError when it is gone, RefusedError (403)."""
        url = self.graph.url(f"/me/events/{_quoted(resource)}")
        what = f"updating {resource[-12:]}"
        with self._gone_or_changed(resource):
            item = self.graph.call(
                "PATCH",
                url,
                what,
                body=owned_body(followup),
                headers={"If-Match": etag},
                write=True,
            )
        if not item.get("transactionId"):  # (Graph sends it once an app has set it)
            item["transactionId"] = f"{followup.id}.0"
        return self._written(item, followup, what)

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        """DELETE if its etag is still ``etag``: ConflictError otherwise, NotFoundError when
        it is gone, RefusedError (403)."""
        url = self.graph.url(f"/me/events/{_quoted(resource)}")
        with self._gone_or_changed(resource):
            self.graph.call(
                "DELETE", url, f"deleting {resource[-12:]}", headers={"If-Match": etag}, write=True
            )

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    # -- internals

    def _fetch(self, url: str, what: str, headers: Mapping[str, str]) -> dict[str, Any]:
        return self.graph.call("GET", url, what, headers=headers)

    def _carrying(self, calendar: str, followup_id: str) -> list[Any]:
        """The calendar's events whose syncd id property is ``followup_id``, with syncd's
        properties."""
        query = {
            "$filter": f"singleValueExtendedProperties/any(ep: ep/id eq '{ID_PROPERTY}'"
            f" and ep/value eq '{followup_id}')",
            "$expand": EXPAND,
        }
        url = self.graph.url(f"/me/calendars/{_quoted(calendar)}/events", query)
        found: list[Any] = []
        for page in reading.pages(self._fetch, url, f"reading {followup_id}", self.graph.ours):
            found.extend(page.get("value", ()))
        return found

    @contextlib.contextmanager
    def _gone_or_changed(self, resource: str) -> Iterator[None]:
        """A 412 to a conditional write: NotFoundError when the event is gone, else the
        ConflictError as it came."""
        try:
            yield
        except ConflictError:
            url = self.graph.url(f"/me/events/{_quoted(resource)}", {"$select": "id"})
            try:
                self.graph.call("GET", url, f"reading {resource[-12:]}")
            except NotFoundError:
                raise NotFoundError(f"{resource[-12:]} is deleted") from None
            raise

    def _written(self, item: dict[str, Any], followup: FollowUp, what: str) -> CalendarEvent:
        """The event Graph answered a write with, syncd's properties as written."""
        properties = {
            p["id"]: p["value"] for p in owned_body(followup)["singleValueExtendedProperties"]
        }
        try:
            return event_of(item, followup.target, self._me, properties)
        except ValueError as error:
            raise ProviderError(
                f"{what}: Microsoft's answer is not a readable event ({error})"
            ) from None

    def _event(self, item: Any, calendar: str, what: str) -> CalendarEvent:
        try:
            return event_of(item, calendar, self._me, properties_of(item))
        except (ValueError, AttributeError) as error:
            raise ProviderError(
                f"{what}: Microsoft's answer is not a readable event ({error})"
            ) from None


def _quoted(key: str) -> str:
    """An id as one segment of a path."""
    return urllib.parse.quote(key, safe="")
