"""Garbage and hostile Google answers, served by the Google fake to the real client, and
``syncd run --once`` driven as a user would.

The account has two calendars: Interviews, holding the control interview (an
ordinary one, "Interview with Acme"), and Team. A hostile answer comes for one of
them (tests/fakes/google_hostile.py, through ``FakeGoogleCalendar.tamper``) on
every request, also the dry pass that measures memory. What the user sees is
asserted: an unreadable item is skipped with one warning and the rest read (exit
0); an answer that is not what the API promises, too large, or a listing that
never ends fails that calendar alone with one line (exit 1, docs/behaviour.md's
exit codes) and the control interview still gets its three follow-ups; a server
that drips its answer holds its source no longer than the source's
``timeout``, and the next source gets its follow-ups. Never a traceback;
each pass within 2 s of CPU and 200 MiB. docs/reliability.md lists the figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import time
import tracemalloc
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fakes import google_hostile as hostile
from fakes.google_calendar import FakeGoogleCalendar
from fakes.google_faults import Make

from syncd import limits
from syncd.cli import main

LONDON = ZoneInfo("Europe/London")
CPU_SECONDS, PEAK_MIB = 2.0, 200  # the bounds of docs/reliability.md
THREE = ["call-afternoon", "call-morning", "thank-you"]
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
LEVEL = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
AGAIN = "; its interviews are kept as they are, and syncd tries again next pass"
ELSEWHERE = (
    "; if it lasts, something between syncd and Google answers in its place"
    " (a proxy, or a network's login page)"
)


def next_tuesday() -> dt.date:
    today = dt.datetime.now(LONDON).date()
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 + 7)


TUESDAY = next_tuesday()


def at(hour: int, day: dt.date = TUESDAY) -> dict[str, str]:
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)
    return {"dateTime": moment.isoformat(), "timeZone": "Europe/London"}


@dataclasses.dataclass(frozen=True)
class Pass:
    """One ``syncd run --once``: its exit status, what it printed, what it cost."""

    exit_code: int
    out: str
    said: list[str]  # stderr lines that are not log lines: one per failure
    warnings: list[str]
    err: list[str]
    cpu: float
    followups: dict[str, list[str]]  # interview id -> kinds of its follow-ups


class Account:
    """A Google account in the fake, a user's config over it, and syncd run on it."""

    def __init__(self, fake: FakeGoogleCalendar, tmp_path: Path) -> None:
        self.fake, self.tmp_path = fake, tmp_path
        fake.change_calendar(fake.store.account, time_zone="Europe/London")
        self.interviews = fake.add_calendar("Interviews")
        self.team = fake.add_calendar("Team")
        self.control = self.put(self.interviews, "Interview with Acme", 10)
        self.put(self.team, "Team lunch", 12)
        self.sources = [("gmail", [self.interviews, self.team], "")]

    def put(self, calendar: str, title: str, hour: int, **more: Any) -> str:
        body = {"summary": title, "start": at(hour), "end": at(hour + 1), **more}
        return str(self.fake.add_event(calendar, body)["id"])

    def events_of(self, calendar: str) -> str:
        """The path part of the events listing of ``calendar``, for a tamper."""
        return f"/calendars/{urllib.parse.quote(calendar, safe='')}/events"

    def tamper(self, make: Make, calendar: str, times: int | None = None) -> None:
        path = self.events_of(calendar)
        self.fake.tamper(make, times=times, method="GET", path_contains=path)

    def listings(self, calendar: str) -> int:
        return self.fake.requests.count("GET", self.events_of(calendar))

    def config(self, state: str) -> Path:
        text = f'timezone = "Europe/London"\nstate_dir = "{self.tmp_path / state}"\n'
        text += '[calls]\nholidays = "none"\n'
        secrets = self.fake.client_secrets_json(self.tmp_path / "client_secret.json")
        for name, calendars, more in self.sources:
            token = self.fake.authorized_user_json(self.tmp_path / f"{name}.token.json")
            listed = ", ".join(f'"{c}"' for c in calendars)
            text += (
                f'[[sources]]\nname = "{name}"\nkind = "google"\n'
                f'client_secrets = "{secrets}"\ntoken_file = "{token}"\n'
                f'calendars = [{listed}]\napi_endpoint = "{self.fake.api_endpoint}"\n{more}'
            )
        path = self.tmp_path / f"{state}.toml"
        path.write_text(text)
        return path

    def sync(self) -> Pass:
        """One pass from a fresh state; CPU time is this process's (syncd's, and the fake's,
        which runs here too)."""
        config = self.config("state")
        cpu = time.process_time()
        result = CliRunner().invoke(main, ["--config", str(config), "run", "--once"])
        cpu = time.process_time() - cpu
        err = [STAMP.sub("", line) for line in result.stderr.splitlines()]
        return Pass(
            result.exit_code,
            result.stdout,
            [line for line in err if not LEVEL.match(line)],
            [line for line in err if line.startswith(("WARNING ", "ERROR "))],
            err,
            cpu,
            self.followups(),
        )

    def followups(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for calendar in (self.interviews, self.team):
            for event in self.fake.events(calendar):
                marker = event.get("extendedProperties", {}).get("private", {})
                if event.get("status") != "cancelled" and "syncd.kind" in marker:
                    found.setdefault(marker["syncd.interview"], []).append(marker["syncd.kind"])
        return {key: sorted(kinds) for key, kinds in found.items()}

    def peak_mib(self, exit_code: int) -> float:
        """The peak memory (tracemalloc) of the same pass again, dry, from a fresh state."""
        config = self.config("state-dry")
        logging.disable(logging.WARNING)
        tracemalloc.start()
        try:
            result = CliRunner().invoke(
                main, ["--config", str(config), "run", "--once", "--dry-run"]
            )
            assert result.exit_code == exit_code, result.output
            assert "gmail: would create" in result.output, result.output
            return tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
            logging.disable(logging.NOTSET)


@pytest.fixture(autouse=True)
def _plain_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)  # log lines with their level


