"""Values the tests build again and again, built in one place."""

from __future__ import annotations

import datetime as dt

from syncd.model import FollowUp, FollowUpKind, followup_id


def make_followup(
    *,
    start: dt.datetime,
    source: str = "src",
    calendar: str = "cal",
    target: str = "",
    interview: str = "interview-1",
    kind: FollowUpKind = FollowUpKind.THANK_YOU,
    minutes: int = 30,
    title: str = "Thank-you letter: Acme",
    description: str = "Thank Ann Smith for the interview.",
    reminders: tuple[int, ...] = (0,),
) -> FollowUp:
    """A follow-up with its identity derived as the planner derives it."""
    return FollowUp(
        kind=kind,
        id=followup_id(source, calendar, interview, kind),
        source=source,
        calendar=calendar,
        target=target or calendar,
        interview=interview,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        title=title,
        description=description,
        reminders=reminders,
    )
