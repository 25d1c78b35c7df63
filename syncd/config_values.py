"""Config values: a TOML value in, a typed value out, or ``Invalid`` with the reason.

The validators the config schema (``syncd.config``) names for its keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from syncd import limits


class Invalid(ValueError):
    """A value is wrong; the text says why, the loader adds the file and the key."""

    def __init__(self, problem: str, key: str = "") -> None:
        super().__init__(problem)
        self.key = key  # set by cross-key checks: the key to blame


Validator = Callable[[Any], Any]

_TYPE_NAMES = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (dt.datetime, "a date-time"),
    (dt.date, "a date"),
    (dt.time, "a time"),
    (list, "a list"),
    (dict, "a table"),
)


def type_name(value: object) -> str:
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), "a value")


def show(value: object) -> str:
    """The value as the user wrote it, quoted, on one line, cut when long."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'; did you mean "{match[0]}"?' if match else ""


def _string(value: object, expected: str = "a string") -> str:
    if not isinstance(value, str):
        raise Invalid(f"expected {expected}, got {type_name(value)}")
    return value


def text(value: object) -> str:
    return _string(value)


def nonempty_text(value: object) -> str:
    if not _string(value).strip():
        raise Invalid("must not be empty")
    return str(value)


def _list(value: object, expected: str) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid(f"expected {expected}, got {type_name(value)}")
    return value


def text_list(value: object) -> tuple[str, ...]:
    items = _list(value, 'a list of strings such as ["a", "b"]')
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise Invalid(f"expected a list of non-empty strings, found {show(item)}")
    return tuple(items)


def patterns(value: object) -> tuple[str, ...]:
    for pattern in (items := text_list(value)):
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise Invalid(f"{show(pattern)} is not a valid regular expression: {exc}") from None
    return items


def addresses(value: object) -> tuple[str, ...]:
    found = []
    for item in text_list(value):
        address = item.strip().lower().removeprefix("mailto:")
        if "@" not in address or " " in address:
            raise Invalid(f'expected e-mail addresses such as "me@example.com", got {show(item)}')
        found.append(address)
    return tuple(found)


def domains(value: object) -> tuple[str, ...]:
    found = []
    for item in text_list(value):
        domain = item.strip().lower().removeprefix("@")
        if not re.fullmatch(r"[^\s@/]+(\.[^\s@/]+)+", domain):
            raise Invalid(f'expected mail domains such as "agency.com", got {show(item)}')
        found.append(domain)
    return tuple(found)


_DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(value: object, *, allow_zero: bool = False) -> dt.timedelta:
    """``"90m"``, ``"7d"``, ``"1h30m"`` (units w, d, h, m, s, largest first) as a timedelta."""
    seconds = _duration_seconds(value)
    try:
        result = dt.timedelta(seconds=seconds)
    except OverflowError:
        raise Invalid(f"{show(value)} is too long") from None
    if not result and not allow_zero:
        raise Invalid(f"must be longer than zero, got {show(value)}")
    return result


def _duration_seconds(value: object) -> int:
    expected = 'a duration such as "90m", "2h" or "1h30m"'
    compact = _string(value, expected).replace(" ", "")
    match = _DURATION.fullmatch(compact)
    if not compact or not match:
        raise Invalid(f"expected {expected} (units w, d, h, m, s), got {show(value)}")
    counts = zip(match.groups(), _DURATION_UNITS.values(), strict=True)
    return sum(int(n) * unit for n, unit in counts if n)


def duration(value: object) -> dt.timedelta:
    return parse_duration(value)


def delay(value: object) -> dt.timedelta:
    return parse_duration(value, allow_zero=True)


def duration_within(
    low: dt.timedelta, high: dt.timedelta, *, allow_zero: bool = False
) -> Validator:
    """A validator of a duration from ``low`` to ``high`` (syncd.limits says why each bound)."""

    def check(value: object) -> dt.timedelta:
        if _duration_seconds(value) > high.total_seconds():  # before it can overflow
            raise Invalid(f"{show(value)} is too long: at most {_spelled(high)}")
        result = parse_duration(value, allow_zero=allow_zero)
        if result < low:
            raise Invalid(f"{show(value)} is too short: at least {_spelled(low)}")
        return result

    return check


