"""One object of a CalDAV calendar: parsed to neutral events, and syncd's conditional writes.

A follow-up lives at ``<calendar>/<follow-up id>.ics`` (its slot). Writes are
conditional: PUT with ``If-None-Match: *`` (create) or ``If-Match: <etag>``
(update), DELETE with ``If-Match``; never the Schedule-Tag. Servers answer 412
(or 409) both when an object changed and when it, or its calendar, is gone: one
GET of the object tells the two apart. A 403 on a write is a refusal
(RefusedError: a read-only calendar), unless the calendar itself is gone: Cyrus
answers a write into a deleted calendar 403, DAViCal 405, so a write refused so
is followed by one PROPFIND of the calendar, and NotFoundError when it is not
there. A create refused because another object of
the calendar holds the follow-up's UID (``no-uid-conflict``: 409 on Radicale, 412
on Xandikos, 403 on some servers), or another calendar of the account does
(``unique-scheduling-object-resource``: 403 on Cyrus), is a TakenError naming
that object when a calendar-query on the UID finds it in this calendar: it is
the user's, and syncd writes nothing over it.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
import xml.sax.saxutils

from providers.caldav import davxml, ical, render
from providers.caldav.bounded import Answer
from providers.caldav.reports import Reports
from providers.caldav.transport import DavHttp
from syncd import limits
from syncd.config import Config, SourceConfig
from syncd.errors import ConflictError, NotFoundError, ProviderError, RefusedError, TakenError
from syncd.model import CalendarEvent, FollowUp

log = logging.getLogger(__name__)

# Single objects (follow-ups) are read whatever their time; this only bounds a
# series found at a follow-up's href.
_WIDE = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
_ICS = {"Content-Type": "text/calendar; charset=utf-8"}


class DavObjects:
    """Reading and writing single objects of one source's calendars (ids are calendar URLs)."""

    def __init__(self, source: SourceConfig, config: Config, http: DavHttp, reports: Reports):
        self.source, self.config, self.http, self.reports = source, config, http, reports

    def parse(
        self,
        calendar: str,
        resource: str,
        etag: str,
        data: str | bytes,
        start: dt.datetime,
        end: dt.datetime,
    ) -> list[CalendarEvent] | None:
        """ical.parse_object (with the slot of the object's place), or None with one warning
        for a hopeless object."""
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
                slot=slot_of(calendar, resource),
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

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        """The follow-up stored at ``<calendar>/<id>.ics``; None when there is none (404).

        An unreadable object there gives None too, with a warning.
        """
        url = object_url(calendar, ical.followup_href_name(followup_id))
        response = self.http.send("GET", url, b"", {"Accept": "text/calendar"})
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise self.http.fail(response, f"reading {url}")
        etag = response.headers.get("ETag") or self.reports.etag_of(url)
        resource = davxml.resource_of(url)
        events = self.parse(calendar, resource, etag, response.content or b"", *_WIDE)
        return events[0] if events else None

    def create(self, calendar: str, followup: FollowUp) -> CalendarEvent:
        """PUT ``If-None-Match: *`` at ``<calendar>/<id>.ics``.

        Raises ConflictError when something is there already, or its UID is in use
        elsewhere in the calendar (409/412 no-uid-conflict); NotFoundError when the
        calendar is gone; RefusedError when the server refuses the write (403).
        """
        url = object_url(calendar, ical.followup_href_name(followup.id))
        body = render.render_followup(followup, self.config.timezone)
        response = self.http.send("PUT", url, body, {**_ICS, "If-None-Match": "*"})
        if response.status_code in (403, 409, 412):
            conditions = davxml.error_conditions(response.content or b"")
            # RFC 4791 5.3.2.1 in this calendar; RFC 6638 3.2.4.1 in another one of the
            # account (Cyrus, iCloud: one UID per account)
            if conditions & {"no-uid-conflict", "unique-scheduling-object-resource"}:
                raise self._uid_taken(calendar, url, ical.followup_uid(followup.id))
        if response.status_code in (409, 412):
            if self._exists(url):
                why = "it exists already"
            elif not self.reports.exists(collection_url(calendar)):
                raise NotFoundError(f"{calendar}: the calendar is gone")
            else:
                why = f"the server answered HTTP {response.status_code}"
            raise ConflictError(f"{url}: not created: {why}")
        self._calendar_gone(response, calendar)
        return self._written(response, calendar, url, body, "creating")

    def update(self, calendar: str, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        """PUT ``If-Match: etag``.

        Raises ConflictError when it changed since ``etag``, NotFoundError when it is
        no longer there, RefusedError when the server refuses the write (403).
        """
        url = object_url(calendar, resource or ical.followup_href_name(followup.id))
        if not etag:
            raise ConflictError(f"{url}: no etag to update against")
        body = render.render_followup(followup, self.config.timezone)
        response = self.http.send("PUT", url, body, {**_ICS, "If-Match": etag})
        self._calendar_gone(response, calendar)
        self._precondition(response, url)
        return self._written(response, calendar, url, body, "updating")

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        """DELETE ``If-Match: etag``; ConflictError when it changed, NotFoundError when gone,
        RefusedError when the server refuses the write (403)."""
        url = object_url(calendar, resource)
        if not etag:
            raise ConflictError(f"{url}: no etag to delete against")
        response = self.http.send("DELETE", url, b"", {"If-Match": etag})
        self._calendar_gone(response, calendar)
        self._precondition(response, url)
        if not 200 <= (response.status_code or 0) < 300:
            raise self.http.fail(response, f"deleting {url}")

    # -- helpers

    def _calendar_gone(self, response: Answer, calendar: str) -> None:
        """NotFoundError when a write was refused (403, 405) because its calendar is gone."""
        if response.status_code in (403, 405) and not self.reports.exists(collection_url(calendar)):
            raise NotFoundError(
                f"{calendar}: the calendar is gone (the server refused a write into it,"
                f" HTTP {response.status_code})"
            )

    def _precondition(self, response: Answer, url: str) -> None:
        """Raise the typed error of a refused or failed conditional write, if it was one.

        Servers answer If-Match on a missing object with 412 (RFC 9110), and a write
        into a missing calendar with 409 or 412: a GET of the object tells "changed"
        (ConflictError) from "gone" (NotFoundError).
        """
        status = response.status_code or 0
        if status == 403:
            raise self._refused(url)
        if status in (409, 412):
            if self._exists(url):
                raise ConflictError(f"{url}: changed meanwhile")
            raise NotFoundError(f"{url}: no longer there")

    def _uid_taken(self, calendar: str, url: str, uid: str) -> ProviderError:
        """The error for a create refused as ``no-uid-conflict``: a TakenError naming the
        object that holds ``uid`` (ConflictError when that is the follow-up's own place)."""
        holder = self._holder_of(calendar, uid)
        if holder is not None and holder[0] == davxml.resource_of(url):
            return ConflictError(f"{url}: not created: it exists already")
        what = f"{holder[0]} ({limits.shown(holder[1])!r})" if holder else "another event"
        return TakenError(f"{what} holds its UID {uid}; delete that event, or give it another UID")

    def _holder_of(self, calendar: str, uid: str) -> tuple[str, str] | None:
        """(resource, title) of the object of ``calendar`` holding ``uid``, by a calendar-query
        (RFC 4791 9.7.5); None when the server does not say."""
        headers = {**davxml.XML_HEADERS, "Depth": "1"}
        response = self.http.send("REPORT", collection_url(calendar), _uid_query(uid), headers)
        if response.status_code != 207:
            return None
        try:
            answers = davxml.parse_multiget(response.content or b"")
        except davxml.MalformedResponse:
            return None
        for fetched in answers:
            if fetched.gone or fetched.data is None:
                continue
            member = fetched.member
            events = self.parse(calendar, member.resource, member.etag, fetched.data, *_WIDE)
            titles = [e.title for e in events or () if e.id == uid]
            if titles or events is None:  # unreadable: the server matched it on the UID
                return member.resource, titles[0] if titles else ""
        return None

    def _refused(self, url: str) -> RefusedError:
        return RefusedError(
            f"{url}: the server refuses this write (HTTP 403); "
            "check that the account may write to this calendar"
        )

    def _exists(self, url: str) -> bool:
        """Whether an object is at ``url`` (a GET: 200, or 404/410)."""
        response = self.http.send("GET", url, b"", {"Accept": "text/calendar"})
        if response.status_code in (404, 410):
            return False
        if response.status_code != 200:
            raise self.http.fail(response, f"reading {url}")
        return True

    def _written(
        self, response: Answer, calendar: str, url: str, body: bytes, doing: str
    ) -> CalendarEvent:
        """The follow-up as written, with the etag the server gave it."""
        if response.status_code == 403:
            raise self._refused(url)
        if not 200 <= (response.status_code or 0) < 300:
            raise self.http.fail(response, f"{doing} {url}")
        etag = response.headers.get("ETag") or self.reports.etag_of(url)
        events = self.parse(calendar, davxml.resource_of(url), etag, body, *_WIDE)
        if not events:
            raise ProviderError(f"{url}: the follow-up syncd wrote cannot be read back")
        return events[0]


def _uid_query(uid: str) -> bytes:
    """A calendar-query REPORT for the objects whose VEVENT has the UID ``uid``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        '<C:prop-filter name="UID"><C:text-match collation="i;octet">'
        f"{xml.sax.saxutils.escape(uid)}</C:text-match></C:prop-filter>"
        "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    ).encode()


def slot_of(calendar: str, resource: str) -> str:
    """The follow-up identity the place ``resource`` stands for: an object
    ``<calendar>/<id>.ics``; else ""."""
    folder, _, name = resource.rpartition("/")
    inside = folder + "/" == davxml.resource_of(collection_url(calendar))
    return ical.slot_of(name) if inside else ""


def collection_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def object_url(calendar: str, name_or_resource: str) -> str:
    """The URL of an object: a name inside the calendar, or a resource (absolute path)."""
    return urllib.parse.urljoin(collection_url(calendar), davxml.href_of(name_or_resource))
