"""The state store's health tables, for ``syncd status`` and the daemon's STATUS line:
each source's last sync, error, pause and zone in force; each calendar's state; the
writes a server refused (held until the next full read of their calendar); and the
notes syncd says only once. ``StateStore`` (syncd/state.py) holds the database.
"""

from __future__ import annotations

import dataclasses
import sqlite3


@dataclasses.dataclass(frozen=True)
class SourceStatus:
    source: str
    last_sync: str
    last_error: str
    paused: bool
    zone: str = ""  # the zone the source was last planned in ("" before its first pass)
    zone_origin: str = ""  # config | calendar | system


# A calendar's states, in the order `syncd status` counts them.
OK, READ_ONLY, FAILING, VANISHED = "ok", "read-only", "failing", "vanished"
STATES = (OK, READ_ONLY, FAILING, VANISHED)


@dataclasses.dataclass(frozen=True)
class CalendarHealth:
    """One calendar of a source: its state, since when (ISO time) and the error, if any."""

    source: str
    calendar: str  # its id
    name: str
    state: str  # one of STATES
    since: str = ""
    error: str = ""


class HealthTables:
    """The health part of the state store (a mixin of ``StateStore``)."""

    _db: sqlite3.Connection

    # -- sources

    def set_source_status(
        self, source: str, *, last_sync: str | None = None, error: str = "", paused: bool = False
    ) -> None:
        previous = self.source_status(source)
        synced = last_sync if last_sync is not None else (previous.last_sync if previous else "")
        self._db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
            (source, synced, error, int(paused)),
        )

    def set_zone(self, source: str, zone: str, origin: str) -> None:
        """The zone a source is planned in, and where it came from."""
        self._db.execute("INSERT OR REPLACE INTO zones VALUES (?, ?, ?)", (source, zone, origin))

    def source_status(self, source: str) -> SourceStatus | None:
        row = self._db.execute(
            "SELECT source, last_sync, last_error, paused FROM sources WHERE source = ?",
            (source,),
        ).fetchone()
        zone = self._db.execute(
            "SELECT zone, origin FROM zones WHERE source = ?", (source,)
        ).fetchone()
        if row is None:
            return None
        return SourceStatus(row[0], row[1] or "", row[2] or "", bool(row[3]), *(zone or ("", "")))

    # -- calendars

    def calendar_health(self, source: str | None = None) -> list[CalendarHealth]:
        """Every calendar's health (of one source), in the order first recorded."""
        query = "SELECT source, calendar, name, state, since, error FROM calendar_health"
        rows = self._db.execute(
            query + (" WHERE source = ?" if source is not None else "") + " ORDER BY rowid",
            (source,) if source is not None else (),
        )
        return [CalendarHealth(*row) for row in rows]

    def set_calendar_health(self, health: CalendarHealth) -> None:
        self._db.execute(
            "INSERT INTO calendar_health VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source, calendar) DO UPDATE SET name = excluded.name,"
            " state = excluded.state, since = excluded.since, error = excluded.error",
            dataclasses.astuple(health),
        )

    def drop_calendar_health(self, source: str, calendar: str) -> None:
        self._db.execute(
            "DELETE FROM calendar_health WHERE source = ? AND calendar = ?", (source, calendar)
        )

    # -- refused writes: not tried again until the next full read of their calendar

    def refused(self, source: str) -> set[str]:
        """The follow-ups (by id) whose write a server refused."""
        return {followup for followup, _ in self.refusals(source)}

    def refusals(self, source: str) -> set[tuple[str, str]]:
        """The writes a server refused: (follow-up id, the calendar that refused it)."""
        rows = self._db.execute("SELECT id, calendar FROM refusals WHERE source = ?", (source,))
        return {(row[0], row[1]) for row in rows}

    def refuse(self, source: str, followup_id: str, calendar: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO refusals VALUES (?, ?, ?)", (followup_id, source, calendar)
        )

    def clear_refusals(self, source: str, calendar: str) -> None:
        self._db.execute(
            "DELETE FROM refusals WHERE source = ? AND calendar = ?", (source, calendar)
        )

    # -- notes said once

    def first_time(self, source: str, note: str) -> bool:
        """True the first time ``note`` is passed for ``source`` (it is remembered)."""
        done = self._db.execute(
            "INSERT OR IGNORE INTO notes VALUES (?, ?)", (source, note)
        ).rowcount
        return bool(done)
