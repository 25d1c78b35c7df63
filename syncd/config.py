"""The config: TOML into frozen dataclasses, with the defaults of docs/behaviour.md.

Top-down: the value classes; the schema (per table: key -> validator and
default, as khal's settings spec; ``Key`` and ``Section`` come from
``syncd.config_schema``, the validators from ``syncd.config_values``); the
loader; ``describe`` for ``syncd config check``. Parsing is pure:
only the machine-dependent defaults (zone, folders: ``syncd.machine``)
look at the environment.

A source's own keys belong to its kind: each kind of provider declares them
as a ``Section`` (keys, the frozen dataclass they fill, checks across keys),
and the loader is handed those sections (``Kinds``); this module knows no kind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from syncd import limits
from syncd.config_schema import (
    Key,
    Kinds,
    Section,
    read_table,
    refuse_unknown,
    syntax_error,
    table_lines,
    toml_value,
    where,
)
from syncd.config_values import (
    Invalid,
    absolute_path,
    addresses,
    clock_time,
    dates,
    did_you_mean,
    domains,
    duration_within,
    holiday_country,
    nonempty_text,
    patterns,
    reminders,
    show,
    source_kind,
    stated_zone,
    text,
    text_list,
    type_name,
    zone,
)
from syncd.countries import holidays_comment
from syncd.errors import ConfigError
from syncd.machine import default_state_dir, system_zone_name


@dataclasses.dataclass(frozen=True)
class SourceConfig:
    """One ``[[sources]]`` table: the keys every kind shares, and its kind's own ``settings``."""

    name: str
    kind: str  # a kind of the provider registry, e.g. "caldav"
    calendars: tuple[str, ...] = ()  # display names, URLs or ids; () = all
    target_calendar: str = ""  # "" = the interview's own calendar
    me: tuple[str, ...] = ()  # the user's attendee addresses, lowercased
    settings: Any = None  # the kind's own frozen dataclass (its Section's cls)

    def signature(self) -> str:
        """A digest of what decides which calendars the source resolves to (a cache key).

        A digest, not the values: a password command may hold a secret.
        """
        text = repr((self.kind, self.settings, self.calendars, self.target_calendar))
        return hashlib.sha256(text.encode()).hexdigest()


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
    # A country code of the `holidays` package; "none": no public holidays;
    # "": the country of the zone in force (syncd.countries).
    holidays: str = ""
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
    # Where `timezone` came from: "config" (the key is set; also any Config built
    # in code), "system" (unset: the machine's zone; a calendar's may replace it,
    # see zone_in_force).
    zone_origin: str = "config"


# --- the zone in force ---

# An interval under this spends API quota; `config check` and `syncd run` warn.
QUOTA_INTERVAL = dt.timedelta(seconds=30)


def zone_in_force(config: Config, account_zone: str = "") -> tuple[ZoneInfo, str]:
    """The zone to plan in, and where it came from: "config", "calendar" or "system".

    The config's ``timezone`` when the file sets it; else ``account_zone`` (the
    zone the server states for the account's main calendar) when it names a
    zone ZoneInfo knows (a server's text: anything else is ignored); else the
    system's, the zone the config was loaded with.
    """
    if config.zone_origin == "config":
        return config.timezone, "config"
    stated = stated_zone(account_zone)
    if stated is not None:
        return stated, "calendar"
    return config.timezone, "system"


# --- the schema: every key, its validator and its default, in one place ---
# Every duration and date is bounded; syncd.limits says why each bound is where it is.
_NONE = dt.timedelta(0)
_interval = duration_within(limits.INTERVAL_MIN, limits.INTERVAL_MAX)
_lookback = duration_within(_NONE, limits.LOOKBACK_MAX)
_lookahead = duration_within(_NONE, limits.LOOKAHEAD_MAX)
_delay = duration_within(_NONE, limits.DELAY_MAX, allow_zero=True)
_followup_duration = duration_within(_NONE, limits.FOLLOWUP_DURATION_MAX)


def _something_detects(values: Mapping[str, Any]) -> None:
    if not (values["keywords"] or values["patterns"] or values["categories"]):
        raise Invalid("nothing would be detected: set keywords, patterns or categories", "keywords")


def _later(first: str, second: str) -> Callable[[Mapping[str, Any]], None]:
    def check(values: Mapping[str, Any]) -> None:
        if values[second] <= values[first]:
            raise Invalid(f"must be later than {first} ({values[first]:%H:%M})", key=second)

    return check


TOP = Section(
    {
        "timezone": Key(zone, system_zone_name),
        "interval": Key(_interval, "5m"),
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
            "lookback": Key(_lookback, "7d"),
            "lookahead": Key(_lookahead, "180d"),
        },
        DetectConfig,
        (_something_detects,),
    ),
    "thank_you": Section(
        {
            "delay": Key(_delay, "60m"),
            "remote_delay": Key(_delay, "15m"),
            "duration": Key(_followup_duration, "30m"),
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
            "duration": Key(_followup_duration, "15m"),
            "reminders": Key(reminders, [10]),
            "holidays": Key(holiday_country, "", empty_means="the zone's country"),
            "skip_dates": Key(dates, []),
        },
        CallsConfig,
        (_later("morning", "afternoon"),),
    ),
}

