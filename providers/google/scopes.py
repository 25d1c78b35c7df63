"""The OAuth scopes a Google source asks for, and what a token's grant lacks.

The narrowest scopes that do the job (the Calendar v3 discovery document lists,
per method, the scopes that allow it):

- ``calendar.events``: read and write events on every calendar the user has,
  as interviews may sit in calendars shared with them (``calendar.events.owned``
  would miss those);
- ``calendar.calendarlist.readonly``: calendarList.list, to resolve
  ``calendars`` and ``target_calendar`` names (``calendar.readonly`` would also
  expose settings);
- ``calendar.app.created``: calendars.insert of the ``target_calendar`` when
  missing (``calendar.calendars`` would let syncd change every calendar's
  properties). Asked for only when the source has a ``target_calendar``: with
  Google's granular consent the user may untick it, and without a target syncd
  never creates a calendar.

A token holding the full ``calendar`` scope (older grants) covers them all.
Light: no Google library is imported here.
"""

from __future__ import annotations

from collections.abc import Iterable

from syncd.config import SourceConfig

PREFIX = "https://www.googleapis.com/auth/"
EVENTS = PREFIX + "calendar.events"
CALENDAR_LIST = PREFIX + "calendar.calendarlist.readonly"
CREATE_CALENDARS = PREFIX + "calendar.app.created"
FULL = PREFIX + "calendar"
# Asked for by every source.
SCOPES = (EVENTS, CALENDAR_LIST)


def scopes_for(source: SourceConfig) -> tuple[str, ...]:
    """What ``syncd auth google SOURCE`` asks for: SCOPES, and the right to create
    calendars when the source has a ``target_calendar``."""
    return (*SCOPES, CREATE_CALENDARS) if source.target_calendar else SCOPES


def missing(granted: Iterable[str], source: SourceConfig) -> list[str]:
    """The scopes ``source`` needs that ``granted`` lacks (short names), in asking order."""
    have = set(granted)
    if FULL in have:
        return []
    return [short(scope) for scope in scopes_for(source) if scope not in have]


def grant_problem(granted: Iterable[str], source: SourceConfig, command: str) -> str:
    """What is wrong with a token holding ``granted`` for ``source``, in one line ending
    in ``command`` (the one that authorizes it again); "" when nothing is.

    A token that names no scopes (written by an older google-auth) is taken as it
    is: Google says what it refuses.
    """
    granted = tuple(granted)
    lacking = missing(granted, source) if granted else []
    if lacking == [short(CREATE_CALENDARS)]:
        return (
            f"target_calendar is set, but its token may not create calendars"
            f" ({lacking[0]}); authorize it again, run: {command}"
        )
    if lacking:
        return f"its token lacks permission ({', '.join(lacking)}); run: {command}"
    return ""


def short(scope: str) -> str:
    """A scope as the user reads it: ``calendar.events``."""
    return scope.removeprefix(PREFIX)
