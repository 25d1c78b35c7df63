"""Figure 1: an idle pass inside the daemon, per calendar: client CPU, wall, requests, bytes.

A pass is timed as the daemon's worker runs it (``Daemon._one``): the state store
opened, ``syncd.runner.sweep`` over the one source (its provider opened, the
calendar read, nothing to do, the provider closed, the source's status recorded),
the store closed; ``time.process_time`` and ``time.perf_counter`` around it, in
this process. The server runs in a process of its own (the Google fake too), so
the CPU time is the client's alone. Requests are counted by the provider (CalDAV)
or by the fake (Google); bytes and connections by a relay in its own process
between syncd and the server (bench/relay.py). Before the timed passes, passes
run until one has nothing to write (the first writes the follow-ups).

Every 12th pass lists the account's calendars again (syncd.calendars.REFRESH_EVERY):
it shows as the maximum. ``--profile`` prints where an idle pass's CPU goes.
"""

from __future__ import annotations

import contextlib
import cProfile
import dataclasses
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import backends, idle_process, measure  # noqa: E402
from bench.relay import Relay  # noqa: E402
from providers import Provider, config_sections, open_provider  # noqa: E402
from syncd.config import Config, SourceConfig, parse_config  # noqa: E402
from syncd.runner import sweep  # noqa: E402
from syncd.state import StateStore  # noqa: E402

BACKENDS = ("radicale", "google", "xandikos")
SHARED = 10  # calendars of the source of the last row: what is paid once a source, not a calendar
MANY = f"radicale, {SHARED} calendars"


def through_relay(backend: backends.Backend) -> Relay:
    """A counting relay in front of the backend's server; its sources now point at it."""
    if backend.google is not None:
        endpoint = backend.sources[0]["api_endpoint"]
        port = int(endpoint.split(":")[2].split("/")[0])
        relay = Relay(port)
        for source in backend.sources:
            source["api_endpoint"] = endpoint.replace(f":{port}/", f":{relay.port}/")
        return relay
    assert backend.server is not None
    relay = Relay(backend.server.port)
    for source in backend.sources:
        source["url"] = source["url"].replace(f":{backend.server.port}/", f":{relay.port}/")
    return relay


class Counted:
    """An opener that keeps the last provider it opened (to read its request count)."""

    def __init__(self) -> None:
        self.provider: Any = None
        self.requests = 0

    def __call__(self, source: SourceConfig, config: Config) -> Provider:
        self.provider = open_provider(source, config)
        close = self.provider.close

        def closing() -> None:
            self.requests += getattr(self.provider, "requests_made", 0)
            close()

        self.provider.close = closing
        return self.provider  # type: ignore[no-any-return]


def config_of(folder: Path, sources: list[dict[str, Any]]) -> Config:
    data = {"state_dir": str(folder / "state"), "sources": sources}
    return parse_config(data, "the bench's config", config_sections())


def one_pass(config: Config, opener: Counted) -> int:
    """A pass as the daemon's worker runs it; the number of actions it took."""
    store = StateStore(config.state_dir)
    try:
        [outcome] = sweep(config, store, opener=opener)
    finally:
        store.close()
    if outcome.error is not None:
        raise RuntimeError(outcome.line)
    assert outcome.report is not None
    return len(outcome.report.actions)


def settle(config: Config, opener: Counted, limit: int = 5) -> None:
    """Passes until one has nothing to do."""
    for _ in range(limit):
        if one_pass(config, opener) == 0:
            return
    raise RuntimeError("still writing after 5 passes")


@dataclasses.dataclass
class Settled:
    """A backend whose calendar syncd has read and written to until nothing was left to do,
    behind a counting relay; ``folder``: the config's (``folder/state``: its state)."""

    backend: backends.Backend
    relay: Relay
    folder: Path
    config: Config
    opener: Counted


