"""The hostile corpus (tests/hostile_corpus.py) on real Radicale and Xandikos and on the Google
fake, beside an ordinary interview; ``syncd run --once`` as a user would run it.

Each object is put straight into the service: written into the server's storage as it
is (Radicale's folder, Xandikos's git repository), or inserted into the Google fake
(raw, past its checks, when the fake would refuse it). Where a server cannot store or
serve an object (it drops it, answers 500, or hangs on it), the server keeps a
harmless twin and a proxy (tests/e2e/hostile_server.py) hands syncd the hostile bytes
instead, as a server that stores objects as they come would.

Two ways: every object alone beside the control interview, one pass each (the figures
of docs/reliability.md, "Sixty hostile objects"; on Xandikos in ``make reliability``
only, ``SYNCD_RELIABILITY=full``, for the suite's time budget); and all of them in
one calendar, one pass per service. What the user sees is asserted: exit 0; the control interview's
three follow-ups (thank-you, call-morning, call-afternoon) at their times; each hostile
object processed (its interview's follow-ups, no warning or the one its case names) or
skipped with one warning naming it; nothing foreign touched (every hostile object's
bytes, or its Google resource, as before); nothing written but follow-ups; no
follow-up carrying a control character or an injected line. CPU: ``time.process_time``
of the pass (syncd's own, and the fake's and the proxy's, which run in this process);
memory: the ``tracemalloc`` peak of the same pass again, dry, from a fresh state.
Bounds: 2 s of CPU and 200 MiB per hostile object; all at once, 2 s per object and
200 MiB for the whole pass.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import os
import re
import time
import tracemalloc
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import hostile_corpus as corpus
import icalendar
import pytest
from click.testing import CliRunner
from hostile_corpus import PROCESSED, SKIPPED, Case, Slot
from hostile_server import ReplacingProxy
from servers import CalendarHandle, DavServer, make_calendar, start_radicale, start_xandikos
from servers import write_stored as write_stored_object

from syncd.cli import main
from syncd.model import is_followup_id

LONDON = ZoneInfo("Europe/London")
PASSWORD_ENV = "SYNCD_CORPUS_PASSWORD"
CPU_SECONDS, PEAK_MIB = 2.0, 200  # per hostile object: docs/reliability.md
THREE = ["call-afternoon", "call-morning", "thank-you"]
CONTROL = "control"
WRITES_WAIT = "writes in this pass, the most one pass makes"
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
WARNING_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ WARNING ")  # a record, not its text


def next_tuesday() -> dt.date:
    today = dt.datetime.now(LONDON).date()
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 + 7)


TUESDAY = next_tuesday()
START = dt.datetime.combine(TUESDAY, dt.time(14), tzinfo=LONDON)
CONTROL_START = dt.datetime.combine(TUESDAY, dt.time(10), tzinfo=LONDON)


def slots(cases: list[Case]) -> list[tuple[Case, Slot]]:
    """Each case with its slot: tag ``h<index>``, its interview at Tuesday 14:00."""
    return [(case, Slot(f"h{n:03d}", START)) for n, case in enumerate(cases)]


def names_tag(text: str, tag: str) -> bool:
    """Whether ``text`` names the case tagged ``tag``: ``h007.ics``, ``H007 Ltd``, ``h007event``."""
    return re.search(rf"(?<![a-z0-9]){tag}(?![0-9])", text, re.IGNORECASE) is not None


@dataclasses.dataclass(frozen=True)
class Followup:
    """A follow-up syncd wrote: its kind, the text that tells whose it is, its start."""

    kind: str
    text: str  # title, description and interview marker, for telling whose it is
    start: dt.datetime
    title: str


@dataclasses.dataclass(frozen=True)
class Pass:
    exit_code: int
    output: str
    warnings: list[str]
    cpu: float


class Service(Protocol):
    name: str

    def source_toml(self, tmp_path: Path) -> str: ...
    def put(self, case: Case, slot: Slot) -> None: ...
    def ready(self) -> None: ...
    def snapshot(self) -> dict[str, Any]: ...
    def followups(self) -> list[Followup]: ...
    def written_elsewhere(self) -> list[str]: ...
    def how(self, tag: str) -> str: ...
    def close(self) -> None: ...


# --- CalDAV ------------------------------------------------------------------------------


def _xml_text(data: bytes) -> bytes:
    """``data`` as a server writes it into an XML answer's calendar-data."""
    return data.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


