"""Detection: is an event an interview, and its facts (docs/behaviour.md: Detection, Facts).

Pure: no I/O, no clock (``now`` is a parameter). A broken event never raises
here; a problem with one event is at most one logged warning naming it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from syncd import limits
from syncd.config import Config, DetectConfig, SourceConfig
from syncd.facts import (
    description_facts,
    description_text,
    fact_lines,
    has_meeting_link,
    heard_back_in_title,
    html_to_text,
    normalise_decision,
    says_remote,
    split_phone,
    status_heard_back,
)
from syncd.model import CalendarEvent, Interview, When
from syncd.people import People, address, attendees, text, texts
from syncd.titles import company_and_role, fold, has_keyword, title_says_remote

__all__ = [
    "description_facts",
    "detect",
    "heard_back_in_title",
    "html_to_text",
    "is_interview",
    "normalise_decision",
]

log = logging.getLogger(__name__)

# The event types (Google eventType) that can be interviews: ordinary events and
# those Gmail made from a mail; never outOfOffice, focusTime, workingLocation, birthday.
EVENT_TYPES = frozenset({"default", "fromGmail"})
DEFAULT_DECISION = "end of week"
NO_EMPLOYER = "the employer"
NO_AGENCY_NAME = "the agency"  # a staffing-manager line without an agency line


def detect(
    event: CalendarEvent,
    source: SourceConfig,
    config: Config,
    now: dt.datetime,
    *,
    known: bool = False,
) -> Interview | None:
    """The interview an event is, or None when the rules of docs/behaviour.md say it is not.

    ``now`` bounds the lookback/lookahead window; all-day dates count from
    midnight in ``config.timezone``. ``known``: the event was an interview
    before; the lookback bounds discovery only, so it stays one however long
    ago it ended (the lookahead still applies). Never raises: an event that
    cannot be read, or whose time lies outside the years of syncd.limits, logs
    one warning naming it and yields None (or an interview with default facts,
    when only its facts are unreadable). A title or description longer than
    syncd.limits allows is cut, with one warning when the event is an interview.
    """
    event, cut = _cut_to_limits(event)
    try:
        if not is_interview(event, source, config, now, known=known):
            return None
    except Exception as exc:
        why = limits.shown(str(exc), 200)
        log.warning("%s: event %s skipped: %s", _where(source, event), _name(event), why)
        return None
    problems: list[str] = list(cut)
    try:
        interview = _interview(event, source, config.detect, problems)
    except Exception as exc:
        problems.append(f"facts unreadable ({limits.shown(str(exc), 200)}); using defaults")
        interview = Interview(
            source=source.name,
            calendar=text(event.calendar),
            key=event.key,
            title=text(event.title),
            start=event.start,
            end=event.end,
            resource=text(event.resource),
            series=text(event.series),
        )
    if problems:
        what = "; ".join(problems)
        log.warning("%s: interview %s: %s", _where(source, event), _name(event), what)
    return interview


def _cut_to_limits(event: CalendarEvent) -> tuple[CalendarEvent, list[str]]:
    """The event with its title, description and location cut to syncd.limits; what was cut."""
    title, description, location = event.title, event.description, event.location
    cut = []
    if isinstance(title, str) and len(title) > limits.TITLE_CHARS:
        title = title[: limits.TITLE_CHARS]
        cut.append(f"title cut to its first {limits.TITLE_CHARS:,} characters")
    if isinstance(description, str) and len(description) > limits.DESCRIPTION_CHARS:
        description = description[: limits.DESCRIPTION_CHARS]
        cut.append(f"description cut to its first {limits.DESCRIPTION_CHARS:,} characters")
    if isinstance(location, str) and len(location) > limits.DESCRIPTION_CHARS:
        location = location[: limits.DESCRIPTION_CHARS]
        cut.append(f"location cut to its first {limits.DESCRIPTION_CHARS:,} characters")
    if not cut:
        return event, []
    return dataclasses.replace(event, title=title, description=description, location=location), cut


def is_interview(
    event: CalendarEvent,
    source: SourceConfig,
    config: Config,
    now: dt.datetime,
    *,
    known: bool = False,
) -> bool:
    """True when the event passes every detection rule (docs/behaviour.md) at ``now``.

    ``known``: the lookback does not apply (see ``detect``). Raises ValueError
    when the event has no usable start time.
    """
    rules = config.detect
    title = text(event.title)
    if event.markers is not None or fold(text(event.status)).strip() in ("cancelled", "canceled"):
        return False
    if text(event.event_type or "default") not in EVENT_TYPES:
        return False
    if not _title_or_category_matches(title, texts(event.categories), rules):
        return False
    folded = _squash(fold(title))
    if any(_squash(fold(entry)) in folded for entry in rules.exclude if entry.strip()):
        return False
    if _declined(event, source):
        return False
    return _in_window(event, config.timezone, now, rules, known)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _title_or_category_matches(
    title: str, categories: tuple[str, ...], rules: DetectConfig
) -> bool:
    if has_keyword(title, rules.keywords):
        return True
    if any(regex.search(title) for regex in _patterns(rules.patterns)):
        return True
    wanted = {fold(c).strip() for c in rules.categories}
    return any(fold(c).strip() in wanted for c in categories)


@functools.lru_cache(maxsize=32)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:  # the config check reports it; logged once per process here
        log.warning("detect.patterns: %r is not a valid regex (%s); ignored", pattern, exc)
        return None


def _patterns(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [regex for p in patterns if (regex := _compiled(p)) is not None]


def _declined(event: CalendarEvent, source: SourceConfig) -> bool:
    me = {address(a) for a in source.me}
    return any(
        fold(text(a.response)).strip() == "declined" and (a.is_self or address(a.email) in me)
        for a in attendees(event.attendees)
    )


def _in_window(
    event: CalendarEvent, tz: ZoneInfo, now: dt.datetime, rules: DetectConfig, known: bool
) -> bool:
    for value in (event.start, event.end):
        if isinstance(value, dt.date) and not limits.in_years(value):
            raise ValueError(
                f"its time {value.isoformat()} is out of range"
                f" (years {limits.FIRST_YEAR} to {limits.LAST_YEAR})"
            )
    start = _instant(event.start, tz)
    if start is None:
        raise ValueError("it has no usable start time")
    end = _instant(event.end, tz)
    if end is None or end <= start:  # a missing or backwards end: judge by the start
        end = start + dt.timedelta(days=1) if not isinstance(event.start, dt.datetime) else start
    now_utc = _instant(now, tz)
    if now_utc is None:
        raise ValueError(f"now is not a time: {now!r}")
    return (known or end >= now_utc - rules.lookback) and start <= now_utc + rules.lookahead


def _end(event: CalendarEvent) -> When:
    """The end follow-ups are planned from: the event's, unless it lies before the start or
    is of another kind (a time against an all-day date); then the start's (a day after an
    all-day start), as the CalDAV provider reads DTEND. A thank-you before the interview
    was planned from an end a day before its start."""
    start, end = event.start, event.end
    timed = isinstance(start, dt.datetime)
    if isinstance(end, dt.date) and isinstance(end, dt.datetime) == timed:
        try:
            if end >= start:
                return end
        except TypeError:  # a naive time against an aware one: taken as it is
            return end
    return start if timed else start + dt.timedelta(days=1)


def _instant(value: object, tz: ZoneInfo) -> dt.datetime | None:
    """A time as a UTC instant: naive times and all-day dates (midnight) in ``tz``."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
        return aware.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return None