# The keys every source has; "kind" is checked against the kinds the loader is given.
SOURCE = Section(
    {
        "name": Key(nonempty_text),
        "kind": Key(text),
        "calendars": Key(text_list, [], empty_means="all calendars"),
        "target_calendar": Key(text, "", empty_means="the interview's own calendar"),
        "me": Key(addresses, []),
    }
)


# --- the loader ---


def _read_source(table: Mapping[str, Any], section: str, file: str, kinds: Kinds) -> SourceConfig:
    kind = table.get("kind")
    spec = kinds.get(kind) if isinstance(kind, str) else None
    owners: dict[str, list[str]] = {}  # a key of other kinds -> those kinds
    for other, other_spec in kinds.items():
        for key in other_spec.keys if other_spec is not spec else ():
            owners.setdefault(key, []).append(other)
    elsewhere = {
        key: f"not a key of a {kind} source ({key} is for {' and '.join(others)} sources)"
        for key, others in owners.items()
    }
    if spec is None:  # kind missing or wrong: say so below, after any typo
        allowed = [*SOURCE.keys, *(key for s in kinds.values() for key in s.keys)]
        refuse_unknown(table, allowed, section, file)
    else:
        refuse_unknown(table, [*SOURCE.keys, *spec.keys], section, file, elsewhere)
    shared = dataclasses.replace(SOURCE, keys={**SOURCE.keys, "kind": Key(source_kind(kinds))})
    values = read_table(table, shared, section, file)
    own = kinds[values["kind"]]
    settings = read_table(table, own, section, file)
    return SourceConfig(**values, settings=own.cls(**settings) if own.cls else None)


def _read_sources(value: object, file: str, kinds: Kinds) -> tuple[SourceConfig, ...]:
    if not isinstance(value, list):
        raise ConfigError(file, "sources", f"expected [[sources]] tables, got {type_name(value)}")
    numbers: dict[str, int] = {}
    sources = []
    for number, table in enumerate(value, 1):
        section = f"sources.{number}"
        if not isinstance(table, dict):
            raise ConfigError(file, where(section), f"expected a table, got {type_name(table)}")
        source = _read_source(table, section, file, kinds)
        if source.name.casefold() in numbers:
            taken = f"sources.{numbers[source.name.casefold()]}"
            problem = f"{show(source.name)} is taken by {taken}; names must be unique"
            raise ConfigError(file, where(section, "name"), problem)
        numbers[source.name.casefold()] = number
        sources.append(source)
    return tuple(sources)


def parse_config(data: Mapping[str, Any], file: str, kinds: Kinds) -> Config:
    """The Config for parsed TOML ``data``; ``file`` names it in errors.

    ``kinds`` are the kinds of source known (the provider registry's sections).
    Raises ConfigError for the first problem: unknown keys and sections first
    (in file order), then the keys in schema order.
    """
    names = [*TOP.keys, "sources", *SECTIONS]
    for name, value in data.items():
        if name not in names:
            what, place = ("section", f"[{name}]") if isinstance(value, dict) else ("key", name)
            hint = did_you_mean(name, names) or "; known: " + ", ".join(names)
            raise ConfigError(file, place, f"unknown {what}{hint}")
    top = read_table(data, TOP, "", file)
    sources = _read_sources(data.get("sources", []), file, kinds)
    sections = {}
    for name, spec in SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(file, where(name), f"expected a table, got {type_name(table)}")
        refuse_unknown(table, spec.keys, name, file)
        assert spec.cls is not None
        sections[name] = spec.cls(**read_table(table, spec, name, file))
    origin = "config" if "timezone" in data else "system"
    return Config(**top, sources=sources, **sections, zone_origin=origin)


def load_config(path: Path, kinds: Kinds) -> Config:
    """Read and validate the TOML file at ``path``; ConfigError names what is wrong.

    ``kinds``: as for ``parse_config``.
    """
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
        raise syntax_error(file, exc, document) from None
    return dataclasses.replace(parse_config(data, file, kinds), path=path)


# --- the resolved values, as text ---


def describe(config: Config, kinds: Kinds) -> str:
    """The resolved config as TOML, every default filled in; secrets are not shown.

    ``kinds``: the sections the config was parsed with (they print each source's own keys).
    """
    lines = [f"# {config.path or 'config'}: valid; resolved values, defaults filled in"]
    lines += table_lines(config, TOP, {"timezone": _timezone_line(config)})
    for source in config.sources:
        lines += ["", "[[sources]]", *table_lines(source, SOURCE)]
        lines += table_lines(source.settings, kinds[source.kind])
    holidays = config.calls.holidays
    meaning = holidays_comment(holidays, config.timezone, config.zone_origin == "config")
    written = {"calls": {"holidays": f"holidays = {toml_value(holidays)}  # {meaning}"}}
    for name, spec in SECTIONS.items():
        lines += ["", f"[{name}]", *table_lines(getattr(config, name), spec, written.get(name))]
    return "\n".join(lines) + "\n"


def _timezone_line(config: Config) -> str:
    # Unset, the line stays a comment: the output read back as a config keeps
    # the key unset, so a calendar's zone can still come into force.
    line = f"timezone = {toml_value(config.timezone)}"
    if config.zone_origin == "config":
        return f"{line}  # from the config"
    return (
        f"# {line}  # not set: each account's main calendar's zone (read at the next pass),"
        " else the system's: this one"
    )
