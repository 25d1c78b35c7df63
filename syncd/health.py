"""Each calendar's health over one pass: ok, read-only, failing since, or vanished.

A calendar whose read fails (NotFoundError: gone; any other ProviderError: a
broken answer) fails alone: the pass goes on with the others, and its interviews
are kept as they are. A TransientError or AuthError is the source's, not one
calendar's, and ends the pass as before. Each calendar that failed or vanished in
this pass gives one line, ``SOURCE: CALENDAR: what happened; what to do``: the
CLI prints them (and exits 1), the daemon logs them. The states are remembered for
``syncd status`` and the daemon's STATUS line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from syncd.calendars import Calendars
from syncd.errors import AuthError, NotFoundError, ProviderError, TransientError, one_line
from syncd.model import CalendarInfo
from syncd.state import StateStore
from syncd.state_health import FAILING, OK, READ_ONLY, VANISHED, CalendarHealth

# A vanished calendar is shown by `syncd status` this long, then forgotten.
VANISHED_SHOWN = dt.timedelta(days=7)

GONE = (
    "the calendar is gone (deleted, or no longer shared with this account); syncd no"
    " longer reads it and leaves the follow-ups of its interviews as they are; share it"
    " again to have it read"
)
RECREATED = (
    "the target calendar was gone; syncd created it again and writes the follow-ups it held anew"
)
AGAIN = "its interviews are kept as they are, and syncd tries again next pass"


class Health:
    """The calendars of one source over one pass; ``lines``: what failed or vanished."""

    def __init__(self, source: str, store: StateStore, now: dt.datetime) -> None:
        self.source, self.store, self.now = source, store, now
        self.before = {h.calendar: h for h in store.calendar_health(source)}
        self.lines: list[str] = []
        self.not_found: dict[str, tuple[CalendarInfo, str]] = {}  # id -> calendar, error
        self.read_ok: set[str] = set()  # the calendars read well in this pass

    def read(self, calendar: CalendarInfo, read: Callable[[], None]) -> None:
        """Run ``read`` (of ``calendar``), keeping a failure of that calendar to it."""
        self.not_found.pop(calendar.id, None)
        self.read_ok.discard(calendar.id)
        try:
            read()
        except (TransientError, AuthError):
            raise
        except NotFoundError as error:  # gone, or not: the next listing says which
            self.not_found[calendar.id] = (calendar, _text(error, calendar))
        except ProviderError as error:
            self._set(calendar.id, calendar.name, FAILING, f"{_text(error, calendar)}; {AGAIN}")
        else:
            self.read_ok.add(calendar.id)
            self._set(calendar.id, calendar.name, OK if calendar.writable else READ_ONLY)

    def listed(self, found: Calendars) -> None:
        """What a listing showed: calendars it no longer holds are dropped (one line
        each; a target is created again), with what syncd wrote there unedited; one
        read in this pass before the listing is ok or read-only as the listing says."""
        for calendar in found.listed:
            if calendar.id in self.read_ok:
                self._set(calendar.id, calendar.name, OK if calendar.writable else READ_ONLY)
        for calendar in found.vanished:
            self.store.forget_calendar(self.source, calendar.id)
            self.not_found.pop(calendar.id, None)
            if calendar.id == found.replaced:
                self._line(calendar.name, RECREATED)
                self.store.drop_calendar_health(self.source, calendar.id)
            else:
                self._set(calendar.id, calendar.name, VANISHED, GONE)

    def settle(self, found: Calendars) -> list[str]:
        """The pass's last word on the calendars; returns the lines of this pass."""
        for calendar, error in self.not_found.values():  # not found, yet still listed
            self._set(calendar.id, calendar.name, FAILING, f"{error}; {AGAIN}")
        now = self.store.calendar_health(self.source)
        for name, problem in found.watch.problems:
            known = next((h for h in now if _names(h, name)), None)
            state = VANISHED if known is not None and known.state == VANISHED else FAILING
            key = known.calendar if known is not None else name
            self._set(key, known.name if known else name, state, problem, say=False)
            if not any(c.answers_to(name) for c in found.vanished):  # said already
                self._line(known.name if known else name, problem)
        if found.fresh:
            self._tidy(found)
        return self.lines

    def _tidy(self, found: Calendars) -> None:
        """Forget the health of calendars no longer read (a vanished one after a while)."""
        keep = {c.id for c, _ in found.reads()} | {n for n, _ in found.watch.problems}
        for health in self.store.calendar_health(self.source):
            if health.calendar in keep or _names(health, *keep):
                continue
            shown = health.state == VANISHED and health.since
            if shown and self.now - dt.datetime.fromisoformat(health.since) < VANISHED_SHOWN:
                continue
            self.store.drop_calendar_health(self.source, health.calendar)

    def _set(self, calendar: str, name: str, state: str, error: str = "", say: bool = True) -> None:
        before = self.before.get(calendar)
        since = before.since if before is not None and before.state == state else ""
        health = CalendarHealth(
            self.source, calendar, name, state, since or self.now.isoformat(), error
        )
        self.store.set_calendar_health(health)
        if say and error:
            self._line(name, error)

    def _line(self, name: str, text: str) -> None:
        self.lines.append(one_line(f"{self.source}: {name}: {text}"))


def _text(error: ProviderError, calendar: CalendarInfo) -> str:
    """The error's text without the calendar in front (the line puts it there)."""
    text = one_line(str(error))
    for prefix in (calendar.name, calendar.id):
        text = text.removeprefix(f"{prefix}: ")
    return text


def _names(health: CalendarHealth, *names: str) -> bool:
    """Whether one of the config's ``names`` names the calendar of ``health``."""
    return any(
        health.calendar.rstrip("/") == n.rstrip("/") or health.name.casefold() == n.casefold()
        for n in names
    )