# --- facts ----------------------------------------------------------------------------


def _interview(
    event: CalendarEvent, source: SourceConfig, rules: DetectConfig, problems: list[str]
) -> Interview:
    title, location = text(event.title), text(event.location)
    raw_description = text(event.description)
    description = description_text(raw_description)
    lines = fact_lines(description)
    facts: dict[str, str] = {}
    for key, value in lines:
        facts.setdefault(key, value)
    people = People(event, source, rules)

    title_company, title_role = _from_patterns(title, rules.patterns)
    if not (title_company or title_role):
        title_company, title_role = company_and_role(title, rules.keywords, rules.heard_back_marker)
    company = facts.get("company") or title_company or people.employer() or NO_EMPLOYER

    contact, contact_phone = split_phone(facts.get("contact", ""))
    agency = facts.get("agency") or people.agency()
    agency_contact, agency_phone = split_phone(
        facts.get("agency contact") or facts.get("staffing manager") or ""
    )
    if agency_phone or agency_contact:
        agency = agency or NO_AGENCY_NAME

    decision = DEFAULT_DECISION
    if said := facts.get("decision", ""):
        normalised = normalise_decision(said)
        if normalised is None:
            problems.append(
                f"decision {limits.shown(said)!r} not understood; using {DEFAULT_DECISION!r}"
            )
        else:
            decision = normalised

    marker = rules.heard_back_marker
    interview = Interview(
        source=source.name,
        calendar=text(event.calendar),
        key=event.key,
        title=title,
        start=event.start,
        end=_end(event),
        company=company,
        role=facts.get("role") or title_role,
        contact=contact or people.contact(),
        contact_phone=contact_phone,
        agency=agency,
        agency_contact=agency_contact or (people.agency_person() if agency else ""),
        agency_phone=agency_phone,
        remote=bool(event.conference)
        or any(has_meeting_link(t) for t in (location, description, raw_description))
        or says_remote(location)
        or title_says_remote(title, rules.keywords),
        decision=decision,
        heard_back=any(status_heard_back(v) for k, v in lines if k == "status")
        or heard_back_in_title(title, marker)
        or heard_back_in_title(description, marker),
        location=location,
        resource=text(event.resource),
        series=text(event.series),
    )
    return _as_copied(interview, problems)


