"""A stand-in for ``syncd.config.zone_in_force`` until the config module has it.

Delete this module once it does, and import ``zone_in_force`` from
``syncd.config`` in ``syncd/calendars.py``: same signature, same answers.
"""

from __future__ import annotations

import tomllib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncd.config import Config


def zone_in_force(config: Config, account_zone: str) -> tuple[ZoneInfo, str]:
    """The zone a source is planned in, and where it comes from.

    ``config``'s ``timezone`` when the file sets it ("config"); else
    ``account_zone``, the zone of the account's main calendar, when it names a
    zone ("calendar"); else the system's, which the loader put in ``config``
    ("system"). A config built in code (no file) counts as setting it.
    """
    if _set_in_file(config):
        return config.timezone, "config"
    if account_zone:
        try:
            return ZoneInfo(account_zone), "calendar"
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return config.timezone, "system"


def _set_in_file(config: Config) -> bool:
    if config.path is None:
        return True
    try:
        return "timezone" in tomllib.loads(config.path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
