"""No secret in anything syncd prints, even at ``-vv``: every command, success and failure.

Each command runs as a user would run it, in a process of its own at ``-vv`` (syncd and
every library at their most talkative), against a real Radicale with a known password
and the Google fake with known tokens and a known client secret. What it printed on
stdout and stderr, and every file it left in its state folder except the token file
(whose job is to hold the tokens), is searched for each secret, as it is and in the
shapes a debug line would carry it: Basic auth (base64 of ``user:password``) and
URL-encoded.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import pytest
from fakes.google_calendar import FakeGoogleCalendar
from fakes.google_oauth import CLIENT_SECRET
from servers import DavServer, free_port, make_calendar, start_radicale

USER, PASSWORD = "dora", "Kn0wn-Pa55word-7f3c9e"
WRONG_PASSWORD = "Wr0ng-Pa55word-2b8d41"
PASSWORD_ENV = "SYNCD_SECRETS_PASSWORD"
TIMEOUT = 60


@dataclasses.dataclass(frozen=True)
class Ran:
    """One command's exit code and what it printed."""

    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def syncd(config: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
    """``syncd -vv --config CONFIG ARGS`` in a process of its own."""
    command = [sys.executable, "-m", "syncd", "-vv", "--config", str(config), *args]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT, env=env or os.environ.copy()
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def shapes(secret: str, user: str = "") -> set[str]:
    """The secret as a debug line may carry it: as is, URL-encoded, in a Basic header."""
    found = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    if user:
        found.add(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return found


def left_in(folder: Path, *, but: Iterable[Path] = ()) -> str:
    """Every file under ``folder`` (but those named), as text."""
    skipped = {path.resolve() for path in but}
    texts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.resolve() not in skipped:
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def assert_secret_free(text: str, secrets: dict[str, set[str]]) -> None:
    for name, forms in secrets.items():
        for form in forms:
            assert form not in text, f"the {name} ({form[:6]}...) was printed"


def next_week(hour: int) -> dt.datetime:
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=7)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


# --- CalDAV: a known password -----------------------------------------------------------


@pytest.fixture(scope="module")
def radicale_secret(tmp_path_factory: pytest.TempPathFactory) -> Iterable[DavServer]:
    """A Radicale of this module's own whose one login has a known password."""
    server = start_radicale(tmp_path_factory.mktemp("radicale-secret"), users={USER: PASSWORD})
    server = dataclasses.replace(server, username=USER, password=PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def dav_config(radicale_secret: DavServer, tmp_path: Path) -> Path:
    calendar = make_calendar(radicale_secret)
    start = next_week(10)
    calendar.put(
        "interview.ics",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:secret-test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:Interview with Acme\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
        f'[[sources]]\nname = "dav"\nkind = "caldav"\nurl = "{radicale_secret.url}"\n'
        f'username = "{USER}"\npassword_env = "{PASSWORD_ENV}"\n'
        f'calendars = ["{calendar.name}"]\n'
    )
    return config


def env_with(password: str) -> dict[str, str]:
    return {**os.environ, PASSWORD_ENV: password}


DAV_SECRETS = {"password": shapes(PASSWORD, USER), "wrong password": shapes(WRONG_PASSWORD, USER)}


@pytest.mark.parametrize(
    "command",
    [
        ("run", "--once"),
        ("run", "--once", "--dry-run"),
        ("plan",),
        ("plan", "--json"),
        ("status",),
        ("config", "check"),
    ],  # fmt: skip
    ids=lambda c: " ".join(c),
)
def test_a_caldav_password_is_never_printed(dav_config, tmp_path, command):
    first = syncd(dav_config, "run", "--once", env=env_with(PASSWORD))
    ran = syncd(dav_config, *command, env=env_with(PASSWORD))

    assert first.code == 0, first.stderr[-2000:]
    assert ran.code == 0, ran.stderr[-2000:]
    assert "INFO syncd.apply: dav: create" in first.stderr  # it wrote, and said so
    assert_secret_free(first.text + ran.text + left_in(tmp_path / "state"), DAV_SECRETS)


@pytest.mark.parametrize("command", [("run", "--once"), ("plan",)], ids=" ".join)
def test_a_refused_caldav_password_is_never_printed(dav_config, tmp_path, command):
    ran = syncd(dav_config, *command, env=env_with(WRONG_PASSWORD))
    status = syncd(dav_config, "status", env=env_with(WRONG_PASSWORD))

    assert ran.code == 1
    assert "dav: " in ran.stderr and "password" in ran.stderr.lower()
    assert_secret_free(ran.text + status.text + left_in(tmp_path / "state"), DAV_SECRETS)


def test_a_password_command_is_never_printed(dav_config, tmp_path):
    text = dav_config.read_text().replace(
        f'password_env = "{PASSWORD_ENV}"', f'password_command = ["printf", "%s", "{PASSWORD}"]'
    )
    dav_config.write_text(text)

    checked = syncd(dav_config, "config", "check")
    ran = syncd(dav_config, "run", "--once")

    assert checked.code == 0 and ran.code == 0, ran.stderr[-2000:]
    assert_secret_free(checked.text + ran.text + left_in(tmp_path / "state"), DAV_SECRETS)


# --- Google: known tokens and client secret ----------------------------------------------


@pytest.fixture
def fake(google_fake: FakeGoogleCalendar) -> FakeGoogleCalendar:
    return google_fake


@dataclasses.dataclass
class GoogleSource:
    config: Path
    token_file: Path
    refresh_token: str
    state: Path

    def secrets(self) -> dict[str, set[str]]:
        """The client secret, the refresh token, and every access token the file holds."""
        found = {
            "client secret": shapes(CLIENT_SECRET),
            "refresh token": shapes(self.refresh_token),
        }
        if self.token_file.exists():
            saved = json.loads(self.token_file.read_text())
            for name, key in (("saved refresh token", "refresh_token"), ("access token", "token")):
                if saved.get(key):
                    found[name] = shapes(saved[key])
        return found


@pytest.fixture
def google_source(fake: FakeGoogleCalendar, tmp_path: Path) -> GoogleSource:
    calendar = fake.add_calendar("Interviews")
    start = next_week(10)
    fake.add_event(
        calendar,
        {
            "summary": "Interview with Acme",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat()},
        },
    )
    _, refresh = fake.issue_tokens()
    secrets_file = fake.client_secrets_json(tmp_path / "client_secret.json")
    state = tmp_path / "state"
    token = state / "gmail.token.json"
    state.mkdir(mode=0o700)
    fake.authorized_user_json(token, refresh_token=refresh)
    config = tmp_path / "config.toml"
    config.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{state}"\n'
        f'[[sources]]\nname = "gmail"\nkind = "google"\nclient_secrets = "{secrets_file}"\n'
        f'token_file = "{token}"\ncalendars = ["{calendar}"]\n'
        f'api_endpoint = "{fake.api_endpoint}"\nme = ["me@example.com"]\n'
    )
    return GoogleSource(config, token, refresh, state)


