"""Every log line syncd writes: no secret of a known shape, no control character, each value
and the whole line cut (syncd/log_hygiene.py, syncd/logs.py).

The libraries that print credentials at DEBUG are kept quiet even at -vv; here they are
let through on purpose, with the very lines they print, to show the second line of
defence: the formatter redacts what they would have shown.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd import limits
from syncd.log_hygiene import REDACTED, clean_message, cut, escape_controls, redact
from syncd.logs import QUIET_LIBRARIES, setup_logging

CODE = "4/0AeanS0ZkD3xq-Yx7GZ1vWq8mFqJm0Y5d"
REFRESH = "1//09gK8Xw2-sh7mCgYIARAAGAkSNwF-L9Ir"
ACCESS = "ya29.a0AfB_byC2x9Kq.Lz-e4mN0pQrS"
CLIENT_SECRET = "GOCSPX-4Zt8Kq9mN0pQrS1tUvWxYz"
PASSWORD = "c0rrect-h0rse-battery"
BASIC = "Y2Fyb2w6YzBycmVjdC1oMHJzZS1iYXR0ZXJ5"  # carol:c0rrect-h0rse-battery
OPAQUE = "tok_8fJ2kQ9zX1"  # a token of no known shape: only its place gives it away
SECRETS = (CODE, REFRESH, ACCESS, CLIENT_SECRET, PASSWORD, BASIC, OPAQUE)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    names = ("syncd", *QUIET_LIBRARIES)
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in names})
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


# What requests-oauthlib and oauthlib print at DEBUG while fetching and refreshing tokens.
LIBRARY_LINES = [
    ("requests_oauthlib.oauth2_session", "Request body was %s",
     (f"grant_type=authorization_code&code={CODE}&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F"
      f"&client_id=123.apps.googleusercontent.com&client_secret={CLIENT_SECRET}",)),
    ("requests_oauthlib.oauth2_session", "Request headers were %s",
     ({"Authorization": f"Basic {BASIC}", "Accept": "application/json"},)),
    ("requests_oauthlib.oauth2_session", "Response headers were %s and content %s.",
     ({"Content-Type": "application/json"},
      json.dumps({"access_token": ACCESS, "refresh_token": REFRESH, "token_type": "Bearer"}))),
    ("requests_oauthlib.oauth2_session", "Obtained token %s.",
     ({"access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 3599},)),
    ("requests_oauthlib.oauth2_session", "Supplying headers %s and data %s",
     ({"Authorization": f"Bearer {OPAQUE}"}, {"password": PASSWORD})),
    ("oauthlib.oauth2.rfc6749.clients.base", "Prepared refresh token request body %s",
     (f"grant_type=refresh_token&refresh_token={REFRESH}&client_secret={CLIENT_SECRET}",)),
    ("google_auth_oauthlib.flow", '"%s" %s %s',
     (f"GET /?state=abc&code={CODE}&scope=calendar HTTP/1.1", "200", "65")),
    ("urllib3.connectionpool", "%s://%s:%s \"%s %s %s\" %s %s",
     ("https", "carol:" + PASSWORD + "@dav.example.com", 443, "GET", "/", "HTTP/1.1", 200, 0)),
    ("syncd.test", "token answer: %r",
     ({"token": OPAQUE, "id_token": OPAQUE, "client_secret": CLIENT_SECRET},)),
]  # fmt: skip


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("journal", [False, True], ids=["terminal", "journald"])
def test_library_debug_lines_let_through_carry_no_secret(journal, capsys):
    setup_logging(2, journal=journal)
    for name in QUIET_LIBRARIES:  # as if a library escaped the list
        logging.getLogger(name).setLevel(logging.DEBUG)
    for name, message, args in LIBRARY_LINES:
        logging.getLogger(name).debug(message, *args)

    printed = capsys.readouterr().err
    assert printed.count(REDACTED) >= len(LIBRARY_LINES)
    for secret in SECRETS:
        assert secret not in printed


@pytest.mark.usefixtures("restore_logging")
def test_the_quiet_libraries_stay_quiet_at_vv(capsys):
    setup_logging(2)
    for name in QUIET_LIBRARIES:
        logging.getLogger(f"{name}.session").debug("Obtained token %s.", {"x": "secret-ish"})
        logging.getLogger(f"{name}.session").info("GET /?code=%s", "also")
    logging.getLogger("googleapiclient.discovery").debug("URL being requested: GET /events")
    logging.getLogger("syncd.test").debug("syncd's own detail")

    printed = capsys.readouterr().err
    assert "secret-ish" not in printed and "also" not in printed
    assert "URL being requested" in printed and "syncd's own detail" in printed


@pytest.mark.usefixtures("restore_logging")
def test_a_traceback_is_redacted_and_each_line_cut(capsys):
    setup_logging(0)
    try:
        raise ValueError(f"token endpoint said: refresh_token={REFRESH} " + "x" * 100_000)
    except ValueError:
        logging.getLogger("syncd.test").exception("refresh failed")

    printed = capsys.readouterr().err
    assert REFRESH not in printed
    assert max(len(line) for line in printed.splitlines()) < limits.LOG_LINE_CHARS + 100


@pytest.mark.usefixtures("restore_logging")
def test_a_megabyte_title_is_one_short_line_with_its_escapes_inert(capsys):
    setup_logging(0)
    title = "Interview\x1b[2J\u202e\nFAKE ERROR " + "x" * 1_000_000
    logging.getLogger("syncd.test").warning("%s: interview %r is gone", "work", title)
    logging.getLogger("syncd.test").warning(f"preformatted {title}")  # noqa: G004

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(len(line) < limits.LOG_LINE_CHARS + 100 for line in lines)
    assert "\x1b" not in lines[0] and "\u202e" not in lines[0]
    assert "Interview\\x1b[2J\\u202e\\nFAKE ERROR" in lines[1]
    assert "characters)" in lines[0]  # it says how long the value was


@pytest.mark.usefixtures("restore_logging")
def test_numbers_keep_their_formats_and_arguments_that_do_not_fit_do_not_raise(capsys):
    setup_logging(0)
    log = logging.getLogger("syncd.test")
    log.warning("%d follow-ups in %.1f s (%x)", 3, 0.25, 255)
    log.warning("%(source)s: %(n)d", {"source": "work", "n": 2})
    wrong = logging.LogRecord(
        "syncd.test", logging.WARNING, "", 0, "one %s too few %s", ("a",), None
    )

    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith("3 follow-ups in 0.2 s (ff)")
    assert lines[1].endswith("work: 2")
    assert clean_message(wrong) == "one %s too few %s"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"code={CODE}&state=x", f"code={REDACTED}&state=x"),
        (f'{{"refresh_token": "{REFRESH}"}}', f'{{"refresh_token": "{REDACTED}"}}'),
        (f"{{'password': '{PASSWORD}'}}", f"{{'password': '{REDACTED}'}}"),
        (f"Authorization: Basic {BASIC}", f"Authorization: {REDACTED}"),
        (f"'authorization': 'Bearer {OPAQUE}'", f"'authorization': '{REDACTED}'"),
        (
            f"https://carol:{PASSWORD}@dav.example.com/",
            f"https://carol:{REDACTED}@dav.example.com/",
        ),
        (f"saved {ACCESS} and {CLIENT_SECRET}", f"saved {REDACTED} and {REDACTED}"),
        ("syncToken=abc pageToken=def exit code 1", "syncToken=abc pageToken=def exit code 1"),
        ("http://127.0.0.1:8080/path", "http://127.0.0.1:8080/path"),
    ],
)
def test_redact(text, redacted):
    assert redact(text) == redacted


def test_escape_controls_and_cut():
    assert escape_controls("a\x1b[31mb\u202ec\x9bd\ne") == "a\\x1b[31mb\\u202ec\\x9bd\\ne"
    assert cut("x" * 600) == "x" * 500 + "... (600 characters)"
    assert cut("short") == "short"


@given(st.text(max_size=200))
def test_a_redacted_line_holds_no_control_character_once_escaped(text):
    line = escape_controls(redact(text))
    assert not any(c in line for c in "\x00\x1b\x07\n\r\x9b\u202e\u2066")
