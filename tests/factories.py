"""Values the tests build again and again, built in one place."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from providers import get_kind
from syncd.config import SourceConfig
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


def make_source(name: str = "src", kind: str = "caldav", **keys: Any) -> SourceConfig:
    """A source of ``kind``: ``keys`` are config keys with typed values, shared or its kind's.

    The shared ones (calendars, target_calendar, me) fill SourceConfig, the rest the
    kind's settings class (as the config loader would); what is not given keeps
    its default.
    """
    shared = {field.name for field in dataclasses.fields(SourceConfig)}
    own = {key: value for key, value in keys.items() if key not in shared}
    settings_class = get_kind(kind).config.cls
    assert settings_class is not None
    return SourceConfig(
        name=name,
        kind=kind,
        settings=settings_class(**own),
        **{key: value for key, value in keys.items() if key in shared},
    )


def replace_keys(source: SourceConfig, **keys: Any) -> SourceConfig:
    """``source`` with some config keys changed, shared or its kind's."""
    shared = {field.name for field in dataclasses.fields(SourceConfig)}
    own = {key: value for key, value in keys.items() if key not in shared}
    settings = dataclasses.replace(source.settings, **own) if own else source.settings
    return dataclasses.replace(
        source, settings=settings, **{key: value for key, value in keys.items() if key in shared}
    )
