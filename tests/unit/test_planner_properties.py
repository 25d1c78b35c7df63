"""Properties of the planner over random interviews, zones, configs and clocks."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given, settings
from strategies import LONG_AGO, configs, interview_lists, nows

from syncd.config import Config
from syncd.model import CALL_KINDS, FollowUpKind, Interview
from syncd.planner import interview_date, plan
from syncd.workdays import is_working_day

SETTINGS = settings(max_examples=200, deadline=None)


def _by_interview(items: list[Interview]) -> dict[tuple[str, str], Interview]:
    return {(i.calendar, i.key): i for i in items}


@SETTINGS
@given(interview_lists(), configs, nows)
def test_ids_unique_and_planning_deterministic(
    items: list[Interview], cfg: Config, now: dt.datetime
) -> None:
    planned = plan(items, cfg, now)
    assert len({f.id for f in planned}) == len(planned)
    assert plan(items, cfg, now) == planned
    assert plan(list(reversed(items)), cfg, now) == planned
    assert [(f.start, f.id) for f in planned] == sorted((f.start, f.id) for f in planned)


@SETTINGS
@given(interview_lists(), configs, nows)
def test_now_only_drops_what_is_past(items: list[Interview], cfg: Config, now: dt.datetime) -> None:
    planned = plan(items, cfg, now)
    assert all(f.start > now for f in planned)
    assert planned == [f for f in plan(items, cfg, LONG_AGO) if f.start > now]


@SETTINGS
@given(interview_lists(), configs)
def test_calls_on_working_days_after_the_interview(items: list[Interview], cfg: Config) -> None:
    by_key = _by_interview(items)
    for f in plan(items, cfg, LONG_AGO):
        if f.kind in CALL_KINDS:
            interview = by_key[(f.calendar, f.interview)]
            day = f.start.astimezone(cfg.timezone).date()
            assert is_working_day(day, cfg.calls, cfg.timezone)
            assert day > interview_date(interview, cfg.timezone)
            assert not interview.heard_back
            expected = (
                cfg.calls.morning if f.kind == FollowUpKind.CALL_MORNING else cfg.calls.afternoon
            )
            assert f.start.astimezone(cfg.timezone).time() == expected


@SETTINGS
@given(interview_lists(), configs, nows)
def test_at_most_two_calls_per_company_and_day(
    items: list[Interview], cfg: Config, now: dt.datetime
) -> None:
    by_key = _by_interview(items)
    per_day: Counter[tuple[str, dt.date]] = Counter()
    for f in plan(items, cfg, now):
        if f.kind in CALL_KINDS:
            company = by_key[(f.calendar, f.interview)].company.strip().casefold()
            # The placeholder is no company: unnamed employers count one by one.
            name = f.interview if company == "the employer" else company
            per_day[(name, f.start.astimezone(cfg.timezone).date())] += 1
    assert all(count <= 2 for count in per_day.values()), per_day


@SETTINGS
@given(interview_lists(), configs)
def test_every_interview_gets_one_thank_you_and_calls_in_pairs(
    items: list[Interview], cfg: Config
) -> None:
    planned = plan(items, cfg, LONG_AGO)
    kinds: dict[str, Counter[FollowUpKind]] = {}
    for f in planned:
        kinds.setdefault(f.interview, Counter())[f.kind] += 1
    for interview in items:
        counts = kinds[interview.key]
        assert counts[FollowUpKind.THANK_YOU] == 1
        assert counts[FollowUpKind.CALL_MORNING] == counts[FollowUpKind.CALL_AFTERNOON] <= 1


@SETTINGS
@given(interview_lists(), configs, nows)
def test_times_aware_local_and_ordered(
    items: list[Interview], cfg: Config, now: dt.datetime
) -> None:
    ty = cfg.thank_you
    for f in plan(items, cfg, now):
        assert f.start.tzinfo is cfg.timezone and f.end.tzinfo is cfg.timezone
        assert f.start.utcoffset() is not None
        assert f.end > f.start
        if f.kind == FollowUpKind.THANK_YOU:
            assert f.end - f.start == ty.duration
            assert ty.next_day_at <= f.start.time() <= ty.latest
        else:
            assert f.end - f.start == cfg.calls.duration