@contextlib.contextmanager
def settled(name: str, count: int, folder: Path) -> Iterator[Settled]:
    """The backend ``name`` with a calendar of ``count`` events, settled; stopped after."""
    start = backends.START.get(name) or (lambda f, n: backends.radicale(f, n, calendars=SHARED))
    backend = start(folder / "server", count)
    relay = through_relay(backend)
    try:
        config = config_of(folder / "syncd", backend.sources)
        opener = Counted()
        settle(config, opener)
        yield Settled(backend, relay, folder / "syncd", config, opener)
    finally:
        relay.stop()
        backend.stop()


def inside(done: Settled, passes: int, profile: bool = False, per: int = 1) -> list[str]:
    """The row of figure 1: ``passes`` idle passes timed (each figure over ``per``
    calendars the source reads)."""
    backend, relay, config, opener = done.backend, done.relay, done.config, done.opener
    cpu, wall, requests, up, down, connections = [], [], [], [], [], []
    for _ in range(passes):
        before = relay.counts()
        asked = backend.google.ask("requests") if backend.google else 0
        opener.requests = 0
        began, began_cpu = time.perf_counter(), time.process_time()
        one_pass(config, opener)
        cpu.append(time.process_time() - began_cpu)
        wall.append(time.perf_counter() - began)
        after = relay.counts()
        if backend.google is not None:
            opener.requests = backend.google.ask("requests") - asked
        requests.append(opener.requests)
        up.append(after["up"] - before["up"])
        down.append(after["down"] - before["down"])
        connections.append(after["connections"] - before["connections"])
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(one_pass, config, opener)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return [
        backend.name,
        measure.summary(cpu, 1000 / per, 1),
        measure.summary(wall, 1000 / per, 1),
        measure.summary(requests, 1 / per, 0 if per == 1 else 1),
        measure.summary(connections, 1 / per, 0 if per == 1 else 1),
        measure.summary(up, 1 / per, 0),
        measure.summary(down, 1 / per, 0),
    ]


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--passes", type=int, default=0, help="timed passes a set (default 20)")
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--events", type=int, action="append")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-process", action="store_true", help="leave out figure 2")
    parser.add_argument("--vdirsyncer", type=Path, default=idle_process.VDIRSYNCER_PYTHON)
    args = parser.parse_args()
    passes = args.passes or measure.runs(args, full=20, quick=8)
    runs = measure.runs(args)
    sizes = args.events or ([100] if args.smoke else [100, 1_000, 10_000])
    vdirsyncer = args.vdirsyncer if args.vdirsyncer.exists() else None
    section = measure.Section("idle_pass", args)
    beside_section = measure.Section("idle_process", args)
    section.add("## 1. Idle pass inside the daemon (one calendar a source)")
    section.add()
    rows, beside = [], []
    chosen = [(name, count) for name in args.backend or BACKENDS for count in sizes]
    chosen = [(n, c) for n, c in chosen if n != "xandikos" or args.events or c < 10_000]
    if not args.backend and not args.events:  # what a source pays once: 10 calendars of 100
        chosen.append((MANY, 100))
    for name, count in chosen:
        per = SHARED if name == MANY else 1
        with (
            tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder,
            settled(name, count, Path(folder)) as done,
        ):
            rows.append([name, f"{count:,}", *inside(done, passes, args.profile, per)[1:]])
            print(" | ".join(rows[-1]), flush=True)
            if name == "radicale" and (count >= 1_000 or args.smoke) and not args.no_process:
                beside += idle_process.beside(done, count, runs, vdirsyncer)
    section.add(
        f"Median (min-max) of {passes} idle passes after the writes settled; the last row: "
        f"one source reading {SHARED} calendars, every figure a calendar (divided by {SHARED})."
    )
    section.add()
    section.table(
        ["server", "events", "client CPU ms", "wall ms", "requests", "connections",
         "bytes up", "bytes down"],
        rows,
    )  # fmt: skip
    section.finish(passes)
    if beside:
        idle_process.write(beside_section, beside, runs, vdirsyncer, args)


if __name__ == "__main__":
    main()
