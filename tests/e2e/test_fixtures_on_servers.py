"""Real-world-shaped .ics files (Outlook, Google, Apple, Thunderbird, ...) put on
both real servers, read back through the CalDAV provider: every interview among
them is detected, with the right local times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import make_source
from fixtures.ics import expected
from servers import CalendarHandle

from providers import CalendarInfo, ReadScope
from providers.caldav.provider import open_source
from syncd.config import Config, DetectConfig
from syncd.detect import detect

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ics"


EXPECTED = expected
ZONE = ZoneInfo(EXPECTED.CONFIG_ZONE)
NOW = dt.datetime.fromisoformat(EXPECTED.NOW)
START, END = (dt.datetime.fromisoformat(t) for t in EXPECTED.WINDOW)


def _instant(text: str, zone: str) -> dt.datetime | dt.date:
    if "T" not in text:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def test_every_fixture_interview_is_detected_with_its_local_times(
    dav_calendar: CalendarHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    for fixture in EXPECTED.FIXTURES:
        dav_calendar.put(fixture["file"], (FIXTURES / fixture["file"]).read_bytes())
    monkeypatch.setenv("SYNCD_FIXTURE_PASSWORD", dav_calendar.server.password)
    source = make_source(
        "fixtures", "caldav", url=dav_calendar.server.url,
        username=dav_calendar.server.username, password_env="SYNCD_FIXTURE_PASSWORD",
        me=EXPECTED.ME,
    )  # fmt: skip
    detect_config = DetectConfig(categories=EXPECTED.DETECT_CATEGORIES)
    config = Config(timezone=ZONE, sources=(source,), detect=detect_config)
    # The core hands the provider its detection words, as the engine does.
    words = [*detect_config.keywords, *detect_config.categories]
    scope = ReadScope.of(START, END, words, detect_config.patterns)
    provider = open_source(source, config)
    try:
        changes = provider.read_changes(
            CalendarInfo(dav_calendar.url, dav_calendar.name), None, scope
        )
    finally:
        provider.close()
    assert changes.full

    read: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for event in changes.events:
        interview = detect(event, source, config, NOW)
        key = (event.resource.rsplit("/", 1)[-1], event.title, event.recurrence_id)
        read[key] = (event.start, event.end, event.status, interview is not None)
    wanted: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for fixture in EXPECTED.FIXTURES:
        for e in fixture["events"]:
            key = (fixture["file"], e["title"], e["recurrence_id"])
            start, end = _instant(e["start"], e["zone"]), _instant(e["end"], e["zone"])
            wanted[key] = (start, end, e["status"], e["interview"])
    # The provider parses only what may be an interview or a follow-up: the rest
    # are neither, and are expected to be absent from what was read.
    for key, value in wanted.items():
        if key in read or value[3]:
            assert read.get(key) == value, key
    interviews = [k for k, v in wanted.items() if v[3]]
    assert len(interviews) >= 10
