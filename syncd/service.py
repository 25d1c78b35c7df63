"""``syncd service install``: the systemd user unit that runs this syncd as a daemon.

The unit is ``Type=notify`` (the daemon says READY=1, STATUS=, WATCHDOG=1) and
sandboxed: the file system is read-only to it but for the state folder and the
folders its sources' kinds must write (a refreshed token, say), which the
provider registry names. The unit shipped as ``systemd/syncd.service`` is this
text rendered with the defaults (a test holds the two equal).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from providers import get_kind
from syncd.config import Config
from syncd.errors import SyncdError

UNIT_NAME = "syncd.service"

_UNIT = """\
[Unit]
Description=syncd: interview follow-ups in your calendars
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec_start}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=30
# syncd pings from a thread while its loop shows life; a loop stuck for 10 min stops the pings.
WatchdogSec=2min
TimeoutStopSec=15
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={writable}
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
PrivateMounts=yes
CapabilityBoundingSet=

[Install]
WantedBy=default.target
"""


def syncd_command() -> list[str]:
    """The absolute command line of the syncd running now."""
    script = Path(sys.executable).with_name("syncd")
    if script.exists():
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "syncd"]


def render_unit(command: list[str], config_path: Path | None, writable: list[str]) -> str:
    """The unit's text: ``command`` [--config PATH] run, with these folders writable.

    A folder prefixed "-" may be missing when the service starts.
    """
    argv = [*command, *(["--config", str(config_path)] if config_path else []), "run"]
    exec_start = " ".join(_quote(arg) for arg in argv)
    return _UNIT.format(exec_start=exec_start, writable=" ".join(writable))


def writable_paths(config: Config) -> list[str]:
    """The state folder, and the folders each source's kind writes (e.g. refreshed tokens)."""
    folders = [config.state_dir]
    folders += [path for s in config.sources for path in get_kind(s.kind).writable(s)]
    unique = dict.fromkeys(str(folder) for folder in folders)
    return [f"-{folder}" for folder in unique]


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def install(config: Config, config_path: Path | None, *, start: bool) -> list[str]:
    """Write the unit, reload systemd, with ``start`` enable and start it; what was done.

    Raises SyncdError when systemctl fails; without systemctl the unit is still
    written and the lines to run are returned.
    """
    config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = unit_dir()
    folder.mkdir(parents=True, exist_ok=True)
    unit = folder / UNIT_NAME
    unit.write_text(render_unit(syncd_command(), config_path, writable_paths(config)))
    done = [f"wrote {unit}"]
    steps = [["daemon-reload"]] + ([["enable", "--now", UNIT_NAME]] if start else [])
    systemctl = shutil.which("systemctl")
    for step in steps:
        line = shlex.join(["systemctl", "--user", *step])
        if systemctl is None:
            done.append(f"no systemctl here; run: {line}")
            continue
        result = subprocess.run(
            [systemctl, "--user", *step], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            why = (result.stderr or result.stdout).strip().splitlines()
            raise SyncdError(f"{line} failed: {why[-1] if why else result.returncode}")
        done.append(f"ran {line}")
    if not start:
        done.append(f"to start it: systemctl --user enable --now {UNIT_NAME}")
    return done


def _quote(arg: str) -> str:
    # systemd's ExecStart quoting: double quotes, backslash escapes; "%" doubled.
    text = arg.replace("%", "%%")
    if not any(c in text for c in " \"\\'\t"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
