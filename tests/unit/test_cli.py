"""The command line as a user runs it: the real console script, exit codes, stderr."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import syncd
from syncd.cli import SyncdGroup, config_option, load_from_context
from syncd.errors import ConfigError, TransientError
from syncd.logs import setup_logging

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "configs"
BROKEN = sorted(FIXTURES.glob("bad-*.toml"))
SCRIPT = Path(sys.executable).parent / "syncd"
HEAVY = (
    "googleapiclient",
    "google.auth",
    "google_auth_oauthlib",
    "google_auth_httplib2",
    "httplib2",
    "caldav",
    "niquests",
    "lxml",
    "icalendar",
    "radicale",
    "recurring_ical_events",
    "holidays",
)


def expected_error(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user with no config anywhere yet."""
    clean = {k: v for k, v in os.environ.items() if k not in ("SYNCD_CONFIG", "JOURNAL_STREAM")}
    home = tmp_path / "home"
    home.mkdir()
    return clean | {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TZ": "Europe/London",
    }


def syncd_run(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "syncd"]
    return subprocess.run(
        [*command, *map(str, args)], env=env, capture_output=True, text=True, timeout=60
    )


# --- the console script ---


def test_help(env: dict[str, str]) -> None:
    result = syncd_run("--help", env=env)
    assert result.returncode == 0, result.stderr
    assert "Usage: syncd" in result.stdout
    assert "config" in result.stdout
    assert result.stderr == ""


def test_version(env: dict[str, str]) -> None:
    result = syncd_run("--version", env=env)
    assert (result.returncode, result.stdout) == (0, f"syncd {syncd.__version__}\n")


def test_python_dash_m_is_the_same_program(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "syncd", "--version"], env=env, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout) == (0, f"syncd {syncd.__version__}\n")


def test_unknown_command_is_a_usage_error(env: dict[str, str]) -> None:
    result = syncd_run("frobnicate", env=env)
    assert result.returncode == 2
    assert "No such command" in result.stderr


@pytest.mark.parametrize("where", ["after", "before"])
def test_config_check_on_the_example(env: dict[str, str], where: str) -> None:
    args: list[str | Path] = ["config", "check", "--config", EXAMPLE]
    if where == "before":
        args = ["--config", EXAMPLE, "config", "check"]
    result = syncd_run(*args, env=env)

    assert result.returncode == 0, result.stderr
    assert 'timezone = "Europe/London"' in result.stdout
    # unset in the example: the system's zone until a calendar's, and its country's holidays
    lines = result.stdout.splitlines()
    assert lines[1].startswith('# timezone = "Europe/London"  # not set: ')
    assert "each account's main calendar's zone" in lines[1]
    assert "holidays = \"\"  # the zone's country: GB (Europe/London, the system's zone;" in (
        result.stdout
    )
    assert 'name = "gmail"' in result.stdout
    assert '"show"' not in result.stdout  # password_command arguments stay hidden
    assert "Traceback" not in result.stderr
    # valid, but the Google client file is not there yet: a note, not an error
    assert "client_secrets" in result.stderr
    assert "syncd auth google gmail" in result.stderr


@pytest.mark.parametrize("path", BROKEN, ids=lambda path: path.stem)
def test_broken_config_exits_2_with_one_line(env: dict[str, str], path: Path) -> None:
    result = syncd_run("--config", path, "config", "check", env=env)

    assert result.returncode == 2
    assert result.stderr == f"{path}: {expected_error(path)}\n"
    assert result.stdout == ""


