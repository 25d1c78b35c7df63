"""``syncd service install``: the systemd user unit that runs this syncd as a daemon.

``syncd service install --instance NAME`` writes the template unit
``syncd@.service`` instead (shipped as ``systemd/syncd@.service``): ``syncd@NAME``
reads ``$XDG_CONFIG_HOME/syncd/NAME.toml`` and keeps its state in
``$XDG_STATE_HOME/syncd-NAME``, one daemon per config; the folders an instance's
sources write go in a drop-in of that instance. docs/deploy.md says how to use it.

The unit is ``Type=notify`` (the daemon says READY=1, STATUS=, WATCHDOG=1) and
sandboxed: the file system is read-only to it but for the state folder and the
folders its sources' kinds must write (a refreshed token, say), which the
provider registry names. The unit shipped as ``systemd/syncd.service`` is this
text rendered with the defaults (a test holds the two equal).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from providers import config_sections, get_kind
from syncd import machine
from syncd.config import Config, load_config
from syncd.errors import ConfigError, SyncdError

UNIT_NAME = "syncd.service"
TEMPLATE_NAME = "syncd@.service"
# The template's instance: %i its name, %E $XDG_CONFIG_HOME, %S $XDG_STATE_HOME.
INSTANCE_CONFIG = "%E/syncd/%i.toml"
INSTANCE_STATE = "%S/syncd-%i"
_INSTANCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

_UNIT = """\
[Unit]
Description=syncd: interview follow-ups in your calendars{about}
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=main
{environment}ExecStart={exec_start}
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
    return _UNIT.format(exec_start=exec_start, writable=" ".join(writable), about="",
                        environment="")  # fmt: skip


def render_template(command: list[str]) -> str:
    """The template unit's text: instance NAME runs ``command --config
    $XDG_CONFIG_HOME/syncd/NAME.toml run`` with its state in $XDG_STATE_HOME/syncd-NAME
    (unless that config sets ``state_dir``: the instance's drop-in makes it writable)."""
    exec_start = " ".join([*(_quote(arg) for arg in command), "--config", INSTANCE_CONFIG, "run"])
    return _UNIT.format(
        exec_start=exec_start,
        writable=f"-{INSTANCE_STATE}",
        about=" (%i)",
        environment=f"Environment=SYNCD_STATE_DIR={INSTANCE_STATE}\n",
    )


def render_dropin(writable: list[str]) -> str:
    """An instance's drop-in: the folders its config's sources and state_dir write."""
    return f"[Service]\nReadWritePaths={' '.join(writable)}\n"


def check_instance(name: str) -> str:
    """``name`` when it can name an instance (and its config file), else ConfigError."""
    if not _INSTANCE.fullmatch(name):
        raise ConfigError(
            "service install",
            "--instance",
            f"{name!r}: an instance is named by letters, digits, '_', '.' and '-'"
            " (at most 64, the first a letter or digit); it names NAME.toml and syncd@NAME",
        )
    return name


def writable_paths(config: Config) -> list[str]:
    """The state folder, and the folders each source's kind writes (e.g. refreshed tokens)."""
    folders = [config.state_dir]
    folders += [path for s in config.sources for path in get_kind(s.kind).writable(s)]
    unique = dict.fromkeys(str(folder) for folder in folders)
    return [f"-{folder}" for folder in unique]


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def install_instance(instance: str, *, start: bool) -> list[str]:
    """``install`` of the template and instance ``instance``, its config read from
    NAME.toml as the unit will read it (its state in syncd-NAME unless it says otherwise)."""
    path = machine.instance_config_path(check_instance(instance))
    os.environ["SYNCD_STATE_DIR"] = str(machine.instance_state_dir(instance))
    config = load_config(path, config_sections())
    return install(config, path, start=start, instance=instance)


def install(
    config: Config, config_path: Path | None, *, start: bool, instance: str = ""
) -> list[str]:
    """Write the unit (with ``instance``: the template and that instance's drop-in),
    reload systemd, with ``start`` enable and start it; what was done.

    Raises SyncdError when systemctl fails; without systemctl the unit is still
    written and the lines to run are returned.
    """
    config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = unit_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if instance:
        name = f"syncd@{instance}.service"
        unit = folder / TEMPLATE_NAME
        unit.write_text(render_template(syncd_command()))
        dropin = folder / f"{name}.d" / "paths.conf"
        dropin.parent.mkdir(exist_ok=True)
        dropin.write_text(render_dropin(writable_paths(config)))
        done = [f"wrote {unit}", f"wrote {dropin}"]
    else:
        name, unit = UNIT_NAME, folder / UNIT_NAME
        unit.write_text(render_unit(syncd_command(), config_path, writable_paths(config)))
        done = [f"wrote {unit}"]
    steps = [["daemon-reload"]] + ([["enable", "--now", name]] if start else [])
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
        done.append(f"to start it: systemctl --user enable --now {name}")
    return done


def _quote(arg: str) -> str:
    # systemd's ExecStart quoting: double quotes, backslash escapes; "%" doubled.
    text = arg.replace("%", "%%")
    if not any(c in text for c in " \"\\'\t"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
