"""When a pass may skip planning: the plan of the last pass that had nothing to do stands.

A pass plans the source's interviews (``syncd.planner``), reconciles the plan
with syncd's records (``syncd.reconcile``) and lets retention drop interviews
(``syncd.observe.forget``). From the same interviews, records, calendars and
config their answers change only when ``now`` passes one of the instants they
compare it with: a planned follow-up's start, a record's start, an interview's
end plus FOLLOWUP_REACH or FORGET_AFTER. ``settled_until`` is the earliest of
them; ``Quiet`` remembers, for each source, what the last pass with nothing to
do planned from and that instant, so an idle pass with the same inputs before it
plans nothing again (docs/architecture.md, "An idle pass"). Pure: no I/O;
``now`` is a parameter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Hashable, Iterable

from syncd.model import FollowUp, FollowUpRecord, Interview, instant
from syncd.observe import FORGET_AFTER
from syncd.planner import FOLLOWUP_REACH

NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def settled_until(
    desired: Iterable[FollowUp],
    records: Iterable[FollowUpRecord],
    interviews: Iterable[Interview],
    now: dt.datetime,
    zone: dt.tzinfo,
) -> dt.datetime:
    """The earliest instant after ``now`` at which planning, reconciling and retention
    could answer otherwise from the same inputs; NEVER when there is none.

    ``interviews``: the source's, tombstones too. A floating or all-day end counts
    in ``zone`` and in UTC (the planner reads it in the one, retention in the other).
    """
    moments = [f.start for f in desired]
    moments += [r.start for r in records]
    for interview in interviews:
        for end in {instant(interview.end, zone), instant(interview.end)}:
            moments += [end + FOLLOWUP_REACH, end + FORGET_AFTER]
    return min((m for m in moments if m > now), default=NEVER)


@dataclasses.dataclass(frozen=True)
class Settled:
    """What a source's last pass with nothing to do planned from, and until when it stands."""

    inputs: Hashable
    until: dt.datetime


class Quiet:
    """The last settled pass of each source, held by one daemon between its passes (one
    source's passes never overlap; sources keep to their own entry). A new config
    makes a new Quiet: the config is part of what a plan stands on."""

    def __init__(self) -> None:
        self._settled: dict[str, Settled] = {}
        self.skipped = 0  # passes that planned nothing again (bench and tests read it)

    def holds(self, source: str, inputs: Hashable, now: dt.datetime) -> bool:
        """Whether the plan of ``source``'s last settled pass stands for these inputs now."""
        settled = self._settled.get(source)
        if settled is None or settled.inputs != inputs or now >= settled.until:
            return False
        self.skipped += 1
        return True

    def settle(self, source: str, inputs: Hashable, until: dt.datetime) -> None:
        self._settled[source] = Settled(inputs, until)

    def forget(self, source: str) -> None:
        self._settled.pop(source, None)
