"""``syncd status`` after real passes, and ``syncd service install`` with systemd's own checks."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from backends import PASSWORD_ENV, DavBackend
from click.testing import CliRunner
from servers import DavServer, free_port
from test_scenarios import TITLE, TUESDAY, at

from syncd.cli import main
from syncd.service import UNIT_NAME, render_unit

SYNCD = Path(sys.executable).with_name("syncd")


def syncd(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_status_shows_sources_their_health_and_upcoming_follow_ups(
    radicale: DavServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, radicale.password)
    backend = DavBackend(radicale)
    try:
        backend.put("acme-1", TITLE, at(TUESDAY, 10), at(TUESDAY, 11))
        dead = (
            f'[[sources]]\nname = "offline"\nkind = "caldav"\n'
            f'url = "http://127.0.0.1:{free_port()}/"\nusername = "x"\n'
        )
        config = tmp_path / "config.toml"
        config.write_text(
            f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
            + backend.source_toml(tmp_path)
            + dead
        )
        code, _ = syncd("--config", str(config), "status")
        assert code == 0
        code, _ = syncd("--config", str(config), "run", "--once")
        assert code == 1  # one source failed
        code, out = syncd("--config", str(config), "status")
    finally:
        backend.close()
    assert code == 0
    assert re.search(r"dav \(caldav\): ok, last sync \d{4}-\d\d-\d\d \d\d:\d\d", out), out
    assert "offline (caldav): failing:" in out
    upcoming = out.split("Upcoming follow-ups:")[1]
    assert f"{at(TUESDAY, 12):%a %Y-%m-%d %H:%M}  Thank-you letter: Acme  (dav)" in upcoming
    assert upcoming.count("(dav)") == 3


def test_the_unit_passes_systemd_verify_and_is_well_sandboxed(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    unit = tmp_path / UNIT_NAME
    unit.write_text(render_unit([str(SYNCD)], tmp_path / "config.toml", [f"-{tmp_path}"]))
    verify = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    security = subprocess.run([analyze, "security", "--offline=yes", str(unit)],
                              capture_output=True, text=True, check=False)  # fmt: skip
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert score is not None, security.stdout[-500:]
    assert float(score.group(1)) <= 2.5


def test_service_install_writes_the_unit_and_asks_systemd_to_start_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl.calls"
    # a stand-in for systemctl (no systemd runs here): it records what it was asked
    fake = bin_dir / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    done = subprocess.run([str(SYNCD), "--config", str(config), "service", "install", "--now"],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    unit = (tmp_path / "xdg" / "systemd" / "user" / UNIT_NAME).read_text()
    assert f"ExecStart={SYNCD.absolute()} --config {config} run" in unit
    assert "Type=notify" in unit
    assert f"ReadWritePaths=-{tmp_path / 'state'}" in unit
    assert calls.read_text().splitlines() == [
        "--user daemon-reload",
        f"--user enable --now {UNIT_NAME}",
    ]


def test_the_example_unit_in_the_repository_is_what_install_writes() -> None:
    example = Path(__file__).parents[2] / "systemd" / UNIT_NAME
    rendered = render_unit(["/usr/local/bin/syncd"], None, ["-%h/.local/state/syncd"])
    assert example.read_text() == rendered
