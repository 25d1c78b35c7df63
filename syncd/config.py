"""The config: TOML into frozen dataclasses, every default of SPEC section 10.

Top-down: the value classes; the schema (per table: key -> validator and
default, as khal's settings spec; the validators live in ``syncd.config_values``);
the loader; ``describe`` for ``syncd config check``. Parsing is pure:
only the machine-dependent defaults (zone, folders) look at the environment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from syncd.config_values import (
    Invalid,
    Validator,
    absolute_path,
    addresses,
    argv,
    clock_time,
    dates,
    delay,
    did_you_mean,
    domains,
    duration,
    env_name,
    holiday_country,
    http_url,
    nonempty_text,
    optional_http_url,
    patterns,
    reminders,
    show,
    source_kind,
    text,
    text_list,
    type_name,
    zone,
)
from syncd.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str  # "caldav" | "google"
    calendars: tuple[str, ...] = ()  # display names, URLs or ids; () = all
    target_calendar: str = ""  # "" = the interview's own calendar
    me: tuple[str, ...] = ()  # the user's attendee addresses, lowercased
    # caldav
    url: str = ""
    username: str = ""
    password_env: str = ""
    password_command: tuple[str, ...] = ()
    # google
    client_secrets: Path | None = None
    token_file: Path | None = None
    api_endpoint: str = ""


@dataclasses.dataclass(frozen=True)
class DetectConfig:
    keywords: tuple[str, ...] = ("interview",)
    patterns: tuple[str, ...] = ()  # regexes, searched case-insensitively in the title
    categories: tuple[str, ...] = ()  # CalDAV CATEGORIES that mark an interview
    exclude: tuple[str, ...] = ("mock interview", "interview prep", "practice interview")
    agency_domains: tuple[str, ...] = ()
    heard_back_marker: str = "#heard-back"
    lookback: dt.timedelta = dt.timedelta(days=7)
    lookahead: dt.timedelta = dt.timedelta(days=180)


@dataclasses.dataclass(frozen=True)
class ThankYouConfig:
    delay: dt.timedelta = dt.timedelta(minutes=60)
    remote_delay: dt.timedelta = dt.timedelta(minutes=15)
    duration: dt.timedelta = dt.timedelta(minutes=30)
    latest: dt.time = dt.time(21, 0)
    next_day_at: dt.time = dt.time(9, 0)
    all_day_at: dt.time = dt.time(18, 0)
    reminders: tuple[int, ...] = (0,)


@dataclasses.dataclass(frozen=True)
class CallsConfig:
    morning: dt.time = dt.time(10, 0)
    afternoon: dt.time = dt.time(15, 0)
    duration: dt.timedelta = dt.timedelta(minutes=15)
    reminders: tuple[int, ...] = (10,)
    holidays: str = ""  # country code for the `holidays` package; "" = none
    skip_dates: tuple[dt.date, ...] = ()


@dataclasses.dataclass(frozen=True)
class Config:
    timezone: ZoneInfo = dataclasses.field(default_factory=lambda: ZoneInfo("UTC"))
    interval: dt.timedelta = dt.timedelta(minutes=5)
    state_dir: Path = Path("~/.local/state/syncd").expanduser()
    sources: tuple[SourceConfig, ...] = ()
    detect: DetectConfig = DetectConfig()
    thank_you: ThankYouConfig = ThankYouConfig()
    calls: CallsConfig = CallsConfig()
    path: Path | None = None  # the file it was read from


# --- defaults that depend on the machine ---

LOCALTIME = Path("/etc/localtime")
# An interval under this spends API quota; `config check` and `syncd run` warn (SPEC section 8).
QUOTA_INTERVAL = dt.timedelta(seconds=30)


def system_zone_name() -> str:
    """The system's zone: $TZ when it names a zone, else the /etc/localtime link, else UTC."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    with contextlib.suppress(OSError):
        target = str(LOCALTIME.resolve())
        if "/zoneinfo/" in target:
            name = target.split("/zoneinfo/", 1)[1]
            candidates.append(name.removeprefix("posix/").removeprefix("right/"))
    for name in candidates:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError, OSError):
            if name:
                ZoneInfo(name)
                return name
    return "UTC"


