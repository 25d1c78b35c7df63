"""Outlook's own ways, end to end against the Graph fake: signing in with a device code,
tokens refreshed and revoked, a create whose answer was lost, throttling, refused sync
states, the Prefer headers, and the one reminder Graph holds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import stat
import threading
import urllib.parse
import webbrowser
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result
from outlook_backend import OutlookBackend
from test_scenarios import EXPECTED, User

from syncd.cli import main


def cli(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args])


@pytest.fixture
def user(outlook_fake: Any, tmp_path: Path) -> User:
    return User(OutlookBackend(outlook_fake), tmp_path)


def graph(fake: Any, method: str, part: str) -> list[int]:
    return [r.status for r in fake.graph_requests() if r.method == method and part in r.path]


def test_a_create_whose_answer_was_lost_ends_with_one_event(user: User) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.interview()
    # the first POST reaches Graph, its answer is lost: the retry carries the same transactionId
    fake.inject(503, method="POST", path_contains="/events", after=True)

    assert "did create 3, update 0, delete 0" in user.sync()

    assert graph(fake, "POST", "/events") == [503, 201, 201, 201]
    assert user.starts() == EXPECTED  # (fails on a kind written twice)
    assert len(fake.events(user.backend.calendar_id)) == 4  # the interview and three
    assert "did create 0, update 0, delete 0" in user.sync()


def test_throttling_waits_as_long_as_graph_says(user: User) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.interview()
    fake.inject(429, method="GET", path_contains="calendarView", retry_after="1")

    out = user.sync()

    assert "did create 3, update 0, delete 0" in out
    assert graph(fake, "GET", "calendarView") == [429, 200]


def test_a_refused_sync_state_means_one_full_read_and_no_duplicate(user: User) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.interview()
    user.sync()
    fake.expire_delta_tokens()
    fake.clear_requests()

    assert "did create 0, update 0, delete 0" in user.sync()

    reads = [r for r in fake.graph_requests() if r.path.endswith("/calendarView/delta")]
    assert [r.status for r in reads] == [410, 200]
    assert "$deltatoken" in reads[0].query and "startDateTime" in reads[1].query
    assert len(user.followups()) == 3


def test_every_read_asks_for_utc_times_and_text_bodies(user: User) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.interview()
    user.sync()
    user.sync()

    reads = [r for r in fake.graph_requests() if r.method == "GET"]
    assert reads and all('outlook.timezone="UTC"' in r.headers["prefer"] for r in reads)
    assert all('outlook.body-content-type="text"' in r.headers["prefer"] for r in reads)
    writes = [r for r in fake.graph_requests() if r.method in ("PATCH", "DELETE")]
    assert all(r.headers.get("if-match") for r in writes)


def test_an_edit_racing_an_update_leaves_the_users_version(user: User) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.interview()
    user.sync()
    thanks = user.followups()["thank-you"]
    calendar, event = user.backend._event_of(thanks.ref)  # type: ignore[attr-defined]
    fake.before(lambda: fake.modify_event(calendar, event, {"subject": "Mine now"}),
                method="PATCH", path_contains=event[:20])  # fmt: skip
    user.interview(day=thanks.start.date() + dt.timedelta(days=7))

    user.sync()

    assert [s for s in graph(fake, "PATCH", "/me/events/") if s == 412] == [412]
    assert user.followups()["thank-you"].title == "Mine now"


def test_more_reminders_than_graph_holds_use_the_first_and_config_check_says_so(
    user: User,
) -> None:
    config = user.config
    config.write_text(config.read_text() + "[thank_you]\nreminders = [5, 30]\n")
    user.interview()

    assert "did create 3, update 0, delete 0" in user.sync()
    assert user.followups()["thank-you"].reminders == (5,)
    assert "did create 0, update 0, delete 0" in user.sync()  # not taken for an edit
    checked = cli(config, "config", "check")
    assert checked.exit_code == 0
    assert (
        "note: [sources.1] [thank_you] reminders: Outlook holds one reminder per event;"
        " syncd sets the first, 5 minutes (of 5, 30)"
    ) in checked.stderr


# -- syncd auth outlook SOURCE --device-code


def test_device_code_sign_in_refresh_and_revocation(outlook_fake: Any, tmp_path: Path) -> None:
    fake = outlook_fake
    token = tmp_path / "tokens" / "outlook.json"
    config = tmp_path / "config.toml"
    config.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
        f'[[sources]]\nname = "work"\nkind = "outlook"\nclient_id = "{fake.client_id}"\n'
        f'token_file = "{token}"\nauthority = "{fake.authority}"\n'
        f'api_endpoint = "{fake.api_endpoint}"\ncalendars = ["Calendar"]\n'
    )
    before = cli(config, "run", "--once")
    assert before.exit_code == 1
    command = f"syncd --config {config} auth outlook work"  # the config in use, said again
    assert f"work: not authorized yet; run: {command}" in before.output

    signed = cli(config, "auth", "outlook", "work", "--device-code")

    assert signed.exit_code == 0, signed.output
    assert "open https://microsoft.com/devicelogin and enter the code" in signed.output
    assert f"\n  {fake.login.last_user_code}\n" in signed.output
    assert f"work: authorized; the token is saved in {token}" in signed.output
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    cache = json.loads(token.read_text())
    assert cache["RefreshToken"] and cache["AccessToken"]

    assert cli(config, "run", "--once").exit_code == 0
    fake.login.expire_access_tokens()  # Graph answers 401: one refresh, written back
    refresh = list(cache["RefreshToken"].values())[0]["secret"]
    again = cli(config, "run", "--once")
    assert again.exit_code == 0, again.output
    saved = json.loads(token.read_text())
    assert list(saved["RefreshToken"].values())[0]["secret"] != refresh  # rotated, kept
    assert stat.S_IMODE(token.stat().st_mode) == 0o600

    fake.login.revoke()
    revoked = cli(config, "run", "--once")
    assert revoked.exit_code == 1
    said = [line for line in revoked.stderr.splitlines() if "work" in line and "revoked" in line]
    assert said == [f"work: access was revoked or has expired; run: {command}"]


def test_a_declined_device_sign_in_is_one_line(outlook_fake: Any, tmp_path: Path) -> None:
    fake = outlook_fake
    fake.login.device_answer = "deny"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[sources]]\nname = "work"\nkind = "outlook"\nclient_id = "{fake.client_id}"\n'
        f'token_file = "{tmp_path / "t.json"}"\nauthority = "{fake.authority}"\n'
        f'api_endpoint = "{fake.api_endpoint}"\n'
    )

    refused = cli(config, "auth", "outlook", "work", "--device-code")

    assert refused.exit_code != 0
    assert "work: authorization failed: authorization_declined" in refused.output
    assert not (tmp_path / "t.json").exists()


# -- syncd auth outlook SOURCE (the loopback flow)


class Browser:
    """A browser on this machine: it opens Microsoft's page (the fake consents at once) and
    posts the form the page holds to syncd's loopback port, as the page's script would."""

    def __init__(self, ca_file: Path) -> None:
        self.ca_file, self.opened, self.done = ca_file, [], threading.Event()

    def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
        self.opened.append(url)
        threading.Thread(target=self._sign_in, args=(url,), daemon=True).start()
        return True

    def _sign_in(self, url: str) -> None:
        page = requests.get(url, verify=str(self.ca_file), timeout=10).text
        action = html.unescape(re.search(r'action="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        fields = {
            k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)
        }
        requests.post(action, data=fields, timeout=10)
        self.done.set()


def test_the_loopback_sign_in_writes_the_token_file(
    outlook_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = outlook_fake
    browser = Browser(fake.ca_file)
    monkeypatch.setattr(webbrowser, "open", browser.open)
    token = tmp_path / "outlook.json"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[sources]]\nname = "work"\nkind = "outlook"\nclient_id = "{fake.client_id}"\n'
        f'token_file = "{token}"\nauthority = "{fake.authority}"\n'
        f'api_endpoint = "{fake.api_endpoint}"\n'
    )

    signed = cli(config, "auth", "outlook", "work")

    assert signed.exit_code == 0, signed.output
    assert browser.done.is_set()
    [url] = browser.opened
    asked = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert asked["redirect_uri"][0].startswith("http://localhost:")
    assert set(asked["scope"][0].split()) == {
        "Calendars.ReadWrite",
        "offline_access",
        "openid",
        "profile",
    }
    assert asked["code_challenge_method"] == ["S256"]
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert f"work: authorized; the token is saved in {token}" in signed.output


# -- a delta round's window


def test_a_window_moved_on_a_day_begins_a_new_round(outlook_fake: Any, tmp_path: Path) -> None:
    from contract.outlook_setup import OutlookSetUp
    from contract.setups import SCOPE, utc

    setup = OutlookSetUp(outlook_fake, tmp_path)
    setup.user.put("acme", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))
    first = setup.provider.read_changes(setup.calendar, None, SCOPE)
    hours = dataclasses.replace(SCOPE, start=SCOPE.start + dt.timedelta(hours=23),
                                end=SCOPE.end + dt.timedelta(hours=23))  # fmt: skip
    day = dataclasses.replace(SCOPE, start=SCOPE.start + dt.timedelta(days=1),
                              end=SCOPE.end + dt.timedelta(days=1))  # fmt: skip

    same = setup.provider.read_changes(setup.calendar, first.token, hours)
    moved = setup.provider.read_changes(setup.calendar, same.token, day)
    wider = setup.provider.read_changes(setup.calendar, moved.token, dataclasses.replace(
        day, end=day.end + dt.timedelta(days=2)))  # fmt: skip

    assert (first.full, same.full, moved.full, wider.full) == (True, False, True, True)
    assert [e.title for e in moved.events] == ["Interview with Acme"]
    reads = [r.query for r in outlook_fake.graph_requests() if r.path.endswith("/delta")]
    assert ["startDateTime" in q for q in reads] == [True, False, True, True]
    setup.close()


# -- answers that are not Graph's, or too much of it: one line, the calendar alone


def failed(user: User) -> list[str]:
    result = cli(user.config, "run", "--once")
    assert result.exit_code == 1, result.output
    return [line for line in result.stderr.splitlines() if line.startswith("outlook:")]


def test_a_web_page_in_graphs_place_is_one_line(user: User) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.interview()
    page = b"<!DOCTYPE html><html><body>Sign in to the hotel wifi</body></html>"
    fake.tamper(200, page, {"Content-Type": "text/html"}, path_contains="calendarView")

    [line] = failed(user)

    calendar = user.backend.calendar_name
    assert line.startswith(
        f"outlook: {calendar}: reading changes: Microsoft answered with a web page; if it"
        " lasts, something between syncd and Microsoft answers in its place (a proxy, or a"
        " network's login page); its interviews are kept as they are"
    )
    assert user.followups() == {}


@pytest.mark.parametrize("link", ["same", "elsewhere"])
def test_a_listing_that_would_never_end_or_leads_elsewhere_stops(user: User, link: str) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.interview()
    here = f"{fake.api_endpoint}/me/calendars/x/calendarView/delta?$skiptoken=again"
    there = "https://graph.example.net/v1.0/me/events?$skiptoken=1"
    page = {"value": [], "@odata.nextLink": here if link == "same" else there}
    fake.tamper(200, json.dumps(page).encode(), path_contains="calendarView", times=3)

    [line] = failed(user)

    said = {
        "same": "Microsoft sent a page link it had sent before, so the listing would never end",
        "elsewhere": "Microsoft sent a next page link that is not Graph's",
    }
    assert said[link] in line


def test_an_answer_said_to_be_too_large_is_not_read(user: User) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.interview()
    headers = {"Content-Type": "application/json", "Content-Length": str(17 * 2**20)}
    fake.tamper(200, b"{}", headers, path_contains="calendarView")

    [line] = failed(user)

    assert "Microsoft's answer is larger than 16 MiB, the most syncd reads of one answer" in line


def test_a_request_past_the_sources_timeout_is_cut(user: User) -> None:
    fake = user.backend.fake  # type: ignore[attr-defined]
    user.config.write_text(user.config.read_text().replace("\n[[sources]]", "\n[[sources]]")
                           + 'timeout = "1s"\n')  # fmt: skip
    user.interview()
    fake.tamper(200, b'{"value": []}', path_contains="calendarView", delay=3)

    [line] = failed(user)

    assert "no whole answer within 1 s (the server sends too slowly)" in line
