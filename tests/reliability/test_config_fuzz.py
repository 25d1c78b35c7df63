"""Hypothesis-made config files, valid and not, through ``config check`` and ``run --once``.

Every key of the schema (and keys, sections and kinds it does not have), each
with good values and junk (other types, out of bounds, empty, control
characters, dates out of range), one CalDAV source on a real Radicale; some
files then cut, doubled or given a stray character (TOML that does not parse).
What a user sees: exit 0, or exit 2 with one line on stderr; never a traceback,
never anything else. Both commands agree: a file ``config check`` accepts makes
a pass (exit 0), one it refuses is refused by ``run --once`` with the same line.

The commands run in this process (click's runner: an exception would surface),
and a few of the files through the console script too.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from servers import CalendarHandle, DavServer, make_calendar

from syncd.cli import main

PASSWORD_ENV = "SYNCD_FUZZ_PASSWORD"
EXAMPLES = 200

junk = st.one_of(
    st.integers(-(10**15), 10**15),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dates(),
    st.just({}),
)


def durations(*good: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from([*good, "0s", "-5m", "400d", "999999999d", "", "5 m", "PT5M"]),
        st.builds(lambda n, unit: f"{n}{unit}", st.integers(-3, 10**9), st.sampled_from("smhdw ")),
        junk,
    )


def clock_times(*good: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from([*good, "9:00", "24:00", "noon", ""]),
        st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 30), st.integers(0, 75)),
        junk,
    )


def words(*good: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(st.sampled_from(good), max_size=3), st.lists(st.text(max_size=9)), junk
    )


# Each key: (good values, anything). A file is made of good values only, or of anything.
TOP = {
    "timezone": (
        ["Europe/London", "UTC", "Asia/Tokyo"],
        st.one_of(st.sampled_from(["Mars/Olympus", "", "../etc", "Europe/London\n"]), junk),
    ),
    "interval": (["1s", "30s", "5m", "1h"], durations()),
}
DETECT = {
    "keywords": ([["interview"], ["interview", "assessment day"]], words("interview")),
    "exclude": ([["mock interview"], []], words("prep")),
    "categories": ([[], ["Interview"]], words("Interview")),
    "patterns": ([[], [r"round \d"]], st.lists(st.sampled_from(["(open", "*", "(a+)+$"]))),
    "agency_domains": ([[], ["hays.com"]], st.lists(st.sampled_from(["not a domain", ""]))),
    "heard_back_marker": (["#heard-back", "#done"], st.one_of(st.sampled_from(["", "#x\x00"]))),
    "lookback": (["7d", "30d", "366d"], durations()),
    "lookahead": (["180d", "731d", "1d"], durations()),
}
REMINDERS = st.lists(st.one_of(st.integers(-5, 50_000), st.booleans()), max_size=7)
THANK_YOU = {
    "delay": (["60m", "0s", "7d"], durations()),
    "remote_delay": (["15m"], durations()),
    "duration": (["30m", "1d"], durations()),
    "latest": (["21:00", "23:59"], clock_times()),
    "next_day_at": (["09:00"], clock_times()),
    "all_day_at": (["18:00"], clock_times()),
    "reminders": ([[0], [0, 30], []], REMINDERS),
}
CALLS = {
    "morning": (["10:00", "09:30"], clock_times()),
    "afternoon": (["15:00"], clock_times()),
    "duration": (["15m"], durations()),
    "reminders": ([[10], [10, 60]], REMINDERS),
    "holidays": (["", "GB", "none", "FR"], st.sampled_from(["XX", "gb", "United Kingdom"])),
    "skip_dates": (
        [[], [dt.date(2026, 12, 24)]],
        st.lists(st.one_of(st.dates(), st.sampled_from(["2026-12-25", "2026-13-01"])), max_size=3),
    ),
}
MUTATIONS = st.sampled_from(["none", "none", "none", "cut", "stray", "doubled"])


def section(draw: st.DrawFn, keys: dict[str, tuple[list[Any], Any]], good: bool) -> dict[str, Any]:
    """Some of ``keys``, each with a good value, or (unless ``good``) with anything."""
    chosen = draw(st.lists(st.sampled_from(sorted(keys)), unique=True))
    out = {}
    for key in chosen:
        fine, other = keys[key]
        choices = [st.sampled_from(fine)] if fine else []
        out[key] = draw(st.one_of(*choices) if good else st.one_of(*choices, other, junk))
    return out


def toml_value(value: Any) -> str:
    """``value`` as TOML (strings as JSON writes them: TOML reads those escapes, and
    refuses the surrogates JSON writes for characters past U+FFFF)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(text, text)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value)


def table(values: dict[str, Any]) -> str:
    return "".join(f"{key} = {toml_value(value)}\n" for key, value in values.items())