def _xdg(variable: str, fallback: Callable[[str], Path]) -> Path:
    # platformdirs follows XDG on Linux only; syncd honours it everywhere it is set.
    value = os.environ.get(variable, "")
    return Path(value) / "syncd" if os.path.isabs(value) else fallback("syncd")


def default_state_dir() -> str:
    return str(_xdg("XDG_STATE_HOME", platformdirs.user_state_path))


def resolve_config_path(option: str | None) -> Path:
    """The config file: ``--config``, else $SYNCD_CONFIG, else $XDG_CONFIG_HOME/syncd/config.toml.

    Without $XDG_CONFIG_HOME: platformdirs' user config folder (~/.config on Linux).
    """
    chosen = option if option is not None else os.environ.get("SYNCD_CONFIG") or None
    if chosen is not None:
        return Path(chosen).expanduser()
    return _xdg("XDG_CONFIG_HOME", platformdirs.user_config_path) / "config.toml"


# --- the schema: every key, its validator and its default, in one place ---

REQUIRED: Any = object()


@dataclasses.dataclass(frozen=True)
class Key:
    """One config key: ``check`` turns the TOML value into the typed one.

    ``default`` is written as in the file (``"60m"``) and goes through ``check``
    too; a callable computes it; REQUIRED means the key must be there.
    """

    check: Validator
    default: Any = REQUIRED


def _both_passwords(values: Mapping[str, Any]) -> None:
    if values["password_env"] and values["password_command"]:
        raise Invalid("set password_env or password_command, not both", key="password_command")


def _something_detects(values: Mapping[str, Any]) -> None:
    if not (values["keywords"] or values["patterns"] or values["categories"]):
        raise Invalid("nothing would be detected: set keywords, patterns or categories", "keywords")


def _later(first: str, second: str) -> Callable[[Mapping[str, Any]], None]:
    def check(values: Mapping[str, Any]) -> None:
        if values[second] <= values[first]:
            raise Invalid(f"must be later than {first} ({values[first]:%H:%M})", key=second)

    return check


@dataclasses.dataclass(frozen=True)
class Section:
    """The keys of one table, the class they fill, and checks across keys."""

    keys: Mapping[str, Key]
    cls: type[Any] | None = None
    checks: tuple[Callable[[Mapping[str, Any]], None], ...] = ()


TOP = Section(
    {
        "timezone": Key(zone, system_zone_name),
        "interval": Key(duration, "5m"),
        "state_dir": Key(absolute_path, default_state_dir),
    }
)

SECTIONS = {
    "detect": Section(
        {
            "keywords": Key(text_list, ["interview"]),
            "patterns": Key(patterns, []),
            "categories": Key(text_list, []),
            "exclude": Key(text_list, ["mock interview", "interview prep", "practice interview"]),
            "agency_domains": Key(domains, []),
            "heard_back_marker": Key(nonempty_text, "#heard-back"),
            "lookback": Key(duration, "7d"),
            "lookahead": Key(duration, "180d"),
        },
        DetectConfig,
        (_something_detects,),
    ),
    "thank_you": Section(
        {
            "delay": Key(delay, "60m"),
            "remote_delay": Key(delay, "15m"),
            "duration": Key(duration, "30m"),
            "latest": Key(clock_time, "21:00"),
            "next_day_at": Key(clock_time, "09:00"),
            "all_day_at": Key(clock_time, "18:00"),
            "reminders": Key(reminders, [0]),
        },
        ThankYouConfig,
        (_later("next_day_at", "latest"),),
    ),
    "calls": Section(
        {
            "morning": Key(clock_time, "10:00"),
            "afternoon": Key(clock_time, "15:00"),
            "duration": Key(duration, "15m"),
            "reminders": Key(reminders, [10]),
            "holidays": Key(holiday_country, ""),
            "skip_dates": Key(dates, []),
        },
        CallsConfig,
        (_later("morning", "afternoon"),),
    ),
}

