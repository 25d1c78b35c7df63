"""``syncd auth google`` end to end, offline: the fake plays Google's consent screen.

``authorize_google`` runs in a thread as the command would; the test reads the
link it prints and follows it like a browser: the fake's consent endpoint
redirects to the loopback port with a code, the flow exchanges it, and the
token file appears. Then the provider uses that file: it refreshes, and a
revoked grant ends in one line naming the command.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from factories import make_source, replace_keys
from fakes.google_calendar import FakeGoogleCalendar
from servers import free_port

from providers import CalendarInfo, ReadScope
from providers.google.auth import authorize_google
from providers.google.provider import GcalProvider
from providers.google.scopes import CREATE_CALENDARS, SCOPES
from syncd.config import Config, SourceConfig
from syncd.errors import AuthError

CONFIG = Config()
OWNER = "me@example.com"
PRIMARY = CalendarInfo(OWNER, OWNER, ("primary",))
START = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2028, 1, 1, tzinfo=dt.UTC)
SCOPE = ReadScope.of(START, END, ["interview"])
URL = re.compile(r"^\s*(https?://\S+)$", re.MULTILINE)


class Authorization:
    """``authorize_google`` running in a thread, with what it printed."""

    def __init__(self, source: SourceConfig, port: int) -> None:
        self.printed: list[str] = []
        self.url_shown = threading.Event()
        self.result: Path | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(source, port), daemon=True)
        self._thread.start()

    def _run(self, source: SourceConfig, port: int) -> None:
        try:
            self.result = authorize_google(
                source, open_browser=False, port=port, echo=self._echo, timeout=20
            )
        except BaseException as error:  # handed to the test
            self.error = error
        finally:
            self.url_shown.set()

    def _echo(self, text: str) -> None:
        self.printed.append(text)
        if URL.search(text):
            self.url_shown.set()

    @property
    def text(self) -> str:
        return "\n".join(self.printed)

    def follow_link(self) -> str:
        """Open the printed link as a browser would (redirects followed); the final page."""
        assert self.url_shown.wait(10), "no link was printed"
        found = URL.search(self.text)
        assert found, f"no link in: {self.text!r}"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(found.group(1), timeout=10) as answer:
            return str(answer.read().decode("utf-8"))

    def finish(self) -> Path:
        self._thread.join(20)
        assert not self._thread.is_alive(), "the flow did not finish"
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


@pytest.fixture
def fake(google_fake: FakeGoogleCalendar, monkeypatch: pytest.MonkeyPatch) -> FakeGoogleCalendar:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain http
    return google_fake


@pytest.fixture
def source(fake: FakeGoogleCalendar, tmp_path: Path) -> SourceConfig:
    return make_source(
        "gmail",
        "google",
        client_secrets=fake.client_secrets_json(tmp_path / "client_secret.json"),
        token_file=tmp_path / "state" / "syncd" / "gmail.token.json",
        api_endpoint=fake.api_endpoint,
    )


def authorized(source: SourceConfig, port: int = 0) -> tuple[Path, Authorization]:
    flow = Authorization(source, port or free_port())
    page = flow.follow_link()
    assert "syncd is authorized" in page
    return flow.finish(), flow


def read_once(source: SourceConfig) -> Any:
    provider = GcalProvider(source, CONFIG)
    try:
        return provider.read_changes(PRIMARY, None, SCOPE)
    finally:
        provider.close()


def test_authorization_writes_a_private_token_file_that_works(fake, source):
    port = free_port()
    fake.add_event(OWNER, {"summary": "Interview", **_hour()})

    path, flow = authorized(source, port)

    assert path == source.settings.token_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    token = json.loads(path.read_text())
    assert token["refresh_token"] and token["token_uri"] == fake.token_uri
    assert sorted(token["scopes"]) == sorted(SCOPES)
    assert f"ssh -L {port}:localhost:{port} " in flow.text
    assert [e.title for e in read_once(source).events] == ["Interview"]


def asked_scopes(flow: Authorization) -> list[str]:
    link = URL.search(flow.text)
    assert link is not None
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link.group(1)).query)["scope"][0].split()


def test_calendar_creation_is_asked_for_only_with_a_target_calendar(fake, source):
    _, plain = authorized(source)
    target = replace_keys(source, target_calendar="Follow-ups")
    path, with_target = authorized(target)

    assert sorted(asked_scopes(plain)) == sorted(SCOPES)
    assert sorted(asked_scopes(with_target)) == sorted((*SCOPES, CREATE_CALENDARS))
    assert sorted(json.loads(path.read_text())["scopes"]) == sorted((*SCOPES, CREATE_CALENDARS))


def test_an_unticked_calendar_creation_is_refused_when_a_target_is_set(fake, source):
    fake.untick_scopes(CREATE_CALENDARS)
    target = replace_keys(source, target_calendar="Follow-ups")
    flow = Authorization(target, free_port())
    flow.follow_link()

    with pytest.raises(AuthError) as caught:
        flow.finish()

    assert str(caught.value) == (
        "Google granted less than syncd needs (missing: calendar.app.created);"
        " run the command again and allow every permission asked"
    )
    assert not source.settings.token_file.exists()


def test_a_grant_without_a_scope_asked_names_it_and_writes_no_token(fake, source):
    fake.untick_scopes(SCOPES[0])
    flow = Authorization(source, free_port())
    flow.follow_link()

    with pytest.raises(AuthError) as caught:
        flow.finish()

    assert "(missing: calendar.events)" in str(caught.value)
    assert not source.settings.token_file.exists()


def test_port_zero_prints_the_port_really_used(fake, source):
    flow = Authorization(source, 0)
    flow.follow_link()
    flow.finish()

    link = URL.search(flow.text)
    assert link is not None
    redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(link.group(1)).query)["redirect_uri"][0]
    port = urllib.parse.urlsplit(redirect).port
    assert port and port != 0
    assert f"ssh -L {port}:localhost:{port} " in flow.text


def test_denied_consent_is_one_line_auth_error(fake, source):
    fake.deny_consent()
    flow = Authorization(source, free_port())
    flow.follow_link()

    with pytest.raises(AuthError) as caught:
        flow.finish()

    assert "\n" not in str(caught.value) and "access_denied" in str(caught.value)
    assert not source.settings.token_file.exists()


def test_missing_client_secrets_is_an_auth_error(source, tmp_path):
    missing = replace_keys(source, client_secrets=tmp_path / "nope.json")

    with pytest.raises(AuthError) as caught:
        authorize_google(missing, open_browser=False, port=0, echo=_ignore)

    assert "nope.json does not exist" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_expired_access_token_is_refreshed_and_saved(fake, source):
    path, _ = authorized(source)
    before = json.loads(path.read_text())
    read_once(source)  # the access token from the flow is still good: no refresh
    refreshes = fake.requests.count("POST", "/token")
    fake.expire_access_tokens()

    read_once(source)

    assert fake.requests.count("POST", "/token") == refreshes + 1
    after = json.loads(path.read_text())
    assert after["token"] != before["token"]
    assert after["refresh_token"] == before["refresh_token"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_revoked_grant_is_one_line_naming_the_auth_command(fake, source):
    path, _ = authorized(source)
    fake.revoke_refresh_token(json.loads(path.read_text())["refresh_token"])

    with pytest.raises(AuthError) as caught:
        read_once(source)

    message = str(caught.value)
    assert "\n" not in message
    assert "syncd auth google gmail" in message
    token = json.loads(path.read_text())
    assert token["refresh_token"] not in message and token["token"] not in message


def test_the_auth_command_runs_the_flow_headless(fake, source, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        "timezone = 'Europe/London'\n"
        "[[sources]]\n"
        "name = 'gmail'\n"
        "kind = 'google'\n"
        f"client_secrets = '{source.settings.client_secrets}'\n"
        f"token_file = '{source.settings.token_file}'\n"
        f"api_endpoint = '{fake.api_endpoint}'\n"
    )
    port = free_port()
    command = [sys.executable, "-m", "syncd", "--config", str(config), "auth", "google", "gmail"]
    command += ["--no-browser", "--port", str(port)]
    env = {**os.environ, "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        shown = [process.stdout.readline() for _ in range(3)]
        link = URL.search("".join(shown))
        assert link, shown
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        opener.open(link.group(1), timeout=10).close()
        process.wait(timeout=20)
        rest = process.stdout.read()  # also what readline() had buffered

    printed = "".join(shown) + rest
    assert process.returncode == 0
    assert f"ssh -L {port}:localhost:{port} " in printed
    assert f"gmail: authorized; the token is saved in {source.settings.token_file}" in printed
    assert json.loads(source.settings.token_file.read_text())["refresh_token"]


def test_the_auth_command_refuses_a_source_that_is_not_google(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        "[[sources]]\nname = 'work'\nkind = 'caldav'\nurl = 'https://dav.example.com/'\n"
    )
    command = [sys.executable, "-m", "syncd", "--config", str(config), "auth", "google", "work"]

    done = subprocess.run(command, capture_output=True, text=True, timeout=20)

    assert done.returncode == 2
    assert "no Google source named 'work'" in done.stderr


def _ignore(_text: str) -> None:
    return None


def _hour() -> dict[str, dict[str, str]]:
    return {
        "start": {"dateTime": "2027-06-10T10:00:00Z"},
        "end": {"dateTime": "2027-06-10T11:00:00Z"},
    }
