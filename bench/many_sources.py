"""Figure 8: many sources in one daemon. 10, 100 and 500 CalDAV sources (one login each,
htpasswd, on one Radicale, a calendar of 100 events each) and 50 Google sources on the
fake, ``interval = "60s"``; then 100 CalDAV sources and one hung source (a server that
accepts the connection and never answers).

The daemon is ``syncd run`` as a process of its own, through bench/daemon_probe.py,
which records when each pass was due on the daemon's schedule and when its loop
started it. Figures: how long until every source had its first pass (all are due
at start: the first round), the daemon's CPU (share of one core) and resident
memory after it, and how late each later pass started against its schedule, until
every source has had a second pass.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import backends, measure  # noqa: E402

PROBE = str(ROOT / "bench" / "daemon_probe.py")
INTERVAL = 60.0
TICKS = os.sysconf("SC_CLK_TCK")


class HungServer:
    """Accepts connections and never answers (nor closes them)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return

    def stop(self) -> None:
        self.listener.close()
        for held in self.held:
            held.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    return 0.0


def records(probe: Path) -> list[dict[str, Any]]:
    if not probe.exists():
        return []
    return [json.loads(line) for line in probe.read_text().splitlines() if line.endswith("}")]


def passes_of(found: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in found:
        counts[record["name"]] = counts.get(record["name"], 0) + 1
    return counts


def wait_until(probe: Path, names: set[str], passes: int, limit: float) -> bool:
    """Until each of ``names`` has ended ``passes`` passes; False at ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        counts = passes_of(records(probe))
        if all(counts.get(name, 0) >= passes for name in names):
            return True
        time.sleep(0.5)
    return False


def observe(
    label: str, sources: list[dict[str, Any]], folder: Path, watched: set[str]
) -> list[str]:
    """Run the daemon over ``sources``; the row of figure 8 (``watched``: the healthy ones)."""
    config = backends.write_config(folder / "syncd", sources, interval=f"{INTERVAL:.0f}s")
    probe = folder / "probe.jsonl"
    env = {**os.environ, "BENCH_PROBE": str(probe)}
    with (folder / "daemon.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, PROBE, "--config", str(config), "run"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    began = time.monotonic()
    try:
        first_done = wait_until(probe, watched, 1, 1800)
        first_round = time.monotonic() - began
        cpu, at = cpu_seconds(process.pid), time.monotonic()
        steady = wait_until(probe, watched, 2, INTERVAL * 3 + first_round)
        share = (cpu_seconds(process.pid) - cpu) / (time.monotonic() - at) * 100
        rss, peak = status(process.pid, "VmRSS") / 1024, status(process.pid, "VmHWM") / 1024
        threads = status(process.pid, "Threads")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    found = records(probe)
    seen: set[str] = set()
    late, failed = [], 0
    for record in sorted(found, key=lambda r: r["start"]):
        if record["name"] in watched and record["name"] in seen:
            late.append(record["start"] - record["due"])
        seen.add(record["name"])
        failed += record["name"] in watched and not record["ok"]
    print(f"{label}: first round {first_done}, second {steady}, {len(late)} later passes")
    return [
        label,
        f"{len(sources)}",
        f"{first_round:.0f}",
        f"{share:.1f}",
        f"{rss:.0f} / {peak:.0f}",
        f"{threads:.0f}",
        f"{statistics.median(late):.2f}" if late else "-",
        f"{measure.percentile(late, 0.95):.2f}" if late else "-",
        f"{max(late):.2f}" if late else "-",
        f"{len(late)}",
        f"{failed}",
    ]


def caldav(count: int, folder: Path, hung: bool = False) -> list[str]:
    backend = backends.radicale(folder / "server", 100, users=count)
    server = HungServer() if hung else None
    try:
        sources = list(backend.sources)
        watched = {s["name"] for s in sources}
        if server is not None:
            hang = {**sources[0], "name": "hung", "url": f"http://127.0.0.1:{server.port}/"}
            if INTERVAL < 60:  # the smoke run: the default deadline (60 s) would hold the stop
                hang["timeout"] = "1s"
            sources.insert(0, hang)
        label = f"CalDAV{' + 1 hung' if hung else ''}"
        return observe(label, sources, folder, watched)
    finally:
        if server is not None:
            server.stop()
        backend.stop()


def google(count: int, folder: Path) -> list[str]:
    backend = backends.google(folder / "server", 100, calendars=count)
    try:
        return observe("Google", backend.sources, folder, {s["name"] for s in backend.sources})
    finally:
        backend.stop()


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", help="CalDAV source counts")
    parser.add_argument("--google", type=int, default=0, help="Google sources (default 50)")
    args = parser.parse_args()
    global INTERVAL
    if args.smoke:  # only that it works: a few sources, no steady state waited for
        INTERVAL = 1.0
    sizes = args.sizes or ([] if args.smoke else [10, 100] if args.quick else [10, 100, 500])
    google_count = args.google or (1 if args.smoke else 50)
    hung_count = 2 if args.smoke else 100
    section = measure.Section("many_sources", args)
    section.add('## 8. Many sources in one daemon (`interval = "60s"`, 4 workers)')
    section.add()
    rows = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
            rows.append(caldav(count, Path(folder)))
    with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
        rows.append(google(google_count, Path(folder)))
    with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
        rows.append(caldav(hung_count, Path(folder), hung=True))
    section.add(
        "One run each. First round: seconds until every source's first pass ended (all are "
        "due at start). CPU: the daemon's share of one core from then until every source "
        "had a second pass; RSS / peak MiB then. Late: how long after its due time each "
        "later pass started (s), over the healthy sources' passes (the hung one left out)."
    )
    section.add()
    section.table(
        ["sources", "count", "first round s", "CPU %", "RSS / peak MiB", "threads",
         "late p50 s", "late p95 s", "late max s", "later passes", "failed"],
        rows,
    )  # fmt: skip
    section.finish(1)


if __name__ == "__main__":
    main()
