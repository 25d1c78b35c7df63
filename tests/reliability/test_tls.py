"""TLS: a server whose certificate no system trusts fails with one clear line; the source's
``ca_file`` makes it work; ``verify = false`` works with a warning at every pass; no
environment variable turns verification off.

CalDAV: Radicale serving HTTPS with a certificate of a CA of its own
(tests/reliability/tls_server.py). Google: the fake behind a proxy serving HTTPS with
that certificate, the API and the token endpoint both (``api_endpoint`` and the token
file's ``token_uri``: a user behind a proxy of their own). Each holds one interview.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import niquests
import pytest
from daemon_process import SYNCD, NotifySocket, Syncd, daemon_env, next_tuesday_at
from fault_proxy import FaultProxy
from servers import DavServer
from tls_server import Certificates, certificates, start_https_radicale

PASSWORD_ENV = "SYNCD_TLS_PASSWORD"
# What might turn verification off in one library or another: none may, here.
LOOSE_ENV = {
    "PYTHONHTTPSVERIFY": "0",
    "CURL_CA_BUNDLE": "",
    "REQUESTS_CA_BUNDLE": "",
    "SSL_CERT_FILE": "",
    "NIQUESTS_STRICT_OCSP": "0",
}
UNTRUSTED = "the server's certificate is not trusted"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return certificates(tmp_path_factory.mktemp("certs"))


def interview_ics() -> str:
    start = next_tuesday_at(10).astimezone(dt.UTC)
    stamp = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp//App//EN", "BEGIN:VEVENT",
        "UID:acme-1", "DTSTAMP:20260101T090000Z", f"DTSTART:{start:{stamp}}",
        f"DTEND:{start + dt.timedelta(hours=1):{stamp}}", "SUMMARY:Interview with Acme",
        "END:VEVENT", "END:VCALENDAR",
    ]  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture(scope="module")
def https_dav(tmp_path_factory: pytest.TempPathFactory, certs: Certificates) -> Iterator[str]:
    """The HTTPS Radicale, with a calendar holding an interview; its source's table."""
    server: DavServer = start_https_radicale(tmp_path_factory.mktemp("https-radicale"), certs)
    calendar = f"{server.url}alice/jobs/"
    with niquests.Session() as session:
        session.auth = ("alice", "secret")
        body = (
            '<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:'
            'caldav"><D:set><D:prop><D:displayname>Jobs</D:displayname></D:prop></D:set>'
            "</C:mkcalendar>"
        )
        made = session.request("MKCALENDAR", calendar, data=body, verify=str(certs.ca))
        assert made.status_code == 201
        data = interview_ics().encode()
        done = session.put(f"{calendar}acme-1.ics", data=data, verify=str(certs.ca))
        assert done.status_code == 201
    yield (
        f'[[sources]]\nname = "home"\nkind = "caldav"\nurl = "{server.url}"\n'
        f'username = "alice"\npassword_env = "{PASSWORD_ENV}"\ncalendars = ["Jobs"]\n'
    )
    server.stop()


@pytest.fixture(scope="module")
def https_google(
    tmp_path_factory: pytest.TempPathFactory, certs: Certificates
) -> Iterator[tuple[str, Path]]:
    """The Google fake behind an HTTPS proxy, with an interview; its source's table and the
    token file (written anew for each run)."""
    from fakes.google_calendar import FakeGoogleCalendar

    folder = tmp_path_factory.mktemp("https-google")
    with FakeGoogleCalendar(time_zone="Europe/London") as fake:
        start = next_tuesday_at(10)
        fake.add_event(
            fake.account,
            {
                "summary": "Interview with Acme",
                "start": {"dateTime": start.isoformat(), "timeZone": "Europe/London"},
                "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat()},
            },
        )
        proxy = FaultProxy(
            fake.base_url, seed=0, rate=0, flavour="json", tls=(certs.certificate, certs.key)
        )
        base = proxy.url + "/"
        secrets = fake.client_secrets_json(folder / "client_secret.json")
        secrets.write_text(secrets.read_text().replace(fake.base_url, base))
        token = fake.authorized_user_json(folder / "token.json")
        info = json.loads(token.read_text()) | {"token_uri": base + "token"}
        token.write_text(json.dumps(info))
        try:
            yield (
                (
                    f'[[sources]]\nname = "gmail"\nkind = "google"\nclient_secrets = "{secrets}"\n'
                    f'token_file = "{token}"\ncalendars = ["primary"]\n'
                    f'api_endpoint = "{base}calendar/v3/"\n'
                ),
                token,
            )
        finally:
            proxy.close()


@pytest.fixture(params=["caldav", "google"])
def source(request: pytest.FixtureRequest) -> str:
    if request.param == "caldav":
        return str(request.getfixturevalue("https_dav"))
    table, _ = request.getfixturevalue("https_google")
    return str(table)


def config(folder: Path, source: str, extra: str = "", interval: str = "1h") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    head = f'timezone = "Europe/London"\ninterval = "{interval}"\nstate_dir = "{folder}/state"\n'
    path.write_text(head + source + extra)
    return path


def run_once(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SYNCD), "--config", str(path), "run", "--once"],
        env=daemon_env(None, **{PASSWORD_ENV: "secret"}, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_certificate_no_one_trusts_fails_with_one_clear_line(tmp_path: Path, source: str) -> None:
    for number, env in enumerate(({}, LOOSE_ENV)):
        done = run_once(config(tmp_path / str(number), source), **env)
        assert done.returncode == 1, done.stderr
        [line] = done.stderr.splitlines()
        assert UNTRUSTED in line and "set ca_file on the source" in line, line
        assert "Traceback" not in done.stderr


def test_httplib2s_own_variable_set_wrong_is_one_line(tmp_path: Path, source: str) -> None:
    """httplib2 refuses to load when $HTTPLIB2_CA_CERTS names no file (before: a traceback)."""
    done = run_once(config(tmp_path, source), HTTPLIB2_CA_CERTS="")
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1) and len(done.stderr.splitlines()) <= 1, done.stderr


def test_ca_file_makes_it_work(tmp_path: Path, source: str, certs: Certificates) -> None:
    done = run_once(config(tmp_path, source, f'ca_file = "{certs.ca}"\n'), **LOOSE_ENV)
    assert done.returncode == 0, done.stderr
    assert ": did create " in done.stdout
    assert " WARNING " not in done.stderr and " ERROR " not in done.stderr, done.stderr


def test_verify_false_works_with_a_warning_at_every_pass(tmp_path: Path, source: str) -> None:
    path = config(tmp_path, source, "verify = false\n", interval="1s")
    log = tmp_path / "syncd.log"
    notify = NotifySocket()
    daemon = Syncd(path, log, daemon_env(notify, **{PASSWORD_ENV: "secret"}))
    try:
        notify.wait_for("STATUS", count=4, timeout=60)  # READY's, then three passes
        daemon.signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=15) == 0
    finally:
        daemon.stop()
        notify.close()
    passes = len(notify.fields("STATUS")) - 1
    warnings = [line for line in log.read_text().splitlines() if "verify = false" in line]
    assert passes <= len(warnings) <= passes + 1, log.read_text()  # one in flight at the stop
    assert all("WARNING" in line and "set ca_file instead" in line for line in warnings)
    assert notify.fields("STATUS")[-1].endswith("sources: 1 ok")
