"""The neutral model: what providers read and write, and what the core passes around.

Every value is a frozen dataclass. Times are aware datetimes; all-day values stay
``datetime.date``. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import re
from collections.abc import Iterable

from syncd.titles import fold

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
    """The syncd markers a follow-up event carries (docs/behaviour.md, "Identities and markers")."""

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
    a provider reports as deleted. ``series`` is, for an instance of a series,
    the resource of the series it belongs to, as the server says it (Google
    ``recurringEventId``; CalDAV the href holding the UID), else "": a deleted
    series is reported by that resource. ``slot`` is the follow-up identity the
    event's place stands for (CalDAV href ``<id>.ics``, Google event id ``<id>``),
    else "": an event is a follow-up of syncd's only when its markers name the
    identity of its slot. ``reminders`` are minutes before start. Ids and
    resources are opaque: nothing parses them.
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
    series: str = ""
    slot: str = ""
    event_type: str = "default"  # Google eventType; every other provider: "default"

    @property
    def key(self) -> str:
        """The interview identity: the id, plus ``;RECURRENCE-ID`` for a CalDAV instance."""
        return f"{self.id};{self.recurrence_id}" if self.recurrence_id else self.id

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


@dataclasses.dataclass(frozen=True)
class Interview:
    """The facts read from one interview event (docs/behaviour.md, "Facts")."""

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
    series: str = ""  # CalendarEvent.series of the event it was read from
    # The mass-deletion guard holds it (docs/behaviour.md): the ISO time of the first
    # complete read that missed it, none saying it was cancelled or deleted; else "".
    held: str = ""

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


def instant(value: dt.datetime | dt.date, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """``value`` as an aware UTC instant; a naive time, or a date (its midnight), is in ``zone``.

    A time in the years 1 or 9999 that a zone's offset would carry past Python's
    dates is the earliest or latest instant there is: never an OverflowError.
    """
    try:
        if isinstance(value, dt.datetime):
            aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
            return aware.astimezone(dt.UTC)
        return dt.datetime.combine(value, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    except OverflowError:
        edge = dt.datetime.min if value.year < dt.MAXYEAR // 2 else dt.datetime.max
        return edge.replace(tzinfo=dt.UTC)


def followup_id(source: str, calendar: str, interview: str, kind: FollowUpKind) -> str:
    """The follow-up's identity: 32 lowercase hex chars (valid Google base32hex id)."""
    seed = "\x1f".join((source, calendar, interview, str(kind)))
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


_FOLLOWUP_ID = re.compile(r"[0-9a-f]{32}")


def is_followup_id(text: str) -> bool:
    """Whether ``text`` has the form of a ``followup_id`` (a provider's slot test)."""
    return _FOLLOWUP_ID.fullmatch(text) is not None


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
    # syncd sent its delete and has not heard back: the server may have carried it out
    # (an answer lost, a crash), so its event reported gone is not the user's deletion
    REMOVING = "removing"


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


# -- what providers and the core exchange about calendars and reads


@dataclasses.dataclass(frozen=True)
class CalendarInfo:
    """A calendar of a source: ``id`` is the provider's opaque id (Google calendar id,
    CalDAV URL).

    ``aliases`` are other names the config may use for it (Google: ``primary``).
    The server's word on it: ``writable``, whether this account may write events
    there; ``readable``, whether it may read them (Google freeBusyReader: no);
    ``hidden``, hidden from the user's calendar list; ``zone``, the calendar's
    own time zone (IANA name, "" when the server states none); ``default``, the
    account's main calendar (Google ``primary``; CalDAV: docs/providers.md).
    """

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    writable: bool = True
    readable: bool = True
    hidden: bool = False
    zone: str = ""
    default: bool = False

    def answers_to(self, wanted: str) -> bool:
        """Whether the config's ``wanted`` names this calendar: its id or an alias
        (a trailing "/" aside), or its display name (case aside)."""
        ref = wanted.rstrip("/")
        ids = (self.id.rstrip("/"), *(alias.rstrip("/") for alias in self.aliases))
        return ref in ids or wanted.casefold() == self.name.casefold()


@dataclasses.dataclass(frozen=True)
class ChangeSet:
    """What changed in a calendar since a token (the contract: docs/providers.md).

    ``events``: new or changed events, series expanded into their instances in
    the read's window (every instance of a changed series is listed).
    ``deleted``: resources that are gone; an event whose ``series`` is listed
    is gone too. ``full``: a complete read of the window, so anything known of
    this calendar in the window that is not in ``events`` or ``unchanged`` is
    gone. ``unchanged``: resources the caller said it knows (``known``) whose
    etag is still the same: not fetched again. ``token``: what to pass next time.
    """

    events: tuple[CalendarEvent, ...]
    deleted: tuple[str, ...]
    token: str
    full: bool
    unchanged: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ReadScope:
    """What the core wants of a read: the window [start, end) and a cheap interest test.

    A provider may use ``may_matter`` on an object's raw text to skip parsing it:
    it never says no to an object whose title or categories hold a detection
    keyword or match a pattern (it may say yes to others). Follow-ups are found
    by the provider's own marker text, which this test does not know.
    """

    start: dt.datetime
    end: dt.datetime
    needles: tuple[str, ...] = ()  # folded words: any of them in the text may matter
    patterns: tuple[str, ...] = ()  # regexes, searched case-insensitively in titles

    @staticmethod
    def of(
        start: dt.datetime, end: dt.datetime, words: Iterable[str], patterns: Iterable[str] = ()
    ) -> ReadScope:
        """A scope whose needles are ``words`` (keywords, categories) folded, word by word."""
        needles = {fold(word) for phrase in words for word in phrase.split()}
        # Writers escape "," ";" "\" in TEXT, or not: look for both spellings.
        needles |= {re.sub(r"([\\;,])", r"\\\1", word) for word in needles}
        return ReadScope(start, end, tuple(sorted(n for n in needles if n)), tuple(patterns))

    def may_matter(self, text: str, titles: Iterable[str] = ()) -> bool:
        """False only when ``text`` (unfolded raw object text) can hold no interview.

        ``titles`` are the object's titles, for the regex patterns.
        """
        folded = fold(text)
        if any(needle in folded for needle in self.needles):
            return True
        compiled = [re.compile(p, re.IGNORECASE) for p in self.patterns]
        return any(p.search(title) for p in compiled for title in titles)

    def overlaps(self, start: When, end: When, tz: dt.tzinfo) -> bool:
        """Whether an event [start, end) has a part in the window [self.start, self.end).

        The one meaning of the window for every provider (docs/providers.md). All-day
        dates count from midnight in ``tz``; an event of no length counts at its start.
        """
        first, last = instant(start, tz), instant(end, tz)
        return first < self.end and (last > self.start or (last <= first and first >= self.start))
