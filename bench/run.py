"""``make bench``: every figure of bench/RESULTS.md, one script after the other.

Each script writes its own section of RESULTS.md (``--write``); this one writes the
header (machine, versions, date, load) and runs them in turn. ``--quick`` gives
each fewer runs; ``--smoke`` runs each once on the smallest set and writes nothing
(what CI runs, through tests/e2e/test_bench_smoke.py). ``--only NAME`` runs some.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402

# The figures' scripts, in the order of RESULTS.md (idle_pass writes figures 1 and 2).
FIGURES = ("idle_pass", "first_read", "first_writes", "latency", "startup", "memory",
           "many_sources")  # fmt: skip
# The earlier benchmarks, which print to stdout (their findings are written by hand).
OTHERS = ("dav_read", "linear_text")
SCRIPTS = FIGURES + OTHERS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", choices=SCRIPTS)
    parser.add_argument("--with-others", action="store_true", help="dav_read, linear_text too")
    args = parser.parse_args()
    chosen = args.only or (SCRIPTS if args.smoke or args.with_others else FIGURES)
    if not args.smoke:
        measure.replace_section(
            "header",
            f"`make bench` began {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on "
            f"{measure.machine()}; load average then (1 / 5 / 15 min): {measure.load()}. "
            "**The machine was shared with other work meanwhile (2 cores, up to four other "
            "test runs): every figure is rough**, wall times more so than CPU times. Each "
            "section's last line says when it ran (a script may be run again alone) and the "
            "load before and after.\n",
        )
    failed = []
    for name in chosen:
        if args.smoke:
            flags = ["--smoke"]
        elif name in OTHERS:
            flags = []
        else:
            flags = ["--write", *(["--quick"] if args.quick else [])]
        began = time.perf_counter()
        print(f"== {name} {' '.join(flags)}", flush=True)
        code = subprocess.call([sys.executable, str(ROOT / "bench" / f"{name}.py"), *flags])
        print(f"== {name}: exit {code} in {time.perf_counter() - began:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
