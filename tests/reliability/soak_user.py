"""The soak's user: interviews added, moved, renamed, cancelled, marked heard-back and
deleted at random (seeded) on the account's calendars, and the test's model of them.

``User`` is the soak's (tests/reliability/test_soak.py); the fault and crash tests
drive a ``Driver`` (tests/reliability/driver.py) that does more.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable

from servers import ServerError
from soak_accounts import LONDON, Account


@dataclasses.dataclass
class Interview:
    """The test's own record of one interview as the user (or its calendar's owner) left it."""

    company: str
    start: dt.datetime
    home: str  # the account's calendar it is on
    role: str = ""
    state: str = "live"  # live, cancelled, heard (both final), removed

    @property
    def title(self) -> str:
        role = f" - {self.role}" if self.role else ""
        heard = " #heard-back" if self.state == "heard" else ""
        return f"Interview with {self.company}{role}{heard}"


def random_start(rng: random.Random) -> dt.datetime:
    """A weekday of next week or the week after, 09:00-16:00 London."""
    today = dt.datetime.now(LONDON).date()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=rng.choice([1, 2]))
    day = monday + dt.timedelta(days=rng.randrange(5))
    return dt.datetime.combine(day, dt.time(rng.randrange(9, 17)), tzinfo=LONDON)


def retried(change: Callable[[], None]) -> None:
    """Xandikos answers 423 while syncd's write holds its repository; apps try again."""
    for _ in range(100):
        try:
            return change()
        except ServerError as error:
            if "HTTP 423" not in str(error):
                raise
            time.sleep(0.05)
    raise AssertionError("the calendar stayed locked for 5 s")


class User:
    """The user's (and the calendars' owners') side of the soak, and the test's model of it."""

    def __init__(self, account: Account, rng: random.Random) -> None:
        self.account, self.rng = account, rng
        self.interviews: dict[str, Interview] = {}
        self.homes = ["main", "work", "shared", "team"]  # the calendars there are now
        self.frozen: dict[str, Interview] = {}  # work's interviews as they were at the freeze
        self.left_behind: dict[str, Interview] = {}  # team's as they were when it went
        self.done: Counter[str] = Counter()
        self.pinned = ""  # an interview the random changes leave alone

    def store(self, key: str) -> None:
        i = self.interviews[key]
        cancelled = i.state == "cancelled"
        retried(lambda: self.account.put(i.home, key, i.title, i.start, cancelled=cancelled))

    def new(self, home: str) -> None:
        key = f"company-{len(self.interviews)}"
        self.interviews[key] = Interview(
            f"Company{len(self.interviews)}", random_start(self.rng), home
        )
        self.store(key)
        self.done["new"] += 1
        self.done[f"on {home}"] += 1

    def change(self) -> None:
        """One change a user might make: mostly to live interviews, sometimes a new one."""
        live = [
            k
            for k, i in self.interviews.items()
            if i.state == "live" and i.home in self.homes and k != self.pinned
        ]
        action = self.rng.choices(
            ["new", "move", "rename", "cancel", "heard", "remove"], weights=[4, 4, 2, 1, 1, 1]
        )[0]
        if action == "new" or not live:
            return self.new(self.rng.choice(self.homes))
        key = self.rng.choice(live)
        interview = self.interviews[key]
        self.done[action] += 1
        if action == "move":
            interview.start = random_start(self.rng)
        elif action == "rename":
            interview.role = self.rng.choice(["Engineer", "Senior Engineer", "Lead", "Manager"])
        elif action in ("cancel", "heard"):
            interview.state = "cancelled" if action == "cancel" else "heard"
        else:
            interview.state = "removed"
            retried(lambda: self.account.remove(interview.home, key))
            return
        self.store(key)

    def appear(self) -> None:
        self.account.appear()
        self.homes.append("rota")
        self.new("rota")

    def freeze(self) -> None:
        self.frozen = {k: copy.copy(i) for k, i in self.interviews.items() if i.home == "work"}
        self.account.freeze()
        self.new("work")  # its owner adds one, and leaves it be: its follow-ups go to main
        self.pinned = next(reversed(self.interviews))

    def vanish(self) -> None:
        self.left_behind = {k: copy.copy(i) for k, i in self.interviews.items() if i.home == "team"}
        self.account.vanish()
        self.homes.remove("team")

    def in_main(self) -> dict[str, Interview]:
        """The interviews whose follow-ups belong in the main calendar, as they count."""
        read_only = ("shared", "rota")
        out = {
            k: i
            for k, i in self.interviews.items()
            if i.home in ("main", *read_only) or (i.home == "work" and k not in self.frozen)
        }
        return out | self.left_behind


def calendar_changes(rng: random.Random) -> dict[int, str]:
    """At which steps the account changes: appear and freeze in either order, then vanish."""
    appear, freeze = rng.sample(range(6, 28), 2)
    vanish = rng.randrange(max(appear, freeze) + 6, 42)
    return {appear: "appear", freeze: "freeze", vanish: "vanish"}