def test_missing_config_file(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = syncd_run("--config", missing, "config", "check", env=env)

    assert result.returncode == 2
    assert result.stderr == (
        f"{missing}: no such file; copy config.example.toml there, or pass --config PATH\n"
    )


def test_default_config_is_found_under_xdg_config_home(env: dict[str, str]) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "syncd" / "config.toml"
    result = syncd_run("config", "check", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}: no such file")

    path.parent.mkdir(parents=True)
    path.write_text('interval = "10m"\n', encoding="utf-8")
    result = syncd_run("config", "check", env=env)
    assert result.returncode == 0, result.stderr
    assert 'interval = "10m"' in result.stdout
    assert "no [[sources]]" in result.stderr


def test_config_check_says_where_the_zone_and_the_holidays_come_from(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('timezone = "America/New_York"\n[calls]\nholidays = "none"\n')
    result = syncd_run("config", "check", "--config", path, env=env)
    assert result.returncode == 0, result.stderr
    assert 'timezone = "America/New_York"  # from the config\n' in result.stdout
    assert 'holidays = "none"  # no public holidays\n' in result.stdout

    path.write_text('timezone = "America/New_York"\n')
    result = syncd_run("config", "check", "--config", path, env=env)
    assert 'holidays = ""  # the zone\'s country: US (America/New_York)\n' in result.stdout


def test_syncd_config_variable_names_the_file(env: dict[str, str]) -> None:
    result = syncd_run("config", "check", env=env | {"SYNCD_CONFIG": str(EXAMPLE)})
    assert result.returncode == 0, result.stderr


# --- heavy libraries stay unloaded ---

CHECK_IMPORTS = """
import sys
HEAVY = {heavy!r}

def loaded():
    return sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY))

import syncd.cli
assert not loaded(), loaded()
try:
    syncd.cli.main({args!r}, prog_name="syncd", standalone_mode=False)
except SystemExit:
    pass
assert not loaded(), loaded()
print("clean")
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["config", "--help"],
        ["--config", str(EXAMPLE), "config", "check"],
        ["auth", "--help"],
        ["auth", "google", "--help"],
    ],
)
def test_cli_does_not_import_heavy_libraries(env: dict[str, str], args: list[str]) -> None:
    code = CHECK_IMPORTS.format(heavy=HEAVY, args=args)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("clean\n")


# What the whole help loads nothing of: the config's schema, the model, the registry.
LIGHT_HELP = ("providers", "syncd.config", "syncd.config_schema", "syncd.model", "syncd.machine")


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["service", "--help"]])
def test_help_loads_neither_the_config_schema_nor_the_providers(
    env: dict[str, str], args: list[str]
) -> None:
    """``syncd --help`` stays within 0.1 s of a bare Python start (bench/RESULTS.md)."""
    code = CHECK_IMPORTS.format(heavy=LIGHT_HELP, args=args)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("clean\n")


# --- errors become one line and an exit code, in one place ---


def make_app() -> click.Group:
    """A group like ``main`` with commands that fail the ways real ones will."""

    @click.group(cls=SyncdGroup)
    @config_option
    def app() -> None:
        pass

    @app.group()
    def nested() -> None:
        pass

    @nested.command()
    def bad_config() -> None:
        raise ConfigError("f.toml", "[calls] morning", "expected a time")

    @app.command()
    def flaky() -> None:
        raise TransientError("server said no\nand more")

    @app.command()
    @config_option
    @click.pass_context
    def show(ctx: click.Context) -> None:
        first, second = load_from_context(ctx), load_from_context(ctx)
        assert first is second
        click.echo(f"{first.path} {first.interval}")

    return app


def test_config_error_in_a_nested_command_exits_2() -> None:
    result = CliRunner().invoke(make_app(), ["nested", "bad-config"])
    assert (result.exit_code, result.stderr) == (2, "f.toml: [calls] morning: expected a time\n")


def test_other_syncd_error_exits_1_with_one_line() -> None:
    result = CliRunner().invoke(make_app(), ["flaky"])
    assert (result.exit_code, result.stderr) == (1, "server said no and more\n")


def test_load_from_context_reads_the_named_file_once(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('interval = "2m"\n', encoding="utf-8")
    for args in (["--config", str(path), "show"], ["show", "--config", str(path)]):
        result = CliRunner().invoke(make_app(), args)
        assert (result.exit_code, result.stdout) == (0, f"{path} 0:02:00\n"), result.output


# --- logging ---


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("syncd").level)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("syncd").setLevel(saved[2])


@pytest.mark.usefixtures("restore_logging")
def test_logs_under_journald_carry_priorities_and_no_timestamps(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    setup_logging(0)
    log = logging.getLogger("syncd.test")
    log.debug("hidden")
    log.info("pass done")
    log.warning("two\nlines")  # a line break in a message cannot forge a second line
    try:
        raise ValueError("bad")
    except ValueError:
        log.exception("boom")  # a traceback keeps its priority on every line

    lines = capsys.readouterr().err.splitlines()
    assert lines[:3] == [
        "<6>syncd.test: pass done",
        "<4>syncd.test: two\\nlines",
        "<3>syncd.test: boom",
    ]
    assert lines[3] == "<3>Traceback (most recent call last):"
    assert lines[-1] == "<3>ValueError: bad"
    assert all(line.startswith("<3>") for line in lines[3:])


@pytest.mark.usefixtures("restore_logging")
def test_logs_on_a_terminal_have_timestamps_and_verbose_shows_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    setup_logging(0)
    setup_logging(1)  # a second call replaces the handler: no doubled lines
    logging.getLogger("syncd.test").debug("detail")
    logging.getLogger("urllib3").info("library chatter")

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(" DEBUG syncd.test: detail")
    assert lines[0][:4].isdigit()  # starts with the date


def test_run_once_refuses_while_another_syncd_holds_the_state_dir(
    env: dict[str, str], tmp_path: Path
) -> None:
    from syncd.lock import acquire

    state = tmp_path / "syncd-state"
    config = tmp_path / "config.toml"
    config.write_text(f'timezone = "Europe/London"\nstate_dir = "{state}"\n', encoding="utf-8")
    lock = acquire(state)
    try:
        held = syncd_run("--config", config, "run", "--once", env=env)
        dry = syncd_run("--config", config, "run", "--once", "--dry-run", env=env)
    finally:
        lock.release()
    assert held.returncode == 1
    assert held.stderr.splitlines() == [
        f"syncd is already running for this state dir: {state / 'syncd.lock'}"
        f" is locked by PID {os.getpid()}"
    ]
    assert dry.returncode == 0, dry.stderr  # a dry run writes nothing and needs no lock
    assert syncd_run("--config", config, "run", "--once", env=env).returncode == 0


def test_run_once_exits_1_for_a_failed_calendar_and_0_for_a_refused_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncd import runner
    from syncd.engine import PassReport
    from syncd.model import Action, Op

    gone = "home: Team: the calendar is gone (deleted, or no longer shared with this account)"
    refused = (Action(Op.CREATE, "a" * 32, "cal"), "the server refuses the write (403)")
    reports = [PassReport("home", failures=[gone]), PassReport("home", left_alone=[refused])]

    def scripted(*_: object, **__: object) -> list[runner.SourceOutcome]:
        return [runner.SourceOutcome("home", reports.pop(0))]

    monkeypatch.setattr(runner, "sweep", scripted)
    config = tmp_path / "config.toml"
    config.write_text(f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "s"}"\n')
    args = ["--config", str(config), "run", "--once"]
    failed, refusing = (CliRunner().invoke(syncd.cli.main, args) for _ in range(2))
    assert (failed.exit_code, failed.stderr.splitlines()) == (1, [gone])
    assert (refusing.exit_code, refusing.stderr) == (0, "")


# --- the kinds come from the provider registry


def test_auth_lists_the_kinds_that_have_an_auth_step(env: dict[str, str]) -> None:
    result = syncd_run("auth", "--help", env=env)
    assert result.returncode == 0, result.stderr
    commands = result.stdout.split("Commands:")[1].split()
    assert commands[0] == "google" and "caldav" not in commands
    assert syncd_run("auth", "caldav", "work", env=env).returncode == 2


def test_auth_google_takes_its_options_and_the_config_after_the_command(
    env: dict[str, str],
) -> None:
    args = ["auth", "google", "work", "--no-browser", "--port", "0", "--config", EXAMPLE]
    result = syncd_run(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: no Google source named 'work' in {EXAMPLE} (Google sources: gmail)"
    )


# --- a source's failure is one clean line


def test_a_run_against_a_closed_port_prints_one_clean_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    from servers import free_port

    port = free_port()  # nothing listens there
    config = tmp_path / "config.toml"
    config.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[[sources]]\nname = "work"\nkind = "caldav"\n'
        f'url = "http://127.0.0.1:{port}/dav/"\nusername = "me"\n',
        encoding="utf-8",
    )
    for command in (["run", "--once"], ["plan"]):
        result = syncd_run("--config", config, *command, env=env)

        assert result.returncode == 1
        assert result.stderr == (
            f"work: listing calendars: cannot reach 127.0.0.1:{port} (connection refused);"
            " check that the server is up and the source's url\n"
        )
        assert "object at 0x" not in result.stderr and result.stderr.count("work") == 1
