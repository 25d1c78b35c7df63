"""The seeded user of the fault, crash and state tests: the soak's, and more.

Besides what the soak's ``User`` does to interviews (adds, moves, renames,
cancels, marks heard-back, deletes; a calendar shared read-only turning up,
another made read-only, a third deleted), the ``Driver`` edits syncd's
follow-ups as a user would: a new title, a new time, ``#heard-back`` in a
call's title, or deletes one. It touches only follow-ups syncd holds as
written (its state file says so, read between passes): one whose write syncd
never heard back of is no follow-up of syncd's yet for it, and on CalDAV,
which keeps no trace of a deletion, deleting that one would bring it back
(docs/behaviour.md, "State"). The test's record of what the user did is what
the oracle (tests/reliability/oracle.py) takes away from the planner's wishes:
``edited`` (the object as the user left it) and ``deleted``.

The user writes straight to the server (or the Google fake's owner helpers),
never through the proxy syncd goes through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import icalendar
import seen
from seen import Seen
from soak_accounts import LONDON, Account
from soak_user import User, retried

from syncd.state_files import DB_NAME

ROLES = ("main", "work", "shared", "team", "rota")
# What a step does: mostly change an interview (as the soak's user), else touch a follow-up.
STEPS = {"interview": 10.0, "retitle": 0.6, "retime": 0.4, "delete": 0.6, "heard-call": 0.4}
CALLS = ("call-morning", "call-afternoon")


@dataclasses.dataclass(frozen=True)
class Edited:
    """A follow-up the user edited: where it is, and the object as the user left it."""

    role: str
    name: str
    raw: Any

    @property
    def slot(self) -> str:
        """The follow-up's identity (its place)."""
        return self.name.removesuffix(".ics")


