"""Figure 6: start-up. ``syncd --help``, ``syncd config check`` and ``syncd status`` as
whole processes (the console script a user runs) beside ``python -c pass`` (the same
interpreter) and ``vdirsyncer --help`` (its own venv); wall and CPU (``os.wait4``).

The commands take turns, ``--runs`` rounds (default 10). ``config check`` and
``status`` read a config of one CalDAV source whose state holds a pass over a
Radicale calendar of 100 events. Then the modules ``syncd --help`` imports,
the largest first (``python -X importtime``), to see what it loads and need not.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import backends, measure  # noqa: E402
from bench.idle_process import VDIRSYNCER_PYTHON  # noqa: E402

_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def heaviest_imports(argv: list[str], top: str, count: int = 12) -> list[list[str]]:
    """What ``top`` imports itself when ``argv`` (a Python command) runs, by cumulative
    milliseconds (``-X importtime`` prints a module's imports before it, one level in)."""
    python, rest = argv[0], argv[1:]
    result = subprocess.run(
        [python, "-X", "importtime", *rest], capture_output=True, text=True, check=False
    )
    found: list[tuple[int, str]] = []
    children: list[tuple[int, str]] = []
    for line in result.stderr.splitlines():
        match = _IMPORT.match(line)
        if not match:
            continue
        depth, entry = len(match.group(3)) // 2, (int(match.group(2)), match.group(4))
        if depth == 0:
            if entry[1] == top:
                found = children
            children = []
        elif depth == 1:
            children.append(entry)
    found.sort(reverse=True)
    return [[name, f"{micros / 1000:.1f}"] for micros, name in found[:count]]


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--vdirsyncer", type=Path, default=VDIRSYNCER_PYTHON)
    args = parser.parse_args()
    runs = measure.runs(args, full=10, quick=5)
    syncd = str(Path(sys.executable).parent / "syncd")
    vdirsyncer = args.vdirsyncer.parent / "vdirsyncer"
    section = measure.Section("startup", args)
    section.add("## 6. Start-up (whole processes)")
    section.add()
    with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
        backend = backends.radicale(Path(folder) / "server", 100)
        try:
            config = str(backends.write_config(Path(folder) / "syncd", backend.sources))
            measure.run_child([syncd, "--config", config, "run", "--once"])
            commands = {
                "python -c pass": [sys.executable, "-c", "pass"],
                "syncd --help": [syncd, "--help"],
                "syncd config check": [syncd, "--config", config, "config", "check"],
                "syncd status": [syncd, "--config", config, "status"],
            }
            if vdirsyncer.exists():
                commands["vdirsyncer --help"] = [str(vdirsyncer), "--help"]
            taken: dict[str, list[measure.Child]] = {name: [] for name in commands}
            for _ in range(runs):
                for name, argv in commands.items():
                    taken[name].append(measure.run_child(argv))
        finally:
            backend.stop()
    bare = [c.wall for c in taken["python -c pass"]]
    rows = [
        [
            name,
            measure.summary([c.wall for c in children], 1000, 0),
            measure.summary([c.cpu for c in children], 1000, 0),
            f"{(measure.median([c.wall for c in children]) - measure.median(bare)) * 1000:+.0f}",
        ]
        for name, children in taken.items()
    ]
    section.add(
        f"Median (min-max) of {runs} runs, ms; over bare: the wall beyond `python -c pass`."
    )
    section.add()
    section.table(["command", "wall ms", "CPU ms", "over bare ms"], rows)
    section.add("What `syncd.cli` imports itself, the largest first (cumulative ms, one run):")
    section.add()
    imported = heaviest_imports([sys.executable, "-c", "from syncd.cli import main"], "syncd.cli")
    section.table(["module", "ms"], imported)
    section.finish(runs)


if __name__ == "__main__":
    main()
