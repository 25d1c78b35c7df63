"""Figure 4: the first pass with its writes, on a Radicale calendar of 10,000 events.

syncd's first pass (fresh state; the read, then at most 200 writes: the limit of
one pass) runs in this process through ``syncd.runner.sweep``; each write the
provider makes is timed (wall and CPU), so the client's share of a write shows
beside the server's. Beside it, a bare caldav loop (bench/caldav_writes.py, a
process) writing events of the same size one by one. Both into the 10,000-event
calendar itself (each syncd run on a fresh copy of it), and into a small
calendar of their own: syncd with ``target_calendar`` (a new one each run), the
loop into a new empty calendar.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import backends, measure  # noqa: E402
from bench.idle_pass import config_of  # noqa: E402
from providers import Provider, open_provider  # noqa: E402
from syncd.config import Config, SourceConfig  # noqa: E402
from syncd.runner import sweep  # noqa: E402
from syncd.state import StateStore  # noqa: E402
from tests.servers import make_calendar  # noqa: E402

LOOP = str(ROOT / "bench" / "caldav_writes.py")


class TimedWrites:
    """An opener whose providers time every create, update and delete (wall, CPU)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, source: SourceConfig, config: Config) -> Provider:
        provider: Any = open_provider(source, config)
        for name in ("create", "update", "delete"):
            setattr(provider, name, self._timed(getattr(provider, name)))
        return provider  # type: ignore[no-any-return]

    def _timed(self, write: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began, began_cpu = time.perf_counter(), time.process_time()
            try:
                return write(*args, **kwargs)
            finally:
                self.cpu.append(time.process_time() - began_cpu)
                self.wall.append(time.perf_counter() - began)

        return timed


def first_pass(folder: Path, sources: list[dict[str, Any]]) -> tuple[float, TimedWrites]:
    """syncd's first pass over ``sources``, fresh state in ``folder``: (wall, its writes)."""
    config = config_of(folder, sources)
    writes = TimedWrites()
    store = StateStore(config.state_dir)
    try:
        began = time.perf_counter()
        [outcome] = sweep(config, store, opener=writes)
        took = time.perf_counter() - began
    finally:
        store.close()
    if outcome.error is not None:
        raise RuntimeError(outcome.line)
    return took, writes


def row(name: str, passes: list[float], writes: list[int], wall: list[float], cpu: list[float]):
    """One row: pass wall, writes per run, writes/s and client CPU ms a write (medians of runs)."""
    rate = [n / w for n, w in zip(writes, wall, strict=True) if w]
    per_write = [c / n * 1000 for n, c in zip(writes, cpu, strict=True) if n]
    share = [c / w * 100 for c, w in zip(cpu, wall, strict=True) if w]
    return [
        name,
        measure.summary(passes, digits=1) if passes else "-",
        measure.summary(writes, digits=0),
        measure.summary(rate, digits=1),
        measure.summary(per_write, digits=1),
        measure.summary(share, digits=0),
    ]


def syncd_same(count: int, runs: int, folder: Path) -> list[str]:
    passes, writes, wall, cpu = [], [], [], []
    for run in range(runs):
        place = folder / f"same-{run}"
        backend = backends.radicale(place / "server", count)
        try:
            took, timed = first_pass(place / "syncd", backend.sources)
        finally:
            backend.stop()
            shutil.rmtree(place, ignore_errors=True)
        passes.append(took)
        writes.append(len(timed.wall))
        wall.append(sum(timed.wall))
        cpu.append(sum(timed.cpu))
    return row("syncd, into the same calendar", passes, writes, wall, cpu)


def loop(backend: backends.Backend, url: str, writes: int) -> tuple[float, float]:
    user = backend.sources[0]["username"]
    child = measure.run_child([LOOP, url, user, str(writes)], python=sys.executable)
    wall, cpu = child.stdout.split()
    return float(wall), float(cpu)


def small_and_loops(count: int, runs: int, loop_writes: int, folder: Path) -> list[list[str]]:
    backend = backends.radicale(folder / "server", count)
    rows = []
    try:
        passes, writes, wall, cpu = [], [], [], []
        for run in range(runs):
            sources = [{**backend.sources[0], "target_calendar": f"Follow-ups {run}"}]
            took, timed = first_pass(folder / f"small-{run}", sources)
            passes.append(took)
            writes.append(len(timed.wall))
            wall.append(sum(timed.wall))
            cpu.append(sum(timed.cpu))
        rows.append(row("syncd, target_calendar (small)", passes, writes, wall, cpu))
        assert backend.server is not None
        for name, target in (
            ("caldav loop, into the same calendar", lambda: backend.calendars[0]),
            ("caldav loop, into a small calendar", lambda: make_calendar(backend.server).url),
        ):
            taken = [loop(backend, target(), loop_writes) for _ in range(runs)]
            rows.append(
                row(name, [], [loop_writes] * runs, [w for w, _ in taken], [c for _, c in taken])
            )
    finally:
        backend.stop()
    return rows


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--events", type=int, default=0)
    parser.add_argument("--loop-writes", type=int, default=30, help="writes of a caldav loop")
    args = parser.parse_args()
    runs = measure.runs(args)
    count = args.events or (100 if args.smoke else 10_000)
    loop_writes = 3 if args.smoke else args.loop_writes
    section = measure.Section("first_writes", args)
    section.add(f"## 4. First pass with its writes (Radicale, {count:,} events)")
    section.add()
    with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
        # about 3 min a run at 10,000 (200 writes at the server's pace): 2 runs unless asked
        same = args.runs or min(runs, 2)
        rows = [syncd_same(count, same, Path(folder))]
        rows += small_and_loops(count, runs, loop_writes, Path(folder))
    section.add(
        f"Median (min-max) of {runs} runs ({same} of syncd into the same calendar). "
        "writes/s: writes over the time spent in them; client CPU a write: syncd's provider "
        "(or the caldav loop) per write; client share: "
        "that CPU over the write's wall time (the rest is the server's and the wait)."
    )
    section.add()
    section.table(
        ["writer", "pass wall s", "writes", "writes/s", "client CPU ms a write", "client share %"],
        rows,
    )
    section.finish(runs)


if __name__ == "__main__":
    main()
