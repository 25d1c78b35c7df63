"""``syncd run`` as the user starts it, recording each source's pass: when it was due on
the daemon's schedule, when the loop started it, when it ended, whether it went well.

``BENCH_PROBE=FILE python bench/daemon_probe.py --config CONFIG run``: one JSON
line a pass is appended to FILE (``name``, ``due``, ``start``, ``ended``, ``ok``;
the daemon's own clock, seconds). Nothing else of the daemon is changed: the
probe wraps ``Workers.start`` and keeps a reference to the ``Daemon``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syncd import daemon, workers  # noqa: E402
from syncd.cli import main  # noqa: E402

OUT = open(os.environ["BENCH_PROBE"], "a", buffering=1)  # noqa: SIM115 (open while syncd runs)
LOCK = threading.Lock()
RUNNING: dict[str, Any] = {}
_init, _start = daemon.Daemon.__init__, workers.Workers.start


def _daemon_init(self: daemon.Daemon, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    RUNNING["daemon"] = self


def _start_probed(self: workers.Workers, name: str, run: Callable[[], Any]) -> None:
    loop = RUNNING.get("daemon")
    due = loop.states[name].due if loop is not None and name in loop.states else None
    started = self.clock()

    def probed() -> Any:
        outcome = None
        try:
            outcome = run()
            return outcome
        finally:
            line = {"name": name, "due": due, "start": started, "ended": self.clock(),
                    "ok": bool(outcome is not None and outcome.ok)}  # fmt: skip
            with LOCK:
                OUT.write(json.dumps(line) + "\n")

    _start(self, name, probed)


daemon.Daemon.__init__ = _daemon_init  # type: ignore[method-assign]
workers.Workers.start = _start_probed  # type: ignore[method-assign]

if __name__ == "__main__":
    main(prog_name="syncd")
