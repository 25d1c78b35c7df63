"""Figure 2: an idle pass as a process: ``syncd run --once`` beside a bare caldav
sync-token script (bench/caldav_sync.py) and ``vdirsyncer sync``, on one Radicale
calendar of 1,000 and 10,000 events.

Each is a whole process, measured by the bench (wall, CPU of the process by
``os.wait4``, peak resident memory by VmHWM): start-up, imports, the request,
the state. Each first runs once untimed (syncd until its writes are done,
vdirsyncer its first download), then the three take turns, ``--runs`` rounds, so
that a change of the machine's load falls on all three alike. vdirsyncer runs
from a venv of its own (``make bench`` makes .venv-bench; ``--vdirsyncer`` names
another interpreter); without it, its column is left out.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import backends, measure  # noqa: E402

if TYPE_CHECKING:
    from bench.idle_pass import Settled

VDIRSYNCER_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
BARE = str(ROOT / "bench" / "caldav_sync.py")
FAILED: list[str] = []  # vdirsyncer's first syncs that failed, and how


def vdirsyncer_config(folder: Path, url: str, user: str) -> Path:
    (folder / "local").mkdir(parents=True)
    path = folder / "config"
    path.write_text(
        f'[general]\nstatus_path = "{folder}/status/"\n\n'
        '[pair bench]\na = "bench_local"\nb = "bench_remote"\ncollections = null\n'
        'conflict_resolution = "b wins"\n\n'
        f'[storage bench_local]\ntype = "filesystem"\npath = "{folder}/local/"\n'
        'fileext = ".ics"\n\n'
        f'[storage bench_remote]\ntype = "caldav"\nurl = "{url}"\nusername = "{user}"\n'
        f'password = "{backends.ENV[backends.PASSWORD_ENV]}"\n'
    )
    return path


def beside(done: Settled, count: int, runs: int, vdirsyncer: Path | None) -> list[list[str]]:
    """The rows of figure 2 on a settled Radicale (figure 1's), everything through its relay."""
    folder, relay = done.folder.parent, done.relay
    source = done.backend.sources[0]
    config = backends.write_config(done.folder, done.backend.sources)
    url, user = f"{source['url']}{source['username']}/bench/", source["username"]
    bare = [BARE, url, user, str(folder / "token")]
    python = sys.executable
    measure.run_child(bare, python=python)  # the first: every href
    commands = {
        "syncd run --once": (["syncd", "--config", str(config), "run", "--once"], python),
        "caldav sync-token script": (bare, python),
    }
    if vdirsyncer is not None:
        settings = vdirsyncer_config(folder / "vdirsyncer", url, user)
        argv = ["vdirsyncer", "--config", str(settings)]
        measure.run_child([*argv, "discover"], python=str(vdirsyncer))
        first = measure.run_child([*argv, "-vdebug", "sync"], python=str(vdirsyncer), check=False)
        if first.code == 0:  # its first download
            commands["vdirsyncer sync"] = ([*argv, "sync"], str(vdirsyncer))
        else:
            said = [line for line in first.stderr.splitlines() if line.startswith("error:")]
            FAILED.append(f"{count:,}: {' '.join(said[:1]) or first.stderr[-200:]}")
            print("\n".join(first.stderr.splitlines()[-80:]), flush=True)
    taken: dict[str, list[measure.Child]] = {name: [] for name in commands}
    sent: dict[str, list[int]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, interpreter) in commands.items():
            before = relay.counts()
            taken[name].append(measure.run_child(argv, python=interpreter))
            after = relay.counts()
            sent[name].append(after["up"] + after["down"] - before["up"] - before["down"])
    ours = taken["syncd run --once"]
    return [
        [
            name,
            f"{count:,}",
            measure.summary([c.wall for c in children]),
            measure.summary([c.cpu for c in children]),
            measure.summary([c.peak_mib for c in children], digits=0),
            f"{measure.median(sent[name]):,.0f}",
            measure.ratio([c.wall for c in ours], [c.wall for c in children]),
            measure.ratio([c.cpu for c in ours], [c.cpu for c in children]),
        ]
        for name, children in taken.items()
    ]


def write(
    section: measure.Section, rows: list[list[str]], runs: int, vdirsyncer: Path | None, args: Any
) -> None:
    """Figure 2's section (made when the measuring began), its rows written."""
    section.add("## 2. Idle pass as a process (Radicale, one calendar)")
    section.add()
    section.add(f"Median (min-max) of {runs} runs; ratios: theirs / syncd's, by medians.")
    if vdirsyncer is None:
        section.add(f"(vdirsyncer left out: no interpreter at {args.vdirsyncer}.)")
    for failure in FAILED:
        section.add(f"(vdirsyncer's first sync failed at {failure[:300]})")
    section.add()
    section.table(
        ["command", "events", "wall s", "CPU s", "peak MiB", "bytes", "wall ratio", "CPU ratio"],
        rows,
    )
    section.finish(runs)


def main() -> None:
    from bench.idle_pass import settled

    parser = measure.arguments(__doc__)
    parser.add_argument("--events", type=int, action="append")
    parser.add_argument("--vdirsyncer", type=Path, default=VDIRSYNCER_PYTHON)
    args = parser.parse_args()
    runs = measure.runs(args)
    sizes = args.events or ([100] if args.smoke else [1_000, 10_000])
    vdirsyncer = args.vdirsyncer if args.vdirsyncer.exists() else None
    section = measure.Section("idle_process", args)
    rows = []
    for count in sizes:
        with (
            tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder,
            settled("radicale", count, Path(folder)) as done,
        ):
            rows += beside(done, count, runs, vdirsyncer)
    write(section, rows, runs, vdirsyncer, args)


if __name__ == "__main__":
    main()
