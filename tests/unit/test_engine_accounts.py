"""Passes over accounts as real ones are: calendars read-only, hidden, not readable,
failing, vanishing, added later; a deleted target; refused writes; the zone of the
account's main calendar. Through the in-memory reference provider, which models them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import make_source

from providers import config_sections
from providers.memory import MemoryProvider
from syncd.calendars import REFRESH_EVERY
from syncd.config import Config, SourceConfig, load_config
from syncd.engine import Engine, PassReport
from syncd.errors import ProviderError, RefusedError, TransientError
from syncd.model import CalendarEvent, FollowUp, FollowUpKind
from syncd.runner import sweep
from syncd.state import StateStore
from syncd.status import describe_status

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
SOURCE = make_source("mem", url="http://127.0.0.1/")


class Account:
    """A memory account (its first calendar the main one), a store, an engine, a clock."""

    def __init__(
        self,
        tmp_path: Path,
        source: SourceConfig = SOURCE,
        provider: MemoryProvider | None = None,
        config: Config | None = None,
    ) -> None:
        self.provider = provider or MemoryProvider(("Personal",))
        self.source = source
        self.config = config or Config(timezone=LONDON, sources=(source,))
        self.store = StateStore(tmp_path / "state")
        self.now = NOW
        self.engine = Engine(self.config, self.store, clock=lambda: self.now)

    def interview(self, calendar: str, key: str, company: str, day: int = 1) -> CalendarEvent:
        start = dt.datetime(2026, 12, day, 10, tzinfo=LONDON)
        event = CalendarEvent(
            id=key,
            calendar=self.provider.calendar_id(calendar),
            title=f"Interview with {company}",
            start=start,
            end=start + dt.timedelta(hours=1),
        )
        return self.provider.put(event)

    def run(self) -> PassReport:
        """One pass, as `syncd run --once` makes it (through the runner)."""
        config = dataclasses.replace(self.config, sources=(self.source,))
        [outcome] = sweep(
            config, self.store, opener=lambda *_: self.provider, clock=lambda: self.now
        )
        if outcome.error is not None:
            raise outcome.error
        assert outcome.report is not None
        return outcome.report

    def followups(self, calendar: str) -> list[CalendarEvent]:
        events = self.provider.events(self.provider.calendar_id(calendar))
        return [e for e in events if e.markers is not None and e.status != "cancelled"]

    def companies(self, calendar: str) -> set[str]:
        return {e.title.rsplit(": ", 1)[1] for e in self.followups(calendar)}

    def health(self) -> dict[str, str]:
        return {h.name: h.state for h in self.store.calendar_health(self.source.name)}


def lines(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and text in r.getMessage()]


# --- read-only calendars: where follow-ups go


def test_a_read_only_calendars_interview_gets_its_follow_ups_in_the_main_calendar(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    account = Account(tmp_path)
    account.provider.add_calendar("Careers centre", writable=False)
    account.interview("Personal", "iv-a", "Acme")
    account.interview("Personal", "iv-b", "Globex", day=2)
    account.interview("Careers centre", "iv-c", "Initech", day=3)
    with caplog.at_level(logging.INFO):
        report = account.run()
        assert account.run().actions == []
    assert account.companies("Personal") == {"Acme", "Globex", "Initech"}
    assert len(account.followups("Personal")) == 9
    assert account.followups("Careers centre") == []
    assert not [a for a in report.actions if a.target == "mem://Careers centre"]
    [info] = lines(caplog, logging.INFO, "read-only")
    assert info == (
        "mem: Careers centre: 'Interview with Initech': the calendar is read-only for this"
        " account; its follow-ups go to 'Personal'"
    )
    assert report.failures == []  # a read-only calendar is no failure
    assert account.health() == {"Personal": "ok", "Careers centre": "read-only"}


def test_with_a_target_calendar_a_read_only_calendars_follow_ups_go_there_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = dataclasses.replace(SOURCE, target_calendar="Follow-ups")
    account = Account(tmp_path, source)
    account.provider.add_calendar("Careers centre", writable=False)
    account.interview("Careers centre", "iv-c", "Initech")
    with caplog.at_level(logging.INFO):
        account.run()
    assert account.companies("Follow-ups") == {"Initech"}
    assert lines(caplog, logging.INFO, "read-only") == []


def test_with_nowhere_to_write_an_interview_gets_no_follow_ups_and_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    account = Account(tmp_path)
    account.provider.set_writable(account.provider.calendar_id("Personal"), False)
    account.provider.add_calendar("Work")
    account.interview("Personal", "iv-a", "Acme")
    account.interview("Work", "iv-b", "Globex")
    with caplog.at_level(logging.INFO):
        account.run()
        account.run()
    assert account.companies("Work") == {"Globex"}
    assert account.followups("Personal") == []
    [warning] = lines(caplog, logging.WARNING, "Acme")
    assert "no follow-ups for it; set target_calendar" in warning
    assert not any(r.startswith("create") and "Personal" in r for r in account.provider.requests)


def test_a_calendar_made_read_only_is_never_written_to_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    account = Account(tmp_path)
    work = account.provider.add_calendar("Work").id
    account.interview("Work", "iv-b", "Globex")
    account.run()
    account.provider.set_writable(work, False)
    account.interview("Work", "iv-b", "Globex", day=8)  # moved: its follow-ups would move
    with caplog.at_level(logging.WARNING):
        refused = account.run()  # syncd learns it from the refusals: the calendars are
        before = len(account.provider.requests)
        report = account.run()  # listed again, and Work is read-only now
        account.run()
    assert [why.split(" (")[0] for _, why in refused.left_alone] == [
        "the server refuses the write"
    ] * 3
    assert len(lines(caplog, logging.WARNING, "refuses")) == 3  # one per follow-up
    writes = [r for r in account.provider.requests[before:] if not r.startswith(("read", "list"))]
    assert writes == []
    assert report.failures == [] and account.health()["Work"] == "read-only"
    assert account.provider.requests.count("list_calendars") == 2
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 3


def test_a_new_interview_on_a_calendar_just_made_read_only_gets_its_follow_ups_in_main(
    tmp_path: Path,
) -> None:
    account = Account(tmp_path)
    work = account.provider.add_calendar("Work").id
    account.interview("Work", "iv-a", "Acme")
    account.run()
    account.provider.set_writable(work, False)  # syncd does not know it yet
    account.interview("Work", "iv-b", "Globex", day=2)
    refused = account.run()  # Globex's follow-ups are refused in Work; the calendars are
    routed = account.run()  # listed again: Work is read-only, they go to the main calendar
    assert [a.op for a, _ in refused.left_alone] == ["create"] * 3
    assert [(a.op, a.target) for a in routed.applied] == [("create", "mem://Personal")] * 3
    assert account.companies("Personal") == {"Globex"}
    assert account.companies("Work") == {"Acme"}  # left as they were
    assert account.run().applied == []


# --- one calendar failing or vanishing never stops the others


def test_a_calendar_that_vanishes_between_passes_stops_nothing_else(tmp_path: Path) -> None:
    account = Account(tmp_path)
    work = account.provider.add_calendar("Work").id
    account.interview("Personal", "iv-a", "Acme")
    account.interview("Work", "iv-b", "Globex")
    account.run()
    account.provider.remove_calendar(work)
    account.interview("Personal", "iv-a", "Acme", day=8)  # moved meanwhile
    [outcome] = sweep(account.config, account.store, opener=lambda *_: account.provider,
                      clock=lambda: account.now)  # fmt: skip
    assert outcome.ok and outcome.report is not None
    assert [a.op for a in outcome.report.applied] == ["update"] * 3  # Acme's moved along
    [line] = outcome.lines  # `syncd run --once` prints it and exits 1
    assert line.startswith("mem: Work: the calendar is gone (deleted, or no longer shared")
    assert account.health() == {"Personal": "ok", "Work": "vanished"}
    assert account.store.interviews("mem", work)  # kept: a vanished calendar cancels nothing
    [again] = sweep(account.config, account.store, opener=lambda *_: account.provider,
                    clock=lambda: account.now)  # fmt: skip
    assert again.lines == [] and again.report is not None and again.report.actions == []


def test_the_listing_a_vanished_calendar_causes_updates_the_others_states_at_once(
    tmp_path: Path,
) -> None:
    account = Account(tmp_path)
    work = account.provider.add_calendar("Work").id
    team = account.provider.add_calendar("Team").id
    account.run()
    account.provider.set_writable(work, False)  # read in the next pass before Team answers 404
    account.provider.remove_calendar(team)
    account.run()
    assert account.health() == {"Personal": "ok", "Work": "read-only", "Team": "vanished"}


def test_a_named_calendar_that_is_gone_is_reported_every_pass(tmp_path: Path) -> None:
    account = Account(tmp_path, dataclasses.replace(SOURCE, calendars=("Personal", "Work")))
    work = account.provider.add_calendar("Work").id
    account.interview("Personal", "iv-a", "Acme")
    account.run()
    account.provider.remove_calendar(work)
    first, second = account.run(), account.run()
    assert [len(first.failures), len(second.failures)] == [1, 1]
    assert "gone" in first.failures[0]
    assert second.failures[0].startswith("mem: Work: no calendar 'Work' (there are: Personal)")
    assert account.health()["Work"] == "vanished"
    assert len(account.followups("Personal")) == 3


def test_a_calendar_that_answers_badly_is_reported_and_its_interviews_kept(
    tmp_path: Path,
) -> None:
    account = Account(tmp_path)
    work = account.provider.add_calendar("Work").id
    account.interview("Work", "iv-b", "Globex")
    account.run()
    account.provider.failing[work] = ProviderError("Work: the server sent a broken answer")
    account.interview("Personal", "iv-a", "Acme")
    report = account.run()
    assert report.failures == [
        "mem: Work: the server sent a broken answer; its interviews are kept as they are,"
        " and syncd tries again next pass"
    ]
    assert account.companies("Personal") == {"Acme"}
    assert account.companies("Work") == {"Globex"}  # nothing deleted because of a failure
    [failing] = account.store.calendar_health("mem")[1:]
    assert (failing.state, failing.since) == ("failing", NOW.isoformat())
    account.now += dt.timedelta(minutes=5)
    account.run()
    assert account.store.calendar_health("mem")[1].since == NOW.isoformat()  # failing since
    del account.provider.failing[work]
    assert account.run().failures == []
    assert account.health() == {"Personal": "ok", "Work": "ok"}


def test_a_transient_failure_of_one_calendar_is_still_the_sources(tmp_path: Path) -> None:
    account = Account(tmp_path)
    account.provider.failing[account.provider.calendar_id("Personal")] = TransientError("503")
    with pytest.raises(TransientError):
        account.run()


# --- the calendar list is looked up again


def test_a_new_calendar_is_watched_after_the_next_listing(tmp_path: Path) -> None:
    account = Account(tmp_path)
    account.run()
    account.provider.add_calendar("Job hunt")
    account.interview("Job hunt", "iv-n", "Hooli")
    for _ in range(REFRESH_EVERY - 1):
        account.run()
    assert account.followups("Job hunt") == []
    assert account.provider.requests.count("list_calendars") == 1
    account.run()
    assert account.provider.requests.count("list_calendars") == 2
    assert account.companies("Job hunt") == {"Hooli"}


def test_a_change_of_calendars_in_the_config_lists_them_again_at_once(tmp_path: Path) -> None:
    account = Account(tmp_path)
    account.provider.add_calendar("Shared", hidden=True)
    account.interview("Shared", "iv-h", "Hooli")
    account.run()
    assert account.followups("Shared") == []  # hidden, and not named: not watched
    account.source = dataclasses.replace(SOURCE, calendars=("Personal", "Shared"))
    account.run()
    assert account.provider.requests.count("list_calendars") == 2
    assert account.companies("Shared") == {"Hooli"}  # named: watched, hidden or not


def test_a_calendar_taken_out_of_calendars_keeps_its_follow_ups_as_they_are(
    tmp_path: Path,
) -> None:
    account = Account(tmp_path)
    account.provider.add_calendar("Work")
    account.interview("Personal", "iv-a", "Acme")
    globex = account.interview("Work", "iv-b", "Globex")
    account.run()
    account.source = dataclasses.replace(SOURCE, calendars=("Personal",))
    account.provider.put(dataclasses.replace(globex, status="cancelled"))  # unseen now
    assert account.run().actions == []
    assert account.companies("Work") == {"Globex"}


def test_a_calendar_syncd_may_not_read_is_never_read(tmp_path: Path) -> None:
    account = Account(tmp_path)
    account.provider.add_calendar("Boss", readable=False, writable=False)
    account.run()
    assert "read mem://Boss" not in account.provider.requests
    named = dataclasses.replace(SOURCE, calendars=("Personal", "Boss"))
    account.source = named
    [line] = account.run().failures
    assert line.startswith("mem: Boss: this account may only see when it is busy")
    assert "read mem://Boss" not in account.provider.requests


def test_a_deleted_target_calendar_is_created_again_with_its_follow_ups(tmp_path: Path) -> None:
    account = Account(tmp_path, dataclasses.replace(SOURCE, target_calendar="Follow-ups"))
    account.interview("Personal", "iv-a", "Acme")
    account.run()
    account.provider.remove_calendar(account.provider.calendar_id("Follow-ups"))
    report = account.run()
    assert report.failures == [
        "mem: Follow-ups: the target calendar was gone; syncd created it again and writes"
        " the follow-ups it held anew"
    ]
    assert [a.op for a in report.applied] == ["create"] * 3
    assert account.companies("Follow-ups") == {"Acme"}
    assert account.run().actions == []


# --- refused writes


class RefusesThanks(MemoryProvider):
    refuse = True

    def create(self, followup: FollowUp) -> CalendarEvent:
        if self.refuse and followup.kind == FollowUpKind.THANK_YOU:
            self.requests.append(f"refused {followup.id}")
            raise RefusedError("403 requiredAccessLevel")
        return super().create(followup)


def test_a_refused_write_is_tried_again_only_at_the_next_full_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    account = Account(tmp_path, provider=RefusesThanks(("Personal",)))
    account.interview("Personal", "iv-a", "Acme")
    with caplog.at_level(logging.WARNING):
        first = account.run()
        account.run()
        account.run()
    refused = [r for r in account.provider.requests if r.startswith("refused")]
    assert len(refused) == 1 and len(lines(caplog, logging.WARNING, "refuses")) == 1
    assert first.failures == []  # a refused write is no failed calendar
    account.provider.expire_tokens()  # the next read of the calendar is a full one
    account.provider.refuse = False
    account.run()
    assert account.companies("Personal") == {"Acme"}
    assert len(account.followups("Personal")) == 3


# --- tombstones and event types, end to end


def test_after_a_lost_state_a_follow_up_the_user_deleted_stays_deleted(tmp_path: Path) -> None:
    provider = MemoryProvider(("Personal",), tombstones=True)
    account = Account(tmp_path / "one", provider=provider)
    account.interview("Personal", "iv-a", "Acme")
    account.run()
    [thanks] = [e for e in account.followups("Personal") if e.markers.kind == "thank-you"]  # type: ignore[union-attr]
    provider.remove(thanks.calendar, thanks.resource)  # kept by the server as cancelled
    fresh = Account(tmp_path / "two", provider=provider)  # the state is lost
    assert [a.op for a in fresh.run().actions] == []
    assert len(fresh.followups("Personal")) == 2
    assert not [r for r in provider.requests if r == f"create {thanks.id}"][1:]


def test_calls_syncd_removed_come_back_over_their_tombstones(tmp_path: Path) -> None:
    account = Account(tmp_path, provider=MemoryProvider(("Personal",), tombstones=True))
    event = account.interview("Personal", "iv-a", "Acme")
    account.run()
    account.provider.put(dataclasses.replace(event, title=event.title + " #heard-back"))
    account.run()
    assert len(account.followups("Personal")) == 1
    account.provider.put(event)  # the marker taken out again
    account.run()
    assert len(account.followups("Personal")) == 3


def test_an_interview_turned_out_of_office_loses_its_follow_ups(tmp_path: Path) -> None:
    account = Account(tmp_path)
    event = account.interview("Personal", "iv-a", "Acme")
    account.run()
    account.provider.put(dataclasses.replace(event, event_type="outOfOffice"))
    assert [a.op for a in account.run().applied] == ["delete"] * 3


# --- the zone in force


def loaded(tmp_path: Path, top: str = "") -> Config:
    path = tmp_path / "config.toml"
    path.write_text(
        f'{top}state_dir = "{tmp_path / "state"}"\n'
        '[[sources]]\nname = "mem"\nkind = "caldav"\nurl = "http://127.0.0.1/"\n'
    )
    return load_config(path, config_sections())


def new_yorker() -> MemoryProvider:
    provider = MemoryProvider(())
    provider.add_calendar("Personal", zone="America/New_York", default=True)
    return provider


def test_without_a_timezone_the_main_calendars_zone_is_in_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")  # the machine's zone: not the account's
    config = loaded(tmp_path)
    account = Account(tmp_path, config.sources[0], new_yorker(), config)
    start = dt.datetime(2026, 12, 1, 10, tzinfo=NEW_YORK)
    end = start + dt.timedelta(hours=1)
    account.provider.put(CalendarEvent("iv", "mem://Personal", "Interview with Acme", start, end))
    account.run()
    calls = [e.start for e in account.followups("Personal") if "call" in e.title]
    assert {c.astimezone(NEW_YORK).hour for c in calls} == {10, 15}  # type: ignore[union-attr]
    status = account.store.source_status("mem")
    assert status is not None and (status.zone, status.zone_origin) == (
        "America/New_York",
        "calendar",
    )
    text = describe_status(config, account.store, NOW)
    assert "    zone America/New_York (the account's main calendar's)" in text
    assert "  mem (caldav): ok, last sync 2026-11-25 07:00" in text  # in the zone in force


def test_a_timezone_set_in_the_config_wins_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = loaded(tmp_path, 'timezone = "Europe/London"\n')
    account = Account(tmp_path, config.sources[0], new_yorker(), config)
    with caplog.at_level(logging.WARNING):
        account.run()
        account.run()
    [warning] = lines(caplog, logging.WARNING, "timezone")
    assert warning.startswith(
        "mem: timezone is Europe/London, but the account's main calendar is in America/New_York"
    )
    status = account.store.source_status("mem")
    assert status is not None and (status.zone, status.zone_origin) == ("Europe/London", "config")


# --- syncd status


def test_status_shows_each_calendars_state(tmp_path: Path) -> None:
    account = Account(tmp_path)
    account.provider.add_calendar("Careers centre", writable=False)
    work = account.provider.add_calendar("Team").id
    account.provider.add_calendar("Archive", writable=False)
    account.interview("Personal", "iv-a", "Acme")
    account.run()
    account.provider.remove_calendar(work)
    account.run()
    text = describe_status(account.config, account.store, NOW)
    print(text)
    assert "  mem (caldav): ok, last sync 2026-11-25 12:00" in text
    assert "    calendar 'Personal': ok" in text
    assert "    calendar 'Careers centre': read-only" in text
    assert "    calendar 'Team': vanished since 2026-11-25 12:00: the calendar is gone" in text
    shown = [line.split("'")[1] for line in text.splitlines() if "    calendar '" in line]
    assert shown == ["Personal", "Archive", "Careers centre", "Team"]  # by state, then name
