"""The provider contract suite (docs/providers.md), run on every provider set-up.

Every test of ``test_contract_*.py`` takes the ``setup`` fixture and so runs
once per entry of SETUPS. A new provider adds its set-up here: one name in
SETUPS and one branch in ``_open``. The CalDAV servers are the session's own
(tests/conftest.py); each test gets a fresh calendar on them. Cyrus, DAViCal and
sabre/dav run where their packages are installed; elsewhere their runs are
skipped, saying what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dav_servers import SERVERS

from contract.setups import MemorySetUp, SetUp

SETUPS = ("memory", "radicale", "xandikos", "google", "outlook", *SERVERS)


def _open(name: str, request: pytest.FixtureRequest, folder: Path) -> SetUp:
    if name == "memory":
        return MemorySetUp()
    if name == "google":
        from contract.google_setup import GoogleSetUp  # loads the Google client only when used

        return GoogleSetUp(request.getfixturevalue("google_fake"), folder)
    if name == "outlook":
        from contract.outlook_setup import OutlookSetUp  # loads MSAL only when used

        return OutlookSetUp(request.getfixturevalue("outlook_fake"), folder)
    from contract.dav_setup import DavSetUp

    # Radicale runs with its rights file: the read-only case is its own access rule.
    server = request.getfixturevalue("radicale_rights" if name == "radicale" else name)
    assert server.running, f"{server.name} has stopped; see {server.log_file}"
    return DavSetUp(server)


@pytest.fixture(params=SETUPS)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SetUp]:
    """A provider on a fresh calendar of one service, and that service's user."""
    opened = _open(request.param, request, tmp_path)
    yield opened
    opened.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line to report: how many contract tests, on how many set-ups, how many passed."""
    here = Path(__file__).parent
    runs = {
        outcome: [r for r in terminalreporter.stats.get(outcome, []) if _in_suite(r, here)]
        for outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
    }
    total = sum(len(found) for found in runs.values())
    if not total:
        return
    tests = {r.nodeid.split("[", 1)[0] for found in runs.values() for r in found}
    counts = ", ".join(f"{len(found)} {outcome}" for outcome, found in runs.items() if found)
    terminalreporter.write_line(
        f"provider contract: {len(tests)} tests x {len(SETUPS)} set-ups "
        f"({', '.join(SETUPS)}) = {total} runs: {counts}"
    )


def _in_suite(report: pytest.TestReport, folder: Path) -> bool:
    path = getattr(report, "fspath", "") or report.nodeid.split("::", 1)[0]
    return Path(str(path)).parent.name == folder.name and report.when in ("call", "setup")
