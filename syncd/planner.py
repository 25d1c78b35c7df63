"""The shared planner (docs/behaviour.md, "Planning"): interview facts + config + now -> follow-ups.

Pure: no clock, no I/O. Working days and public holidays are ``syncd.workdays``.
``config.timezone`` is the zone in force: the engine sets it per source.

Decisions the behaviour contract leaves open (each is a rule a test pins down):

- *The interview's date* is the local date (``config.timezone``) of a timed
  interview's start, and the last day of an all-day one (its DATE end is
  exclusive, as in iCalendar): the decision counts from when the interview is over.
- ``end of next week`` / ``next week`` is the Friday of the interview's own
  Monday-to-Sunday week plus 7 days, without the Friday/weekend shift of
  ``end of week``: "next week" said on a Saturday means the coming week.
- A decision day on or before the interview's date (a stale ISO date) becomes
  the first working day after it: a call can never come before the interview.
- An unrecognised decision text counts as ``end of week``, the default.
- The placeholder company "the employer" (detect found no name) never collides
  with another interview: two unnamed employers are most likely two employers.
- A heard-back interview still takes its company's call slot (it gets no calls):
  having heard back on the second round, calling about the first makes no sense.
- Thank-you rule for a start exactly at ``thank_you.latest``: it stays ("later
  than" is strict).
- A zone's country the ``holidays`` package has no table for means no public
  holidays, with one warning (the zone in force may come from a calendar).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from syncd import limits
from syncd.config import CallsConfig, Config
from syncd.model import FollowUp, FollowUpKind, Interview, followup_id
from syncd.workdays import holidays_in_force, working_day_near

# How far after an interview its follow-ups can lie: the calls of a decision
# "end of next week" fall within two weeks; this leaves room for a stated date.
# A pass reads this far past the lookahead, so what it planned is read back.
FOLLOWUP_REACH = dt.timedelta(days=45)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FRIDAY = 4
_UNNAMED_COMPANY = "the employer"
_UTC = ZoneInfo("UTC")


def plan(
    interviews: Iterable[Interview],
    config: Config,
    now: dt.datetime,
    *,
    target_calendar: str = "",
    targets: Mapping[tuple[str, str], str] | None = None,
) -> list[FollowUp]:
    """Return the follow-ups the given interviews (all of one source) should have.

    The list is sorted by start, then id, and holds nothing starting at or before
    ``now`` (an aware datetime). Follow-ups go to the calendar ``targets`` names
    for the interview's (calendar, key) (``syncd.routing`` chooses it), else to
    ``target_calendar`` when set, else to the interview's own calendar. An
    interview listed twice (same calendar and key) counts once, the last one
    given; one whose start or end lies outside the years of syncd.limits, none;
    nor those of a series past its first INTERVIEWS_PER_SERIES (``beyond_series_limit``).
    Raises ValueError for an unknown ``calls.holidays`` country code.
    """
    # An interview out of the years of syncd.limits (kept by an older syncd; detect
    # skips them now) gets nothing: its follow-ups would lie past Python's dates.
    unique = {(i.calendar, i.key): i for i in interviews if _in_years(i)}
    for left_out in beyond_series_limit(unique.values(), config, now).values():
        for interview in left_out:
            del unique[(interview.calendar, interview.key)]
    zone = config.timezone
    country = holidays_in_force(config.calls, zone)  # once per plan, not per interview
    days = {k: _decision_day_of(i, config, country) for k, i in unique.items()}
    callers = _call_winners(unique, days, zone)

    planned: list[FollowUp] = []
    for k, interview in unique.items():
        target = (targets or {}).get(k) or target_calendar or interview.calendar
        planned.append(_thank_you(interview, config, target))
        if k in callers and not interview.heard_back:
            planned.extend(_calls(interview, days[k], config, target))
    return sorted((f for f in planned if f.start > now), key=lambda f: (f.start, f.id))


def beyond_series_limit(
    interviews: Iterable[Interview], config: Config, now: dt.datetime
) -> dict[tuple[str, str], list[Interview]]:
    """The interviews of each series (calendar, series) that get no follow-ups: those
    past the first INTERVIEWS_PER_SERIES (syncd.limits); series within it are not listed.

    The first are the earliest whose follow-ups may still lie ahead (ended less
    than FOLLOWUP_REACH ago), then the ones before them, latest first: as the
    series goes on, its later interviews move up.
    """
    of_series: dict[tuple[str, str], list[Interview]] = {}
    for interview in interviews:
        if interview.series:
            of_series.setdefault((interview.calendar, interview.series), []).append(interview)
    recent = now - FOLLOWUP_REACH

    def rank(interview: Interview) -> tuple[bool, float, str]:
        start = _start_instant(interview, config.timezone).timestamp()
        over = _end_instant(interview, config.timezone) < recent
        return over, -start if over else start, interview.key

    return {
        series: sorted(members, key=rank)[limits.INTERVIEWS_PER_SERIES :]
        for series, members in of_series.items()
        if len(members) > limits.INTERVIEWS_PER_SERIES
    }


def interview_date(interview: Interview, zone: ZoneInfo) -> dt.date:
    """The interview's date: local date of a timed start; an all-day one's last day."""
    if isinstance(interview.start, dt.datetime):
        return _local(interview.start, zone).date()
    return _last_day(interview)


def decision_day(
    interview_date: dt.date, decision: str, calls: CallsConfig, zone: ZoneInfo = _UTC
) -> dt.date:
    """The day to call for an interview on ``interview_date`` (docs/behaviour.md, "Decision day").

    ``decision`` is one of "end of week", "end of next week", "next week", a
    lowercase English weekday name, or an ISO date "YYYY-MM-DD". The result is
    always a working day strictly after ``interview_date`` (public holidays as
    for ``syncd.workdays.is_working_day``). Raises ValueError for any other decision text and
    for an unknown ``calls.holidays`` country code.
    """
    day = _named_day(interview_date, decision)
    if day is None:
        raise ValueError(f"unknown decision {decision!r}")
    return working_day_near(day, interview_date, calls, holidays_in_force(calls, zone))


def _named_day(interview_date: dt.date, decision: str) -> dt.date | None:
    # The day the decision text names, before the working-day rule; None: unknown.
    text = decision.strip().lower()
    weekday = interview_date.weekday()
    if text == "end of week":
        return _end_of_week(interview_date)
    if text in ("end of next week", "next week"):
        return interview_date + dt.timedelta(days=_FRIDAY - weekday + 7)
    if text in _WEEKDAYS:
        return interview_date + dt.timedelta(days=(_WEEKDAYS.index(text) - weekday - 1) % 7 + 1)
    try:
        # A weekend date becomes the Friday before through the working-day rule,
        # which looks at earlier days first.
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    # Out of the years of syncd.limits (a decision stored by an older syncd): unknown.
    return day if limits.in_years(day) else None


def _end_of_week(interview_date: dt.date) -> dt.date:
    weekday = interview_date.weekday()
    # On the Friday itself or at the weekend, that week's decision is already due.
    return interview_date + dt.timedelta(days=_FRIDAY - weekday + (7 if weekday >= _FRIDAY else 0))


def _decision_day_of(interview: Interview, config: Config, country: str) -> dt.date:
    day = interview_date(interview, config.timezone)
    # A decision text detect could not normalise counts as the default.
    named = _named_day(day, interview.decision) or _end_of_week(day)
    return working_day_near(named, day, config.calls, country)


def _call_winners(
    interviews: dict[tuple[str, str], Interview],
    days: dict[tuple[str, str], dt.date],
    zone: ZoneInfo,
) -> set[tuple[str, str]]:
    # Never more than two calls per company and day: the latest interview speaks
    # for the company, earlier ones (first rounds) are covered by its calls.
    best: dict[tuple[str, ...], tuple[dt.datetime, str, tuple[str, str]]] = {}
    for k, interview in interviews.items():
        company = interview.company.strip().casefold()
        group: tuple[str, ...] = (company, days[k].isoformat())
        if company in ("", _UNNAMED_COMPANY):
            group = (*group, *k)
        rank = (_start_instant(interview, zone), interview.key, k)
        if group not in best or rank > best[group]:
            best[group] = rank
    return {rank[2] for rank in best.values()}


def _thank_you(interview: Interview, config: Config, target: str) -> FollowUp:
    settings = config.thank_you
    zone = config.timezone
    if isinstance(interview.end, dt.datetime):
        delay = settings.remote_delay if interview.remote else settings.delay
        # Elapsed time, not wall clock: an hour after the end is an hour, across DST.
        start = (_local(interview.end, zone).astimezone(dt.UTC) + delay).astimezone(zone)
    else:
        start = _at(_last_day(interview), settings.all_day_at, zone)
    wall = start.time().replace(tzinfo=None)
    if wall < settings.next_day_at:  # in the night, after midnight
        start = _at(start.date(), settings.next_day_at, zone)
    elif wall > settings.latest:
        start = _at(start.date() + dt.timedelta(days=1), settings.next_day_at, zone)
    return _followup(
        interview,
        FollowUpKind.THANK_YOU,
        target,
        start,
        settings.duration,
        f"Thank-you letter: {interview.company}",
        _thank_you_text(interview, zone),
        settings.reminders,
    )


def _calls(interview: Interview, day: dt.date, config: Config, target: str) -> list[FollowUp]:
    calls = config.calls
    zone = config.timezone
    marker = config.detect.heard_back_marker
    who, phone = _whom_to_call(interview)
    about = f"your interview {_interview_line(interview, zone)}"
    reach = f"\nPhone: {phone}" if phone else ""
    stop = (
        f"Heard back? Add {marker} to the title of this call or of the interview "
        "and syncd removes the calls still to come."
    )
    morning = (
        f"Call {who} about {about}.{reach}\n\n"
        "Call once, not more often: calling too often can cost the job. "
        "If nobody answers, there is one more call planned this afternoon.\n\n" + stop
    )
    afternoon = (
        f"Only if they still haven't got back to you: call {who} about {about}.{reach}\n\n"
        "This is the last call. After it, wait for them to get back to you.\n\n" + stop
    )
    return [
        _followup(
            interview,
            FollowUpKind.CALL_MORNING,
            target,
            _at(day, calls.morning, zone),
            calls.duration,
            f"Follow-up call: {interview.company}",
            morning,
            calls.reminders,
        ),
        _followup(
            interview,
            FollowUpKind.CALL_AFTERNOON,
            target,
            _at(day, calls.afternoon, zone),
            calls.duration,
            f"Second follow-up call (only if no answer yet): {interview.company}",
            afternoon,
            calls.reminders,
        ),
    ]


def _whom_to_call(interview: Interview) -> tuple[str, str]:
    if interview.agency:
        if interview.agency_contact:
            who = f"{interview.agency_contact} at {interview.agency} (your staffing manager)"
        else:
            who = f"your staffing manager at {interview.agency}"
        return who, interview.agency_phone
    if interview.contact:
        return f"{interview.contact} at {interview.company}", interview.contact_phone
    return interview.company, interview.contact_phone


def _thank_you_text(interview: Interview, zone: ZoneInfo) -> str:
    name = _person_name(interview.contact)
    whom = f"{interview.contact} at {interview.company}" if interview.contact else interview.company
    greeting = f"Dear {name}," if name else f"Dear {interview.company} team,"
    role = f" for the {interview.role} position" if interview.role else ""
    return (
        f"Write to thank {whom} for {_interview_line(interview, zone)}.\n\n"
        "Tip: handwrite it and post it today; a handwritten letter stands out.\n\n"
        "A draft to start from:\n\n"
        f"{greeting}\n\n"
        f"Thank you for taking the time to meet me{role}. I enjoyed our conversation "
        f"and learning more about {interview.company}, and I am very interested in "
        "joining you. I look forward to hearing from you.\n\n"
        "Kind regards"
    )


def _interview_line(interview: Interview, zone: ZoneInfo) -> str:
    # Shown in the user's zone, the one every follow-up is planned in.
    if isinstance(interview.start, dt.datetime):
        start = _local(interview.start, zone)
        when = f"{start:%a %d %b %Y, %H:%M} ({start.tzname()})"
    else:
        first, last = interview.start, _last_day(interview)
        when = f"{first:%a %d %b %Y}" + (f" to {last:%a %d %b %Y}" if last > first else "")
        when += " (all day)"
    return f'"{interview.title}" on {when}'


def _person_name(contact: str) -> str:
    # The contact text may carry addresses and numbers; a greeting wants the names.
    # Each alternative starts only where a match can (a word's start for an address):
    # tried from every character of a long word, an address pattern is quadratic.
    text = re.sub(r"<[^<>]*>|(?<!\S)[^\s@]*@\S+|\+?\d[\d ()./-]{5,}\d", " ", contact)
    return re.sub(r"\s+", " ", text).strip(" ,;:-()")


def _followup(
    interview: Interview,
    kind: FollowUpKind,
    target: str,
    start: dt.datetime,
    duration: dt.timedelta,
    title: str,
    description: str,
    reminders: tuple[int, ...],
) -> FollowUp:
    end = (start.astimezone(dt.UTC) + duration).astimezone(start.tzinfo)
    return FollowUp(
        kind=kind,
        id=followup_id(interview.source, interview.calendar, interview.key, kind),
        source=interview.source,
        calendar=interview.calendar,
        target=target,
        interview=interview.key,
        start=start,
        end=end,
        title=title,
        description=description,
        reminders=tuple(reminders),
    )


def _at(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    # Wall clock on that day; a time in a spring-forward gap resolves forward,
    # through UTC, to a real instant.
    wall = dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=zone)
    return wall.astimezone(dt.UTC).astimezone(zone)


def _local(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    # A naive time (a floating iCalendar time) is taken as the user's wall clock.
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


def _last_day(interview: Interview) -> dt.date:
    start, end = interview.start, interview.end
    first = start.date() if isinstance(start, dt.datetime) else start
    last = (end.date() if isinstance(end, dt.datetime) else end) - dt.timedelta(days=1)
    return max(first, last)


def _in_years(interview: Interview) -> bool:
    return limits.in_years(interview.start) and limits.in_years(interview.end)


def _start_instant(interview: Interview, zone: ZoneInfo) -> dt.datetime:
    if isinstance(interview.start, dt.datetime):
        return _local(interview.start, zone).astimezone(dt.UTC)
    return _at(interview.start, dt.time(0, 0), zone).astimezone(dt.UTC)


def _end_instant(interview: Interview, zone: ZoneInfo) -> dt.datetime:
    if isinstance(interview.end, dt.datetime):
        return _local(interview.end, zone).astimezone(dt.UTC)
    return _at(interview.end, dt.time(0, 0), zone).astimezone(dt.UTC)