class Dav:
    """A fresh calendar on a real CalDAV server, with the control interview in it."""

    def __init__(self, server: DavServer) -> None:
        self.server, self.name = server, server.name
        self.calendar: CalendarHandle = make_calendar(server)
        self.replace: dict[bytes, bytes] = {}
        self.hostile: dict[str, str] = {}  # object name -> "stored" or "twin"
        self.proxy: ReplacingProxy | None = None
        end = CONTROL_START + dt.timedelta(hours=1)
        self.calendar.put(
            "control.ics",
            corpus.calendar(
                "BEGIN:VEVENT\r\nUID:control\r\nDTSTAMP:20260101T000000Z\r\n"
                f"DTSTART:{corpus.utc(CONTROL_START)}\r\nDTEND:{corpus.utc(end)}\r\n"
                "SUMMARY:Interview with Acme\r\nDESCRIPTION:contact: Ann Smith\r\nEND:VEVENT\r\n"
            )[0],
        )

    def put(self, case: Case, slot: Slot) -> None:
        """The case's objects into the server's storage; where it cannot serve them, a twin
        each, which the proxy turns into the object on its way to syncd."""
        for n, data in enumerate(case.make(slot)):
            name = f"{slot.tag}.ics" if n == 0 else f"{slot.tag}-{n + 1}.ics"
            if self.name in case.twin_on:
                # "&": the twin reads differently in an XML answer and alone (GET)
                twin = corpus.calendar(corpus.vevent(slot, f"X-TWIN:{slot.tag}-{n} &"))[0]
                self.calendar.put(name, twin)
                served = self.calendar.get(name) or b""
                self.replace[_xml_text(served)] = _xml_text(data)
                self.replace[served] = data
                self.hostile[name] = "twin"
            else:
                write_stored_object(self.calendar, name, data)
                self.hostile[name] = "stored"

    def ready(self) -> None:
        if self.replace:
            self.proxy = ReplacingProxy(self.server.url, self.replace)
            # syncd hangs up on an answer past ANSWER_BYTES: that is no error of the proxy's,
            # and its traceback would land in the output the test reads.
            self.proxy.server.handle_error = lambda request, address: None
        listed = set(self.calendar.names())
        stored = {name for name, how in self.hostile.items() if how == "stored"}
        assert stored <= listed, f"{self.name} does not serve {sorted(stored - listed)}"

    def how(self, tag: str) -> str:
        return self.hostile.get(f"{tag}.ics", "")

    def source_toml(self, tmp_path: Path) -> str:
        url = self.proxy.url + "/" if self.proxy else self.server.url
        return (
            f'[[sources]]\nname = "dav"\nkind = "caldav"\nurl = "{url}"\n'
            f'username = "{self.server.username}"\npassword_env = "{PASSWORD_ENV}"\n'
            f'calendars = ["{self.calendar.name}"]\n'
        )

    def _stored_path(self, name: str) -> Path:
        relative = urllib.parse.unquote(self.calendar.path).strip("/")
        if self.name == "radicale":
            return self.server.folder / "collections" / "collection-root" / relative / name
        return self.server.folder / "data" / relative / name

    def snapshot(self) -> dict[str, Any]:
        """Each hostile object as it is kept: the stored bytes, or the twin as served."""
        return {
            name: self._stored_path(name).read_bytes()
            if how == "stored"
            else (self.calendar.get(name), self.calendar.etag(name))
            for name, how in self.hostile.items()
        }

    def followups(self) -> list[Followup]:
        """The follow-ups at syncd's own places (``<id>.ics``)."""
        found = []
        for name in self.calendar.names():
            if not _slot_name(name):
                continue
            data = self.calendar.get(name) or b""
            [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")  # one, no more
            lines = re.sub(rb"\r?\n[ \t]", b"", data).splitlines()
            names = [line.split(b":")[0].split(b";")[0] for line in lines]
            assert names.count(b"X-SYNCD-KIND") == 1 and b"X-INJECTED" not in names, data
            text = " ".join(
                str(event.get(p, "")) for p in ("SUMMARY", "DESCRIPTION", "X-SYNCD-INTERVIEW")
            )
            found.append(
                Followup(
                    str(event["X-SYNCD-KIND"]),
                    text,
                    event.decoded("DTSTART"),
                    str(event.get("SUMMARY", "")),
                )
            )
        return found

    def written_elsewhere(self) -> list[str]:
        """Objects that are neither the control, a hostile object nor a follow-up's."""
        mine = {"control.ics", *self.hostile}
        return [n for n in self.calendar.names() if n not in mine and not _slot_name(n)]

    def close(self) -> None:
        if self.proxy:
            self.proxy.close()


def _slot_name(name: str) -> bool:
    stem = name.removesuffix(".ics")
    return stem != name and is_followup_id(stem)


# --- Google ------------------------------------------------------------------------------


class Google:
    """A fresh calendar in the Google Calendar fake, with the control interview in it."""

    name = "google"

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.calendar = fake.add_calendar(f"Interviews {uuid.uuid4().hex[:6]}")
        fake.change_calendar(fake.store.account, time_zone="Europe/London")
        self.hostile: dict[str, str] = {}  # event id -> "stored" or "raw"
        self.placed: dict[str, str] = {}  # the case's tag -> how
        end = CONTROL_START + dt.timedelta(hours=1)
        self.control = fake.add_event(
            self.calendar,
            {
                "id": "control0event",
                "summary": "Interview with Acme",
                "description": "contact: Ann Smith",
                "start": {"dateTime": CONTROL_START.isoformat(), "timeZone": "Europe/London"},
                "end": {"dateTime": end.isoformat(), "timeZone": "Europe/London"},
            },
        )["id"]

    def put(self, case: Case, slot: Slot) -> None:
        from fakes.google_errors import ApiError

        for item in case.make(slot):
            try:
                if case.twin_on:  # the fake would take it, but not as it is
                    raise ApiError(400, "raw")
                key = self.fake.add_event(self.calendar, item)["id"]
                self.hostile[key] = "stored"
            except ApiError:
                key = self.fake.add_raw_event(self.calendar, item)
                self.hostile[key] = "raw"
            self.placed[slot.tag] = self.hostile[key]

    def ready(self) -> None:
        pass

    def how(self, tag: str) -> str:
        return self.placed.get(tag, "")

    def source_toml(self, tmp_path: Path) -> str:
        secrets = self.fake.client_secrets_json(tmp_path / "client_secret.json")
        token = self.fake.authorized_user_json(tmp_path / "token.json")
        return (
            f'[[sources]]\nname = "gmail"\nkind = "google"\nclient_secrets = "{secrets}"\n'
            f'token_file = "{token}"\ncalendars = ["{self.calendar}"]\n'
            f'api_endpoint = "{self.fake.api_endpoint}"\n'
        )

    def _stored(self) -> dict[str, Any]:
        with self.fake.store.lock:
            return dict(self.fake.store.calendar(self.calendar).events)

    def snapshot(self) -> dict[str, Any]:
        """Each hostile event as the fake keeps it (listed raw, or stored), and its change."""
        with self.fake.store.lock:
            cal = self.fake.store.calendar(self.calendar)
            kept = {**cal.events, **cal.raw}
            return {
                key: (copy.deepcopy(kept[key].resource), kept[key].change) for key in self.hostile
            }

    def followups(self) -> list[Followup]:
        found = []
        for key, stored in self._stored().items():
            resource = stored.resource
            marker = resource.get("extendedProperties", {}).get("private", {})
            if key in self.hostile or key == self.control or "syncd.kind" not in marker:
                continue
            if resource.get("status") == "cancelled":
                continue
            text = " ".join([resource.get("summary", ""), resource.get("description", "")])
            start = dt.datetime.fromisoformat(resource["start"]["dateTime"])
            title = resource.get("summary", "")
            found.append(Followup(marker["syncd.kind"], f"{text} {marker['syncd.interview']}",
                                  start, title))  # fmt: skip
        return found

    def written_elsewhere(self) -> list[str]:
        stored = self._stored()
        return [
            key
            for key, event in stored.items()
            if key not in self.hostile
            and key != self.control
            and "syncd.kind" not in event.resource.get("extendedProperties", {}).get("private", {})
        ]

    def close(self) -> None:
        pass


# --- the user ----------------------------------------------------------------------------


class User:
    """A user's config over one service, and ``syncd run --once`` measured."""

    def __init__(self, service: Service, tmp_path: Path) -> None:
        self.service, self.tmp_path = service, tmp_path

    def config(self, state: str) -> Path:
        path = self.tmp_path / f"{state}.toml"
        path.write_text(
            f'timezone = "Europe/London"\nstate_dir = "{self.tmp_path / state}"\n'
            '[calls]\nholidays = "none"\n' + self.service.source_toml(self.tmp_path)
        )
        return path

    def sync(self) -> Pass:
        config = self.config("state")
        cpu = time.process_time()
        result = CliRunner().invoke(main, ["--config", str(config), "run", "--once"])
        cpu = time.process_time() - cpu
        lines = result.stderr.splitlines()
        return Pass(result.exit_code, result.output + result.stderr,
                    [line for line in lines if WARNING_LINE.match(line)], cpu)  # fmt: skip

    def peak_mib(self) -> float:
        """The peak memory (tracemalloc) of the same pass again, dry, from a fresh state."""
        config = self.config("state-dry")
        logging.disable(logging.WARNING)
        tracemalloc.start()
        try:
            result = CliRunner().invoke(
                main, ["--config", str(config), "run", "--once", "--dry-run"]
            )
            assert result.exit_code == 0, result.output
            return tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
            logging.disable(logging.NOTSET)


@pytest.fixture(scope="module")
def corpus_radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    server = start_radicale(tmp_path_factory.mktemp("corpus-radicale"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def corpus_xandikos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    server = start_xandikos(tmp_path_factory.mktemp("corpus-xandikos"))
    yield server
    server.stop()


def open_service(
    name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Service:
    if name == "google":
        return Google(request.getfixturevalue("google_fake"))
    server: DavServer = request.getfixturevalue(f"corpus_{name}")
    assert server.running, f"{server.name} has stopped; see {server.log_file}"
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    return Dav(server)


def cases_of(name: str) -> list[tuple[Case, Slot]]:
    return slots(corpus.GOOGLE if name == "google" else corpus.DAV)


# --- what the user sees ------------------------------------------------------------------


@dataclasses.dataclass
class Seen:
    """What one pass did about each case: warnings naming it, its follow-ups."""

    warnings: dict[str, list[str]]
    followups: dict[str, list[Followup]]
    control: list[Followup]
    unclaimed_warnings: list[str]
    unclaimed_followups: list[Followup]


def seen_by(service: Service, run: Pass, placed: list[tuple[Case, Slot]]) -> Seen:
    tags = [slot.tag for _case, slot in placed]
    warnings: dict[str, list[str]] = {tag: [] for tag in tags}
    unclaimed = []
    for line in run.warnings:
        named = [tag for tag in tags if names_tag(line, tag)]
        for tag in named:
            warnings[tag].append(line)
        if not named:
            unclaimed.append(line)
    followups: dict[str, list[Followup]] = {tag: [] for tag in tags}
    control, stray = [], []
    for followup in service.followups():
        named = [tag for tag in tags if names_tag(followup.text, tag)]
        if len(named) == 1:
            followups[named[0]].append(followup)
        elif not named and ("Acme" in followup.text or CONTROL in followup.text):
            control.append(followup)
        else:
            stray.append(followup)
    return Seen(warnings, followups, control, unclaimed, stray)


def assert_control(seen: Seen) -> None:
    """The control interview's three follow-ups, at their times."""
    assert sorted(f.kind for f in seen.control) == THREE, seen.control
    thank_you = next(f for f in seen.control if f.kind == "thank-you")
    assert thank_you.start == CONTROL_START + dt.timedelta(hours=2), thank_you


COUNTED = "counted"  # skipped, and counted (not named) in a warning that names a few


def assert_case(case: Case, slot: Slot, seen: Seen, *, alone: bool) -> str:
    """The case as the user sees it; returns what happened: "processed", "skipped", or,
    beside other cases, "counted" (a warning names the first few of a listing's
    unreadable items and counts the rest: syncd.limits.SHOWN_ITEMS)."""
    warnings, followups = seen.warnings[slot.tag], seen.followups[slot.tag]
    where = f"{case.name} ({slot.tag}): warnings {warnings}, follow-ups {followups}"
    if case.expect == SKIPPED:
        assert not followups, where
        if not warnings and not alone:
            return COUNTED
        assert len(warnings) == 1 and case.warning in warnings[0], where
        return SKIPPED
    if case.warning:
        assert len(warnings) == 1 and case.warning in warnings[0], where
    else:
        assert not warnings, where
    if alone or case.followups <= 3:
        assert len(followups) == case.followups, where
    else:  # beside every other case, one pass writes the soonest first
        assert len(followups) <= case.followups, where
    for followup in followups:
        assert not CONTROL_CHARS.search(followup.title), where
    if case.thank_you is not None and case.followups == 3:
        [thank_you] = [f for f in followups if f.kind == "thank-you"]
        assert thank_you.start == slot.start + case.thank_you, where
    return PROCESSED


# --- every object alone ------------------------------------------------------------------

FIGURES: dict[tuple[str, str], str] = {}


def _each(name: str) -> list[Any]:
    return [
        pytest.param(
            name,
            case,
            slot,
            id=f"{name}-{case.name}",
            marks=[pytest.mark.xfail(reason=case.known, strict=True)] if case.known else [],
        )
        for case, slot in cases_of(name)
    ]


# Every object alone on Xandikos too only in ``make reliability`` (the suite's time
# budget); there all of them in one calendar run in ``make test`` as everywhere.
ALONE_ON_XANDIKOS = os.environ.get("SYNCD_RELIABILITY") == "full"


@pytest.mark.parametrize(
    ("backend", "case", "slot"),
    [*_each("radicale"), *(_each("xandikos") if ALONE_ON_XANDIKOS else []), *_each("google")],
)
def test_a_hostile_object_beside_an_interview(
    backend: str,
    case: Case,
    slot: Slot,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    service = open_service(backend, request, monkeypatch)
    try:
        service.put(case, slot)
        service.ready()
        before = service.snapshot()
        user = User(service, tmp_path)
        run = user.sync()
        assert run.exit_code == 0, run.output
        assert "Traceback" not in run.output, run.output
        seen = seen_by(service, run, [(case, slot)])
        assert_control(seen)
        assert not seen.unclaimed_warnings, seen.unclaimed_warnings
        assert not seen.unclaimed_followups, seen.unclaimed_followups
        outcome = assert_case(case, slot, seen, alone=True)
        assert service.snapshot() == before, "a hostile object was changed"
        assert not service.written_elsewhere(), service.written_elsewhere()
        peak = user.peak_mib()
    finally:
        service.close()
    how = service.how(slot.tag)
    figure = f"cpu {run.cpu:.2f} s, peak {peak:.1f} MiB"
    print(f"\nFIGURE {case.name} {backend}: {outcome}, {how}, {figure}")
    assert run.cpu < CPU_SECONDS and peak < PEAK_MIB, (run.cpu, peak)


# --- all of them at once -----------------------------------------------------------------


@pytest.mark.parametrize("backend", ["radicale", "xandikos", "google"])
def test_a_calendar_of_hostile_objects_beside_an_interview(
    backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    service = open_service(backend, request, monkeypatch)
    placed = [(case, slot) for case, slot in cases_of(backend) if not case.known]
    try:
        for case, slot in placed:
            service.put(case, slot)
        service.ready()
        before = service.snapshot()
        user = User(service, tmp_path)
        run = user.sync()
        assert run.exit_code == 0, run.output
        assert "Traceback" not in run.output, run.output
        seen = seen_by(service, run, placed)
        assert_control(seen)
        assert all(WRITES_WAIT in line for line in seen.unclaimed_warnings), seen
        assert not seen.unclaimed_followups, seen.unclaimed_followups
        outcomes = [assert_case(case, slot, seen, alone=False) for case, slot in placed]
        more = sum(int(n) for line in run.warnings for n in re.findall(r"; and (\d+) more", line))
        assert outcomes.count(COUNTED) == more, (outcomes, run.warnings)
        assert service.snapshot() == before, "a hostile object was changed"
        assert not service.written_elsewhere(), service.written_elsewhere()
        peak = user.peak_mib()
    finally:
        service.close()
    count = len(placed)
    skipped = outcomes.count(SKIPPED) + outcomes.count(COUNTED)
    print(
        f"\nFIGURE all {backend}: {count} objects, {outcomes.count(PROCESSED)} processed,"
        f" {skipped} skipped, cpu {run.cpu:.2f} s, peak {peak:.1f} MiB"
    )
    assert count >= 60
    assert run.cpu < CPU_SECONDS * count and peak < PEAK_MIB, (run.cpu, peak)
