"""The config loader: SPEC section 10 defaults, the validators, one-line errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from providers import config_sections
from providers.caldav.settings import DavSettings
from providers.google.settings import GoogleSettings
from syncd import config as cfg
from syncd import config_values
from syncd import machine as defaults
from syncd.config import (
    CallsConfig,
    Config,
    DetectConfig,
    SourceConfig,
    ThankYouConfig,
    describe,
    parse_config,
)
from syncd.config_schema import format_duration
from syncd.errors import ConfigError

KINDS = config_sections()

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "configs"
BROKEN = sorted(FIXTURES.glob("bad-*.toml"))


def expected_error(path: Path) -> str:
    """What a broken fixture says syncd must report after ``FILE: ``."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ")


@pytest.fixture(autouse=True)
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A known machine: HOME, zone and XDG folders under the test's control."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TZ", "America/Chicago")
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "SYNCD_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return home


def parse(text: str) -> Config:
    return parse_config(tomllib.loads(text), "test.toml", KINDS)


def load_config(path: Path) -> Config:
    return cfg.load_config(path, KINDS)


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return str(caught.value)


# --- the example and the defaults ---


def test_example_config_parses_with_the_values_it_shows(machine: Path) -> None:
    config = load_config(EXAMPLE)

    assert config.path == EXAMPLE
    assert config.timezone == ZoneInfo("America/Chicago")  # commented out: the system's
    assert config.zone_origin == "system"
    assert config.interval == dt.timedelta(minutes=5)
    assert config.state_dir == machine / ".local" / "state" / "syncd"
    work, gmail = config.sources
    assert work == SourceConfig(
        name="work",
        kind="caldav",
        calendars=("Personal",),
        target_calendar="Follow-ups",
        me=("me@example.com",),
        settings=DavSettings(
            url="https://dav.example.com/",
            username="me",
            password_command=("pass", "show", "dav"),
        ),
    )
    assert gmail == SourceConfig(
        name="gmail",
        kind="google",
        calendars=("primary",),
        settings=GoogleSettings(
            client_secrets=machine / ".config" / "syncd" / "client_secret.json",
            token_file=machine / ".local" / "state" / "syncd" / "gmail.token.json",
        ),
    )


def test_example_config_sections_equal_the_defaults() -> None:
    config = load_config(EXAMPLE)

    assert config.detect == DetectConfig()
    assert config.thank_you == ThankYouConfig()
    assert config.calls == CallsConfig()


def test_empty_config_gives_every_default_of_spec_section_10(machine: Path) -> None:
    config = parse_config({}, "empty.toml", KINDS)

    assert config.sources == ()
    assert config.interval == dt.timedelta(minutes=5)
    assert config.timezone == ZoneInfo("America/Chicago")
    assert config.state_dir == machine / ".local" / "state" / "syncd"
    assert config.detect.keywords == ("interview",)
    assert config.detect.exclude == ("mock interview", "interview prep", "practice interview")
    assert config.detect.heard_back_marker == "#heard-back"
    assert (config.detect.lookback, config.detect.lookahead) == (
        dt.timedelta(days=7),
        dt.timedelta(days=180),
    )
    assert config.thank_you == ThankYouConfig(
        delay=dt.timedelta(minutes=60),
        remote_delay=dt.timedelta(minutes=15),
        duration=dt.timedelta(minutes=30),
        latest=dt.time(21),
        next_day_at=dt.time(9),
        all_day_at=dt.time(18),
        reminders=(0,),
    )
    assert config.calls == CallsConfig(
        morning=dt.time(10),
        afternoon=dt.time(15),
        duration=dt.timedelta(minutes=15),
        reminders=(10,),
        holidays="",
        skip_dates=(),
    )


def test_one_section_given_leaves_the_others_default() -> None:
    config = parse('[calls]\nmorning = "09:15"\n')

    assert config.calls == dataclasses.replace(CallsConfig(), morning=dt.time(9, 15))
    assert config.detect == DetectConfig()
    assert config.thank_you == ThankYouConfig()


def test_schema_has_a_key_for_every_field() -> None:
    for section, spec in cfg.SECTIONS.items():
        assert spec.cls is not None
        fields = [field.name for field in dataclasses.fields(spec.cls)]
        assert list(spec.keys) == fields, section
    shared = [field.name for field in dataclasses.fields(SourceConfig)]
    assert [*cfg.SOURCE.keys, "settings"] == shared
    for kind, spec in KINDS.items():
        assert spec.cls is not None
        assert list(spec.keys) == [field.name for field in dataclasses.fields(spec.cls)], kind