@pytest.fixture
def account(google_fake: FakeGoogleCalendar, tmp_path: Path) -> Account:
    return Account(google_fake, tmp_path)


def within_bounds(account: Account, seen: Pass, figure: str) -> None:
    """No traceback anywhere; the pass, and the same pass dry, within CPU and memory."""
    assert not [line for line in seen.err if "Traceback" in line], seen.err
    peak = account.peak_mib(seen.exit_code)
    print(f"\nFIGURE {figure}: cpu {seen.cpu:.2f} s, peak {peak:.0f} MiB")
    assert seen.cpu < CPU_SECONDS and peak < PEAK_MIB, (seen.cpu, peak)


def control_followed_up(account: Account, seen: Pass) -> None:
    assert seen.followups.pop(account.control, []) == THREE, seen.followups


def team_failed(seen: Pass, text: str) -> None:
    """Exit 1 and one line, for Team, ending as every failing calendar's does."""
    assert seen.exit_code == 1, (seen.out, seen.err)
    assert len(seen.said) == 1 and seen.said[0].startswith("gmail: Team: "), seen.err
    assert text in seen.said[0] and seen.said[0].endswith(AGAIN), seen.said
    assert seen.warnings == [], seen.warnings


# --- answers that are not the JSON the API promises -------------------------------------

GARBAGE = {
    "cut-short": (hostile.body(hostile.CUT_SHORT), "Google answered with not JSON"),
    "login-page": (
        hostile.body(hostile.LOGIN_PAGE, "text/html; charset=utf-8"),
        "Google answered with a web page, not JSON",
    ),
    "html-as-json": (hostile.body(hostile.LOGIN_PAGE), "Google answered with a web page"),
    "empty-200": (hostile.body(hostile.EMPTY), "Google answered with an empty answer"),
    "not-utf8": (hostile.body(hostile.NOT_UTF8), "Google answered with not JSON"),
    "gzip-that-is-not": (
        hostile.body(hostile.LOGIN_PAGE, Content_Encoding="gzip"),
        "Google answered with an answer said to be compressed that is not",
    ),
    "deep-nesting": (hostile.body(hostile.deep()), "Google answered with JSON nested too deeply"),
    "a-list": (hostile.body(hostile.A_LIST), "Google answered with a JSON list, not a JSON object"),
    "items-not-a-list": (
        hostile.body(hostile.ITEMS_NOT_A_LIST),
        "Google answered with a page whose items are not a list",
    ),
    "token-not-text": (
        hostile.body(hostile.TOKEN_NOT_TEXT),
        "Google answered with a page whose nextPageToken is not text",
    ),
    "error-deep-nesting": (
        hostile.body(hostile.deep(), status=500),
        "Google answered with an error answer that cannot be read",
    ),
    "error-message-not-text": (
        hostile.body(b'{"error": {"code": 403, "message": 5}}', status=403),
        "Google answered with an error answer that cannot be read",
    ),
}


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_a_garbage_answer_fails_its_calendar_alone_in_one_line(
    account: Account, garbage: str
) -> None:
    make, text = GARBAGE[garbage]
    account.tamper(make, account.team)

    seen = account.sync()

    team_failed(seen, f"listing events: {text}")
    if garbage not in ("error-deep-nesting", "error-message-not-text"):
        assert seen.said[0].endswith(ELSEWHERE + AGAIN), seen.said
    control_followed_up(account, seen)
    assert seen.followups == {}
    assert account.listings(account.team) == 1  # not asked again and again in one pass
    within_bounds(account, seen, f"garbage {garbage}")


