"""Carrying out the reconciler's actions: one conditional write at a time, each
committed with its record once the server took it (docs/architecture.md).

A write that meets a change (ConflictError) re-reads that one follow-up,
observes it with ``observe.observe_slot``, lets the reconciler decide again
for that follow-up and carries out what it asks, once: nothing is forced, and
there is no second reconciler here. A follow-up no longer there
(NotFoundError) becomes deleted-by-user (update) or removed (delete). Before a
delete is sent its record says so (removing): a delete the server carried out
whose answer never came is then not taken for the user's deletion. A write
the server refuses (RefusedError), or one into a calendar the server lists as
read-only, is left alone, and the pass goes on; it is tried again only after
the next full read of that calendar, or once the user changed something there.
So is a follow-up whose place (or, on CalDAV, UID) an event that is not syncd's
holds (TakenError, or such an event found at its place): one warning naming that
event, and nothing of it is touched (docs/providers.md, "Ownership by place").

No transaction spans a request: the store is written after the server answered,
so that a slow server holds no lock another source's pass waits for.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable

from providers import Provider
from syncd.errors import ConflictError, NotFoundError, RefusedError, TakenError
from syncd.limits import shown
from syncd.model import Action, FollowUpRecord, Op, RecordStatus
from syncd.observe import observe_gone, observe_slot, observed_id
from syncd.reconcile import record_for
from syncd.state import StateStore

log = logging.getLogger(__name__)

REFUSED = "the server refuses the write"
READ_ONLY = "the calendar is read-only for this account"
TAKEN = "an event that is not syncd's holds its place"
WARNINGS = (REFUSED, READ_ONLY, TAKEN)  # the outcomes worth a warning
HELD = "refused before; tried again at the next full read of its calendar, or once it changes"
AGAIN = "tried again at the next full read of the calendar"
FREED = "syncd tries again once the calendar changes"
_WHY = {
    RecordStatus.EDITED: "edited by the user",
    RecordStatus.DELETED: "deleted by the user meanwhile",
}

# The reconciler's actions for one follow-up (by id), against the records as stored now.
Decide = Callable[[str], list[Action]]


@dataclasses.dataclass(frozen=True)
class Writer:
    """Writes one source's actions through its provider."""

    source: str
    provider: Provider
    store: StateStore
    decide: Decide
    read_only: frozenset[str] = frozenset()  # calendars the server lists as read-only
    # (follow-up, calendar) of the writes refused before: a follow-up that now goes to
    # another calendar (its own was listed read-only since) is not held back there
    held: frozenset[tuple[str, str]] = frozenset()

    def apply_all(
        self, actions: Iterable[Action], name_of: Callable[[str], str]
    ) -> tuple[list[Action], list[tuple[Action, str]]]:
        """``apply`` each action, logging each outcome (``name_of``: a calendar's name);
        returns the actions done and those left alone, with why."""
        done, left = [], []
        for action in actions:
            outcome = self.apply(action)
            if not outcome:
                done.append(action)
                log.info("%s: %s (%s)", self.source, say(action), action.reason)
                continue
            left.append((action, outcome))
            level = logging.WARNING if outcome.startswith(WARNINGS) else logging.INFO
            where = name_of(action.target)
            log.log(
                logging.DEBUG if outcome == HELD else level,
                "%s: %s: left %s alone: %s",
                self.source,
                where,
                say(action),
                outcome,
            )
        return done, left

    def apply(self, action: Action) -> str:
        """Carry out ``action`` with its record; "" when done, else why it was left alone.

        Nothing is tried for a follow-up ``held`` in that calendar, nor in a
        ``read_only`` calendar; a refusal is remembered until the next full read of
        its calendar. Raises the provider's other errors (TransientError, AuthError, ...).
        """
        if (action.followup_id, action.target) in self.held:
            return HELD
        if action.target in self.read_only:
            self._refuse(action)
            return f"{READ_ONLY}; {AGAIN}"
        return self._write(action, again=True)

    def _write(self, action: Action, *, again: bool) -> str:
        record = self.store.record(action.followup_id)
        deleting = action.op == Op.DELETE and record is not None
        if deleting and record is not None:
            # Said before the request: if its answer is lost (or syncd stops before the
            # commit), a read that shows the event gone does not take it for the user's.
            self._put(dataclasses.replace(record, status=RecordStatus.REMOVING))
        try:
            done = self._attempt(action, record)
        except ConflictError:
            return self._decide_again(action) if again else "changed again; the next pass decides"
        except NotFoundError:
            if record is None:
                return "its calendar is gone"
            if action.op != Op.DELETE:
                gone = observe_gone(record)
                self._put(gone)
                return _WHY.get(gone.status, "syncd had deleted it; written again next pass")
            done = dataclasses.replace(record, status=RecordStatus.REMOVED)
        except TakenError as error:
            self._refuse(action, undo=record if deleting else None)
            return f"{TAKEN}: {error}; {FREED}"
        except RefusedError as error:
            # the calendar's access may have changed: listed again
            self._refuse(action, relist=True, undo=record if deleting else None)
            return f"{REFUSED} ({error}); check that the calendar is writable; {AGAIN}"
        self._put(done)
        return ""

    def _put(self, *records: FollowUpRecord) -> None:
        with self.store.transaction():
            for record in records:
                self.store.put_record(record)

    def _refuse(
        self, action: Action, *, relist: bool = False, undo: FollowUpRecord | None = None
    ) -> None:
        """Hold the write back until its calendar is read whole again, or changes; ``undo``:
        the record as it was before a delete that was refused (so not carried out)."""
        with self.store.transaction():
            self.store.refuse(self.source, action.followup_id, action.target)
            if relist:
                self.store.relist(self.source)
            if undo is not None:
                self.store.put_record(undo)

    def _attempt(self, action: Action, record: FollowUpRecord | None) -> FollowUpRecord:
        """One conditional write; the record it leaves once the server took it."""
        f = action.followup
        if action.op == Op.CREATE and f is not None:
            return record_for(f, self.provider.create(f))
        if action.op == Op.UPDATE and f is not None:
            return record_for(f, self.provider.update(f, action.resource, action.etag))
        assert record is not None, "a delete is only planned from a record"
        self.provider.delete(action.target, action.resource, action.etag)
        return dataclasses.replace(record, status=RecordStatus.REMOVED)

    def _decide_again(self, action: Action) -> str:
        fid = action.followup_id
        current = self.provider.get(action.target, fid)
        record = self.store.record(fid)
        seen = observe_slot(self.source, fid, action.target, current, record)
        if current is not None and observed_id(self.source, current) is None:
            self._refuse(action)
            where = f"{current.resource} ({shown(current.title)!r})"
            return f"{TAKEN}: {where} is where syncd writes it; delete that event; {FREED}"
        if current is not None and not seen.followups:
            return "an event that is not syncd's holds its identity"
        self._put(*seen.records)
        then = self.decide(fid)
        if then:
            return self._write(then[0], again=False)
        return next((_WHY[r.status] for r in seen.records if r.status in _WHY), "")


def say(action: Action) -> str:
    """An action in a few words, for a log line."""
    what = action.followup.title if action.followup else action.followup_id
    when = f" at {action.followup.start:%Y-%m-%d %H:%M}" if action.followup else ""
    return f"{action.op} {what!r}{when}"