def test_source_defaults_and_normalisation() -> None:
    config = parse(
        """
        [[sources]]
        name = "work"
        kind = "caldav"
        url = "https://dav.example.com/"
        me = ["Me@Example.COM", "mailto:Other@Example.com"]
        """
    )
    (work,) = config.sources
    assert work.me == ("me@example.com", "other@example.com")
    assert (work.calendars, work.target_calendar, work.settings.username) == ((), "", "")
    assert (work.settings.password_env, work.settings.password_command) == ("", ())


def test_google_source_paths_expand_home(machine: Path) -> None:
    config = parse(
        """
        [[sources]]
        name = "gmail"
        kind = "google"
        client_secrets = "~/secrets/client.json"
        token_file = "/var/lib/syncd/gmail.json"
        api_endpoint = "http://127.0.0.1:8080/calendar/v3/"
        """
    )
    (gmail,) = config.sources
    assert gmail.settings.client_secrets == machine / "secrets" / "client.json"
    assert gmail.settings.token_file == Path("/var/lib/syncd/gmail.json")
    assert gmail.settings.api_endpoint == "http://127.0.0.1:8080/calendar/v3/"


# --- the validators, by table ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", dt.timedelta(seconds=30)),
        ("90m", dt.timedelta(minutes=90)),
        ("2h", dt.timedelta(hours=2)),
        ("1h30m", dt.timedelta(hours=1, minutes=30)),
        ("1h 30m", dt.timedelta(hours=1, minutes=30)),
        ("7d", dt.timedelta(days=7)),
        ("180d", dt.timedelta(days=180)),
        ("2w", dt.timedelta(weeks=2)),
        ("1d2h3m4s", dt.timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ],
)
def test_durations(text: str, expected: dt.timedelta) -> None:
    assert config_values.duration(text) == expected
    assert config_values.duration(format_duration(expected)) == expected


@pytest.mark.parametrize(
    "text", ["", "5", "m", "5 minutes", "1.5h", "-5m", "30m1h", "1h1h", "5M", "P1D", "0m", "0s"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(cfg.Invalid):
        config_values.duration(text)


def test_zero_delay_is_allowed_for_thank_you_delays_only() -> None:
    config = parse('[thank_you]\nremote_delay = "0m"\n')
    assert config.thank_you.remote_delay == dt.timedelta(0)
    assert error_of('[thank_you]\nduration = "0m"\n') == (
        'test.toml: [thank_you] duration: must be longer than zero, got "0m"'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:00", dt.time(9)),
        ("9:05", dt.time(9, 5)),
        ("00:00", dt.time(0)),
        ("23:59", dt.time(23, 59)),
        (dt.time(18, 30), dt.time(18, 30)),
    ],
)
def test_times(value: object, expected: dt.time) -> None:
    assert cfg.clock_time(value) == expected


@pytest.mark.parametrize(
    "value", ["24:00", "9", "09:60", "9am", "09:00:00", "", 900, dt.time(9, 0, 30)]
)
def test_bad_times(value: object) -> None:
    with pytest.raises(cfg.Invalid):
        cfg.clock_time(value)


def test_toml_local_time_is_accepted() -> None:
    assert parse("[calls]\nmorning = 09:30:00\n").calls.morning == dt.time(9, 30)


@pytest.mark.parametrize("name", ["Europe/London", "UTC", "America/New_York", "Asia/Kolkata"])
def test_zones(name: str) -> None:
    assert parse(f'timezone = "{name}"').timezone == ZoneInfo(name)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("europe/london", 'unknown time zone "europe/london"; did you mean "Europe/London"?'),
        ("Europe", 'unknown time zone "Europe"'),
        ("../etc/passwd", 'unknown time zone "../etc/passwd"'),
        ("", 'unknown time zone ""'),
        ("Mars/Olympus_Mons", 'unknown time zone "Mars/Olympus_Mons"'),
    ],
)
def test_bad_zones(name: str, problem: str) -> None:
    assert error_of(f'timezone = "{name}"').startswith(f"test.toml: timezone: {problem}")


def test_system_zone_from_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", ":Europe/Paris")
    assert defaults.system_zone_name() == "Europe/Paris"


