"""The declarative config schema: a table's keys, reading a table through them, writing it back.

``syncd.config`` declares syncd's own tables with ``Key`` and ``Section``, and
each kind of provider declares its source keys the same way (its package's
``KIND.config``). Reading a table checks every key with its validator (from
``syncd.config_values``), fills defaults, runs the checks across keys, and
raises ConfigError as ``file: [section] key: problem``; ``table_lines`` writes
the resolved values back as TOML for ``syncd config check``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from syncd.config_values import Invalid, Validator, did_you_mean
from syncd.errors import ConfigError

REQUIRED: Any = object()


@dataclasses.dataclass(frozen=True)
class Key:
    """One config key: ``check`` turns the TOML value into the typed one.

    ``default`` is written as in the file (``"60m"``) and goes through ``check``
    too; a callable computes it; REQUIRED means the key must be there.
    """

    check: Validator
    default: Any = REQUIRED
    empty_means: str = ""  # ``config check`` says so beside an empty value
    masked: bool = False  # ``config check`` shows only the first item (a command with secrets)


@dataclasses.dataclass(frozen=True)
class Section:
    """The keys of one table, the class they fill, and checks across keys.

    A check raises ``Invalid`` with ``key`` set to the key to blame.
    """

    keys: Mapping[str, Key]
    cls: type[Any] | None = None
    checks: tuple[Callable[[Mapping[str, Any]], None], ...] = ()


Kinds = Mapping[str, Section]
"""The kinds of source the loader knows: kind name -> the section of its own keys."""


# --- reading a table ---


def where(section: str, key: str = "") -> str:
    """How an error names a key: ``interval``, ``[calls] morning``, ``[sources.2] url``."""
    if not section:
        return key
    return f"[{section}] {key}" if key else f"[{section}]"


def refuse_unknown(
    table: Mapping[str, Any],
    allowed: Iterable[str],
    section: str,
    file: str,
    elsewhere: Mapping[str, str] | None = None,
) -> None:
    """ConfigError for the first key of ``table`` not ``allowed``; ``elsewhere`` says why."""
    known = list(allowed)
    for name in table:
        if name in known:
            continue
        problem = (elsewhere or {}).get(name) or "unknown key" + (
            did_you_mean(name, known) or "; known keys: " + ", ".join(known)
        )
        raise ConfigError(file, where(section, name), problem)


def read_table(table: Mapping[str, Any], spec: Section, section: str, file: str) -> dict[str, Any]:
    """The typed values of the keys in ``spec``, defaults filled in; the first error raised."""
    values: dict[str, Any] = {}
    for name, key in spec.keys.items():
        if name in table:
            raw = table[name]
        elif key.default is REQUIRED:
            raise ConfigError(file, where(section, name), "missing; this key is required")
        else:
            raw = key.default() if callable(key.default) else key.default
        try:
            values[name] = key.check(raw)
        except Invalid as exc:
            raise ConfigError(file, where(section, name), str(exc)) from None
    for check in spec.checks:
        try:
            check(values)
        except Invalid as exc:
            raise ConfigError(file, where(section, exc.key), str(exc)) from None
    return values


def syntax_error(file: str, exc: tomllib.TOMLDecodeError, document: str) -> ConfigError:
    """``file: line N: invalid TOML: reason (column C)``, from tomllib's message."""
    message = str(exc)
    at = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message)
    end = re.fullmatch(r"(.*) \(at end of document\)", message)
    if at:
        reason, place = at[1], f"line {at[2]}"
        reason += f" (column {at[3]})"
    elif end:
        reason, place = end[1] + " (at the end of the file)", f"line {len(document.splitlines())}"
    else:
        reason, place = message, ""
    return ConfigError(file, place, f"invalid TOML: {reason[:1].lower()}{reason[1:]}")


# --- writing it back ---


def format_duration(value: dt.timedelta) -> str:
    """A timedelta as the config writes it: ``"1h30m"``, ``"7d"``."""
    seconds, parts = int(value.total_seconds()), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0m"


def toml_value(value: object) -> str:
    """A typed value as TOML that its key's validator reads back to the same value."""
    if isinstance(value, dt.timedelta):
        return json.dumps(format_duration(value))
    if isinstance(value, dt.time):
        return f'"{value:%H:%M}"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, ZoneInfo | Path):
        value = str(value)
    if value is None:  # an optional value not set: "" (as the file says it)
        value = ""
    return json.dumps(value, ensure_ascii=False)


def table_lines(
    values: object, spec: Section, written: Mapping[str, str] | None = None
) -> list[str]:
    """``key = value`` lines for the attributes of ``values`` that ``spec`` names.

    ``written``: the whole line of a key whose comment the caller writes itself.
    """
    lines = []
    for name, key in spec.keys.items():
        if written and name in written:
            lines.append(written[name])
            continue
        value = getattr(values, name)
        shown = toml_value(value)
        if key.masked and value:
            shown = toml_value([value[0], "..."]) + "  # arguments not shown"
        elif not value and key.empty_means:
            shown += f"  # {key.empty_means}"
        lines.append(f"{name} = {shown}")
    return lines
