"""Idempotence: reconciling a plan against the result of applying it yields nothing."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from strategies import configs, interview_lists, nows

from syncd.config import Config
from syncd.model import CalendarEvent, Interview, Op
from syncd.planner import plan
from syncd.reconcile import reconcile, record_for


def applied(items: list[Interview], cfg: Config, now: dt.datetime) -> dict:
    """The records a pass leaves after carrying out the plan's creates."""
    records = {}
    for f in plan(items, cfg, now):
        event = CalendarEvent(
            id=f.id,
            calendar=f.target,
            title=f.title,
            start=f.start,
            end=f.end,
            etag=f'"{f.id[:6]}"',
            resource=f"{f.id}.ics",
        )
        records[f.id] = record_for(f, event)
    return records


@settings(max_examples=200, deadline=None)
@given(interview_lists(), configs, nows)
def test_reconcile_after_applying_the_plan_yields_no_action(
    items: list[Interview], cfg: Config, now: dt.datetime
) -> None:
    active = {(i.calendar, i.key) for i in items}
    first = reconcile(plan(items, cfg, now), {}, active=active, gone=set(), now=now)
    assert all(a.op == Op.CREATE for a in first)
    assert len(first) == len(plan(items, cfg, now))
    again = reconcile(
        plan(items, cfg, now), applied(items, cfg, now), active=active, gone=set(), now=now
    )
    assert again == []


@settings(max_examples=100, deadline=None)
@given(interview_lists(), configs, nows)
def test_a_gone_interview_only_ever_deletes_future_follow_ups(
    items: list[Interview], cfg: Config, now: dt.datetime
) -> None:
    records = applied(items, cfg, now)
    gone = {(i.calendar, i.key) for i in items}
    actions = reconcile([], records, active=set(), gone=gone, now=now)
    assert {a.followup_id for a in actions} == {r.id for r in records.values() if r.start > now}
    assert all(a.op == Op.DELETE and a.etag == records[a.followup_id].etag for a in actions)
