"""The Google Calendar provider: one Google account's calendars through the Calendar v3 API.

Reading: ``events.list`` with ``singleEvents`` (series come as instances, each
with its own id and its series' id in ``recurringEventId``) and ``showDeleted``,
over every page; the ``nextSyncToken`` of the last page is the token. A full
read asks for the window (``timeMin``, ``timeMax``); an incremental one gets
whatever changed, and what lies outside the window is reported in ``deleted``
(docs/providers.md: one meaning of the window). An idle pass is one request per
calendar. A refused token (410 ``fullSyncRequired``, 400 on ``syncToken``) is
handled here: the calendar is read whole again and the change set says
``full``. Cancelled items (deleted events, cancelled instances, a deleted series
as one item) are reported in ``deleted``, except those that carry syncd's
markers: a follow-up the user deleted, reported as an event of status
"cancelled" (``reading.change_set``). A calendar the account sees busy times
of only (freeBusyReader) reads as empty. The calendar list gives each
calendar's rights, zone and whether it is the primary one
(``reading.calendar_of``). Pages are followed within PAGES_PER_LISTING, and an
answer too large is asked again in smaller pages (``listing``).

Writing: ``events.insert`` with syncd's own id (409 when it exists: a deleted
one is revived, a live one is a ConflictError), ``events.patch`` with
``If-Match`` carrying only the fields syncd owns, ``events.delete`` with
``If-Match``. A 403 on a write (a calendar the account may only read) is a
RefusedError. Every request goes through ``retry.Retrier``, over HTTP bounded
in time and size (``transport``: the source's ``timeout`` for a whole
request, syncd.limits.ANSWER_BYTES per answer); an answer that is not the JSON
the API promises is one ProviderError (``answers``), never a traceback.

Credentials come from the source's token file (``credentials``); a refreshed
access token is written back to it. The token's scopes must cover what the
source needs (``scopes``): creating calendars only with a ``target_calendar``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build

from providers import CalendarInfo, ChangeSet, ReadScope
from providers.google import listing, scopes
from providers.google.answers import AnswerModel
from providers.google.credentials import auth_command, load_credentials, save_credentials
from providers.google.events import event_of, full_body, owned_body, rfc3339
from providers.google.reading import calendars_of, change_set, zone_of
from providers.google.retry import Retrier
from providers.google.settings import GoogleSettings
from providers.google.transport import BoundedHttp
from syncd import limits
from syncd.config import Config, SourceConfig
from syncd.errors import (
    AuthError,
    ConflictError,
    GoneError,
    NotFoundError,
    ProviderError,
    TransientError,
)
from syncd.model import CalendarEvent, FollowUp

log = logging.getLogger(__name__)

# Google's maximum: an account's window of events usually fits one page, and
# each request counts against the per-user quota (about 600 a minute).
PAGE_SIZE = 2500
CALENDAR_LIST_PAGE = 250
HTTP_TIMEOUT = 30  # seconds one socket operation may wait (the whole request: timeout)
_CALENDAR_ID = re.compile(r"^\S+@\S+$")  # "…@group.calendar.google.com", an address


def open_source(source: SourceConfig, config: Config) -> GcalProvider:
    """A provider for a ``kind = "google"`` source; AuthError when it is not authorized."""
    return GcalProvider(source, config)


class GcalProvider:
    """One Google account (the Provider protocol).

    ``retrier`` runs every request (inject one to observe waits); ``page_size``
    is ``maxResults`` of events.list.
    """

    def __init__(
        self,
        source: SourceConfig,
        config: Config,
        *,
        retrier: Retrier | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        settings: GoogleSettings = source.settings
        self.source, self.config = source, config
        self.retrier = retrier or Retrier(source.name)
        self.page_size = page_size
        self._me = frozenset(address.lower() for address in source.me)
        self._token_file = settings.token_file
        self._credentials, self._token_info = load_credentials(settings.token_file, source.name)
        problem = scopes.grant_problem(
            self._credentials.scopes or (), source, auth_command(source.name)
        )
        if problem:
            raise AuthError(problem)
        self._saved_token = self._credentials.token
        self._http: AuthorizedHttp | None = None
        self._service: Any = None

    # -- calendars

    def list_calendars(self) -> list[CalendarInfo]:
        """The account's calendar list, hidden ones too, each with what the server says
        of it: ``writable`` and ``readable`` from its accessRole, ``hidden``, its
        ``timeZone`` as ``zone``; the primary one is the ``default`` and answers to
        "primary"."""
        pages = listing.pages(
            self._execute,
            lambda token: self._api.calendarList().list(
                maxResults=CALENDAR_LIST_PAGE, showHidden=True, pageToken=token
            ),
            "listing calendars",
        )
        return calendars_of(
            (entry for page in pages for entry in page.get("items", ())), self.source.name
        )

    def ensure_calendar(self, name: str) -> CalendarInfo:
        """The calendar of that id, name or alias; created (calendars.insert) when missing.

        Raises NotFoundError for a missing calendar named by its id.
        """
        for calendar in self.list_calendars():
            if calendar.answers_to(name):
                return calendar
        if _CALENDAR_ID.match(name):
            raise NotFoundError(f"no calendar {name}")
        body = {"summary": name, "timeZone": self.config.timezone.key}
        what = f"creating {name!r}"
        created = _resource(
            self._execute(self._api.calendars().insert(body=body), what, write=True), what
        )
        log.debug("%s: created calendar %r (%s)", self.source.name, name, created["id"])
        zone = zone_of(created, self.source.name)
        return CalendarInfo(created["id"], created.get("summary", name), zone=zone)

    # -- reading

    def read_changes(
        self,
        calendar: CalendarInfo,
        token: str | None,
        scope: ReadScope,
        known: Mapping[str, str] | None = None,
    ) -> ChangeSet:
        """Changes since ``token``; without one, or when Google refuses it, a full read.

        A full read covers the events overlapping the scope's window; in an
        incremental one, a changed event outside it goes to ``deleted``. Items
        whose etag equals ``known[id]`` go to ``unchanged``. A calendar the account
        may not read (freeBusyReader: busy times only) reads as empty, without a
        request when its CalendarInfo says so. Raises TransientError, AuthError,
        NotFoundError (no such calendar).
        """
        if not calendar.readable:
            return ChangeSet((), (), "", full=True)
        listed: listing.Listing | None = None
        if token:
            try:
                listed = self._list_events(calendar, syncToken=token)
            except GoneError:
                log.info(
                    "%s: %s: sync token refused; reading it whole", self.source.name, calendar.name
                )
        full = listed is None
        if listed is None:
            window = {"timeMin": rfc3339(scope.start), "timeMax": rfc3339(scope.end)}
            try:
                listed = self._list_events(calendar, **window)
            except GoneError as error:  # a page token expired while paging
                raise TransientError(f"{error}; the listing will be read again") from None
        if not listed.token:
            log.warning("%s: %s: Google gave no sync token", self.source.name, calendar.name)
        if listed.busy_only:
            log.debug("%s: %s: busy times only; nothing to read", self.source.name, calendar.name)
            return ChangeSet((), (), listed.token, full=True)
        return change_set(
            listed.items,
            calendar,
            token=listed.token,
            full=full,
            known=known or {},
            scope=scope,
            me=self._me,
            zone=self.config.timezone,
            source=self.source.name,
        )

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        """The event stored under that id, or None when unknown or cancelled."""
        item = self._get_item(calendar, followup_id)
        if item is None or item.get("status") == "cancelled":
            return None
        return self._event(item, calendar, f"reading {followup_id}")

    # -- writing

    def create(self, followup: FollowUp) -> CalendarEvent:
        """Insert it under its own id; a deleted event of that id is revived.

        Raises ConflictError when a live event holds the id, NotFoundError when the
        calendar is gone, RefusedError when Google refuses the write (403).
        """
        target, zone = followup.target, self.config.timezone
        events = self._api.events()
        try:
            item = self._execute(
                events.insert(calendarId=target, body=full_body(followup, zone)),
                f"creating {followup.id}",
                write=True,
            )
        except ConflictError:
            # Google keeps a deleted event's id taken (409 duplicate): bring it back.
            current = self._get_item(target, followup.id)
            if current is None or current.get("status") != "cancelled":
                raise
            body = full_body(followup, zone)
            del body["id"]
            request = events.patch(calendarId=target, eventId=followup.id, body=body)
            request.headers["If-Match"] = current.get("etag", "")
            item = self._execute(request, f"reviving {followup.id}", write=True)
        return self._event(item, target, f"creating {followup.id}")

    def update(self, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        """Patch the fields syncd owns if the etag is still ``etag``.

        Raises ConflictError when it changed, NotFoundError when it is gone (deleted
        events stay readable as cancelled: that counts as gone), RefusedError (403).
        """
        request = self._api.events().patch(
            calendarId=followup.target,
            eventId=resource,
            body=owned_body(followup, self.config.timezone),
        )
        request.headers["If-Match"] = etag
        with self._gone_or_changed(followup.target, resource):
            item = self._execute(request, f"updating {resource}", write=True)
        if item.get("status") == "cancelled":
            raise NotFoundError(f"{resource} is deleted")
        return self._event(item, followup.target, f"updating {resource}")

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        """Delete if its etag is still ``etag``; ConflictError otherwise, NotFoundError if gone
        (410 ``deleted`` too), RefusedError when Google refuses the write (403)."""
        request = self._api.events().delete(calendarId=calendar, eventId=resource)
        request.headers["If-Match"] = etag
        with self._gone_or_changed(calendar, resource):
            self._execute(request, f"deleting {resource}", write=True)

    def close(self) -> None:
        """Close the HTTP connections."""
        if self._service is not None:
            self._service.close()
            self._service = None
            self._http = None

    # -- internals

    @contextlib.contextmanager
    def _gone_or_changed(self, calendar: str, event_id: str) -> Iterator[None]:
        """A 412 to a conditional write: NotFoundError when the event is deleted (its
        deletion gave it a new etag), else the ConflictError as it came."""
        try:
            yield
        except ConflictError:
            current = self._get_item(calendar, event_id)
            if current is None or current.get("status") == "cancelled":
                raise NotFoundError(f"{event_id} is deleted") from None
            raise

    def _get_item(self, calendar: str, event_id: str) -> dict[str, Any] | None:
        """The Events resource as Google answers it (also when cancelled); None when unknown."""
        what = f"reading {event_id}"
        try:
            answer = self._execute(
                self._api.events().get(calendarId=calendar, eventId=event_id), what
            )
        except NotFoundError:
            return None
        return _resource(answer, what)

    def _event(self, item: dict[str, Any], calendar: str, what: str) -> CalendarEvent:
        """The event Google answered with; ProviderError when it is not one."""
        try:
            return event_of(item, calendar, self._me)
        except ValueError as error:
            raise ProviderError(
                f"{what}: Google's answer is not a readable event ({error})"
            ) from None

    @property
    def _api(self) -> Any:
        """The Calendar v3 service, built once, on first use (no network: static discovery)."""
        if self._service is None:
            settings: GoogleSettings = self.source.settings
            bounded = BoundedHttp(
                timeout=HTTP_TIMEOUT,
                deadline=settings.timeout.total_seconds(),
                answer_bytes=limits.ANSWER_BYTES,
                ca_certs=str(settings.ca_file) if settings.ca_file else None,
                verify=settings.verify,
            )
            if not settings.verify:  # the provider is opened once a pass: said every pass
                log.warning(
                    "%s: verify = false: the server's certificate is not checked, so anyone"
                    " on the way can read the tokens and the calendars; set ca_file instead",
                    self.source.name,
                )
            self._http = AuthorizedHttp(self._credentials, http=bounded)
            options = {"api_endpoint": settings.api_endpoint} if settings.api_endpoint else None
            self._service = build(
                "calendar",
                "v3",
                http=self._http,
                model=AnswerModel(),
                static_discovery=True,
                cache_discovery=False,
                client_options=options,
            )
        return self._service

    def _execute(self, request: Any, what: str, *, write: bool = False) -> Any:
        try:
            return self.retrier.execute(request, what, write=write)
        finally:
            self._save_if_refreshed()

    def _save_if_refreshed(self) -> None:
        token = self._credentials.token
        if token == self._saved_token:
            return
        self._saved_token = token
        try:
            save_credentials(self._token_file, self._credentials, self._token_info)
        except OSError as error:
            # The grant still works; the next run refreshes again.
            log.warning(
                "%s: could not save the refreshed token to %s: %s",
                self.source.name,
                self._token_file,
                error.strerror,
            )
        else:
            log.debug("%s: saved the refreshed token to %s", self.source.name, self._token_file)

    def _list_events(self, calendar: CalendarInfo, **params: str) -> listing.Listing:
        where = f"{self.source.name}: {calendar.name}"
        events = self._api.events()
        return listing.list_events(
            self._execute, events, calendar.id, self.page_size, where, **params
        )


def _resource(answer: Any, what: str) -> dict[str, Any]:
    """A resource Google answered with (an event, a calendar): an object with an id."""
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
        raise ProviderError(f"{what}: Google answered with something that has no id")
    return answer
