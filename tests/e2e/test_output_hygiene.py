"""What syncd prints of anyone's text: no terminal escape, no megabyte line, and a warning
before a password goes in clear.

An invitation's title reaches ``syncd plan`` and ``syncd status`` (the follow-ups are
named after the company it names) and the log; here it holds ESC sequences (clear the
screen, set the window title, colours), a BEL, a bidi override and a line break, or it
is a megabyte long. Each command runs as a user would run it, against the Google fake
and a real Radicale.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_source
from fakes.google_calendar import FakeGoogleCalendar
from servers import DavServer, make_calendar

from providers import get_kind
from syncd import limits
from syncd.config import Config

TIMEOUT = 60
HOSTILE = "Interview with \x1b[2J\x1b]0;owned\x07Ac\x1b[31mme\u202egnp.exe\nFAKE: line"
CONTROLS = ("\x1b", "\x07", "\u202e", "\x9b")


def syncd(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "syncd", "--config", str(config), *args]
    env = {**os.environ, "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=env)


def next_week(hour: int) -> dt.datetime:
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=7)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def google_config(
    fake: FakeGoogleCalendar, tmp_path: Path, title: str, name: str = "Interviews"
) -> Path:
    calendar = fake.add_calendar(name)
    start = next_week(10)
    fake.add_event(
        calendar,
        {
            "summary": title,
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat()},
        },
    )
    secrets = fake.client_secrets_json(tmp_path / "client_secret.json")
    token = fake.authorized_user_json(tmp_path / "token.json")
    config = tmp_path / "config.toml"
    config.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
        f'[[sources]]\nname = "gmail"\nkind = "google"\nclient_secrets = "{secrets}"\n'
        f'token_file = "{token}"\ncalendars = ["{calendar}"]\n'
        f'api_endpoint = "{fake.api_endpoint}"\nme = ["me@example.com"]\n'
    )
    return config


def test_plan_and_status_print_no_terminal_escape_from_a_title(google_fake, tmp_path):
    config = google_config(google_fake, tmp_path, HOSTILE, name="Inter\x1b[8mviews\u202e\x9b")

    plan = syncd(config, "plan")
    ran = syncd(config, "-v", "run", "--once")
    status = syncd(config, "status")

    assert plan.returncode == ran.returncode == status.returncode == 0, ran.stderr[-2000:]
    assert plan.stdout.count("create") == 3  # the interview's three follow-ups
    assert "Thank-you letter: Interview with [2J]0;owned" not in plan.stdout  # dropped, not kept
    assert "Ac[31mme" in status.stdout  # what is left of the escape is inert text
    assert "calendar 'Inter[8mviews': ok" in status.stdout
    for printed in (plan.stdout, plan.stderr, ran.stdout, ran.stderr, status.stdout):
        for control in CONTROLS:
            assert control not in printed
        assert "\nFAKE: line" not in printed  # the title's line break forges no line
    upcoming = status.stdout.split("Upcoming follow-ups:")[1].strip().splitlines()
    assert len(upcoming) == 3


@pytest.mark.parametrize("where", ["google", "radicale"])
def test_a_megabyte_title_makes_short_log_lines(where, request, tmp_path):
    title = "Interview with Acme " + "x" * 1_000_000
    if where == "google":
        config = google_config(request.getfixturevalue("google_fake"), tmp_path, title)
    else:
        config = dav_config(request.getfixturevalue("radicale"), tmp_path, title)

    ran = syncd(config, "-vv", "run", "--once")

    assert ran.returncode == 0, ran.stderr[-2000:]
    lines = ran.stderr.splitlines()
    assert any("title cut to its first 1,000 characters" in line for line in lines)
    assert max(len(line) for line in lines) < limits.LOG_LINE_CHARS + 200
    assert len(ran.stderr) < 200_000, f"{len(ran.stderr):,} characters of log"


def dav_config(server: DavServer, tmp_path: Path, title: str) -> Path:
    calendar = make_calendar(server)
    start = next_week(10)
    summary = "\r\n ".join(title[i : i + 70] for i in range(0, len(title), 70))
    calendar.put(
        "long.ics",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:long-title\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
        f'[[sources]]\nname = "dav"\nkind = "caldav"\nurl = "{server.url}"\n'
        f'username = "{server.username}"\ncalendars = ["{calendar.name}"]\n'
    )
    return config


# --- a password over http:// ------------------------------------------------------------


def dav_source(url: str, **keys: object):  # noqa: ANN201 (a SourceConfig)
    return make_source("work", "caldav", url=url, username="ann", **keys)


def test_a_password_over_http_is_warned_of_once_when_the_source_opens(caplog, monkeypatch):
    monkeypatch.setenv("SYNCD_TEST_PASSWORD", "pw")
    source = dav_source("http://dav.example.com/", password_env="SYNCD_TEST_PASSWORD")
    kind = get_kind("caldav")

    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # three passes of a daemon: opened each time, no request made
            kind.open(source, Config()).close()

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "work: the url is http://, so the password is sent in clear to dav.example.com;"
        " use an https:// URL (or a tunnel to it)"
    ]


@pytest.mark.parametrize(
    ("url", "keys"),
    [
        ("https://dav.example.com/", {"password_env": "SYNCD_TEST_PASSWORD"}),
        ("http://127.0.0.1:5232/", {"password_env": "SYNCD_TEST_PASSWORD"}),
        ("http://[::1]:5232/", {"password_env": "SYNCD_TEST_PASSWORD"}),
        ("http://localhost:5232/", {"password_env": "SYNCD_TEST_PASSWORD"}),
        ("http://dav.example.com/", {}),  # no password to send
    ],
    ids=["https", "127.0.0.1", "::1", "localhost", "no password"],
)
def test_no_warning_where_no_password_leaves_the_machine(caplog, monkeypatch, url, keys):
    monkeypatch.setenv("SYNCD_TEST_PASSWORD", "pw")
    with caplog.at_level(logging.WARNING):
        get_kind("caldav").open(dav_source(url, **keys), Config()).close()

    assert not [r for r in caplog.records if "in clear" in r.getMessage()]


def test_config_check_notes_a_password_over_http(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[[sources]]\nname = "work"\nkind = "caldav"\nurl = "http://dav.example.com/"\n'
        'username = "ann"\npassword_command = ["pass", "dav"]\n'
    )

    checked = syncd(config, "config", "check")

    assert checked.returncode == 0
    assert (
        "note: [sources.1] url: http:// sends the password in clear to dav.example.com;"
        " use https://"
    ) in checked.stderr.splitlines()
