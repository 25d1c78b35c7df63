"""Ownership by place, on real Radicale and Xandikos and on the Google fake.

A follow-up is syncd's only at the place its identity gives (CalDAV: the href
``<id>.ics``; Google: the event id ``<id>``). An object anywhere else is the
user's, even when it carries syncd's ``X-SYNCD-*`` markers (Google: its private
extended properties) with a fingerprint that matches its content, and syncd's
UID: a copy another app made, an import, or a hostile invitation. syncd never
adopts, rewrites or deletes it, and writes the real follow-ups at their places.

On CalDAV a foreign object holding syncd's UID at another href makes the server
refuse the real one (``no-uid-conflict``): one warning naming the source, the
calendar and that object, the write held back (not tried again every pass), and
the follow-up written once the user removed the object.

The foreign copies are made from what syncd would write (``syncd plan``'s own
sweep, dry), so their markers and fingerprints are exactly those of syncd.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import BACKENDS, LONDON, Backend, DavBackend, GoogleBackend, Seen, open_account
from click.testing import CliRunner

from providers import config_sections
from providers.caldav.render import render_followup
from providers.google.events import full_body
from syncd.cli import main
from syncd.config import load_config
from syncd.model import FollowUp
from syncd.runner import sweep
from syncd.state import StateStore

TUESDAY = dt.datetime.now(LONDON).date() + dt.timedelta(
    days=(1 - dt.datetime.now(LONDON).weekday()) % 7 + 7
)
THREE = {"thank-you", "call-morning", "call-afternoon"}
WRITES = ("PUT", "DELETE", "POST", "PATCH")


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


@dataclasses.dataclass
class Run:
    exit_code: int
    output: str
    warnings: list[str]


class User:
    """A calendar on one backend, a config naming it, and ``syncd run --once``."""

    def __init__(self, backend: Backend, tmp_path: Path) -> None:
        self.backend, self.tmp_path = backend, tmp_path
        self.planned_ids: dict[str, str] = {}  # kind -> id, once ``planned`` said
        self.config = tmp_path / "config.toml"
        self.config.write_text(
            f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
            '[calls]\nholidays = "none"\n' + backend.source_toml(tmp_path)
        )

    def interview(self, day: dt.date = TUESDAY) -> None:
        self.backend.put("acme-1", "Interview with Acme", at(day, 10), at(day, 11),
                         description="contact: Ann Smith")  # fmt: skip

    def planned(self) -> dict[str, FollowUp]:
        """What syncd would write now, by kind (a dry sweep from a state of its own)."""
        config = load_config(self.config, config_sections())
        store = StateStore(self.tmp_path / "plan-state")
        try:
            [outcome] = sweep(config, store, dry_run=True)
        finally:
            store.close()
        assert outcome.report is not None, outcome.line
        found = {str(a.followup.kind): a.followup for a in outcome.report.actions if a.followup}
        self.planned_ids = {kind: f.id for kind, f in found.items()}
        return found

    def sync(self) -> Run:
        result = CliRunner().invoke(main, ["--config", str(self.config), "run", "--once"])
        warnings = [line for line in result.stderr.splitlines() if " WARNING " in line]
        return Run(result.exit_code, result.output, warnings)

    def writes(self) -> int:
        """Writes syncd sent to the service since the last call."""
        counts = self.backend.requests()
        self.backend.reset_requests()
        return sum(n for key, n in counts.items() if key.split()[0] in WRITES)

    def ours(self) -> dict[str, Seen]:
        """The follow-ups at the places syncd writes them, by kind."""
        found = {}
        for kind, items in self.backend.followups().items():
            for seen in items:
                if seen.ref.removesuffix(".ics") == self.planned_ids.get(kind):
                    found[kind] = seen
        return found


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    # an account of its own: the shared one's calendars may be in another zone (a warning)
    service = open_account(request.param, request, monkeypatch)
    yield service
    service.close()


@pytest.fixture(params=("radicale", "xandikos"))
def dav(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[DavBackend]:
    service = open_account(request.param, request, monkeypatch)  # an account of its own
    assert isinstance(service, DavBackend)
    yield service
    service.close()


def put_copy(backend: Backend, followup: FollowUp, name: str, *, uid: str = "") -> str:
    """A foreign copy of ``followup`` (markers, fingerprint and all) at a place of the
    user's, ``name``; on CalDAV with the UID ``uid`` (default: syncd's own). Its ref."""
    if backend.name == "outlook":  # another app's copy: syncd's properties, Graph's id
        from providers.outlook.events import owned_body

        return str(backend.fake.add_event(backend.calendar_id, owned_body(followup)))  # type: ignore[attr-defined]
    if isinstance(backend, GoogleBackend):  # ``name`` must be base32hex; "": the fake's choice
        body: dict[str, Any] = {**full_body(followup, LONDON), "id": name or None}
        body = {k: v for k, v in body.items() if v is not None}
        return str(backend.fake.add_event(backend.calendar_id, body)["id"])
    assert isinstance(backend, DavBackend)
    data = render_followup(followup, LONDON)
    if uid:
        data = data.replace(f"UID:{followup.id}@syncd".encode(), f"UID:{uid}".encode())
    backend.calendar.put(f"{name}.ics", data)
    return f"{name}.ics"


def copies(backend: Backend, refs: list[str]) -> dict[str, Any]:
    """What the service holds at each of ``refs`` now (bytes and etag, or the event)."""
    if isinstance(backend, GoogleBackend):
        return {ref: backend.fake.event(backend.calendar_id, ref) for ref in refs}
    if backend.name == "outlook":
        stored = {e["id"]: e for e in backend.fake.events(backend.calendar_id)}  # type: ignore[attr-defined]
        return {ref: stored.get(ref) for ref in refs}
    assert isinstance(backend, DavBackend)
    return {ref: (backend.calendar.etag(ref), backend.calendar.get(ref)) for ref in refs}


def test_foreign_copies_with_markers_are_never_adopted_rewritten_or_deleted(
    backend: Backend, tmp_path: Path
) -> None:
    user = User(backend, tmp_path)
    user.interview()
    planned = user.planned()
    # A copy of each call at a place syncd did not choose (CalDAV: with another UID): one
    # of syncd's form (32 hex) that its markers do not give; one of the service's choice.
    google = isinstance(backend, GoogleBackend)
    refs = [
        put_copy(backend, planned["call-morning"], uuid.uuid4().hex, uid="copy-1@example.com"),
        put_copy(backend, planned["call-afternoon"], "" if google else "copy-of-the-call",
                 uid="copy-2@example.com"),
    ]  # fmt: skip
    if google:  # Google has no UIDs to collide: a copy of the thank-you too
        refs.append(put_copy(backend, planned["thank-you"], "0" + uuid.uuid4().hex[:20]))
    before = copies(backend, refs)
    user.writes()

    first = user.sync()
    assert first.exit_code == 0, first.output
    assert first.warnings == []
    assert set(user.ours()) == THREE, "the real follow-ups, at their own places"
    assert user.writes() == 3, "three creates, nothing written to the copies"
    assert copies(backend, refs) == before

    user.interview(day=TUESDAY + dt.timedelta(days=1))  # the interview moves a day
    moved = user.sync()
    assert moved.exit_code == 0 and moved.warnings == [], moved.output
    assert {k: s.start for k, s in user.ours().items()}["thank-you"] == at(TUESDAY, 12) + (
        dt.timedelta(days=1)
    )
    assert copies(backend, refs) == before

    backend.change("acme-1", status="cancelled")
    cancelled = user.sync()
    assert cancelled.exit_code == 0 and cancelled.warnings == [], cancelled.output
    assert user.ours() == {}, "the real follow-ups are deleted with the interview"
    assert copies(backend, refs) == before, "the copies are the user's: left as they are"


def test_a_foreign_object_holding_the_uid_warns_once_and_the_thank_you_comes_once_it_is_gone(
    dav: DavBackend, tmp_path: Path
) -> None:
    user = User(dav, tmp_path)
    user.interview()
    planned = user.planned()
    [ref] = [put_copy(dav, planned["thank-you"], "imported")]  # syncd's UID, another href
    before = copies(dav, [ref])
    user.writes()

    first = user.sync()
    assert first.exit_code == 0, first.output
    assert set(user.ours()) == {"call-morning", "call-afternoon"}
    [warning] = first.warnings
    resource = dav.calendar.resource(ref)
    assert f"dav: {dav.calendar.name}: left create 'Thank-you letter: Acme'" in warning
    uid = f"{planned['thank-you'].id}@syncd"
    assert f"{resource} ('Thank-you letter: Acme') holds its UID {uid}" in warning
    assert "delete that event, or give it another UID" in warning
    assert copies(dav, [ref]) == before
    assert user.writes() == 3  # two calls, and the one refused thank-you

    for _ in range(2):  # held: not tried again, not said again
        again = user.sync()
        assert (again.exit_code, again.warnings) == (0, []), again.output
        assert user.writes() == 0
    assert copies(dav, [ref]) == before

    dav.calendar.delete(ref)  # the user removes the foreign object
    freed = user.sync()
    assert (freed.exit_code, freed.warnings) == (0, []), freed.output
    assert set(user.ours()) == THREE
    assert user.writes() == 1


def test_an_event_of_the_users_at_syncds_place_warns_once_and_is_left_alone(
    backend: Backend, tmp_path: Path
) -> None:
    if backend.name == "outlook":
        pytest.skip(
            "Outlook's place is the transactionId of syncd's own create, which the user's"
            " apps never set and nobody can change: no event of the user's can hold it"
        )
    user = User(backend, tmp_path)
    user.interview()
    planned = user.planned()
    slot = planned["thank-you"].id
    day = at(TUESDAY, 13)
    if isinstance(backend, GoogleBackend):  # an event the user made at that very id
        body = {"id": slot, "summary": "Lunch with Ann", "start": {"dateTime": day.isoformat()},
                "end": {"dateTime": (day + dt.timedelta(hours=1)).isoformat()}}  # fmt: skip
        backend.fake.add_event(backend.calendar_id, body)
        ref = slot
    else:  # an object at the href syncd writes it under, with a UID of its own
        assert isinstance(backend, DavBackend)
        backend.put(slot, "Lunch with Ann", day, day + dt.timedelta(hours=1))
        ref = f"{slot}.ics"
    before = copies(backend, [ref])
    user.writes()

    first = user.sync()
    assert first.exit_code == 0, first.output
    assert set(user.ours()) == {"call-morning", "call-afternoon"}
    [warning] = first.warnings
    assert "left create 'Thank-you letter: Acme'" in warning
    assert "an event that is not syncd's holds its place" in warning
    assert "'Lunch with Ann'" in warning
    assert copies(backend, [ref]) == before

    user.writes()
    again = user.sync()
    assert (again.exit_code, again.warnings, user.writes()) == (0, [], 0), again.output
    assert copies(backend, [ref]) == before

    # The user deletes it: the next pass writes the thank-you there.
    if isinstance(backend, GoogleBackend):
        backend.fake.remove_event(backend.calendar_id, slot)
    else:
        backend.remove(slot)
    freed = user.sync()
    assert (freed.exit_code, freed.warnings) == (0, []), freed.output
    assert set(user.ours()) == THREE