def test_a_garbage_calendar_list_fails_the_source_in_one_line(account: Account) -> None:
    account.fake.tamper(
        hostile.body(hostile.LOGIN_PAGE, "text/html"), times=None, path_contains="/calendarList"
    )

    seen = account.sync()

    assert seen.exit_code == 1
    assert seen.said == [
        "gmail: listing calendars: Google answered with a web page, not JSON" + ELSEWHERE
    ]
    assert seen.followups == {}
    assert not [line for line in seen.err if "Traceback" in line], seen.err


def test_a_token_answer_that_is_no_token_is_for_now_not_a_revoked_grant(
    account: Account,
) -> None:
    login = hostile.body(hostile.LOGIN_PAGE, "text/html")
    account.fake.tamper(login, times=None, method="POST", path_contains="/token")

    seen = account.sync()

    assert seen.exit_code == 1
    assert seen.said == ["gmail: token refresh: Google answered with no token" + ELSEWHERE]
    assert seen.followups == {}
    status = CliRunner().invoke(main, ["--config", str(account.config("state")), "status"])
    assert "gmail (google): failing: token refresh: Google answered with no token" in status.output
    assert "PAUSED" not in status.output


# --- items that are not events ----------------------------------------------------------

NOID = {"summary": "Interview with Noid", "start": at(14), "end": at(15)}
BADSTART = {"id": "badstart1", "summary": "Interview with Badstart", "start": "soon", "end": at(15)}
ITEMS = {
    "no-id": ([NOID], "an unreadable event: 'Interview with Noid': no id"),
    "not-an-object": ([42], "an unreadable event: a JSON number: not an object"),
    "start-not-an-object": ([BADSTART], "'Interview with Badstart' (badstart1): unreadable start"),
    "id-not-text": ([{**NOID, "id": ["x"]}], "'Interview with Noid': no id"),
    "null": ([None], "a JSON null: not an object"),
}


@pytest.mark.parametrize("case", sorted(ITEMS))
def test_an_unreadable_item_is_skipped_with_one_warning_and_the_page_read(
    account: Account, case: str
) -> None:
    extra, text = ITEMS[case]
    account.tamper(hostile.with_items(*extra), account.interviews)

    seen = account.sync()

    assert seen.exit_code == 0, seen.err
    control_followed_up(account, seen)
    assert seen.followups == {}
    assert len(seen.warnings) == 1, seen.warnings
    assert seen.warnings[0].startswith(
        "WARNING providers.google.reading: gmail: Interviews: skipped"
    )
    assert text in seen.warnings[0], seen.warnings
    within_bounds(account, seen, f"item {case}")


def test_a_page_of_garbage_items_makes_one_warning(account: Account) -> None:
    junk = [{"summary": f"Junk {n}"} for n in range(2_500)]
    account.tamper(hostile.with_items(*junk), account.interviews)

    seen = account.sync()

    assert seen.exit_code == 0, seen.err
    control_followed_up(account, seen)
    assert len(seen.warnings) == 1, seen.warnings
    assert "skipped 2500 unreadable events: 'Junk 0': no id; 'Junk 1': no id;" in seen.warnings[0]
    assert seen.warnings[0].endswith("; and 2497 more")
    within_bounds(account, seen, "items 2500 without id")


def test_fields_of_the_wrong_type_read_as_absent(account: Account) -> None:
    odd = {
        "id": "oddtypes1",
        "etag": '"3181161420000000"',
        "summary": "Interview with Oddtypes",
        "start": at(14),
        "end": at(15),
        "status": 7,
        "attendees": {"email": "a@example.com"},
        "organizer": "boss",
        "reminders": ["popup"],
        "extendedProperties": 12,
        "recurringEventId": {"id": "x"},
        "description": ["company: Nobody"],
        "eventType": None,
    }
    account.tamper(hostile.with_items(odd), account.interviews)

    seen = account.sync()

    assert seen.exit_code == 0, seen.err
    assert seen.warnings == []
    control_followed_up(account, seen)
    assert seen.followups == {"oddtypes1": THREE}


# --- listings that never end ------------------------------------------------------------


