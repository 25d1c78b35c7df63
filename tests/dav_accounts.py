"""CalDAV accounts less tidy than one user's own calendars, for the tests.

Radicale with a rights file: the user (OWNER) may read and write their own
calendars, but only read those whose folder starts with ``ro-`` (a subscription,
a calendar shared read-only), which an administrator (ADMIN) fills; a second
user (READER) may only read every user's calendars (the owner's calendar shared
with them read-only). Calendars can be deleted between passes (``remove``), and
given a time zone of their own (``set_calendar_timezone``).

Xandikos has no access control: it reports the privilege ``all`` on everything
(its current-user-privilege-set is a fixed TODO) and its multi-user mode only
keeps users out of each other's folders. A read-only calendar on Xandikos is
played by the counting proxy (``proxy.CountingProxy.refuse_writes``). Nothing
here imports pytest.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from xml.sax.saxutils import escape

import niquests
from servers import CalendarHandle, DavServer, ServerError, make_calendar, start_radicale

OWNER = ("dana", "d4na-s3cret")
ADMIN = ("admin", "adm1n-s3cret")
READER = ("reader", "r3ader-s3cret")
READ_ONLY_PREFIX = "ro-"

# Radicale tries the sections in order; the first whose user and collection match wins.
RIGHTS = f"""\
[administrator: everything]
user: {ADMIN[0]}
collection: .*
permissions: RrWw

[the reader: every user's calendars, read-only]
user: {READER[0]}
collection: [^/]+/[^/]+
permissions: r

[a user's own calendars named ro-*: read-only]
user: .+
collection: {{user}}/{READ_ONLY_PREFIX}[^/]+
permissions: r

[a user's principal]
user: .+
collection: {{user}}
permissions: RW

[a user's own calendars]
user: .+
collection: {{user}}/[^/]+
permissions: rw

[the root, to find one's principal]
user: .+
collection:
permissions: R
"""


def start_radicale_rights(folder: Path) -> DavServer:
    """Radicale with RIGHTS and the logins OWNER (the server's own), ADMIN and READER."""
    return start_radicale(folder, users=dict([OWNER, ADMIN, READER]), rights=RIGHTS)


@dataclasses.dataclass
class RightsCalendars:
    """A fresh pair on a rights server: ``own`` (the owner writes it) and ``read_only``
    (listed to the owner, who may only read it; written by ADMIN)."""

    own: CalendarHandle
    read_only: CalendarHandle


def rights_calendars(server: DavServer) -> RightsCalendars:
    """A new calendar of the owner's and a new read-only one beside it."""
    own = make_calendar(server)
    name = f"Subscribed {uuid.uuid4().hex[:8]}"
    path = f"/{OWNER[0]}/{READ_ONLY_PREFIX}{uuid.uuid4().hex[:12]}/"
    read_only = mkcalendar(server, path, name, login=ADMIN)
    return RightsCalendars(own, read_only)


def as_login(calendar: CalendarHandle, login: tuple[str, str]) -> CalendarHandle:
    """The same calendar, seen by another login."""
    return dataclasses.replace(calendar, login=login)


def mkcalendar(
    server: DavServer, path: str, name: str, *, login: tuple[str, str] | None = None
) -> CalendarHandle:
    """A calendar at ``path`` (MKCALENDAR) with display name ``name``, made by ``login``."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
        f"<D:displayname>{escape(name)}</D:displayname></D:prop></D:set></C:mkcalendar>"
    )
    handle = CalendarHandle(server, server.url.rstrip("/") + path, name, login)
    response = handle._request("MKCALENDAR", "", body.encode(), _XML)
    if response.status_code != 201:
        raise ServerError(f"MKCALENDAR {path}: HTTP {response.status_code}")
    return handle


def calendar_timezone(tzid: str) -> str:
    """A calendar-timezone value: a VCALENDAR holding the VTIMEZONE of ``tzid`` (as a
    calendar app writes it for a zone name it knows, or made up when it is none)."""
    import warnings

    import icalendar

    try:
        with warnings.catch_warnings():  # "/mozilla.org/..." names are guessed, and warned
            warnings.simplefilter("ignore")
            vtimezone = icalendar.Timezone.from_tzid(tzid).to_ical().decode()
    except ValueError:
        vtimezone = (
            f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
            "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        )
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp//Calendar App 1.0//EN\r\n"
    return f"{head}{vtimezone}END:VCALENDAR\r\n"


def set_calendar_timezone(calendar: CalendarHandle, text: str) -> None:
    """Set the calendar's CALDAV:calendar-timezone (PROPPATCH), as a calendar app does."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set>'
        f"<D:prop><C:calendar-timezone>{escape(text)}</C:calendar-timezone></D:prop>"
        "</D:set></D:propertyupdate>"
    )
    response = calendar._request("PROPPATCH", "", body.encode(), _XML)
    if response.status_code != 207 or "200 OK" not in (response.text or ""):
        raise ServerError(f"PROPPATCH {calendar.path}: HTTP {response.status_code}")


def put_as(calendar: CalendarHandle, name: str, ics: str) -> niquests.Response:
    """One PUT of ``ics`` as ``name`` with the handle's login; the answer, whatever it is."""
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    return calendar._request("PUT", name, ics.encode(), headers)


_XML = {"Content-Type": "application/xml; charset=utf-8"}
