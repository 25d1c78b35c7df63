"""The oracle: what the calendars must hold, from the pure core, and the check against it.

The interviews are the user's objects as the driver left them (read by the
provider's own reader, as syncd reads them), detected (``syncd.detect``) and
routed (``syncd.routing``) over the account's calendars as they are now (main
writable and the account's main one; work writable until frozen; shared, rota
and team read-only; team gone once deleted), then planned (``syncd.planner.plan``)
at ``now``. What the user did to follow-ups is taken away from that: a deleted
one is absent, an edited one is as the user left it, and a ``#heard-back`` in a
call's title is heard back (``syncd.observe.heard_back``). What a calendar made
read-only held then stays there as it was, and the follow-ups of a deleted
calendar's interviews stay as they were when it went (docs/behaviour.md, "Where
follow-ups go"); the follow-ups such a calendar did not hold then go to main.

``check`` compares: every expected follow-up present exactly once, where
expected, unedited with the planner's fingerprint (its content and its marker),
or byte for byte as the user (or the freeze) left it; nothing else of syncd's
anywhere; each at the place its identity names; and the user's own objects byte
for byte as the driver left them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import seen
from driver import Driver
from soak_accounts import READ_ONLY

from providers import config_sections
from syncd.config import Config, load_config
from syncd.detect import detect
from syncd.facts import heard_back_in_title
from syncd.model import CalendarInfo, Interview
from syncd.planner import plan
from syncd.routing import routes

# What a follow-up must be: ("fingerprint", the planner's) or ("bytes", the object).
Want = tuple[str, Any]


@dataclasses.dataclass(frozen=True)
class Problem:
    """One way the calendars differ from the oracle's; ``interview``: whose (or "")."""

    text: str
    interview: str = ""

    def __str__(self) -> str:
        return self.text


@dataclasses.dataclass
class Verdict:
    """The check's findings: ``problems`` (empty: the calendars are the oracle's) and
    figures: follow-ups expected, found, edited and deleted by the user."""

    problems: list[Problem]
    expected: int
    found: int
    edited: int
    deleted: int

    def __str__(self) -> str:
        head = (
            f"{self.expected} follow-ups expected, {self.found} found"
            f" ({self.edited} edited, {self.deleted} deleted by the user)"
        )
        return "\n".join([head, *map(str, self.problems[:20])])

    def unexplained(self, interviews: set[str]) -> list[Problem]:
        """The problems that are not those of ``interviews``."""
        return [p for p in self.problems if p.interview not in interviews]


def calendars(driver: Driver) -> list[CalendarInfo]:
    """The account's calendars now, as the server lists them (ids: their roles)."""
    out = [CalendarInfo("main", "main", default=True)]
    out.append(CalendarInfo("work", "work", writable=not driver.account.frozen))
    out += [CalendarInfo(role, role, writable=False) for role in READ_ONLY if role in driver.homes]
    return out


def interviews(driver: Driver, config: Config, now: dt.datetime) -> list[Interview]:
    """The interviews of the calendars there are, from the user's objects as left."""
    source = config.sources[0]
    found = []
    for calendar in calendars(driver):
        held = driver.account.left.get(calendar.id, {})
        for name, raw in seen.users(driver.account, calendar.id, held).items():
            for event in seen.events_of(driver.account, calendar.id, name, raw):
                interview = detect(event, source, config, now)
                if interview is not None:
                    found.append(interview)
    heard = {
        item.interview
        for edit in driver.edited.values()
        for item in seen.followups(driver.account, edit.role, {edit.name: edit.raw})
        if heard_back_in_title(item.title, config.detect.heard_back_marker)
    }
    return [dataclasses.replace(i, heard_back=True) if i.key in heard else i for i in found]


def expected(driver: Driver, config: Config, now: dt.datetime) -> dict[str, dict[Any, Want]]:
    """Per calendar (role): (interview key, kind) -> what the follow-up must be."""
    listed = calendars(driver)
    found = interviews(driver, config, now)
    where = routes(found, listed, None).where
    want: dict[str, dict[Any, Want]] = {role: {} for role in ("main", "work", *READ_ONLY)}
    for followup in plan(found, config, now, targets=where):
        key = (followup.interview, str(followup.kind))
        if key not in driver.frozen_followups:
            want[followup.target][key] = ("fingerprint", followup.fingerprint)
    for key, raw in driver.frozen_followups.items():
        want["work"][key] = ("bytes", raw)
    for key, raw in driver.left_followups.items():
        want["main"][key] = ("bytes", raw)
    for key in driver.touched:
        for held in want.values():
            held.pop(key, None)
    for key, edit in driver.edited.items():
        want[edit.role][key] = ("bytes", edit.raw)
    return want


def load(config_path: Path) -> Config:
    return load_config(config_path, config_sections())


def check(driver: Driver, config_path: Path, source: str) -> Verdict:
    """The calendars against the oracle at this moment (see the module's docstring)."""
    config = load(config_path)
    now = dt.datetime.now(dt.UTC)
    want = expected(driver, config, now)
    problems: list[Problem] = []
    found: dict[str, list[seen.Seen]] = {}
    roles = [c.id for c in calendars(driver)]
    for role in roles:
        held = seen.objects(driver.account, role, exact=True)
        found[role] = seen.followups(driver.account, role, held)
        users = seen.users(driver.account, role, held)
        left = seen.users(driver.account, role, driver.account.left.get(role, {}))
        changed = sorted(set(users) ^ set(left) | {n for n in users if users[n] != left.get(n)})
        if changed:
            problems.append(Problem(f"{role}: the user's objects changed: {changed[:5]}"))
    every = Counter(s.key for items in found.values() for s in items)
    problems += [Problem(f"duplicate: {k} x{n}", k[0]) for k, n in every.items() if n > 1]
    for role in roles:
        got = {s.key: s for s in found[role]}
        for key, (how, value) in want[role].items():
            item = got.get(key)
            if item is None:
                problems.append(Problem(f"{role}: missing {key}", key[0]))
            elif how == "bytes" and item.raw != value:
                text = f"{role}: {key} is not as the user (or the freeze) left it"
                problems.append(Problem(text, key[0]))
            elif how == "fingerprint" and (item.content, item.marker) != (value, value):
                state = "edited" if item.edited else "not as planned"
                problems.append(Problem(f"{role}: {key} {state}: {item.title!r}", key[0]))
        for key in got.keys() - want[role].keys():
            text = f"{role}: unexpected {key}: {got[key].title!r}"
            problems.append(Problem(text, key[0]))
        problems += [
            Problem(f"{role}: {s.name} not at its place", s.interview)
            for s in found[role]
            if not s.placed(source)
        ]
    return Verdict(
        problems,
        sum(len(held) for held in want.values()),
        sum(every.values()),
        len(driver.edited),
        len(driver.deleted),
    )
