"""What every bench script shares: runs of a child process measured, figures summed up,
the machine described, and a script's section of ``bench/RESULTS.md`` written.

Only the standard library: wall time by ``time.perf_counter``, a child's CPU by
``os.wait4`` (its rusage), a Python child's peak resident memory by the VmHWM
it writes as it exits (``/proc/self/status``; not ``ru_maxrss``, which on Linux
starts from the high-water mark of the process that spawned it).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import importlib.metadata
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
VERSIONS = ("caldav", "niquests", "icalendar", "radicale", "xandikos", "google-api-python-client")

# Run as ``python -c PEAK_WRAPPER MODULE_OR_SCRIPT ARGS...``: runs it as __main__ and
# writes its VmHWM (kB) to $BENCH_PEAK at exit.
PEAK_WRAPPER = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_PEAK"], "w") as out:
        out.write(line.split()[1])
atexit.register(_peak)
target, sys.argv = sys.argv[1], sys.argv[1:]
if target.endswith(".py"):
    runpy.run_path(target, run_name="__main__")
else:
    runpy.run_module(target, run_name="__main__", alter_sys=True)
"""


@dataclasses.dataclass(frozen=True)
class Child:
    """One child process: exit code, wall and CPU seconds (user + system), peak MiB
    (0 when not measured), its output."""

    code: int
    wall: float
    cpu: float
    peak_mib: float
    stdout: str
    stderr: str


def run_child(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    python: str | None = None,
    limit: float = 900,
    check: bool = True,
) -> Child:
    """Run ``argv``; with ``python`` (an interpreter), ``argv`` is a module or a script
    run under it by PEAK_WRAPPER, and its peak memory is measured too."""
    env = {**os.environ, **(env or {})}
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as out:
        peak = Path(folder) / "peak"
        if python is not None:
            env["BENCH_PEAK"] = str(peak)
            argv = [python, "-c", PEAK_WRAPPER, *argv]
        with tempfile.TemporaryFile() as err:
            began = time.perf_counter()
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env
            )
            try:
                _, status, usage = _wait4(process, limit)
            finally:
                if process.poll() is None and process.returncode is None:
                    process.kill()
            wall = time.perf_counter() - began
            out.seek(0)
            err.seek(0)
            stdout, stderr = (
                out.read().decode(errors="replace"),
                err.read().decode(errors="replace"),
            )
        code = os.waitstatus_to_exitcode(status)
        peak_mib = int(peak.read_text()) / 1024 if peak.exists() else 0.0
    if check and code != 0:
        raise RuntimeError(f"{' '.join(argv[-4:])}: exit {code}\n{stderr[-2000:]}")
    return Child(code, wall, usage.ru_utime + usage.ru_stime, peak_mib, stdout, stderr)


def _wait4(process: subprocess.Popen[bytes], limit: float) -> tuple[int, int, os.struct_rusage]:
    deadline = time.monotonic() + limit
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, usage
        if time.monotonic() > deadline:
            process.kill()
        time.sleep(0.002)


# -- figures ------------------------------------------------------------------------------


def summary(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    """``median (min-max)`` of ``values`` times ``scale``."""
    if not values:
        return "-"
    low, mid, high = min(values) * scale, statistics.median(values) * scale, max(values) * scale
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0-1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def ratio(ours: Sequence[float], theirs: Sequence[float]) -> str:
    """``theirs`` / ``ours`` by medians, as ``N.Nx``."""
    return f"{median(theirs) / median(ours):.2f}x" if ours and theirs else "-"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def rss_mib() -> float:
    """This process's resident memory now (VmRSS), MiB."""
    return _status_kib("VmRSS") / 1024


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM), MiB."""
    return _status_kib("VmHWM") / 1024


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(key + ":"))
    return int(line.split()[1])


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def machine() -> str:
    """CPU model and count, Python and the libraries' versions."""
    model = platform.processor() or platform.machine()
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        model = found.group(1).strip() if found else model
    except OSError:
        pass
    versions = []
    for name in VERSIONS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{name} {importlib.metadata.version(name)}")
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.system()}, "
        f"Python {platform.python_version()}; " + ", ".join(versions)
    )


# -- the script's part of RESULTS.md ----------------------------------------------------


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """The options every bench script takes: --smoke, --quick, --runs N, --write."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="once, smallest set (CI)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and sizes")
    parser.add_argument("--runs", type=int, default=0, help="runs per figure (default 5)")
    parser.add_argument("--write", action="store_true", help="write the section of RESULTS.md")
    return parser


def runs(args: argparse.Namespace, full: int = 5, quick: int = 3) -> int:
    if args.runs:
        return int(args.runs)
    return 1 if args.smoke else quick if args.quick else full


class Section:
    """A script's section of RESULTS.md, between ``<!-- bench:NAME -->`` markers: lines
    printed as they come, written to the file at ``finish`` when asked to."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        self.name, self.write = name, bool(args.write) and not args.smoke
        self.lines: list[str] = []
        self.started = dt.datetime.now().astimezone()
        self.load_before = load()

    def add(self, line: str = "") -> None:
        self.lines.append(line)
        print(line, flush=True)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.add("| " + " | ".join(header) + " |")
        self.add("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for row in rows:
            self.add("| " + " | ".join(row) + " |")
        self.add()

    def finish(self, runs: int) -> None:
        took = (dt.datetime.now().astimezone() - self.started).total_seconds()
        self.add(
            f"_{self.started:%Y-%m-%d %H:%M} ({took:.0f} s), {runs} runs a figure; load average "
            f"(1 / 5 / 15 min) {self.load_before} before, {load()} after; {machine()}._"
        )
        if self.write:
            replace_section(self.name, "\n".join(self.lines).rstrip() + "\n")


def replace_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Put ``body`` between the section's markers in ``path`` (appended if it has none)."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text() if path.exists() else ""
    block = f"{begin}\n{body}{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + f"\n\n{block}\n"
    path.write_text(text)


def python() -> str:
    return sys.executable
