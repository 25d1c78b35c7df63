"""The mass-deletion guard: when a complete read of a calendar is not believed.

A complete (full) read promises everything in the window: a known interview it
does not show is gone, and so are its follow-ups still ahead. A server glitch, a
cut listing or a restore from an older backup breaks that promise for many
events at once. So a full read that comes back empty while syncd knew of
something there, or that misses most of the known interviews at once (at least
GUARD_LOST_MIN, more than half: syncd.limits), none of them reported cancelled
or deleted, buries nothing. The interviews it misses are *held* (``Interview.held``):
kept with their follow-ups, with one warning, while the calendar is read whole at
every pass; one that comes back is taken up again, and one a full read still
misses GUARD_HOLD after the first that missed it counts as deleted then.

Pure, as ``observe``: ``now`` is a parameter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from syncd import limits
from syncd.model import Interview


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a full read may bury of the known interviews it ``missing``.

    ``gone``: those to bury now; ``held``: those kept, marked held; ``holds``: the
    read is not believed, so nothing missing from it is buried (follow-ups neither);
    ``started``: interviews held by this read that were not held before;
    ``let_go``: held ones buried now, their time up.
    """

    gone: dict[str, Interview]
    held: dict[str, Interview]
    holds: bool = False
    started: int = 0
    let_go: int = 0
    empty: bool = False
    known: int = 0


def judge(
    missing: Mapping[str, Interview], known: int, *, empty: bool, now: dt.datetime
) -> Verdict:
    """The verdict on a full read that misses ``missing`` of the ``known`` interviews of its
    calendar in the window, none reported cancelled or deleted; ``empty``: it came back
    with nothing at all while syncd knew of something there."""
    lost = len(missing)
    if not empty and not (lost >= limits.GUARD_LOST_MIN and 2 * lost > known):
        return Verdict(gone=dict(missing), held={}, known=known)
    gone, held = {}, {}
    for key, interview in missing.items():
        if interview.held and now - _since(interview, now) >= limits.GUARD_HOLD:
            gone[key] = interview
        else:
            held[key] = dataclasses.replace(interview, held=interview.held or now.isoformat())
    started = sum(1 for i in missing.values() if not i.held)
    holds = bool(held) or (empty and not gone)
    return Verdict(gone, held, holds, started, len(gone), empty, known)


def warnings(verdict: Verdict, where: str, now: dt.datetime, zone: dt.tzinfo) -> tuple[str, str]:
    """The lines to log for a verdict (``where``: ``SOURCE: CALENDAR``), "" for none: one
    when a hold starts (or an empty read holds), one when held interviews are let go."""
    lines = ["", ""]
    if verdict.holds and (verdict.started or (verdict.empty and not verdict.held)):
        if verdict.empty:
            said = f"{where}: a full read came back empty; deleting nothing (mass-deletion guard)"
        else:
            said = (
                f"{where}: a full read misses {len(verdict.held)} of the {verdict.known}"
                " interviews known there, none of them reported cancelled or deleted;"
                " deleting none of their follow-ups (mass-deletion guard)"
            )
        if verdict.started:
            until = f"{(now + limits.GUARD_HOLD).astimezone(zone):%Y-%m-%d %H:%M}"
            said += (
                "; if they were lost, restore them: syncd reads the calendar whole at every"
                " pass and takes them up again; if you deleted them, their follow-ups still"
                f" ahead are deleted once a full read still misses them after {until}"
            )
        lines[0] = said
    if verdict.let_go:
        lines[1] = (
            f"{where}: {verdict.let_go} interviews still missing from a full read"
            f" {limits.GUARD_HOLD.total_seconds() / 3600:g} hours after the first that missed"
            " them count as deleted: their follow-ups still ahead are deleted now"
            " (mass-deletion guard)"
        )
    return lines[0], lines[1]


def _since(interview: Interview, now: dt.datetime) -> dt.datetime:
    """When the interview was first missed; ``now`` for an unreadable mark."""
    try:
        since = dt.datetime.fromisoformat(interview.held)
    except ValueError:
        return now
    return since if since.tzinfo is not None else since.replace(tzinfo=dt.UTC)
