"""The planner against SPEC section 5: a table of cases, then the texts and the rules
that need several interviews.

Times in the table are local wall-clock times in the case's zone, with the weekday
spelled out: a wrong weekday in an expectation fails the test, so every row can be
checked with a calendar. "calls Fri 2027-03-12" stands for the morning call at
10:00 and the afternoon call at 15:00 on that day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncd import limits
from syncd.config import CallsConfig, Config, DetectConfig, ThankYouConfig
from syncd.model import FollowUp, FollowUpKind, Interview, followup_id
from syncd.planner import (
    FOLLOWUP_REACH,
    beyond_series_limit,
    decision_day,
    interview_date,
    plan,
)
from syncd.workdays import is_working_day

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _parse(text: str, zone: ZoneInfo) -> dt.datetime | dt.date:
    """'Tue 2027-03-09 14:00' -> aware datetime; 'Tue 2027-03-09' -> date (weekday checked)."""
    if len(text.split()) == 3:
        value = dt.datetime.strptime(text, "%a %Y-%m-%d %H:%M").replace(tzinfo=zone)
        assert f"{value:%a %Y-%m-%d %H:%M}" == text, f"weekday wrong in {text!r}"
        return value
    day = dt.datetime.strptime(text, "%a %Y-%m-%d").date()
    assert f"{day:%a %Y-%m-%d}" == text, f"weekday wrong in {text!r}"
    return day


def _expand(expected: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for item in expected:
        kind, _, when = item.partition(" ")
        if kind == "calls":
            out += [f"call-morning {when} 10:00", f"call-afternoon {when} 15:00"]
        else:
            out.append(item)
    return out


def make(
    start: str,
    end: str,
    zone: ZoneInfo = LONDON,
    key: str = "ev1",
    **facts: Any,
) -> Interview:
    """An interview at local times; ``end`` may be just 'HH:MM' on the start's day."""
    begin = _parse(start, zone)
    if len(end) == 5:
        finish: dt.datetime | dt.date = dt.datetime.combine(
            begin.date() if isinstance(begin, dt.datetime) else begin,
            dt.time.fromisoformat(end),
            tzinfo=zone,
        )
    else:
        finish = _parse(end, zone)
    facts.setdefault("company", "Acme")
    facts.setdefault("title", f"Interview with {facts['company']}")
    return Interview(source="work", calendar="cal", key=key, start=begin, end=finish, **facts)


def config(
    zone: ZoneInfo = LONDON,
    holidays: str = "none",  # the rows below name public holidays where they matter
    skip: tuple[str, ...] = (),
    thank_you: ThankYouConfig | None = None,
    marker: str = "#heard-back",
) -> Config:
    return Config(
        timezone=zone,
        detect=DetectConfig(heard_back_marker=marker),
        thank_you=thank_you or ThankYouConfig(),
        calls=CallsConfig(
            holidays=holidays, skip_dates=tuple(dt.date.fromisoformat(d) for d in skip)
        ),
    )


def local(followups: list[FollowUp], zone: ZoneInfo) -> list[str]:
    return [f"{f.kind} {f.start.astimezone(zone):%a %Y-%m-%d %H:%M}" for f in followups]


@dataclasses.dataclass(frozen=True)
class Row:
    start: str
    end: str
    expected: tuple[str, ...]
    tz: str = "Europe/London"
    interview_tz: str = ""  # the zone the server reports the interview in; "" = tz
    now: str = ""  # "" = long before everything
    decision: str = "end of week"
    remote: bool = False
    heard_back: bool = False
    holidays: str = "none"  # off unless a row is about them; "" = the zone's country
    skip: tuple[str, ...] = ()
    thank_you: ThankYouConfig | None = None


def row(name: str, start: str, end: str, *expected: str, **options: Any) -> Any:
    return pytest.param(Row(start, end, expected, **options), id=name)


TUE = "Tue 2027-03-09 14:00"
LATE_TY = ThankYouConfig(all_day_at=dt.time(22, 0))
TEN_HOURS = ThankYouConfig(delay=dt.timedelta(hours=10))
TWO_HOURS = ThankYouConfig(delay=dt.timedelta(hours=2))