@st.composite
def config_files(draw: st.DrawFn, url: str, user: str, calendar: str) -> str:
    """A config file's text: one CalDAV source on ``url`` watching ``calendar``; good
    values only (mostly valid), or anything (mostly not)."""
    good = draw(st.booleans())
    parts = [table(section(draw, TOP, good))]
    # Always set (never the user's own), now and then to something that is no folder.
    state_dir = "STATE" if good else draw(st.sampled_from(["STATE"] * 5 + ["relative/state", 5]))
    parts.append(f"state_dir = {toml_value(state_dir)}\n")
    if not good and draw(st.integers(0, 9)) == 0:
        parts.append(f"colour = {toml_value(draw(junk))}\n")
    for name, keys in (("detect", DETECT), ("thank_you", THANK_YOU), ("calls", CALLS)):
        if not good and draw(st.integers(0, 19)) == 0:
            parts.append(f"{name} = {toml_value(draw(junk))}\n")
        elif values := section(draw, keys, good):
            parts.append(f"[{name}]\n{table(values)}")
    source_keys = {
        "name": (["dav"], junk),
        "kind": (["caldav"], st.sampled_from(["google", "exchange", ""])),
        "url": ([url], st.sampled_from(["ftp://127.0.0.1/", "not a url", ""])),
        "username": ([user], junk),
        "password_env": ([PASSWORD_ENV], st.sampled_from(["1BAD", ""])),
        "calendars": ([[calendar]], junk),
    }
    source = {
        key: draw(st.sampled_from(good_values)) for key, (good_values, _) in source_keys.items()
    }
    if not good:
        source |= section(draw, source_keys, good=False)
    more = {
        "timeout": (["2s", "60s", "10m"], durations()),
        "me": ([["me@example.com"], []], st.lists(st.sampled_from(["not an address", ""]))),
        "password_command": ([[]], st.just(["pass", "show"])),
        "client_secrets": ([], st.just("/nowhere/client_secret.json")),
        "colour": ([], junk),
    }
    source |= section(draw, {k: v for k, v in more.items() if v[0] or not good}, good)
    sources = "[[sources]]\n" + table(source)
    if not good and draw(st.integers(0, 19)) == 0:
        sources = sources.replace("[[sources]]", "[sources]")
    parts.append(sources)
    text = "".join(parts)
    mutation = "none" if good else draw(MUTATIONS)
    if mutation == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif mutation == "stray":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['"', "[", "=", "\x00", "\\", "]]"])) + text[at:]
    elif mutation == "doubled":
        lines = text.splitlines(keepends=True)
        at = draw(st.integers(0, max(0, len(lines) - 1)))
        text = "".join(lines[: at + 1] + lines[at:])
    return text


@pytest.fixture(scope="module")
def calendar(radicale: DavServer) -> CalendarHandle:
    return make_calendar(radicale)


def invoke(config: Path, *args: str) -> tuple[int, str, str]:
    """One command in this process: exit code, stdout, stderr; an exception is a failure."""
    result = CliRunner().invoke(main, ["--config", str(config), *args], env={PASSWORD_ENV: "pw"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def check_user_sees(code: int, out: str, err: str, text: str) -> None:
    assert "Traceback" not in out + err, f"{text}\n---\n{err}"
    assert code in (0, 2), f"exit {code}:\n{text}\n---\n{err}"
    if code == 2:
        assert len(err.splitlines()) == 1 and err.strip(), f"{text}\n---\n{err}"


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_config_file_gives_exit_0_or_2_with_one_line(
    data: st.DataObject, radicale: DavServer, calendar: CalendarHandle
) -> None:
    with tempfile.TemporaryDirectory(prefix="syncd-fuzz-") as folder:
        text = data.draw(config_files(radicale.url, radicale.username, calendar.name))
        text = text.replace("STATE", str(Path(folder) / "state"))
        config = Path(folder) / "config.toml"
        config.write_text(text, encoding="utf-8", errors="surrogatepass")
        checked = invoke(config, "config", "check")
        check_user_sees(*checked, text)
        ran = invoke(config, "run", "--once")
        check_user_sees(*ran, text)
        assert ran[0] == checked[0], f"{text}\n---\ncheck: {checked[2]}\nrun: {ran[2]}"
        if ran[0] == 2:
            assert ran[2] == checked[2]
        event(f"exit {ran[0]}")


@pytest.fixture
def examples(radicale: DavServer, calendar: CalendarHandle) -> Iterator[list[str]]:
    """A few files, as the strategy makes them (not shrunk: a sample)."""
    strategy = config_files(radicale.url, radicale.username, calendar.name)
    found: list[str] = []

    @settings(max_examples=8, database=None, deadline=None)
    @given(text=strategy)
    def collect(text: str) -> None:
        found.append(text)

    collect()
    yield found


@pytest.mark.slow
def test_the_console_script_says_the_same(tmp_path: Path, examples: list[str]) -> None:
    for number, text in enumerate(examples):
        folder = tmp_path / str(number)
        folder.mkdir()
        config = folder / "config.toml"
        config.write_text(text.replace("STATE", str(folder / "state")), errors="surrogatepass")
        for args in (["config", "check"], ["run", "--once"]):
            done = subprocess.run(
                [sys.executable, "-m", "syncd", "--config", str(config), *args],
                capture_output=True,
                text=True,
                timeout=60,
                env={"PATH": "/usr/bin:/bin", PASSWORD_ENV: "pw", "HOME": str(folder)},
            )
            check_user_sees(done.returncode, done.stdout, done.stderr, text)
