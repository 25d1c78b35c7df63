"""The state store: SQLite in ``state_dir`` (docs/behaviour.md, "State").

It remembers per source the calendars the server listed; per watched calendar
its sync token and the interviews last read from it; per follow-up its
identity, etag, fingerprint and status; and the health tables of
``syncd.state_health``. Losing it loses no event: a full re-read finds the
follow-ups again by their markers. Folder 0700, file 0600; copied aside before
a migration. A folder that is not syncd's own, a damaged file or a newer schema
stop syncd with one line (``syncd.state_files``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from syncd.model import FollowUpRecord, Interview, RecordStatus
from syncd.state_codec import SELECT_RECORDS, interview_from_json, interview_to_json, record_of
from syncd.state_files import DB_NAME as DB_NAME
from syncd.state_files import (
    StateError,
    database_error,
    newer_schema,
    open_database,
    prepare_state_dir,
)
from syncd.state_health import CalendarHealth as CalendarHealth
from syncd.state_health import HealthTables
from syncd.state_health import SourceStatus as SourceStatus

if TYPE_CHECKING:
    from syncd.observe import Delta

T = TypeVar("T")

# A calendar as the server listed it: CalendarInfo's fields in order (id, display
# name, aliases, then what the server says of it), as JSON keeps them.
Calendar = tuple[Any, ...]

# Each entry migrates the schema from version i to i + 1.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE tokens (
        source TEXT NOT NULL, calendar TEXT NOT NULL, token TEXT NOT NULL,
        PRIMARY KEY (source, calendar));
    CREATE TABLE calendars (
        source TEXT PRIMARY KEY, signature TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE interviews (
        source TEXT NOT NULL, calendar TEXT NOT NULL, key TEXT NOT NULL,
        resource TEXT NOT NULL, gone INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (source, calendar, key));
    CREATE INDEX interviews_resource ON interviews (source, calendar, resource);
    CREATE TABLE followups (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, calendar TEXT NOT NULL,
        interview TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
        resource TEXT NOT NULL, etag TEXT NOT NULL, fingerprint TEXT NOT NULL,
        status TEXT NOT NULL, start TEXT NOT NULL, title TEXT NOT NULL);
    CREATE INDEX followups_source ON followups (source);
    CREATE TABLE sources (
        source TEXT PRIMARY KEY, last_sync TEXT, last_error TEXT, paused INTEGER NOT NULL);
    """,
    # 2: the calendar cache holds aliases too; the next pass resolves calendars anew.
    """
    DELETE FROM calendars;
    """,
    # 3: interviews remember the series they belong to (a deleted series takes its
    # instances along); one full read of every calendar fills it in.
    """
    DELETE FROM tokens;
    DELETE FROM calendars;
    """,
    # 4: the calendar cache holds what the server says of each calendar (access,
    # zone, the main one) and counts the passes since it was listed; per calendar
    # its health; refused writes, held until the next full read of their calendar;
    # notes said once; the zone each source is planned in. Tables are made anew,
    # or only when missing: the step holds on a database of any earlier shape.
    """
    DROP TABLE IF EXISTS calendars;
    CREATE TABLE calendars (
        source TEXT PRIMARY KEY, signature TEXT NOT NULL, data TEXT NOT NULL,
        passes INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS calendar_health (
        source TEXT NOT NULL, calendar TEXT NOT NULL, name TEXT NOT NULL,
        state TEXT NOT NULL, since TEXT NOT NULL, error TEXT NOT NULL,
        PRIMARY KEY (source, calendar));
    CREATE TABLE IF NOT EXISTS refusals (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, calendar TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS notes (
        source TEXT NOT NULL, note TEXT NOT NULL, PRIMARY KEY (source, note));
    CREATE TABLE IF NOT EXISTS zones (
        source TEXT PRIMARY KEY, zone TEXT NOT NULL, origin TEXT NOT NULL);
    """,
)


