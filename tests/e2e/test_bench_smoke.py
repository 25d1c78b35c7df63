"""Every bench script still runs: once, on its smallest set, writing nothing (``--smoke``).

The benchmarks (bench/, ``make bench``) are run by hand and write bench/RESULTS.md;
here each runs as ``make bench-smoke`` runs it, so that a change to syncd that
breaks one shows at once. No figure is asserted: only that the script ends well
and, for a figure's script, that it built its table.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _listed(name: str) -> tuple[str, ...]:
    """A tuple of script names bench/run.py lists (read, not run: it changes sys.path)."""
    for node in ast.parse((BENCH / "run.py").read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            value: tuple[str, ...] = ast.literal_eval(node.value)
            return value
    raise LookupError(name)


FIGURES, OTHERS = _listed("FIGURES"), _listed("OTHERS")
HANG = 300  # seconds: only a guard against a hung script; a smoke run takes seconds


@pytest.mark.slow
@pytest.mark.parametrize("script", FIGURES + OTHERS)
def test_bench_script_runs_on_its_smallest_set(script: str, tmp_path: Path) -> None:
    env = {**os.environ, "SYNCD_BENCH_CACHE": str(tmp_path / "cache"), "TMPDIR": str(tmp_path)}
    env.pop("JOURNAL_STREAM", None)
    result = subprocess.run(
        [sys.executable, str(BENCH / f"{script}.py"), "--smoke"],
        capture_output=True, text=True, timeout=HANG, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    if script in FIGURES:
        assert "|---" in result.stdout, result.stdout[-2000:]