# The facts copied into follow-ups, each read up to syncd.limits.FACT_CHARS.
_FACTS = ("company", "role", "contact", "contact_phone", "agency", "agency_contact", "agency_phone")
# Control characters (C0, DEL, C1) are never copied into a follow-up: a terminal or a
# server reading it back would obey or choke on them. Tabs and line breaks become spaces.
# Nor are lone surrogates (JSON's "\ud800"): no UTF-8 holds them, and the write failed;
# nor U+FFFE and U+FFFF, which no XML carries: a CalDAV answer holding the follow-up
# could not be read whole.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile(r"[\t\n\r]")


def _as_copied(interview: Interview, problems: list[str]) -> Interview:
    """The interview with its title and facts as follow-ups may copy them: no control
    character, each fact cut to FACT_CHARS (what was cut goes to ``problems``)."""
    changed: dict[str, Any] = {}
    long = []
    for name in ("title", *_FACTS):
        value: str = getattr(interview, name)
        clean = _CONTROLS.sub("", _BREAKS.sub(" ", value))
        if name != "title" and len(clean) > limits.FACT_CHARS:
            clean = clean[: limits.FACT_CHARS]
            long.append(name.replace("_", " "))
        if clean != value:
            changed[name] = clean
    if long:
        problems.append(f"{', '.join(long)} cut to {limits.FACT_CHARS:,} characters")
    return dataclasses.replace(interview, **changed) if changed else interview


def _from_patterns(title: str, patterns: tuple[str, ...]) -> tuple[str, str]:
    """Company and role from the named groups of a matching ``detect.patterns`` regex."""
    for regex in _patterns(patterns):
        match = regex.search(title)
        if match:
            groups = match.groupdict()
            return (groups.get("company") or "").strip(), (groups.get("role") or "").strip()
    return "", ""


def _name(event: CalendarEvent) -> str:
    """How a log line names an event: its title (cut, control characters dropped) and id."""
    try:
        return f"{limits.shown(text(event.title))!r} ({limits.shown(event.key, 80)})"
    except Exception:
        return "an unreadable event"


def _where(source: SourceConfig, event: CalendarEvent) -> str:
    """How a log line names where an event is: the source, and the calendar's id."""
    return f"{source.name}: {limits.shown(text(event.calendar), 120)}"
