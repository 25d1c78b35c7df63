"""Outlook's own ways, end to end against the Graph fake: signing in with a device code,
tokens refreshed and revoked, a create whose answer was lost, throttling, refused sync
states, the Prefer headers, and the one reminder Graph holds."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pytest
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
    assert "work: not authorized yet; run: syncd auth outlook work" in before.output

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
    assert said == ["work: access was revoked or has expired; run: syncd auth outlook work"]


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
