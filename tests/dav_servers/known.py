"""Tests known to fail on a packaged server, each for a server behaviour the CalDAV
provider does not handle yet: tests/conftest.py marks them xfail with the reason, so
the suites stay green and the failure stays on record (docs/servers.md lists them).

A key is (test module, test function, server), or in place of the server the test's
parameter id (``cyrus-main calendar``) when only one of its runs there fails.
Each fails every time (strict xfail): an unexpected pass fails the run, so the entry
goes when the provider learns the behaviour.
"""

from __future__ import annotations

KNOWN: dict[tuple[str, str, str], str] = {}
