"""``syncd demo``: the embedded server, the samples, one pass, the table read back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_prints_the_follow_ups_it_wrote_and_exits_0() -> None:
    syncd = Path(sys.executable).with_name("syncd")
    done = subprocess.run(
        [str(syncd), "demo", "--timezone", "Europe/London"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["Follow-up", "Local", "start", "Reminders", "Calendar"]
    rows = lines[2:]
    assert len(rows) == 6  # two interviews: a thank-you and two calls each
    titles = "\n".join(rows)
    assert titles.count("Thank-you letter: ") == 2
    assert "Follow-up call: Globex" in titles
    assert "Second follow-up call (only if no answer yet): Initech" in titles
    assert all(row.rstrip().endswith("Interviews") for row in rows)
    assert "10 min before" in titles and "0 min before" in titles
