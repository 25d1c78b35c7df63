"""``syncd run --once`` as a process of its own, measured: its CPU time (``os.wait4``) and
its peak resident memory (VmHWM, which the process writes as it exits), startup
included. Not ``ru_maxrss``: Linux starts a child's with the high-water mark of
the parent it was spawned from (a test process holding a 10 MB object reads 120 MiB).

Its stderr is split into log records (``TIME LEVEL logger: message``) and the
lines syncd exits with (one per failed source or calendar).
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# ``python -m syncd``, writing its peak resident memory (kB) to $SYNCD_TEST_PEAK at exit.
MEASURED_SYNCD = """
import atexit, os
def _peak():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    with open(os.environ["SYNCD_TEST_PEAK"], "w") as out:
        out.write(line.split()[1])
atexit.register(_peak)
from syncd.cli import main
main(prog_name="syncd")
"""
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (\w+) ")


@dataclasses.dataclass(frozen=True)
class Run:
    """One ``syncd run --once`` as a process: exit code, stderr, CPU seconds, peak MiB (VmHWM),
    wall seconds."""

    exit_code: int
    stderr: str
    cpu: float
    peak_mib: float
    wall: float

    def show(self, figure: str) -> None:
        """Print the figures of this run (pytest -s shows them), named ``figure``."""
        print(f"\nFIGURE {figure}: cpu {self.cpu:.2f} s, peak {self.peak_mib:.0f} MiB,"
              f" wall {self.wall:.1f} s")  # fmt: skip

    def logged(self, level: str) -> list[str]:
        return [line for line in self.stderr.splitlines() if _level(line) == level]

    @property
    def failures(self) -> list[str]:
        """The lines that are not log records: the one-line errors syncd exits with."""
        return [line for line in self.stderr.splitlines() if line and not _level(line)]


def _level(line: str) -> str:
    match = LOG_LINE.match(line)
    return match.group(1) if match else ""


def run_once(config: Path, *, limit: float = 120) -> Run:
    """``syncd --config CONFIG run --once`` in a process of its own, measured by wait4."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("JOURNAL_STREAM", None)
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as err:
        peak = Path(folder) / "peak"
        env["SYNCD_TEST_PEAK"] = str(peak)
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", MEASURED_SYNCD, "--config", str(config), "run", "--once"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env,
        )  # fmt: skip
        killer = threading.Timer(limit, process.kill)
        killer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        peak_mib = int(peak.read_text()) / 1024 if peak.exists() else float("inf")
    return Run(process.returncode, stderr, usage.ru_utime + usage.ru_stime, peak_mib, wall)