def test_a_page_token_sent_again_stops_the_listing_at_once(account: Account) -> None:
    account.tamper(hostile.same_page_token(), account.team)

    seen = account.sync()

    team_failed(seen, "listing events: Google sent a page token it had sent before")
    control_followed_up(account, seen)
    assert account.listings(account.team) == 2
    within_bounds(account, seen, "page token again")


def test_endless_page_tokens_stop_at_the_page_limit(account: Account) -> None:
    account.tamper(hostile.endless_page_tokens(), account.team)

    seen = account.sync()

    team_failed(seen, f"listing events: Google had more after {limits.PAGES_PER_LISTING} pages")
    control_followed_up(account, seen)
    assert account.listings(account.team) == limits.PAGES_PER_LISTING
    within_bounds(account, seen, "endless page tokens")


# --- answers too large ------------------------------------------------------------------

LARGE = f"Google's answer is larger than {limits.ANSWER_BYTES >> 20} MiB"
MANY = f"Google's answer holds more than {limits.ANSWER_CONTAINERS:,} JSON objects and arrays"
TOO_LARGE = {
    "200mb-said": (hostile.huge(200 << 20), LARGE),
    "200mb-chunked": (hostile.huge(200 << 20, said=False), LARGE),
    "gzip-bomb": (hostile.gzip_bomb(), LARGE),
    "million-empty-objects": (hostile.body(hostile.empty_objects()), MANY),
}


@pytest.fixture(scope="module", autouse=True)
def _bomb_made_before_measuring() -> None:
    hostile.gzip_bomb()  # made once, outside the CPU measured


@pytest.mark.parametrize("case", sorted(TOO_LARGE))
def test_an_answer_too_large_is_dropped_and_its_calendar_fails_alone(
    account: Account, case: str
) -> None:
    make, text = TOO_LARGE[case]
    account.tamper(make, account.team)

    seen = account.sync()

    team_failed(seen, f"listing events: {text}, the most syncd reads of one answer, even at 250")
    control_followed_up(account, seen)
    assert account.listings(account.team) == 2  # 2,500 events a page, then 250
    within_bounds(account, seen, f"too large {case}")


def test_an_answer_too_large_once_is_read_again_in_smaller_pages(account: Account) -> None:
    account.tamper(hostile.huge(200 << 20, said=False), account.interviews, times=1)

    seen = account.sync()

    assert seen.exit_code == 0, seen.err
    assert seen.warnings == []
    control_followed_up(account, seen)
    [again] = [line for line in seen.err if "reading it again" in line]
    assert again.startswith("INFO providers.google.listing: gmail: Interviews: listing events:")
    path = account.events_of(account.interviews)
    records = account.fake.requests.records
    asked = [r.query["maxResults"] for r in records if r.method == "GET" and path in r.path]
    assert asked == [["2500"], ["250"]]


# --- a server that drips its answer -----------------------------------------------------


@pytest.fixture
def drip_account(account: Account) -> Account:
    """Two sources on one account: ``slow`` reads Team, whose answers drip, within 2 s;
    ``gmail``, listed after it, reads Interviews."""
    account.sources = [
        ("slow", [account.team], 'timeout = "2s"\n'),
        ("gmail", [account.interviews], ""),
    ]
    return account


def test_a_dripping_answer_holds_its_source_no_longer_than_its_timeout(
    drip_account: Account,
) -> None:
    account = drip_account
    drip = hostile.Drip(every=0.5)
    account.tamper(drip, account.team)

    seen = account.sync()

    assert seen.exit_code == 1, seen.err
    assert seen.said == [
        "slow: listing events: no whole answer within 2 s (the server sends too slowly);"
        " if the network is that slow, raise the source's timeout"
    ]
    assert seen.warnings == []
    assert "gmail: did create 3, update 0, delete 0" in seen.out
    control_followed_up(account, seen)
    # Cut off after 2 s, 4 or 5 bytes of an answer of about 1,400 (12 minutes of
    # dripping): a few more leave room for a busy machine.
    assert account.listings(account.team) == 1 and drip.sent <= 12, drip.sent
    within_bounds(account, seen, "drip")


def test_the_timeout_is_bounded_in_the_config(account: Account) -> None:
    account.sources = [("gmail", [account.interviews], 'timeout = "1h"\n')]

    checked = CliRunner().invoke(
        main, ["--config", str(account.config("state")), "config", "check"]
    )

    assert checked.exit_code == 2
    assert 'timeout: "1h" is too long: at most 10 minutes ("10m")' in checked.output


@pytest.fixture(autouse=True)
def _no_stray_tampers(google_fake: FakeGoogleCalendar) -> Iterator[None]:
    yield
    google_fake.clear_faults()