def statuses(state_dir: Path) -> dict[str, str]:
    """Follow-up id -> its status in syncd's state (read-only; none when the state cannot
    be read: the file missing or damaged)."""
    path = state_dir / DB_NAME
    if not path.exists():
        return {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return {}
    try:
        return dict(db.execute("SELECT id, status FROM followups").fetchall())
    except sqlite3.Error:
        return {}
    finally:
        db.close()


def written(state_dir: Path) -> set[str]:
    """The follow-up ids syncd's state holds as written."""
    return {fid for fid, status in statuses(state_dir).items() if status == "written"}


class Driver(User):
    """The user (and the calendars' owners) of the fault, crash and state tests."""

    def __init__(
        self, account: Account, rng: random.Random, state_dir: Path, *, deletes: bool = True
    ) -> None:
        super().__init__(account, rng)
        self.state_dir = state_dir
        # Every calendar's objects as the user (or its owner) left them, not only the
        # read-only ones' (soak_accounts.Account.left).
        account.left.setdefault("main", {})
        account.left.setdefault("work", {})
        self.edited: dict[tuple[str, str], Edited] = {}
        self.deleted: dict[tuple[str, str], str] = {}  # (interview, kind) -> its identity
        self.deletes = deletes  # False: the user never deletes a follow-up
        self.frozen_followups: dict[tuple[str, str], Any] = {}  # work's at the freeze
        self.left_followups: dict[tuple[str, str], Any] = {}  # team's (in main) at the vanish

    def key_of(self, name: str) -> str:
        """The key syncd knows the interview ``name`` by (CalDAV UID, Google event id)."""
        ids: dict[str, str] | None = getattr(self.account, "ids", None)
        return ids[name] if ids is not None else name

    # -- one step

    def step(self) -> str:
        """One change, drawn; what it was."""
        what = self.rng.choices(list(STEPS), weights=list(STEPS.values()))[0]
        if what == "delete" and not self.deletes:
            what = "retitle"
        if what != "interview":
            candidates = self.touchable(calls_only=what == "heard-call")
            if candidates:
                followup = self.rng.choice(sorted(candidates, key=lambda s: (s.role, s.name)))
                self.touch(followup, what)
                self.done[what] += 1
                return what
        self.change()
        return "interview"

    def touchable(self, *, calls_only: bool = False) -> list[Seen]:
        """The follow-ups the user may touch now: in a calendar the user may write to,
        held by syncd as written, unedited, untouched by the user so far."""
        roles = ["main"] if self.account.frozen else ["main", "work"]
        ids = written(self.state_dir)
        out = []
        for role in roles:
            for item in seen.followups(self.account, role, seen.objects(self.account, role)):
                if item.slot not in ids or item.edited or item.key in self.touched:
                    continue
                if not calls_only or item.kind in CALLS:
                    out.append(item)
        return out

    @property
    def touched(self) -> set[tuple[str, str]]:
        return set(self.edited) | set(self.deleted)

    def touch(self, followup: Seen, what: str) -> None:
        if what == "delete":
            retried(lambda: self._delete(followup))
            self.deleted[followup.key] = followup.slot
            return
        retried(lambda: self._edit(followup, what))
        raw = seen.objects(self.account, followup.role, exact=True)[followup.name]
        self.edited[followup.key] = Edited(followup.role, followup.name, raw)

    def _edit(self, followup: Seen, what: str) -> None:
        title = followup.title + (
            " #heard-back" if what == "heard-call" else " (ask about the team)"
        )
        shift = dt.timedelta(minutes=30) if what == "retime" else dt.timedelta()
        if seen.is_google(self.account):
            fake, calendar = self.account.fake, self.account.calendars[followup.role]  # type: ignore[attr-defined]
            item = json.loads(followup.raw)
            changes: dict[str, Any] = {"summary": title} if not shift else {}
            for edge in ("start", "end") if shift else ():
                moved = dt.datetime.fromisoformat(item[edge]["dateTime"]) + shift
                changes[edge] = {"dateTime": moved.isoformat(), "timeZone": "Europe/London"}
            fake.modify_event(calendar, followup.name, changes)
            return
        handle = self.account.calendars[followup.role]  # type: ignore[attr-defined]
        calendar = icalendar.Calendar.from_ical(handle.get(followup.name) or b"")
        for event in calendar.walk("VEVENT"):
            if shift:
                for edge in ("DTSTART", "DTEND"):
                    moved = event.decoded(edge).astimezone(LONDON) + shift
                    del event[edge]
                    event.add(edge, moved)
            else:
                event["SUMMARY"] = icalendar.vText(title)
        handle.put(followup.name, calendar.to_ical())

    def _delete(self, followup: Seen) -> None:
        if seen.is_google(self.account):
            fake, calendar = self.account.fake, self.account.calendars[followup.role]  # type: ignore[attr-defined]
            fake.remove_event(calendar, followup.name)
        else:
            self.account.calendars[followup.role].delete(followup.name)  # type: ignore[attr-defined]

    # -- the account's changes, with what the oracle needs to know of them

    def calendars_status(self) -> str:
        """The calendars' states the daemon's STATUS line shows once it knows of every
        change of the account ("2 ok, 3 read-only, 1 vanished")."""
        writable = 1 if self.account.frozen else 2
        states = [(writable, "ok"), (len(self.homes) - writable, "read-only")]
        states.append((int("team" not in self.homes), "vanished"))
        return ", ".join(f"{n} {state}" for n, state in states if n)

    def freeze(self) -> None:
        """``work`` turns read-only (call once syncd has caught up): the follow-ups there
        stay as they are now."""
        held = seen.objects(self.account, "work", exact=True)
        self.frozen_followups = {s.key: s.raw for s in seen.followups(self.account, "work", held)}
        super().freeze()

    def vanish(self) -> None:
        """``team`` is deleted (call once syncd has caught up): the follow-ups of its
        interviews, in main, stay as they are now."""
        keys = {self.key_of(k) for k, i in self.interviews.items() if i.home == "team"}
        held = seen.objects(self.account, "main", exact=True)
        self.left_followups = {
            s.key: s.raw for s in seen.followups(self.account, "main", held) if s.interview in keys
        }
        super().vanish()
