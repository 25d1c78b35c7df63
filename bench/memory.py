"""Figure 7: memory over time. The daemon's resident memory, open file descriptors,
Python objects and threads after 10 and after 2,000 idle passes, on Radicale,
Xandikos and the Google fake (one source, a calendar of 100 events each).

The daemon is syncd's own ``Daemon`` loop in this process, its passes in its
worker threads as in ``syncd run``, but on a clock of the bench's: each wait
between passes ends as soon as the pass in flight is done and moves the clock
on by the interval, so 2,000 passes take minutes, not 2,000 intervals (the
config's interval is at least 1 s). The servers are processes of their own.
What is measured is this process: the daemon, without the bench's own few MiB
grown meanwhile (it holds nothing per pass).
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import backends, measure  # noqa: E402
from bench.idle_pass import Counted, config_of, settle  # noqa: E402
from syncd.daemon import Daemon  # noqa: E402
from syncd.runner import sweep  # noqa: E402
from syncd.state import StateStore  # noqa: E402


class Clock:
    """The daemon's clock: moves only when its wait says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def snapshot() -> dict[str, float]:
    gc.collect()
    return {
        "rss": measure.rss_mib(),
        "fds": measure.open_fds(),
        "objects": len(gc.get_objects()),
        "threads": threading.active_count(),
    }


def run_daemon(config: Any, passes: int, marks: tuple[int, ...]) -> dict[int, dict[str, float]]:
    """``passes`` passes of the Daemon loop; snapshots after each pass number in ``marks``."""
    clock, done = Clock(), threading.Event()
    seen: dict[int, dict[str, float]] = {}
    count = 0
    daemon: Daemon

    def counting(config: Any, store: StateStore, *, dry_run: bool = False) -> Any:
        nonlocal count
        outcomes = sweep(config, store, dry_run=dry_run)
        count += 1
        if count >= passes:
            daemon.stopping = True
        return outcomes

    def wait(seconds: float) -> None:
        if daemon.busy:
            done.wait(30)
            done.clear()
            if count in marks and count not in seen:
                daemon._collect()  # the pass's thread is done: measure without it
                seen[count] = snapshot()
        clock.now += max(seconds, 0.0)

    store = StateStore(config.state_dir)
    try:
        daemon = Daemon(
            config.path or Path("bench.toml"),
            config,
            store,
            wait=wait,
            wake=done.set,
            sweep=counting,
            clock=clock,
        )
        daemon.run()
    finally:
        store.close()
    return seen


def marks(passes: int) -> tuple[int, ...]:
    """After which passes to measure: the 10th, then every quarter of the run."""
    return (10, *(passes * k // 4 for k in range(1, 5)))


def measure_backend(name: str, passes: int, folder: Path) -> list[str]:
    backend = backends.START[name](folder / "server", 100)
    try:
        config = config_of(folder / "syncd", backend.sources)
        settle(config, Counted())
        seen = run_daemon(config, passes, marks(passes))
    finally:
        backend.stop()
    first, last = seen[10], seen[passes]
    return [
        name,
        *(f"{seen[mark]['rss']:.1f}" for mark in marks(passes)),
        f"{last['rss'] - first['rss']:+.1f}",
        f"{first['fds']:.0f} / {last['fds']:.0f}",
        f"{first['objects']:,.0f} / {last['objects']:,.0f}",
        f"{first['threads']:.0f} / {last['threads']:.0f}",
    ]


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--passes", type=int, default=0, help="passes a backend (default 2000)")
    parser.add_argument("--backend", action="append", choices=tuple(backends.START))
    parser.add_argument("--child", action="store_true", help="one backend, a row as JSON")
    args = parser.parse_args()
    passes = args.passes or (12 if args.smoke else 2_000)
    if args.child:
        with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
            print(json.dumps(measure_backend(args.backend[0], passes, Path(folder))))
        return
    section = measure.Section("memory", args)
    section.add("## 7. Memory over time (the daemon's loop, idle passes)")
    section.add()
    rows = []
    for name in args.backend or ("radicale", "xandikos", "google"):
        argv = [__file__, "--child", "--backend", name, "--passes", str(passes)]
        child = measure.run_child(argv, python=sys.executable, limit=3600)
        rows.append(json.loads(child.stdout.splitlines()[-1]))
        print(" | ".join(rows[-1]), flush=True)
    section.add(
        f"One run of {passes:,} passes a server, each server's in a process of its own; "
        "resident memory (VmRSS, MiB) after the passes named; file descriptors, Python "
        f"objects (after a collection) and threads after pass 10 / {passes:,}."
    )
    section.add()
    section.table(
        ["server", *(f"RSS {mark:,}" for mark in marks(passes)), "growth MiB", "fds",
         "objects", "threads"],
        rows,
    )  # fmt: skip
    section.finish(1)


if __name__ == "__main__":
    main()
