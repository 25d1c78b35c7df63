"""The daemon's passes in worker threads: at most WORKERS at once, one per source.

A pass runs in a thread of its own, so that a slow or hung server holds back its
own source alone: the daemon's loop goes on starting the other sources' passes on
their schedules. A source is never passed over twice at once. Each pass opens its
own connection to the state store (SQLite in WAL mode: readers never wait, writers
take turns; no transaction spans a request, so a turn is short), and the crash
guarantees stay those of one pass: a write commits with its record.

The threads are daemon threads: at a stop, a pass that is still waiting on its
server past the daemon's grace is abandoned with the process (its open
transaction, if any, rolls back; the next start finds what it wrote by identity
and marker). Results come back to the loop's thread through a queue, and a
finished pass ends the loop's wait at once (``Waker.wake``), as a signal does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import select
import signal
import socket
import threading
from collections.abc import Callable

from syncd.runner import SourceOutcome
from syncd.state_files import StateError

log = logging.getLogger(__name__)

# Passes running at once. Each waits on the network nearly all the time, so a few
# threads cost little; four let three hung servers (each until its request deadline)
# leave the others their schedule.
WORKERS = 4

Spawn = Callable[[Callable[[], None]], None]


@dataclasses.dataclass(frozen=True)
class Finished:
    """One pass done: its outcome, or the unexpected exception that ended it; ``ended``:
    the daemon's clock when it ended."""

    name: str
    outcome: SourceOutcome | None
    error: Exception | None
    ended: float


def daemon_thread(name: str) -> Spawn:
    """Run a function in a new daemon thread called ``name``."""
    return lambda run: threading.Thread(target=run, name=name, daemon=True).start()


def inline(_name: str) -> Spawn:
    """Run a function at once, in the caller's thread (the daemon's loop tests)."""
    return lambda run: run()


class Workers:
    """The passes in flight. ``spawn`` runs a pass (default: a daemon thread of its own;
    tests run it inline); ``wake`` is called from a pass's thread when it is done."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        size: int = WORKERS,
        wake: Callable[[], None] = lambda: None,
        spawn: Callable[[str], Spawn] = daemon_thread,
    ) -> None:
        self.clock, self.size, self.wake, self.spawn = clock, size, wake, spawn
        self._started: dict[str, float] = {}  # source -> when its pass started
        self._done: queue.SimpleQueue[Finished] = queue.SimpleQueue()
        # Reentrant: a signal handler in the loop's thread asks ``busy`` while that thread
        # may hold the lock already.
        self._lock = threading.RLock()

    @property
    def busy(self) -> bool:
        """Whether a pass is in flight."""
        with self._lock:
            return bool(self._started)

    @property
    def full(self) -> bool:
        with self._lock:
            return len(self._started) >= self.size

    def running(self, name: str) -> bool:
        with self._lock:
            return name in self._started

    def oldest(self) -> float | None:
        """When the pass in flight longest started (the daemon's clock); None: none is."""
        with self._lock:
            return min(self._started.values(), default=None)

    def start(self, name: str, run: Callable[[], SourceOutcome]) -> None:
        """Run ``run`` (the pass of source ``name``, not in flight now) in a worker."""
        with self._lock:
            assert name not in self._started, f"{name}: a pass is in flight already"
            self._started[name] = self.clock()

        def work() -> None:
            outcome: SourceOutcome | None = None
            error: Exception | None = None
            try:
                outcome = run()
            except StateError as exc:  # the state file damaged: the daemon says so and stops
                error = exc
            except Exception as exc:  # a bug must not stop the other sources
                log.error("%s: the pass failed unexpectedly: %s", name, exc, exc_info=True)
                error = exc
            self._done.put(Finished(name, outcome, error, self.clock()))
            self.wake()

        self.spawn(f"pass {name}")(work)

    def finished(self) -> list[Finished]:
        """The passes done since the last call, in the order they ended; they are no
        longer in flight."""
        done: list[Finished] = []
        while True:
            try:
                finished = self._done.get_nowait()
            except queue.Empty:
                return done
            with self._lock:
                self._started.pop(finished.name, None)
            done.append(finished)


class Waker:
    """A wait that a signal, or a pass that ends, ends at once: the signal's wakeup byte
    (or ``wake``'s) makes select() return."""

    def __init__(self) -> None:
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self._previous = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)

    def wake(self) -> None:
        """End the wait in progress, or the next one, at once (from any thread)."""
        with contextlib.suppress(OSError):  # full (a wake is pending anyway) or closed
            self._write.send(b"\0")

    def wait(self, timeout: float) -> None:
        select.select([self._read], [], [], max(timeout, 0.0))
        try:
            while self._read.recv(4096):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous)
        self._read.close()
        self._write.close()