def _spelled(value: dt.timedelta) -> str:
    """A bound as a user reads it and would write it: 366 days ("366d")."""
    seconds = int(value.total_seconds())
    for unit, size, word in (("d", 86400, "day"), ("h", 3600, "hour"), ("m", 60, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return f'{count} {word}{"s" if count != 1 else ""} ("{count}{unit}")'
    return f'{seconds} seconds ("{seconds}s")'


def clock_time(value: object) -> dt.time:
    """``"HH:MM"`` (or a TOML local time on the minute) as a time of day."""
    if isinstance(value, dt.time) and not (value.tzinfo or value.second or value.microsecond):
        return value
    match = (
        re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if isinstance(value, str)
        else None
    )
    if not match:
        got = show(value) if isinstance(value, str) else type_name(value)
        raise Invalid(f'expected a time of day "HH:MM" such as "09:00" or "18:30", got {got}')
    return dt.time(int(match[1]), int(match[2]))


def zone(value: object) -> ZoneInfo:
    """An IANA zone name such as ``"Europe/London"``."""
    name = _string(value, 'a time zone name such as "Europe/London"')
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    known = available_timezones()
    same = {zone.lower(): zone for zone in known}.get(name.strip().lower())
    hint = f'; did you mean "{same}"?' if same else did_you_mean(name, known)
    raise Invalid(f"unknown time zone {show(name)}{hint or ' (use a name such as Europe/London)'}")


# Names ZoneInfo accepts that are no zone a calendar can be in.
_NOT_ZONES = ("localtime", "posixrules", "Factory")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")


def stated_zone(name: str) -> ZoneInfo | None:
    """The zone a server states for a calendar, when it is an IANA zone ZoneInfo knows; else None.

    The name comes from a server: anything path-like (dots, a leading slash,
    ``posix/`` or ``right/``), longer than any zone name, or not a zone is None,
    never an error and never a file outside the zone database.
    """
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        return None
    if name in _NOT_ZONES or name.startswith(("posix/", "right/")):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def absolute_path(value: object) -> Path:
    """A path; ``~`` expands; relative paths are refused (the daemon's folder is not yours)."""
    name = nonempty_text(value)
    try:
        path = Path(name).expanduser()
    except RuntimeError:
        raise Invalid(f"cannot expand {show(name)}") from None
    if not path.is_absolute():
        raise Invalid(f"expected an absolute path or one starting with ~, got {show(name)}")
    return path


def optional_path(value: object) -> Path | None:
    """``absolute_path``, or None for ""."""
    return None if value == "" else absolute_path(value)


def boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {show(value)}")
    return value


def http_url(value: object) -> str:
    """An http(s) URL with a host and no password in it."""
    url = nonempty_text(value)
    try:
        parts = urllib.parse.urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        ok, parts = False, None
    if parts is not None and parts.password is not None:
        raise Invalid("holds a password: put it in password_env or password_command instead")
    if not ok:
        example = '"https://dav.example.com/"'
        raise Invalid(f"expected an http:// or https:// URL such as {example}, got {show(url)}")
    return url


def optional_http_url(value: object) -> str:
    return "" if _string(value) == "" else http_url(value)


def env_name(value: object) -> str:
    # The value is never echoed: a user might have put the password itself here.
    name = _string(value, "the name of an environment variable")
    if name and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise Invalid('expected the name of an environment variable such as "SYNCD_DAV_PASSWORD"')
    return name


def argv(value: object) -> tuple[str, ...]:
    # Never echoed either: a command line can carry a secret.
    items = _list(value, 'a command as a list of strings such as ["pass", "show", "dav"]')
    if not all(isinstance(item, str) and item for item in items):
        raise Invalid(
            'expected a command as a list of non-empty strings such as ["pass", "show", "dav"]'
        )
    return tuple(items)


def reminders(value: object) -> tuple[int, ...]:
    """Minutes before the start: at most 5, each 0..40320 (the limits of Google Calendar)."""
    items = _list(value, "a list of minutes such as [0] or [10, 60]")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            raise Invalid(f"expected whole minutes, found {show(item)}")
        if not 0 <= item <= 40320:
            raise Invalid(f"{item} is out of range: minutes before the start, 0 to 40320 (4 weeks)")
        if items.count(item) > 1:
            raise Invalid(f"{item} is listed twice")
    if len(items) > 5:
        raise Invalid(f"at most 5 reminders, got {len(items)}")
    return tuple(items)


def dates(value: object) -> tuple[dt.date, ...]:
    """ISO dates: TOML dates or ``"YYYY-MM-DD"`` strings, in the years of syncd.limits; sorted."""
    found = set()
    for item in _list(value, "a list of dates such as [2025-12-24]"):
        day = item if isinstance(item, dt.date) and not isinstance(item, dt.datetime) else None
        if isinstance(item, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", item):
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(item)
        if day is None:
            raise Invalid(f"expected dates such as 2025-12-24, found {show(item)}")
        if not limits.in_years(day):
            years = f"{limits.FIRST_YEAR} to {limits.LAST_YEAR}"
            raise Invalid(f"{day.isoformat()} is out of range: dates in the years {years}")
        found.add(day)
    return tuple(sorted(found))


def holiday_country(value: object) -> str:
    """A country code the ``holidays`` package knows, upper-cased; "none"; or "" (unset).

    "" stands for the country of the zone in force (``syncd.countries``);
    "none" (any case) turns public holidays off.
    """
    code = _string(value, 'a country code such as "GB", or "none"').strip().upper()
    if code in ("", "NONE"):
        return code.lower()
    import holidays  # only now: it is large, and not needed for "" or "none"

    if code not in holidays.list_supported_countries():
        examples = '"GB", "US" or "DE"'
        raise Invalid(f"unknown country code {show(value)}; use a code such as {examples}")
    return code


def source_kind(kinds: Mapping[str, object]) -> Validator:
    """A validator of ``kind``: one of the names in ``kinds`` (the provider registry's)."""
    known = list(kinds)

    def check(value: object) -> str:
        name = _string(value, " or ".join(f'"{kind}"' for kind in known))
        if name not in known:
            choices = ", ".join(known)
            raise Invalid(
                f"unknown kind {show(name)}, expected one of: {choices}{did_you_mean(name, known)}"
            )
        return name

    return check
