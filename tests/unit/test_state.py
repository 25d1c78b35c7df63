"""The SQLite state store: permissions, schema version, round trips, transactions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import stat
from pathlib import Path

import pytest

from syncd.model import FollowUpKind, FollowUpRecord, Interview, RecordStatus
from syncd.state import DB_NAME, StateStore
from syncd.state_files import StateError, database_error


def test_folder_is_0700_and_file_0600(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    StateStore(folder).close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / DB_NAME).stat().st_mode) == 0o600


def test_schema_version_is_recorded_and_reopening_keeps_data(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.set_token("src", "cal", "t1")
    store.close()
    store = StateStore(tmp_path)
    assert store.token("src", "cal") == "t1"
    store.close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(4,)]


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    StateStore(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StateError, match="newer syncd"):
        StateStore(tmp_path)


@pytest.mark.parametrize(
    "start,end",
    [
        (dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, 11, tzinfo=dt.UTC)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 2)),
    ],
    ids=["timed", "all-day"],
)
def test_interviews_round_trip_and_tombstones(
    tmp_path: Path, start: dt.datetime, end: dt.datetime
) -> None:
    store = StateStore(tmp_path)
    interview = Interview(
        source="src",
        calendar="cal",
        key="uid-1;20261201T100000Z",
        title="Interview with Acme",
        start=start,
        end=end,
        company="Acme",
        remote=True,
        resource="/cal/uid-1.ics",
    )
    store.put_interview(interview)
    assert store.interviews("src") == {("cal", interview.key): interview}
    store.put_interview(interview, gone=True)
    assert store.interviews("src") == {}
    assert store.interviews("src", gone=True) == {("cal", interview.key): interview}


def a_record(status: RecordStatus) -> FollowUpRecord:
    """A morning call's record of source "src" in calendar "cal"."""
    return FollowUpRecord(
        id="0" * 32,
        source="src",
        calendar="cal",
        interview="uid-1",
        kind=FollowUpKind.CALL_MORNING,
        target="cal",
        resource="/cal/x.ics",
        etag='"abc"',
        fingerprint="f" * 32,
        status=status,
        start=dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC),
        title="Follow-up call: Acme",
    )