class StateStore(HealthTables):
    """One SQLite database; use ``transaction()`` around each pass of a calendar.

    The health tables (sources, calendars, refusals, notes): ``HealthTables``.
    """

    def __init__(self, state_dir: Path) -> None:
        """Open (or create) the state in ``state_dir``, migrated to this syncd's schema.

        Raises StateError (one line naming the folder or file and what to do) when the
        folder is not syncd's own (syncd.state_files) or the file cannot be used:
        damaged, a folder, written by a newer syncd.
        """
        prepare_state_dir(state_dir)
        self.path = state_dir / DB_NAME
        self._db = open_database(self.path)
        self._read: dict[tuple[Any, ...], Any] = {}  # what _memo read, while unchanged
        self._version: tuple[int, int] = (-1, -1)
        try:
            self._migrate()
        except sqlite3.Error as error:
            self._db.close()
            raise database_error(self.path, error) from None
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if not isinstance(version, int) or version < 0:
            raise sqlite3.DatabaseError(f"schema version {version!r:.20} is no version")
        if version > len(_MIGRATIONS):
            raise newer_schema(self.path, version, len(_MIGRATIONS))
        if 0 < version < len(_MIGRATIONS):
            try:
                self._back_up(version)
            except OSError as error:
                raise StateError(
                    f"{self.path}: cannot copy the state file aside before updating it"
                    f" ({(error.strerror or type(error).__name__).lower()}); free some space"
                    " in its folder and try again"
                ) from None
        for step in range(version, len(_MIGRATIONS)):
            with self.transaction():
                # executescript() would commit first; run the statements one by one.
                for statement in filter(str.strip, _MIGRATIONS[step].split(";")):
                    self._db.execute(statement)
                self._db.execute("DELETE FROM schema_version")
                self._db.execute("INSERT INTO schema_version VALUES (?)", (step + 1,))
        for sidecar in (self.path.with_name(self.path.name + s) for s in ("-wal", "-shm")):
            if sidecar.exists():
                os.chmod(sidecar, 0o600)

    def _back_up(self, version: int) -> Path:
        """A copy of the database as it is, before it is migrated from ``version`` (0600)."""
        copy = self.path.with_name(f"{self.path.name}.v{version}.bak")
        fd = os.open(copy, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
        os.chmod(copy, 0o600)
        target = sqlite3.connect(copy)
        try:
            self._db.backup(target)
        finally:
            target.close()
        return copy

    @contextlib.contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[None]:
        """All writes inside commit together, or none of them (re-entrant).

        ``rollback=True`` throws every write away at the end (a dry run).
        """
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._read = {}  # a rollback undoes writes total_changes still counts
            self._db.execute("ROLLBACK")
            raise
        if rollback:
            self._read = {}
        self._db.execute("ROLLBACK" if rollback else "COMMIT")

    def _memo(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        """``load()``, or what it gave before while the database is unchanged since: no
        write through this connection (``total_changes``), no commit by another
        (``PRAGMA data_version``). An idle pass reads the same records five times."""
        other = self._db.execute("PRAGMA data_version").fetchone()[0]
        version = (int(other), self._db.total_changes)
        if version != self._version:
            self._read, self._version = {}, version
        if key not in self._read:
            self._read[key] = load()
        value: T = self._read[key]
        return value

    # -- tokens and calendars

    def token(self, source: str, calendar: str) -> str | None:
        row = self._db.execute(
            "SELECT token FROM tokens WHERE source = ? AND calendar = ?", (source, calendar)
        ).fetchone()
        return row[0] if row else None

    def set_token(self, source: str, calendar: str, token: str | None) -> None:
        if token is None:
            self._db.execute(
                "DELETE FROM tokens WHERE source = ? AND calendar = ?", (source, calendar)
            )
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)", (source, calendar, token)
            )

    def calendars(self, source: str, signature: str | None = None) -> list[Calendar] | None:
        """The calendars listed for a source, if cached under this config signature (None: any)."""
        query, args = "SELECT data FROM calendars WHERE source = ?", [source]
        if signature is not None:
            query += " AND signature = ?"
            args.append(signature)
        row = self._db.execute(query, args).fetchone()
        if row is None:
            return None
        return [(c[0], c[1], tuple(c[2]), *c[3:]) for c in json.loads(row[0])]

    def set_calendars(self, source: str, signature: str, listed: list[Calendar]) -> None:
        """Cache a source's calendars as just listed (its pass count starts again at 0)."""
        self._db.execute(
            "INSERT OR REPLACE INTO calendars (source, signature, data) VALUES (?, ?, ?)",
            (source, signature, json.dumps(listed)),
        )

    def relist(self, source: str) -> None:
        """Have the source's calendars listed again at its next pass (the cache is kept
        to compare the new listing with)."""
        self._db.execute("UPDATE calendars SET signature = '' WHERE source = ?", (source,))

    def count_pass(self, source: str) -> int:
        """One more pass over the cached calendars of a source; how many there were since."""
        self._db.execute("UPDATE calendars SET passes = passes + 1 WHERE source = ?", (source,))
        row = self._db.execute("SELECT passes FROM calendars WHERE source = ?", (source,))
        return int(next(iter(row), (0,))[0])

    def forget_calendar(self, source: str, calendar: str) -> None:
        """A calendar is gone: its token, the refusals there and what syncd wrote there
        unedited (gone with it) are dropped; the user's edits and deletions are kept."""
        with self.transaction():
            args = (source, calendar)
            self._db.execute("DELETE FROM tokens WHERE source = ? AND calendar = ?", args)
            self._db.execute("DELETE FROM refusals WHERE source = ? AND calendar = ?", args)
            self._db.execute(
                "DELETE FROM followups WHERE source = ? AND target = ? AND status IN (?, ?)",
                (*args, str(RecordStatus.WRITTEN), str(RecordStatus.REMOVING)),
            )

    # -- interviews (gone ones stay as tombstones until their follow-ups are dealt with)

    def interviews(
        self, source: str, calendar: str | None = None, *, gone: bool = False
    ) -> dict[tuple[str, str], Interview]:
        """Known interviews (or tombstones) by (calendar, key), of a calendar or the source."""
        query, args = "SELECT data FROM interviews WHERE source = ? AND gone = ?", [source, gone]
        if calendar is not None:
            query += " AND calendar = ?"
            args.append(calendar)

        def load() -> dict[tuple[str, str], Interview]:
            out = {}
            for (data,) in self._db.execute(query, args):
                interview = interview_from_json(data)
                out[(interview.calendar, interview.key)] = interview
            return out

        return dict(self._memo(("interviews", *args), load))

    def put_interview(self, interview: Interview, *, gone: bool = False) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO interviews VALUES (?, ?, ?, ?, ?, ?)",
            (
                interview.source,
                interview.calendar,
                interview.key,
                interview.resource,
                int(gone),
                interview_to_json(interview),
            ),
        )

    def drop_interview(self, source: str, calendar: str, key: str) -> None:
        self._db.execute(
            "DELETE FROM interviews WHERE source = ? AND calendar = ? AND key = ?",
            (source, calendar, key),
        )

    # -- follow-ups

    def records(self, source: str) -> dict[str, FollowUpRecord]:
        """Every follow-up record of a source, by id."""

        def load() -> dict[str, FollowUpRecord]:
            rows = self._db.execute(SELECT_RECORDS + " WHERE source = ?", (source,))
            return {r[0]: record_of(r) for r in rows}

        return dict(self._memo(("records", source), load))

    def record(self, followup_id: str) -> FollowUpRecord | None:
        row = self._db.execute(SELECT_RECORDS + " WHERE id = ?", (followup_id,)).fetchone()
        return record_of(row) if row else None

    def put_record(self, record: FollowUpRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO followups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.source,
                record.calendar,
                record.interview,
                str(record.kind),
                record.target,
                record.resource,
                record.etag,
                record.fingerprint,
                str(record.status),
                record.start.isoformat(),
                record.title,
            ),
        )

    def commit_read(self, source: str, calendar: str, delta: Delta, token: str | None) -> None:
        """What one read of a calendar showed, with the token to read on from, at once."""
        with self.transaction():
            for interview in delta.interviews:
                self.put_interview(interview)
            for interview in (*delta.gone, *delta.buried):
                self.put_interview(interview, gone=True)
            for record in delta.records:
                self.put_record(record)
            self.set_token(source, calendar, token)