SOURCE = Section(
    {
        "name": Key(nonempty_text),
        "kind": Key(source_kind),
        "calendars": Key(text_list, []),
        "target_calendar": Key(text, ""),
        "me": Key(addresses, []),
    }
)

SOURCE_KINDS = {
    "caldav": Section(
        {
            "url": Key(http_url),
            "username": Key(text, ""),
            "password_env": Key(env_name, ""),
            "password_command": Key(argv, []),
        },
        checks=(_both_passwords,),
    ),
    "google": Section(
        {
            "client_secrets": Key(absolute_path),
            "token_file": Key(absolute_path),
            "api_endpoint": Key(optional_http_url, ""),
        }
    ),
}


# --- the loader ---


def _where(section: str, key: str = "") -> str:
    """How an error names a key: ``interval``, ``[calls] morning``, ``[sources.2] url``."""
    if not section:
        return key
    return f"[{section}] {key}" if key else f"[{section}]"


def _refuse_unknown(
    table: Mapping[str, Any],
    allowed: Iterable[str],
    section: str,
    file: str,
    elsewhere: Mapping[str, str] | None = None,
) -> None:
    known = list(allowed)
    for name in table:
        if name in known:
            continue
        problem = (elsewhere or {}).get(name) or "unknown key" + (
            did_you_mean(name, known) or "; known keys: " + ", ".join(known)
        )
        raise ConfigError(file, _where(section, name), problem)


def _read(table: Mapping[str, Any], spec: Section, section: str, file: str) -> dict[str, Any]:
    """The typed values of the keys in ``spec``, defaults filled in; the first error raised."""
    values: dict[str, Any] = {}
    for name, key in spec.keys.items():
        if name in table:
            raw = table[name]
        elif key.default is REQUIRED:
            raise ConfigError(file, _where(section, name), "missing; this key is required")
        else:
            raw = key.default() if callable(key.default) else key.default
        try:
            values[name] = key.check(raw)
        except Invalid as exc:
            raise ConfigError(file, _where(section, name), str(exc)) from None
    for check in spec.checks:
        try:
            check(values)
        except Invalid as exc:
            raise ConfigError(file, _where(section, exc.key), str(exc)) from None
    return values


def _read_source(table: Mapping[str, Any], section: str, file: str) -> dict[str, Any]:
    kind = table.get("kind")
    spec = SOURCE_KINDS.get(kind) if isinstance(kind, str) else None
    others = {other: s for other, s in SOURCE_KINDS.items() if s is not spec}
    elsewhere = {
        key: f"not a key of a {kind} source ({key} is for {other} sources)"
        for other, other_spec in others.items()
        for key in other_spec.keys
    }
    if spec is None:  # kind missing or wrong: say so below, after any typo
        allowed = [*SOURCE.keys, *(key for s in SOURCE_KINDS.values() for key in s.keys)]
        _refuse_unknown(table, allowed, section, file)
    else:
        _refuse_unknown(table, [*SOURCE.keys, *spec.keys], section, file, elsewhere)
    values = _read(table, SOURCE, section, file)
    return values | _read(table, SOURCE_KINDS[values["kind"]], section, file)


def _read_sources(value: object, file: str) -> tuple[SourceConfig, ...]:
    if not isinstance(value, list):
        raise ConfigError(file, "sources", f"expected [[sources]] tables, got {type_name(value)}")
    numbers: dict[str, int] = {}
    sources = []
    for number, table in enumerate(value, 1):
        section = f"sources.{number}"
        if not isinstance(table, dict):
            raise ConfigError(file, _where(section), f"expected a table, got {type_name(table)}")
        values = _read_source(table, section, file)
        name = values["name"]
        if name.casefold() in numbers:
            taken = f"sources.{numbers[name.casefold()]}"
            problem = f"{show(name)} is taken by {taken}; names must be unique"
            raise ConfigError(file, _where(section, "name"), problem)
        numbers[name.casefold()] = number
        sources.append(SourceConfig(**values))
    return tuple(sources)


