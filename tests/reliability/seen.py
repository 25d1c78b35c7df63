"""What an account's calendars hold, read as syncd reads them: its follow-ups and the rest.

The fault, crash and state tests check the calendars against the oracle
(tests/reliability/oracle.py) through this: each object is parsed by the
provider's own reader (CalDAV's ``parse_object``, Google's ``event_of``), so a
follow-up's content fingerprint is the one syncd compares with its marker to
tell an edit of the user's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.parse
from typing import Any

import niquests
from lxml import etree
from servers import CalendarHandle
from soak_accounts import LONDON, Account

from providers.caldav.ical import parse_object, slot_of
from providers.google.events import event_of
from syncd.model import (
    CalendarEvent,
    FollowUpKind,
    content_fingerprint,
    followup_id,
    is_followup_id,
)

# Wide enough for every interview and follow-up of the tests (a few weeks around now).
_WINDOW = dt.timedelta(days=400)
_QUERY = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    b"<D:prop><C:calendar-data/></D:prop>"
    b'<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>'
)
_NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}


@dataclasses.dataclass(frozen=True)
class Seen:
    """One follow-up of syncd's in a calendar (``role``), as it stands there."""

    role: str
    name: str  # CalDAV object name, Google event id
    slot: str  # the follow-up identity its place stands for
    interview: str  # its markers: the interview's key, the follow-up's kind, the calendar
    kind: str
    calendar: str
    raw: Any  # the object's bytes (CalDAV) or its JSON (Google)
    content: str  # the fingerprint of what it holds now
    marker: str  # the fingerprint syncd wrote into it
    title: str
    start: dt.datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.interview, self.kind)

    @property
    def edited(self) -> bool:
        return self.content != self.marker

    def placed(self, source: str) -> bool:
        """Whether it stands at the place its markers' identity names (its slot)."""
        return followup_id(source, self.calendar, self.interview, FollowUpKind(self.kind)) == (
            self.slot or "-"
        )


def is_google(account: Account) -> bool:
    return hasattr(account, "fake")


def objects(account: Account, role: str, *, exact: bool = False) -> dict[str, Any]:
    """Every object of the calendar ``role``: name -> bytes (CalDAV) or JSON (Google,
    cancelled events too). ``exact``: CalDAV objects by GET, byte for byte as a client
    gets them (slower); else all at once by a calendar-query."""
    if is_google(account) or exact:
        return dict(account.contents(role))
    calendar: CalendarHandle = account.calendars[role]  # type: ignore[attr-defined]
    return dav_objects(calendar)


def dav_objects(calendar: CalendarHandle) -> dict[str, bytes]:
    """The calendar's objects by one calendar-query REPORT: name -> calendar data."""
    with niquests.Session() as session:
        answer = session.request(
            "REPORT",
            calendar.url,
            data=_QUERY,
            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
            auth=calendar.auth,
            timeout=30,
        )
    assert answer.status_code == 207, f"REPORT {calendar.path}: HTTP {answer.status_code}"
    root = etree.fromstring(answer.content or b"")
    found = {}
    for response in root.findall("D:response", _NS):
        href = urllib.parse.unquote(response.findtext("D:href", "", _NS))
        data = response.findtext(".//C:calendar-data", None, _NS)
        if data is not None and not href.endswith("/"):
            found[href.rsplit("/", 1)[-1]] = data.encode()
    return found


def events_of(account: Account, role: str, name: str, raw: Any) -> list[CalendarEvent]:
    """The events of one object, read by the provider's own reader (calendar id: ``role``)."""
    if is_google(account):
        item = json.loads(raw)
        return [event_of(item, role, frozenset())]
    now = dt.datetime.now(dt.UTC)
    return parse_object(
        raw,
        calendar=role,
        resource=name,
        etag="",
        tz=LONDON,
        me=(),
        start=now - _WINDOW,
        end=now + _WINDOW,
        slot=slot_of(name),
    )


def followups(account: Account, role: str, held: dict[str, Any]) -> list[Seen]:
    """syncd's follow-ups among ``held`` (``objects``): not cancelled, carrying markers."""
    found = []
    for name, raw in held.items():
        for event in events_of(account, role, name, raw):
            if event.markers is None or event.status == "cancelled":
                continue
            assert isinstance(event.start, dt.datetime), f"{role}/{name}: an all-day follow-up"
            found.append(
                Seen(
                    role,
                    name,
                    event.slot,
                    event.markers.interview,
                    str(event.markers.kind),
                    event.markers.calendar,
                    raw,
                    content_fingerprint(event) or "",
                    event.markers.fingerprint,
                    event.title,
                    event.start,
                )
            )
    return found


def users(account: Account, role: str, held: dict[str, Any]) -> dict[str, Any]:
    """The objects among ``held`` that are not syncd's: no markers, no follow-up's place
    (a follow-up the user deleted stays on Google as a cancelled event: syncd's still)."""
    out = {}
    for name, raw in held.items():
        stem = name.removesuffix(".ics")
        if is_followup_id(stem):
            continue
        if all(e.markers is None for e in events_of(account, role, name, raw)):
            out[name] = raw
    return out
