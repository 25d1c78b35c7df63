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
from syncd.service import TEMPLATE_NAME, UNIT_NAME, render_template, render_unit

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


@pytest.mark.parametrize("name", [UNIT_NAME, "syncd@alice.service"])
def test_the_units_pass_systemd_verify_and_are_well_sandboxed(tmp_path: Path, name: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    unit = tmp_path / name  # the template, verified as the instance its file name says
    if name == UNIT_NAME:
        unit.write_text(render_unit([str(SYNCD)], tmp_path / "config.toml", [f"-{tmp_path}"]))
    else:
        unit.write_text(render_template([str(SYNCD)]))
    verify = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    security = subprocess.run([analyze, "security", "--offline=yes", str(unit)],
                              capture_output=True, text=True, check=False)  # fmt: skip
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert score is not None, security.stdout[-500:]
    assert float(score.group(1)) <= 2.5


def fake_systemctl(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose systemctl records what it was asked (no systemd runs here),
    with $XDG_CONFIG_HOME and $XDG_STATE_HOME in ``tmp_path``; the record's file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl.calls"
    fake = bin_dir / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
           "XDG_STATE_HOME": str(tmp_path / "state-home"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    env.pop("SYNCD_STATE_DIR", None)
    env.pop("SYNCD_CONFIG", None)
    return env, calls


def test_service_install_instance_writes_the_template_and_the_instances_paths(
    tmp_path: Path,
) -> None:
    env, calls = fake_systemctl(tmp_path)
    config = tmp_path / "xdg" / "syncd" / "alice.toml"
    config.parent.mkdir(parents=True)
    tokens = tmp_path / "tokens"
    config.write_text(
        '[[sources]]\nname = "gmail"\nkind = "google"\n'
        f'client_secrets = "{tmp_path / "client.json"}"\n'
        f'token_file = "{tokens / "gmail.json"}"\n'
    )
    done = subprocess.run([str(SYNCD), "service", "install", "--instance", "alice", "--now"],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    units = tmp_path / "xdg" / "systemd" / "user"
    assert (units / TEMPLATE_NAME).read_text() == render_template([str(SYNCD.absolute())])
    state = tmp_path / "state-home" / "syncd-alice"
    paths = (units / "syncd@alice.service.d" / "paths.conf").read_text()
    assert paths == f"[Service]\nReadWritePaths=-{state} -{tokens}\n"
    assert state.is_dir() and (state.stat().st_mode & 0o777) == 0o700
    assert calls.read_text().splitlines() == [
        "--user daemon-reload",
        "--user enable --now syncd@alice.service",
    ]
    # as the unit runs it: that config, that state folder
    env["SYNCD_STATE_DIR"] = str(state)
    checked = subprocess.run([str(SYNCD), "--config", str(config), "config", "check"],
                             capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert f'state_dir = "{state}"' in checked.stdout, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--instance", "../x"], "an instance is named by letters"),
        (["--instance", "bob"], "bob.toml"),  # no such config
        (["--instance", "alice", "--config", "x.toml"], "give --config or --instance"),
    ],
)
def test_service_install_instance_refuses_in_one_line(
    tmp_path: Path, args: list[str], said: str
) -> None:
    env, calls = fake_systemctl(tmp_path)
    done = subprocess.run([str(SYNCD), "service", "install", *args],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and said in done.stderr, done.stderr
    assert not calls.exists()


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


def test_the_example_template_in_the_repository_is_what_install_writes() -> None:
    example = Path(__file__).parents[2] / "systemd" / TEMPLATE_NAME
    assert example.read_text() == render_template(["/usr/local/bin/syncd"])