def test_records_round_trip(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    record = a_record(RecordStatus.EDITED)
    store.put_record(record)
    assert store.records("src") == {record.id: record}
    assert store.records("other") == {}


def test_records_read_again_are_those_written_since_by_any_connection(tmp_path: Path) -> None:
    """A pass reads its records several times; what it is given is never stale: not after
    its own write, another connection's commit, or a dry run's rollback."""
    store, other = StateStore(tmp_path), StateStore(tmp_path)
    first = a_record(RecordStatus.WRITTEN)
    second = dataclasses.replace(first, id="1" * 32, kind=FollowUpKind.CALL_AFTERNOON)
    assert store.records("src") == {}
    store.put_record(first)
    assert store.records("src") == {first.id: first}
    other.put_record(second)
    assert set(store.records("src")) == {first.id, second.id}
    with store.transaction(rollback=True):
        store.put_record(dataclasses.replace(first, etag='"dry"'))
        assert store.records("src")[first.id].etag == '"dry"'
    assert store.records("src")[first.id].etag == '"abc"'
    store.records("src").clear()  # a caller's copy: the next read is whole
    assert len(store.records("src")) == 2
    store.close()
    other.close()


def test_transaction_commits_together_or_not_at_all(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    with pytest.raises(KeyError), store.transaction():
        store.set_token("src", "a", "1")
        raise KeyError("boom")
    assert store.token("src", "a") is None
    with store.transaction(rollback=True):
        store.set_token("src", "a", "2")
        assert store.token("src", "a") == "2"
    assert store.token("src", "a") is None
    with store.transaction():
        store.set_token("src", "a", "3")
    assert store.token("src", "a") == "3"


def test_source_status_keeps_last_sync_when_an_error_follows(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.set_source_status("src", last_sync="2026-11-25T12:00:00+00:00")
    store.set_source_status("src", error="network down")
    status = store.source_status("src")
    assert status is not None
    assert (status.last_sync, status.last_error, status.paused) == (
        "2026-11-25T12:00:00+00:00",
        "network down",
        False,
    )


def test_an_older_schema_is_migrated_in_place(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.set_token("src", "cal", "t1")
    store.set_calendars("src", "sig", [("cal", "Personal", ())])
    store.close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE schema_version SET version = 1")
        db.execute("""UPDATE calendars SET data = '[["cal", "Personal"]]'""")
    store = StateStore(tmp_path)
    # Version 3 drops the tokens: one full read fills in the interviews' series.
    assert store.token("src", "cal") is None
    assert store.calendars("src", "sig") is None  # resolved anew, with aliases
    store.set_calendars("src", "sig", [("cal", "Personal", ("primary",))])
    assert store.calendars("src", "sig") == [("cal", "Personal", ("primary",))]


def test_a_migration_keeps_a_private_copy_of_the_old_database(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.set_token("src", "cal", "t1")
    store.close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE schema_version SET version = 2")
    StateStore(tmp_path).close()
    copy = tmp_path / f"{DB_NAME}.v2.bak"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT token FROM tokens").fetchall() == [("t1",)]
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    assert not list(tmp_path.glob("*.v3.bak"))  # an up-to-date state is not copied


def test_the_calendar_cache_counts_passes_and_can_be_listed_again(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.set_calendars("src", "sig", [("cal", "Personal", ("primary",), False, True)])
    assert [store.count_pass("src") for _ in range(3)] == [1, 2, 3]
    store.relist("src")
    assert store.calendars("src", "sig") is None  # listed again at the next pass ...
    assert store.calendars("src") == [("cal", "Personal", ("primary",), False, True)]  # kept
    store.set_calendars("src", "sig", [("cal", "Personal", ())])
    assert store.count_pass("src") == 1


def test_a_vanished_calendar_takes_syncds_unedited_follow_ups_and_its_token_along(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path)
    written = make_record("a" * 32, RecordStatus.WRITTEN)
    edited = make_record("b" * 32, RecordStatus.EDITED)
    for record in (written, edited):
        store.put_record(record)
    store.set_token("src", written.target, "t1")
    store.refuse("src", "c" * 32, written.target)
    store.forget_calendar("src", written.target)
    assert list(store.records("src")) == [edited.id]
    assert store.token("src", written.target) is None
    assert store.refused("src") == set()


def test_refusals_and_notes(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.refuse("src", "a" * 32, "cal")
    store.refuse("src", "b" * 32, "other")
    store.clear_refusals("src", "cal")
    assert store.refused("src") == {"b" * 32}
    assert [store.first_time("src", "zone"), store.first_time("src", "zone")] == [True, False]
    assert store.first_time("other", "zone")


def test_source_status_keeps_the_zone_in_force(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.set_zone("src", "America/New_York", "calendar")
    store.set_source_status("src", last_sync="2026-11-25T12:00:00+00:00")
    store.set_source_status("src", error="down")
    status = store.source_status("src")
    assert status is not None
    assert (status.last_error, status.zone, status.zone_origin) == (
        "down",
        "America/New_York",
        "calendar",
    )


def make_record(fid: str, status: RecordStatus) -> FollowUpRecord:
    return FollowUpRecord(
        id=fid,
        source="src",
        calendar="cal",
        interview="uid-1",
        kind=FollowUpKind.THANK_YOU,
        target="cal",
        resource=f"/cal/{fid}.ics",
        etag='"1"',
        fingerprint="f" * 32,
        status=status,
        start=dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("error", "says", "not_said"),
    [
        (sqlite3.OperationalError("database or disk is full"), "is full", "state reset"),
        (sqlite3.DatabaseError("database disk image is malformed"), "is damaged", "is full"),
        (sqlite3.OperationalError("database is locked"), "is busy", "state reset"),
    ],
)
def test_an_sqlite_error_is_one_line_saying_what_to_do(
    tmp_path: Path, error: sqlite3.Error, says: str, not_said: str
) -> None:
    line = str(database_error(tmp_path / DB_NAME, error))
    assert says in line and not_said not in line and "\n" not in line