def google_env() -> dict[str, str]:
    return {**os.environ, "OAUTHLIB_INSECURE_TRANSPORT": "1"}  # the fake speaks plain http


@pytest.mark.parametrize(
    "command",
    [("run", "--once"), ("plan",), ("status",), ("config", "check")],
    ids=lambda c: " ".join(c),
)
def test_google_tokens_are_never_printed(fake, google_source, command):
    first = syncd(google_source.config, "run", "--once", env=google_env())
    fake.expire_access_tokens()  # the next command refreshes again
    ran = syncd(google_source.config, *command, env=google_env())

    assert first.code == 0, first.stderr[-2000:]
    assert ran.code == 0, ran.stderr[-2000:]
    everything = (
        first.text + ran.text + left_in(google_source.state, but=[google_source.token_file])
    )
    assert_secret_free(everything, google_source.secrets())


def test_a_refused_google_token_is_never_printed(fake, google_source):
    fake.revoke_refresh_token(google_source.refresh_token)

    ran = syncd(google_source.config, "run", "--once", env=google_env())
    status = syncd(google_source.config, "status", env=google_env())

    assert ran.code == 1
    assert f"syncd --config {google_source.config} auth google gmail" in ran.stderr
    everything = (
        ran.text + status.text + left_in(google_source.state, but=[google_source.token_file])
    )
    assert_secret_free(everything, google_source.secrets())


def test_the_authorization_code_and_tokens_are_never_printed(fake, google_source):
    google_source.token_file.unlink()
    port = free_port()
    command = [sys.executable, "-m", "syncd", "-vv", "--config", str(google_source.config)]
    command += ["auth", "google", "gmail", "--no-browser", "--port", str(port)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=google_env()
    ) as process:
        assert process.stdout is not None
        shown = [process.stdout.readline() for _ in range(3)]
        link = next(line.strip() for line in shown if line.strip().startswith("http"))
        code = _consent(link)
        out, err = process.communicate(timeout=TIMEOUT)

    assert process.returncode == 0, err[-2000:]
    secrets = google_source.secrets() | {"authorization code": shapes(code)}
    assert "refresh token" in secrets and "access token" in secrets
    printed = "".join(shown) + out + err
    assert "authorized" in printed
    assert_secret_free(printed, secrets)


def _consent(link: str) -> str:
    """Approve on the fake's consent screen and hand the code to the loopback redirect, as a
    browser would; the code."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    try:
        opener.open(link, timeout=10)
    except urllib.error.HTTPError as answer:
        location = answer.headers["Location"]
    else:
        raise AssertionError("the consent screen did not redirect")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    plain = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with plain.open(location, timeout=10) as page:
        page.read()
    return code