def test_system_zone_from_localtime_link(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    zoneinfo_dir = tmp_path / "usr" / "share" / "zoneinfo" / "Europe"
    zoneinfo_dir.mkdir(parents=True)
    (zoneinfo_dir / "Berlin").write_bytes(b"")
    link = tmp_path / "localtime"
    link.symlink_to(zoneinfo_dir / "Berlin")
    monkeypatch.setattr(defaults, "LOCALTIME", link)
    monkeypatch.setenv("TZ", "not a zone")
    assert defaults.system_zone_name() == "Europe/Berlin"


def test_system_zone_falls_back_to_utc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TZ")
    monkeypatch.setattr(defaults, "LOCALTIME", tmp_path / "missing")
    assert defaults.system_zone_name() == "UTC"


def test_skip_dates_accept_toml_dates_and_strings_sorted() -> None:
    config = parse('[calls]\nskip_dates = ["2025-12-31", 2025-12-24, 2025-12-24]\n')
    assert config.calls.skip_dates == (dt.date(2025, 12, 24), dt.date(2025, 12, 31))


def test_skip_dates_refuse_date_times() -> None:
    assert error_of("[calls]\nskip_dates = [2025-12-24T10:00:00]\n") == (
        "test.toml: [calls] skip_dates: expected dates such as 2025-12-24, "
        'found "2025-12-24 10:00:00"'
    )


def test_holidays_country_is_upper_cased() -> None:
    assert parse('[calls]\nholidays = "gb"\n').calls.holidays == "GB"


@pytest.mark.parametrize(("value", "expected"), [("none", "none"), (" None ", "none"), ("", "")])
def test_holidays_none_turns_them_off_and_empty_leaves_them_to_the_zone(
    value: str, expected: str
) -> None:
    assert parse(f'[calls]\nholidays = "{value}"\n').calls.holidays == expected


RANGE = "minutes before the start, 0 to 40320 (4 weeks)"


def test_reminders_limits() -> None:
    assert parse("[thank_you]\nreminders = [0, 40320]\n").thank_you.reminders == (0, 40320)
    assert parse("[calls]\nreminders = []\n").calls.reminders == ()
    assert error_of("[calls]\nreminders = [-1]\n").endswith("-1 is out of range: " + RANGE)
    assert error_of("[calls]\nreminders = [10, 10]\n").endswith("reminders: 10 is listed twice")


def test_patterns_and_domains() -> None:
    config = parse(
        '[detect]\npatterns = ["^call with .+ recruiter"]\nagency_domains = ["@Hays.COM"]'
    )
    assert config.detect.patterns == ("^call with .+ recruiter",)
    assert config.detect.agency_domains == ("hays.com",)


def test_patterns_alone_can_detect() -> None:
    assert parse('[detect]\nkeywords = []\npatterns = ["screening"]').detect.keywords == ()


# --- broken configs: one line, file, key, problem ---


def test_there_are_enough_broken_fixtures() -> None:
    assert len(BROKEN) >= 12


@pytest.mark.parametrize("path", BROKEN, ids=lambda path: path.stem)
def test_broken_config_reports_file_key_and_problem(path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(path)

    error = caught.value
    assert str(error) == f"{path}: {expected_error(path)}"
    assert error.file == str(path)
    assert f"{error.key}: {error.problem}" == expected_error(path)
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    "path",
    [FIXTURES / "bad-password-in-url.toml", FIXTURES / "bad-password-env-value.toml"],
    ids=lambda path: path.stem,
)
def test_secrets_never_appear_in_errors(path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "hunter2" not in str(caught.value)


def test_password_command_of_the_wrong_type_is_not_echoed() -> None:
    message = error_of(
        '[[sources]]\nname = "w"\nkind = "caldav"\nurl = "https://x.org/"\n'
        'password_command = "echo hunter2"\n'
    )
    assert message.startswith("test.toml: [sources.1] password_command: expected a command")
    assert "hunter2" not in message


def test_unknown_key_without_a_close_match_lists_the_known_ones() -> None:
    assert error_of("[calls]\nzzz = 1\n") == (
        "test.toml: [calls] zzz: unknown key; known keys: "
        "morning, afternoon, duration, reminders, holidays, skip_dates"
    )


def test_a_typo_is_reported_before_the_missing_key_it_causes() -> None:
    message = error_of('[[sources]]\nname = "w"\nkind = "caldav"\nulr = "https://x.org/"\n')
    assert message == 'test.toml: [sources.1] ulr: unknown key; did you mean "url"?'


def test_a_source_that_is_not_a_table() -> None:
    assert error_of("sources = [1]") == "test.toml: [sources.1]: expected a table, got an integer"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: no such file; copy config.example.toml there, or pass --config PATH"
    )


def test_folder_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        load_config(tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match=r"binary.toml: is not UTF-8 text$"):
        load_config(binary)


def test_syntax_error_at_the_end_of_the_file_names_the_last_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.toml"
    path.write_text('interval = "5m"\n[calls]\nholidays = ', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert (
        str(caught.value) == f"{path}: line 3: invalid TOML: invalid value (at the end of the file)"
    )


# --- where the file is ---


def test_config_path_option_wins(monkeypatch: pytest.MonkeyPatch, machine: Path) -> None:
    monkeypatch.setenv("SYNCD_CONFIG", "/env/config.toml")
    assert defaults.resolve_config_path("~/mine.toml") == machine / "mine.toml"


def test_config_path_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCD_CONFIG", "/env/config.toml")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/xdg")
    assert defaults.resolve_config_path(None) == Path("/env/config.toml")


def test_config_path_from_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/xdg")
    assert defaults.resolve_config_path(None) == Path("/xdg/syncd/config.toml")


def test_config_path_default_is_under_home(machine: Path) -> None:
    assert defaults.resolve_config_path(None) == machine / ".config" / "syncd" / "config.toml"


def test_state_dir_honours_xdg_state_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/xdg-state")
    assert parse_config({}, "x", KINDS).state_dir == Path("/xdg-state/syncd")


def test_state_dir_expands_home(machine: Path) -> None:
    assert parse('state_dir = "~/syncd-state"').state_dir == machine / "syncd-state"


# --- describe ---


def test_describe_round_trips_to_the_same_config() -> None:
    config = load_config(FIXTURES / "good-minimal.toml")
    config = dataclasses.replace(
        config,
        calls=dataclasses.replace(config.calls, skip_dates=(dt.date(2025, 12, 24),)),
        path=None,
    )
    assert parse_config(tomllib.loads(describe(config, KINDS)), "described", KINDS) == config


def test_describe_hides_password_command_arguments() -> None:
    text = describe(load_config(EXAMPLE), KINDS)
    assert 'password_command = ["pass", "..."]  # arguments not shown' in text
    assert '"show"' not in text
    assert 'timezone = "America/Chicago"' in text
    assert 'lookahead = "180d"' in text


NOT_SET = (
    "# not set: each account's main calendar's zone (read at the next pass),"
    " else the system's: this one"
)


@pytest.mark.parametrize(
    ("text", "zone_line", "holidays_line"),
    [
        pytest.param(
            "",
            f'# timezone = "America/Chicago"  {NOT_SET}',
            "holidays = \"\"  # the zone's country: US (America/Chicago, the system's zone;"
            " a calendar's may name another)",
            id="unset",
        ),
        pytest.param(
            'timezone = "Europe/London"',
            'timezone = "Europe/London"  # from the config',
            'holidays = ""  # the zone\'s country: GB (Europe/London)',
            id="zone-set",
        ),
        pytest.param(
            'timezone = "UTC"',
            'timezone = "UTC"  # from the config',
            'holidays = ""  # the zone\'s country: none (UTC): no public holidays',
            id="no-country",
        ),
        pytest.param(
            'timezone = "Europe/London"\n[calls]\nholidays = "none"',
            'timezone = "Europe/London"  # from the config',
            'holidays = "none"  # no public holidays',
            id="none",
        ),
        pytest.param(
            '[calls]\nholidays = "de"',
            f'# timezone = "America/Chicago"  {NOT_SET}',
            'holidays = "DE"  # from the config: DE',
            id="country",
        ),
    ],
)
def test_describe_says_where_the_zone_and_the_holidays_come_from(
    text: str, zone_line: str, holidays_line: str
) -> None:
    lines = describe(parse(text), KINDS).splitlines()
    assert lines[1] == zone_line
    assert holidays_line in lines


@pytest.mark.parametrize("text", ["", 'timezone = "Asia/Tokyo"', '[calls]\nholidays = "none"'])
def test_describe_keeps_an_unset_zone_unset(text: str) -> None:
    # Read back, the output means the same: an unset zone stays open to a calendar's.
    config = parse(text)
    again = parse_config(tomllib.loads(describe(config, KINDS)), "described", KINDS)
    assert again == config
    assert again.zone_origin == config.zone_origin


def test_state_dir_from_syncd_state_dir_when_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    # what the template unit gives each instance
    monkeypatch.setenv("SYNCD_STATE_DIR", "/srv/syncd-alice")
    assert parse_config({}, "x", KINDS).state_dir == Path("/srv/syncd-alice")
    monkeypatch.setenv("SYNCD_STATE_DIR", "relative")  # ignored: the XDG default
    monkeypatch.setenv("XDG_STATE_HOME", "/xdg-state")
    assert parse_config({}, "x", KINDS).state_dir == Path("/xdg-state/syncd")
