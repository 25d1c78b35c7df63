"""The defaults that depend on the machine: the system's zone and syncd's folders.

Read by the config's schema for ``timezone`` and ``state_dir`` when the file
leaves them unset, and by the CLI to find the config file. XDG variables are
honoured wherever they are set; else platformdirs' folders.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

LOCALTIME = Path("/etc/localtime")


def system_zone_name() -> str:
    """The system's zone: $TZ when it names a zone, else the /etc/localtime link, else UTC."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    with contextlib.suppress(OSError):
        target = str(LOCALTIME.resolve())
        if "/zoneinfo/" in target:
            name = target.split("/zoneinfo/", 1)[1]
            candidates.append(name.removeprefix("posix/").removeprefix("right/"))
    for name in candidates:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError, OSError):
            if name:
                ZoneInfo(name)
                return name
    return "UTC"


def _xdg(variable: str, fallback: Callable[[str], Path]) -> Path:
    # platformdirs follows XDG on Linux only; syncd honours it everywhere it is set.
    value = os.environ.get(variable, "")
    return Path(value) / "syncd" if os.path.isabs(value) else fallback("syncd")


def default_state_dir() -> str:
    """$SYNCD_STATE_DIR when it is an absolute path (the template unit gives each
    instance its own), else $XDG_STATE_HOME/syncd, else platformdirs' state folder."""
    chosen = os.environ.get("SYNCD_STATE_DIR", "")
    if os.path.isabs(chosen):
        return chosen
    return str(_xdg("XDG_STATE_HOME", platformdirs.user_state_path))


def instance_state_dir(instance: str) -> Path:
    """The state folder of the template unit's instance ``instance``: syncd-NAME beside
    the default one (what ``syncd@NAME`` is given as $SYNCD_STATE_DIR)."""
    return _xdg("XDG_STATE_HOME", platformdirs.user_state_path).with_name(f"syncd-{instance}")


def instance_config_path(instance: str) -> Path:
    """The config of the template unit's instance ``instance``: NAME.toml beside the
    default config (what ``syncd@NAME`` reads)."""
    return _xdg("XDG_CONFIG_HOME", platformdirs.user_config_path) / f"{instance}.toml"


def resolve_config_path(option: str | None) -> Path:
    """The config file: ``--config``, else $SYNCD_CONFIG, else $XDG_CONFIG_HOME/syncd/config.toml.

    Without $XDG_CONFIG_HOME: platformdirs' user config folder (~/.config on Linux).
    """
    chosen = option if option is not None else os.environ.get("SYNCD_CONFIG") or None
    if chosen is not None:
        return Path(chosen).expanduser()
    return _xdg("XDG_CONFIG_HOME", platformdirs.user_config_path) / "config.toml"