def parse_config(data: Mapping[str, Any], file: str) -> Config:
    """The Config for parsed TOML ``data``; ``file`` names it in errors.

    Raises ConfigError for the first problem: unknown keys and sections first
    (in file order), then the keys in schema order.
    """
    names = [*TOP.keys, "sources", *SECTIONS]
    for name, value in data.items():
        if name not in names:
            what, where = ("section", f"[{name}]") if isinstance(value, dict) else ("key", name)
            hint = did_you_mean(name, names) or "; known: " + ", ".join(names)
            raise ConfigError(file, where, f"unknown {what}{hint}")
    top = _read(data, TOP, "", file)
    sources = _read_sources(data.get("sources", []), file)
    sections = {}
    for name, spec in SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(file, _where(name), f"expected a table, got {type_name(table)}")
        _refuse_unknown(table, spec.keys, name, file)
        assert spec.cls is not None
        sections[name] = spec.cls(**_read(table, spec, name, file))
    return Config(**top, sources=sources, **sections)


def load_config(path: Path) -> Config:
    """Read and validate the TOML file at ``path``; ConfigError names what is wrong."""
    file = str(path)
    try:
        document = path.read_bytes().decode("utf-8")
        data = tomllib.loads(document)
    except FileNotFoundError:
        problem = "no such file; copy config.example.toml there, or pass --config PATH"
        raise ConfigError(file, "", problem) from None
    except IsADirectoryError:
        raise ConfigError(file, "", "is a folder, not a config file") from None
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(file, "", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(file, exc, document) from None
    return dataclasses.replace(parse_config(data, file), path=path)


def _syntax_error(file: str, exc: tomllib.TOMLDecodeError, document: str) -> ConfigError:
    """``file: line N: invalid TOML: reason (column C)``, from tomllib's message."""
    message = str(exc)
    at = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message)
    end = re.fullmatch(r"(.*) \(at end of document\)", message)
    if at:
        reason, where = at[1], f"line {at[2]}"
        reason += f" (column {at[3]})"
    elif end:
        reason, where = end[1] + " (at the end of the file)", f"line {len(document.splitlines())}"
    else:
        reason, where = message, ""
    return ConfigError(file, where, f"invalid TOML: {reason[:1].lower()}{reason[1:]}")


# --- the resolved values, as text ---

_EMPTY_MEANS = {
    "calendars": "all calendars",
    "target_calendar": "the interview's own calendar",
    "api_endpoint": "Google's",
    "holidays": "no public holidays",
}


def format_duration(value: dt.timedelta) -> str:
    """A timedelta as the config writes it: ``"1h30m"``, ``"7d"``."""
    seconds, parts = int(value.total_seconds()), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0m"


def _toml(value: object) -> str:
    if isinstance(value, dt.timedelta):
        return json.dumps(format_duration(value))
    if isinstance(value, dt.time):
        return f'"{value:%H:%M}"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, ZoneInfo | Path):
        value = str(value)
    return json.dumps(value, ensure_ascii=False)


def _lines(values: object, spec: Section) -> list[str]:
    lines = []
    for name in spec.keys:
        value = getattr(values, name)
        shown = _toml(value)
        if name == "password_command" and value:
            shown = _toml([value[0], "..."]) + "  # arguments not shown"
        elif not value and name in _EMPTY_MEANS:
            shown += f"  # {_EMPTY_MEANS[name]}"
        lines.append(f"{name} = {shown}")
    return lines


def describe(config: Config) -> str:
    """The resolved config as TOML, every default filled in; secrets are not shown."""
    lines = [f"# {config.path or 'config'}: valid; resolved values, defaults filled in"]
    lines += _lines(config, TOP)
    for source in config.sources:
        lines += ["", "[[sources]]", *_lines(source, SOURCE)]
        lines += _lines(source, SOURCE_KINDS[source.kind])
    for name, spec in SECTIONS.items():
        lines += ["", f"[{name}]", *_lines(getattr(config, name), spec)]
    return "\n".join(lines) + "\n"