TABLE = [
    # thank-you: delays
    row("in-person +60min", TUE, "15:00", "thank-you Tue 2027-03-09 16:00", "calls Fri 2027-03-12"),
    row("remote +15min", TUE, "15:00", "thank-you Tue 2027-03-09 15:15", "calls Fri 2027-03-12",
        remote=True),
    row("configured delay 2h", TUE, "15:00", "thank-you Tue 2027-03-09 17:00",
        "calls Fri 2027-03-12", thank_you=TWO_HOURS),
    # thank-you: the evening and the night
    row("ends 20:30 -> 09:00 next day", "Tue 2027-03-09 19:00", "20:30",
        "thank-you Wed 2027-03-10 09:00", "calls Fri 2027-03-12"),
    row("ends 20:00 -> 21:00 exactly stays", "Tue 2027-03-09 19:00", "20:00",
        "thank-you Tue 2027-03-09 21:00", "calls Fri 2027-03-12"),
    row("remote ends 20:50 -> 21:05 -> 09:00 next day", "Tue 2027-03-09 20:00", "20:50",
        "thank-you Wed 2027-03-10 09:00", "calls Fri 2027-03-12", remote=True),
    row("remote ends 20:45 -> 21:00 stays", "Tue 2027-03-09 20:00", "20:45",
        "thank-you Tue 2027-03-09 21:00", "calls Fri 2027-03-12", remote=True),
    row("ends 00:30 -> 09:00 same day", "Tue 2027-03-09 23:30", "Wed 2027-03-10 00:30",
        "thank-you Wed 2027-03-10 09:00", "calls Fri 2027-03-12"),
    row("ends 07:30 -> 08:30 -> 09:00", "Tue 2027-03-09 06:30", "07:30",
        "thank-you Tue 2027-03-09 09:00", "calls Fri 2027-03-12"),
    row("ends 08:00 -> 09:00 exactly", "Tue 2027-03-09 07:00", "08:00",
        "thank-you Tue 2027-03-09 09:00", "calls Fri 2027-03-12"),
    # thank-you: all-day interviews (DATE end exclusive)
    row("all-day Tue -> 18:00", "Tue 2027-03-09", "Wed 2027-03-10",
        "thank-you Tue 2027-03-09 18:00", "calls Fri 2027-03-12"),
    row("all-day Mon-Wed -> Wed 18:00", "Mon 2027-03-08", "Thu 2027-03-11",
        "thank-you Wed 2027-03-10 18:00", "calls Fri 2027-03-12"),
    row("all-day Thu-Sat -> Sat, next Fri", "Thu 2027-03-11", "Sun 2027-03-14",
        "thank-you Sat 2027-03-13 18:00", "calls Fri 2027-03-19"),
    row("all-day, all_day_at 22:00 -> next 09:00", "Tue 2027-03-09", "Wed 2027-03-10",
        "thank-you Wed 2027-03-10 09:00", "calls Fri 2027-03-12", thank_you=LATE_TY),
    # zones: the interview reported in another zone than the user's
    row("UTC interview, London summer", "Tue 2027-06-08 13:00", "14:00",
        "thank-you Tue 2027-06-08 16:00", "calls Fri 2027-06-11", interview_tz="UTC"),
    row("Fri 16:00 UTC is Sat 01:00 Tokyo", "Fri 2027-03-12 16:00", "17:00",
        "thank-you Sat 2027-03-13 09:00", "calls Fri 2027-03-19", tz="Asia/Tokyo",
        interview_tz="UTC"),
    row("Tokyo plain", TUE, "15:00", "thank-you Tue 2027-03-09 16:00", "calls Fri 2027-03-12",
        tz="Asia/Tokyo"),
    # decision: end of week
    row("end of week, Mon", "Mon 2027-03-08 14:00", "15:00", "thank-you Mon 2027-03-08 16:00",
        "calls Fri 2027-03-12"),
    row("end of week, Thu", "Thu 2027-03-11 14:00", "15:00", "thank-you Thu 2027-03-11 16:00",
        "calls Fri 2027-03-12"),
    row("end of week, on Fri -> next Fri", "Fri 2027-03-12 14:00", "15:00",
        "thank-you Fri 2027-03-12 16:00", "calls Fri 2027-03-19"),
    row("end of week, on Sat -> next Fri", "Sat 2027-03-13 14:00", "15:00",
        "thank-you Sat 2027-03-13 16:00", "calls Fri 2027-03-19"),
    row("end of week, on Sun -> next Fri", "Sun 2027-03-14 14:00", "15:00",
        "thank-you Sun 2027-03-14 16:00", "calls Fri 2027-03-19"),
    # decision: end of next week / next week
    row("end of next week, Tue", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Fri 2027-03-19", decision="end of next week"),
    row("next week, Tue", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Fri 2027-03-19", decision="next week"),
    row("end of next week, on Fri", "Fri 2027-03-12 14:00", "15:00",
        "thank-you Fri 2027-03-12 16:00", "calls Fri 2027-03-19", decision="end of next week"),
    row("next week, on Sat", "Sat 2027-03-13 14:00", "15:00", "thank-you Sat 2027-03-13 16:00",
        "calls Fri 2027-03-19", decision="next week"),
    # decision: weekday names (strictly after)
    row("wednesday after Tue", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Wed 2027-03-10", decision="wednesday"),
    row("tuesday after Tue -> a week on", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Tue 2027-03-16", decision="tuesday"),
    row("monday after Fri", "Fri 2027-03-12 14:00", "15:00", "thank-you Fri 2027-03-12 16:00",
        "calls Mon 2027-03-15", decision="monday"),
    row("saturday after Tue -> Fri before", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Fri 2027-03-12", decision="saturday"),
    row("sunday after Fri -> Mon after", "Fri 2027-03-12 14:00", "15:00",
        "thank-you Fri 2027-03-12 16:00", "calls Mon 2027-03-15", decision="sunday"),
    # decision: ISO dates
    row("ISO Wed", TUE, "15:00", "thank-you Tue 2027-03-09 16:00", "calls Wed 2027-03-17",
        decision="2027-03-17"),
    row("ISO Sat -> Fri before", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Fri 2027-03-19", decision="2027-03-20"),
    row("ISO Sun -> Fri before", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Fri 2027-03-19", decision="2027-03-21"),
    row("ISO before the interview -> next working day", TUE, "15:00",
        "thank-you Tue 2027-03-09 16:00", "calls Wed 2027-03-10", decision="2027-03-05"),
    row("ISO Sat after a Fri interview -> Mon", "Fri 2027-03-12 14:00", "15:00",
        "thank-you Fri 2027-03-12 16:00", "calls Mon 2027-03-15", decision="2027-03-13"),
    # working days: skip_dates and public holidays
    row("skip Fri -> Thu", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Thu 2027-03-11", skip=("2027-03-12",)),
    row("skip Wed-Fri -> next Mon", TUE, "15:00", "thank-you Tue 2027-03-09 16:00",
        "calls Mon 2027-03-15", skip=("2027-03-10", "2027-03-11", "2027-03-12")),
    row("GB Good Friday -> Thu", "Tue 2027-03-23 14:00", "15:00",
        "thank-you Tue 2027-03-23 16:00", "calls Thu 2027-03-25", holidays="GB"),
    row("Good Friday ignored without holidays", "Tue 2027-03-23 14:00", "15:00",
        "thank-you Tue 2027-03-23 16:00", "calls Fri 2027-03-26", holidays="none"),
    # holidays unset: the public holidays of the zone's country
    row("unset in London: GB Good Friday -> Thu", "Tue 2027-03-23 14:00", "15:00",
        "thank-you Tue 2027-03-23 16:00", "calls Thu 2027-03-25", holidays=""),
    row("unset in London: Christmas Fri -> Thu 24th", "Mon 2026-12-21 14:00", "15:00",
        "thank-you Mon 2026-12-21 16:00", "calls Thu 2026-12-24", holidays=""),
    row("unset in London: Christmas Eve interview -> Tue 29th", "Thu 2026-12-24 14:00", "15:00",
        "thank-you Thu 2026-12-24 16:00", "calls Tue 2026-12-29", holidays=""),
    row('"none" in London: Christmas Day kept', "Mon 2026-12-21 14:00", "15:00",
        "thank-you Mon 2026-12-21 16:00", "calls Fri 2026-12-25", holidays="none"),
    row("unset in New York: US Thanksgiving Thu -> Wed", "Mon 2027-11-22 14:00", "15:00",
        "thank-you Mon 2027-11-22 16:00", "calls Wed 2027-11-24", decision="thursday",
        holidays="", tz="America/New_York"),
    row("unset in Oslo (a link): NO Easter Monday -> Tue", "Thu 2027-03-25 14:00", "15:00",
        "thank-you Thu 2027-03-25 16:00", "calls Tue 2027-03-30", decision="monday",
        holidays="", tz="Europe/Oslo"),
    row("unset in UTC, no country: Christmas Day kept", "Mon 2026-12-21 14:00", "15:00",
        "thank-you Mon 2026-12-21 16:00", "calls Fri 2026-12-25", holidays="", tz="UTC"),
    row("set GB wins over the zone's country", "Mon 2027-11-22 14:00", "15:00",
        "thank-you Mon 2027-11-22 16:00", "calls Thu 2027-11-25", decision="thursday",
        holidays="GB", tz="America/New_York"),
    row("GB Good Friday after a Thu interview -> Mon (BST)", "Thu 2027-03-25 14:00", "15:00",
        "thank-you Thu 2027-03-25 16:00", "calls Mon 2027-03-29", holidays="GB"),
    row("GB Christmas observed Mon -> Fri 24th", "Wed 2027-12-22 14:00", "15:00",
        "thank-you Wed 2027-12-22 16:00", "calls Fri 2027-12-24", decision="monday",
        holidays="GB"),
    row("US Thanksgiving Thu -> Wed", "Mon 2027-11-22 14:00", "15:00",
        "thank-you Mon 2027-11-22 16:00", "calls Wed 2027-11-24", decision="thursday",
        holidays="US", tz="America/New_York"),
    # DST: calls keep their wall-clock times the day after a change
    row("London spring forward, Mon calls", "Thu 2027-03-25 14:00", "15:00",
        "thank-you Thu 2027-03-25 16:00", "calls Mon 2027-03-29", decision="2027-03-29"),
    row("London fall back, Mon calls", "Thu 2027-10-28 14:00", "15:00",
        "thank-you Thu 2027-10-28 16:00", "calls Mon 2027-11-01", decision="monday"),
    row("New York spring forward, Mon calls", "Fri 2027-03-12 14:00", "15:00",
        "thank-you Fri 2027-03-12 16:00", "calls Mon 2027-03-15", decision="monday",
        tz="America/New_York"),
    row("New York fall back, Mon calls", "Fri 2027-11-05 14:00", "15:00",
        "thank-you Fri 2027-11-05 16:00", "calls Mon 2027-11-08", decision="monday",
        tz="America/New_York"),
    # DST: a thank-you across a change
    row("London spring night -> Sun 09:00 BST", "Sat 2027-03-27 22:00", "23:30",
        "thank-you Sun 2027-03-28 09:00", "calls Fri 2027-04-02"),
    row("London fall evening -> Sun 09:00 GMT", "Sat 2027-10-30 20:30", "21:30",
        "thank-you Sun 2027-10-31 09:00", "calls Fri 2027-11-05"),
    row("10h elapsed across spring forward", "Sun 2027-03-28 00:00", "00:30",
        "thank-you Sun 2027-03-28 11:30", "calls Fri 2027-04-02", thank_you=TEN_HOURS),
    row("New York fall night, remote", "Sat 2027-11-06 23:30", "Sun 2027-11-07 00:15",
        "thank-you Sun 2027-11-07 09:00", "calls Fri 2027-11-12", remote=True,
        tz="America/New_York"),
    # heard back: the thank-you stays, no calls
    row("heard back", TUE, "15:00", "thank-you Tue 2027-03-09 16:00", heard_back=True),
    # nothing in the past
    row("now between the calls -> afternoon only", TUE, "15:00",
        "call-afternoon Fri 2027-03-12 15:00", now="Fri 2027-03-12 12:00"),
    row("now at the morning call -> afternoon only", TUE, "15:00",
        "call-afternoon Fri 2027-03-12 15:00", now="Fri 2027-03-12 10:00"),
    row("now after the thank-you -> calls only", TUE, "15:00", "calls Fri 2027-03-12",
        now="Tue 2027-03-09 16:30"),
    row("now at the thank-you -> calls only", TUE, "15:00", "calls Fri 2027-03-12",
        now="Tue 2027-03-09 16:00"),
    row("now during the interview -> everything", TUE, "15:00",
        "thank-you Tue 2027-03-09 16:00", "calls Fri 2027-03-12", now="Tue 2027-03-09 14:30"),
    row("now after everything -> nothing", TUE, "15:00", now="Fri 2027-03-12 15:00"),
]  # fmt: skip


@pytest.mark.parametrize("case", TABLE)
def test_planned_local_times(case: Row) -> None:
    zone = ZoneInfo(case.tz)
    interview = make(
        case.start,
        case.end,
        ZoneInfo(case.interview_tz or case.tz),
        decision=case.decision,
        remote=case.remote,
        heard_back=case.heard_back,
    )
    now = _parse(case.now, zone) if case.now else LONG_AGO
    assert isinstance(now, dt.datetime)
    cfg = config(zone, case.holidays, case.skip, case.thank_you)

    planned = plan([interview], cfg, now)

    assert local(planned, zone) == _expand(case.expected)
    assert all(f.start.tzinfo is zone and f.end.tzinfo is zone for f in planned)


def test_table_is_large_enough() -> None:
    assert len(TABLE) >= 40


# -- what a follow-up carries -------------------------------------------------------


def test_followup_identity_times_and_reminders() -> None:
    cfg = dataclasses.replace(
        config(),
        thank_you=ThankYouConfig(duration=dt.timedelta(minutes=45), reminders=(0, 30)),
        calls=CallsConfig(duration=dt.timedelta(minutes=20), reminders=(5, 60)),
    )
    interview = make(TUE, "15:00", key="uid-1;20270309T140000Z")
    thank_you, morning, afternoon = plan([interview], cfg, LONG_AGO)

    for f, kind in zip(
        (thank_you, morning, afternoon),
        (FollowUpKind.THANK_YOU, FollowUpKind.CALL_MORNING, FollowUpKind.CALL_AFTERNOON),
        strict=True,
    ):
        assert f.kind == kind
        assert f.id == followup_id("work", "cal", "uid-1;20270309T140000Z", kind)
        assert (f.source, f.calendar, f.target, f.interview) == (
            "work",
            "cal",
            "cal",
            "uid-1;20270309T140000Z",
        )
    assert thank_you.end - thank_you.start == dt.timedelta(minutes=45)
    assert thank_you.reminders == (0, 30)
    assert morning.end - morning.start == dt.timedelta(minutes=20)
    assert (morning.reminders, afternoon.reminders) == ((5, 60), (5, 60))


def test_target_calendar_overrides_the_interview_calendar() -> None:
    planned = plan([make(TUE, "15:00")], config(), LONG_AGO, target_calendar="Follow-ups")
    assert {(f.calendar, f.target) for f in planned} == {("cal", "Follow-ups")}


def test_calls_after_spring_forward_are_ten_and_fifteen_local_not_utc() -> None:
    interview = make("Thu 2027-03-25 14:00", "15:00", decision="monday")
    _, morning, afternoon = plan([interview], config(), LONG_AGO)
    assert morning.start == dt.datetime(2027, 3, 29, 9, 0, tzinfo=dt.UTC)  # 10:00 BST
    assert afternoon.start == dt.datetime(2027, 3, 29, 14, 0, tzinfo=dt.UTC)


def test_thank_you_across_fall_back_counts_elapsed_time() -> None:
    # Ends 00:30 BST on the change night; 10 h later is 09:30 GMT, not 10:30.
    interview = make("Sat 2027-10-30 23:30", "Sun 2027-10-31 00:30")
    thank_you = plan([interview], config(thank_you=TEN_HOURS), LONG_AGO)[0]
    assert f"{thank_you.start:%H:%M %Z}" == "09:30 GMT"
    assert thank_you.end - thank_you.start == dt.timedelta(minutes=30)


def test_titles() -> None:
    titles = [f.title for f in plan([make(TUE, "15:00", company="Acme Ltd")], config(), LONG_AGO)]
    assert titles == [
        "Thank-you letter: Acme Ltd",
        "Follow-up call: Acme Ltd",
        "Second follow-up call (only if no answer yet): Acme Ltd",
    ]


def test_thank_you_description() -> None:
    interview = make(TUE, "15:00", title="Interview with Acme - Data Engineer",
                     contact="Jane Doe <jane@acme.com>", role="Data Engineer")  # fmt: skip
    text = plan([interview], config(), LONG_AGO)[0].description
    assert "thank Jane Doe <jane@acme.com> at Acme" in text
    assert '"Interview with Acme - Data Engineer" on Tue 09 Mar 2027, 14:00 (GMT)' in text
    assert "handwrite" in text and "post it" in text
    assert "Dear Jane Doe," in text
    assert "for the Data Engineer position" in text


def test_thank_you_description_without_contact_or_role_thanks_the_company() -> None:
    text = plan([make("Tue 2027-03-09", "Wed 2027-03-10")], config(), LONG_AGO)[0].description
    assert "Write to thank Acme for" in text
    assert "Tue 09 Mar 2027 (all day)" in text
    assert "Dear Acme team," in text
    assert "position" not in text


def test_morning_call_says_once_and_how_to_stop() -> None:
    interview = make(TUE, "15:00", contact="Jane Doe", contact_phone="+44 20 7946 0000")
    _, morning, _ = plan([interview], config(), LONG_AGO)
    assert "Call Jane Doe at Acme about" in morning.description
    assert "Call once, not more often" in morning.description
    assert "Phone: +44 20 7946 0000" in morning.description
    assert "Add #heard-back to the title of this call or of the interview" in morning.description


def test_afternoon_call_only_if_no_answer_and_last() -> None:
    interview = make(TUE, "15:00", contact="Jane Doe", contact_phone="+44 20 7946 0000")
    *_, afternoon = plan([interview], config(marker="#done"), LONG_AGO)
    assert "Only if they still haven't got back to you" in afternoon.description
    assert "This is the last call" in afternoon.description
    assert "Phone: +44 20 7946 0000" in afternoon.description
    assert "Add #done to the title of this call or of the interview" in afternoon.description
    assert "#heard-back" not in afternoon.description


def test_call_without_contact_or_phone_names_the_company() -> None:
    _, morning, _ = plan([make(TUE, "15:00")], config(), LONG_AGO)
    assert "Call Acme about your interview" in morning.description
    assert "Phone:" not in morning.description


def test_agency_call_goes_to_the_staffing_manager() -> None:
    interview = make(TUE, "15:00", agency="StaffCo", agency_contact="Sam Lee",
                     agency_phone="0161 496 0000", contact="Jane Doe",
                     contact_phone="020 7946 0000")  # fmt: skip
    _, morning, afternoon = plan([interview], config(), LONG_AGO)
    for call in (morning, afternoon):
        assert "all Sam Lee at StaffCo (your staffing manager) about" in call.description
        assert "Phone: 0161 496 0000" in call.description
        assert "Jane Doe" not in call.description and "020 7946 0000" not in call.description
    assert morning.title == "Follow-up call: Acme"


def test_agency_without_contact_says_staffing_manager_once() -> None:
    _, morning, _ = plan([make(TUE, "15:00", agency="StaffCo")], config(), LONG_AGO)
    assert "Call your staffing manager at StaffCo about" in morning.description
    assert morning.description.count("staffing manager") == 1
    assert "Phone:" not in morning.description


# -- rules across interviews ----------------------------------------------------------


def _calls_by_key(planned: list[FollowUp]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in planned:
        if f.kind != FollowUpKind.THANK_YOU:
            out.setdefault(f.interview, []).append(f"{f.kind} {f.start:%a %Y-%m-%d %H:%M}")
    return out


def test_one_company_one_decision_day_only_the_latest_gets_calls() -> None:
    first = make("Mon 2027-03-08 10:00", "11:00", key="a", company="Acme")
    second = make("Wed 2027-03-10 10:00", "11:00", key="b", company="ACME ")
    for order in ([first, second], [second, first]):
        planned = plan(order, config(), LONG_AGO)
        assert _calls_by_key(planned) == {
            "b": ["call-morning Fri 2027-03-12 10:00", "call-afternoon Fri 2027-03-12 15:00"]
        }
        assert sorted(f.interview for f in planned if f.kind == FollowUpKind.THANK_YOU) == [
            "a",
            "b",
        ]


def test_same_start_tie_breaks_by_key() -> None:
    one = make(TUE, "15:00", key="k1")
    two = dataclasses.replace(one, key="k2", calendar="cal")
    assert list(_calls_by_key(plan([two, one], config(), LONG_AGO))) == ["k2"]


def test_one_company_different_decision_days_both_get_calls() -> None:
    first = make("Mon 2027-03-08 10:00", "11:00", key="a")
    second = make("Wed 2027-03-10 10:00", "11:00", key="b", decision="next week")
    assert _calls_by_key(plan([first, second], config(), LONG_AGO)) == {
        "a": ["call-morning Fri 2027-03-12 10:00", "call-afternoon Fri 2027-03-12 15:00"],
        "b": ["call-morning Fri 2027-03-19 10:00", "call-afternoon Fri 2027-03-19 15:00"],
    }


def test_different_companies_same_day_both_get_calls() -> None:
    first = make("Mon 2027-03-08 10:00", "11:00", key="a", company="Acme")
    second = make("Wed 2027-03-10 10:00", "11:00", key="b", company="Globex")
    assert sorted(_calls_by_key(plan([first, second], config(), LONG_AGO))) == ["a", "b"]


def test_unnamed_employers_do_not_collide() -> None:
    first = make("Mon 2027-03-08 10:00", "11:00", key="a", company="the employer")
    second = make("Wed 2027-03-10 10:00", "11:00", key="b", company="the employer")
    assert sorted(_calls_by_key(plan([first, second], config(), LONG_AGO))) == ["a", "b"]


def test_latest_heard_back_silences_the_company() -> None:
    first = make("Mon 2027-03-08 10:00", "11:00", key="a")
    second = make("Wed 2027-03-10 10:00", "11:00", key="b", heard_back=True)
    planned = plan([first, second], config(), LONG_AGO)
    assert _calls_by_key(planned) == {}
    assert len(planned) == 2  # both thank-yous stay


def test_planning_is_deterministic_and_sorted() -> None:
    interviews = [
        make("Wed 2027-03-10 10:00", "11:00", key="b", company="Globex"),
        make("Mon 2027-03-08 10:00", "11:00", key="a"),
    ]
    once = plan(interviews, config(), LONG_AGO)
    assert once == plan(list(reversed(interviews)), config(), LONG_AGO)
    assert [f.start for f in once] == sorted(f.start for f in once)
    assert len({f.id for f in once}) == len(once) == 6


def test_an_interview_listed_twice_counts_once() -> None:
    interview = make(TUE, "15:00")
    assert plan([interview, interview], config(), LONG_AGO) == plan([interview], config(), LONG_AGO)


def test_unknown_decision_text_counts_as_end_of_week() -> None:
    planned = plan([make(TUE, "15:00", decision="soonish")], config(), LONG_AGO)
    assert local(planned, LONDON)[1:] == _expand(("calls Fri 2027-03-12",))


# -- the helpers other code uses ---------------------------------------------------


def test_good_friday_2027_is_a_gb_holiday_per_the_holidays_package() -> None:
    import holidays

    assert holidays.country_holidays("GB", years=2027).get(dt.date(2027, 3, 26)) == "Good Friday"
    assert not is_working_day(dt.date(2027, 3, 26), CallsConfig(holidays="GB"))
    assert is_working_day(dt.date(2027, 3, 26), CallsConfig())


@pytest.mark.parametrize(
    ("day", "calls", "working"),
    [
        pytest.param("2027-03-12", CallsConfig(), True, id="friday"),
        pytest.param("2027-03-13", CallsConfig(), False, id="saturday"),
        pytest.param("2027-03-14", CallsConfig(), False, id="sunday"),
        pytest.param(
            "2027-03-12", CallsConfig(skip_dates=(dt.date(2027, 3, 12),)), False, id="skipped"
        ),
        pytest.param("2027-07-05", CallsConfig(holidays="US"), False, id="us-observed-4th"),
        pytest.param("2027-07-05", CallsConfig(holidays="GB"), True, id="gb-ordinary-monday"),
    ],
)
def test_is_working_day(day: str, calls: CallsConfig, working: bool) -> None:
    assert is_working_day(dt.date.fromisoformat(day), calls) is working


def test_decision_day_direct() -> None:
    tuesday = dt.date(2027, 3, 9)
    assert decision_day(tuesday, "end of week", CallsConfig()) == dt.date(2027, 3, 12)
    assert decision_day(tuesday, " Friday ", CallsConfig()) == dt.date(2027, 3, 12)
    assert decision_day(tuesday, "2027-03-20", CallsConfig()) == dt.date(2027, 3, 19)


def test_decision_day_rejects_unknown_text_and_country() -> None:
    with pytest.raises(ValueError, match="decision"):
        decision_day(dt.date(2027, 3, 9), "when pigs fly", CallsConfig())
    with pytest.raises(ValueError, match="XX"):
        is_working_day(dt.date(2027, 3, 9), CallsConfig(holidays="XX"))


def test_interview_date_of_all_day_is_its_last_day_and_of_timed_its_local_start() -> None:
    multi = make("Mon 2027-03-08", "Thu 2027-03-11")
    assert interview_date(multi, LONDON) == dt.date(2027, 3, 10)
    late = make("Fri 2027-03-12 23:30", "23:45", zone=ZoneInfo("UTC"))
    assert interview_date(late, ZoneInfo("Asia/Tokyo")) == dt.date(2027, 3, 13)


# --- out of the limits (syncd/limits.py) -------------------------------------------------


@pytest.mark.parametrize("decision", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_a_stored_decision_out_of_range_counts_as_end_of_week(decision: str) -> None:
    # detect reads such a date as unknown; an older syncd stored it as it was.
    interview = make("Wed 2027-03-10 14:00", "15:00", decision=decision)
    planned = local(plan([interview], config(), LONG_AGO), LONDON)
    assert planned == [
        "thank-you Wed 2027-03-10 16:00",
        "call-morning Fri 2027-03-12 10:00",
        "call-afternoon Fri 2027-03-12 15:00",
    ]
    with pytest.raises(ValueError, match="unknown decision"):
        decision_day(dt.date(2027, 3, 10), decision, CallsConfig())


def test_an_interview_out_of_range_gets_nothing_and_others_still_do() -> None:
    edge = Interview(
        source="work",
        calendar="cal",
        key="edge",
        title="Interview with Edge",
        start=dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        end=dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC),
        company="Edge",
    )
    control = make("Wed 2027-03-10 14:00", "15:00")
    planned = plan([edge, control], config(), LONG_AGO)
    assert {f.interview for f in planned} == {"ev1"}
    assert len(planned) == 3


# --- interviews per series (syncd/limits.py) ------------------------------------------


def daily_series(days: int, first: dt.datetime, series: str = "daily") -> list[Interview]:
    return [
        Interview(
            source="work",
            calendar="cal",
            key=f"{series};{n}",
            title="Interview with Flood",
            start=first + dt.timedelta(days=n),
            end=first + dt.timedelta(days=n, hours=1),
            company="Flood",
            series=series,
        )
        for n in range(days)
    ]


SERIES_NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


def test_a_series_gets_follow_ups_for_its_first_interviews_still_ahead_only() -> None:
    # 30 days past (follow-ups of the last 6 of them may still lie ahead) and 90 to come.
    series = daily_series(120, SERIES_NOW - dt.timedelta(days=30))
    left_out = beyond_series_limit(series, config(), SERIES_NOW)
    kept = [i for i in series if i not in left_out[("cal", "daily")]]
    assert len(kept) == limits.INTERVIEWS_PER_SERIES
    # All 30 past days ended less than FOLLOWUP_REACH ago: the first 50 are days 0 to 49.
    assert kept == series[: limits.INTERVIEWS_PER_SERIES]
    planned = plan([*series, make("Wed 2027-03-10 14:00", "15:00")], config(), SERIES_NOW)
    assert {f.interview for f in planned} <= {i.key for i in kept} | {"ev1"}
    assert {f.interview for f in planned if f.interview != "ev1"} == {
        i.key for i in kept if i.end > SERIES_NOW
    }
    assert "ev1" in {f.interview for f in planned}


def test_as_a_series_goes_on_its_later_interviews_move_up() -> None:
    series = daily_series(200, SERIES_NOW)
    later = SERIES_NOW + dt.timedelta(days=100)
    left_out = {i.key for i in beyond_series_limit(series, config(), later)[("cal", "daily")]}
    kept = [i for i in series if i.key not in left_out]
    # Those that ended more than FOLLOWUP_REACH (45 days) ago rank behind the rest:
    # days 0 to 54 are over, days 55 to 104 are the first 50 of the others.
    assert [i.key for i in kept] == [f"daily;{n}" for n in range(55, 105)]
    assert all(i.end >= later - FOLLOWUP_REACH for i in kept)


def test_series_within_the_limit_and_single_interviews_are_not_listed() -> None:
    series = daily_series(limits.INTERVIEWS_PER_SERIES, SERIES_NOW)
    singles = [make("Wed 2027-03-10 14:00", "15:00", key=f"s{n}") for n in range(80)]
    assert beyond_series_limit([*series, *singles], config(), SERIES_NOW) == {}
