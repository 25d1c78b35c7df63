"""The neutral model: what providers read and write, and what the core passes around.

Every value is a frozen dataclass. Times are aware datetimes; all-day values stay
``datetime.date``. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib

When = dt.datetime | dt.date


class FollowUpKind(enum.StrEnum):
    THANK_YOU = "thank-you"
    CALL_MORNING = "call-morning"
    CALL_AFTERNOON = "call-afternoon"


CALL_KINDS = frozenset({FollowUpKind.CALL_MORNING, FollowUpKind.CALL_AFTERNOON})


@dataclasses.dataclass(frozen=True)
class Attendee:
    """A person on an event: lowercased address without ``mailto:``, name, response."""

    email: str = ""
    name: str = ""
    response: str = ""  # accepted | declined | tentative | needs-action | "" (unknown)
    is_self: bool = False  # Google's ``self: true``; CalDAV: address in the source's ``me``


@dataclasses.dataclass(frozen=True)
class Markers:
    """The syncd markers a follow-up event carries (SPEC section 6)."""

    kind: FollowUpKind
    interview: str
    calendar: str
    fingerprint: str


@dataclasses.dataclass(frozen=True)
class CalendarEvent:
    """One event (or one instance of a series) as a provider read it.

    ``id`` is the server's id (Google event id, for an instance the instance id;
    CalDAV UID). ``recurrence_id`` is set for a CalDAV instance of a series (the
    RECURRENCE-ID value as text); Google instance ids already carry it.
    ``resource`` locates the stored object (CalDAV href, Google event id): what
    a provider reports as deleted. ``reminders`` are minutes before start.
    """

    id: str
    calendar: str
    title: str
    start: When
    end: When
    recurrence_id: str = ""
    description: str = ""
    location: str = ""
    status: str = "confirmed"  # confirmed | tentative | cancelled
    attendees: tuple[Attendee, ...] = ()
    organizer: Attendee | None = None
    categories: tuple[str, ...] = ()
    conference: bool = False
    etag: str = ""
    resource: str = ""
    markers: Markers | None = None
    reminders: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        """The interview identity: the id, plus ``;RECURRENCE-ID`` for a CalDAV instance."""
        return f"{self.id};{self.recurrence_id}" if self.recurrence_id else self.id

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


@dataclasses.dataclass(frozen=True)
class Interview:
    """The facts of SPEC section 4 read from one interview event."""

    source: str
    calendar: str
    key: str
    title: str
    start: When
    end: When
    company: str = "the employer"
    role: str = ""
    contact: str = ""  # interviewer / employer contact as text (name, maybe mail)
    contact_phone: str = ""
    agency: str = ""  # non-empty: the interview came through this agency
    agency_contact: str = ""  # person at the agency; "" -> "your staffing manager"
    agency_phone: str = ""
    remote: bool = False
    decision: str = "end of week"  # normalised: see detect.normalise_decision
    heard_back: bool = False
    location: str = ""
    resource: str = ""

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


def followup_id(source: str, calendar: str, interview: str, kind: FollowUpKind) -> str:
    """The follow-up's identity: 32 lowercase hex chars (valid Google base32hex id)."""
    seed = "\x1f".join((source, calendar, interview, str(kind)))
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fingerprint(
    start: dt.datetime,
    end: dt.datetime,
    title: str,
    description: str,
    reminders: tuple[int, ...],
) -> str:
    """Hash of what syncd writes into a follow-up; equal content gives an equal hash.

    Text is compared with normalised line ends and trailing white space dropped,
    as servers and clients rewrite both.
    """

    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()

    parts = (
        _utc(start),
        _utc(end),
        norm(title),
        norm(description),
        ",".join(str(m) for m in sorted(set(reminders))),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclasses.dataclass(frozen=True)
class FollowUp:
    """A follow-up the planner wants to exist."""

    kind: FollowUpKind
    id: str  # followup_id(...)
    source: str
    calendar: str  # the watched calendar of the interview (marker)
    target: str  # the calendar it is written to
    interview: str  # Interview.key (marker)
    start: dt.datetime
    end: dt.datetime
    title: str
    description: str
    reminders: tuple[int, ...]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.start, self.end, self.title, self.description, self.reminders)

    @property
    def markers(self) -> Markers:
        return Markers(self.kind, self.interview, self.calendar, self.fingerprint)


def content_fingerprint(event: CalendarEvent) -> str | None:
    """Fingerprint of a follow-up event's current content; None for all-day events."""
    if not isinstance(event.start, dt.datetime) or not isinstance(event.end, dt.datetime):
        return None
    return fingerprint(event.start, event.end, event.title, event.description, event.reminders)


class Op(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclasses.dataclass(frozen=True)
class Action:
    """One write the reconciler asks for.

    ``followup`` is the desired content (create, update) or the record's identity
    (delete); ``etag`` is what an update or delete is conditional on; ``resource``
    is the stored object's locator when known.
    """

    op: Op
    followup_id: str
    target: str
    followup: FollowUp | None = None
    etag: str = ""
    resource: str = ""
    reason: str = ""


class RecordStatus(enum.StrEnum):
    WRITTEN = "written"
    EDITED = "edited-by-user"
    DELETED = "deleted-by-user"
    REMOVED = "removed"  # syncd deleted it (interview gone, heard back)


@dataclasses.dataclass(frozen=True)
class FollowUpRecord:
    """What the state store remembers of one follow-up syncd wrote."""

    id: str
    source: str
    calendar: str
    interview: str
    kind: FollowUpKind
    target: str
    resource: str
    etag: str
    fingerprint: str
    status: RecordStatus
    start: dt.datetime
    title: str = ""
