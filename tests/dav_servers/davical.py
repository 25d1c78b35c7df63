"""DAViCal 1.1 on a private PostgreSQL cluster, a throwaway loopback instance.

The cluster (``initdb``, trust logins, no fsync) listens on a Unix socket in its
data folder only, no TCP port. ``create-database.sh`` builds DAViCal's database
in it, users go in by SQL (``usr`` and ``principal``; a password ``**text`` is
stored in the clear), and PHP's built-in server runs DAViCal's htdocs. DAViCal
reads the package's ``/etc/davical/config.php`` (``dbname=davical
user=davical_app``); libpq finds our cluster by PGHOST and PGPORT in its
environment, so no system file is touched. The URL is ``/caldav.php/``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from servers import DavServer, ServerError, start_on_free_port

from dav_servers import local

HTDOCS = Path("/usr/share/davical/htdocs")
CREATE_DATABASE = Path("/usr/share/davical/dba/create-database.sh")
PACKAGES = "davical php8.2-cgi php8.2-cli php-curl postgresql"
ADMIN_PASSWORD = "adm1n-s3cret"
USER = ("alice", "4lice-s3cret")
PG_PORT = "5432"  # names the socket file only: the cluster listens on no TCP port


def postgres_bin() -> Path | None:
    """The bin folder of the newest PostgreSQL server installed, or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def missing_programs() -> list[str]:
    absent = [str(p) for p in (HTDOCS / "caldav.php", CREATE_DATABASE) if not p.exists()]
    if postgres_bin() is None:
        absent.append("postgres")
    return absent + [name for name in ("php", "psql") if not local.first_program(name)]


def start(folder: Path) -> DavServer:
    """DAViCal with USER (the server's login)."""
    folder.mkdir(parents=True, exist_ok=True)
    owner = local.run_as("postgres")
    data = local.data_folder(folder, "davical", owner)
    database: subprocess.Popen[bytes] | None = None
    try:
        database, env = _start_database(folder, data, owner)
        local.run([str(CREATE_DATABASE), "davical", ADMIN_PASSWORD],
                  folder / "setup.log", "create-database.sh", env=env)  # fmt: skip
        _sql(folder, env, _user_sql(*USER))
        php = local.first_program("php")

        def argv(port: int) -> list[str]:
            return [php, "-S", f"127.0.0.1:{port}", "-t", str(HTDOCS)]

        process, port = start_on_free_port("davical", argv, folder, env, own_group=True)
    except BaseException:
        _stop_database(database, data)
        raise
    server = DavServer("davical", f"http://127.0.0.1:{port}/caldav.php/", *USER, process,
                       folder, port, after_stop=lambda: _stop_database(database, data))  # fmt: skip
    server.extra["env"] = env
    return server


def add_login(server: DavServer, name: str, password: str) -> None:
    """A new user of the running server (a principal of type Person)."""
    _sql(server.folder, server.extra["env"], _user_sql(name, password))


def run_sql(server: DavServer, sql: str) -> None:
    """Run ``sql`` in the running server's database (what only its admin could do)."""
    _sql(server.folder, server.extra["env"], sql)


def _start_database(
    folder: Path, data: Path, owner: str
) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """The private cluster, running and taking logins; the environment that reaches it."""
    bindir = postgres_bin()
    assert bindir is not None
    log = folder / "postgres.log"
    cluster, sockets = data / "cluster", data / "sockets"
    local.run([str(bindir / "initdb"), "-D", str(cluster), "-A", "trust", "-U", "postgres",
               "-E", "UTF8", "--locale=C", "--no-sync"], log, "initdb", user=owner)  # fmt: skip
    sockets.mkdir()
    local.give(sockets, owner)
    argv = [str(bindir / "postgres"), "-D", str(cluster), "-p", PG_PORT, "-k", str(sockets),
            "-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off",
            "-c", "synchronous_commit=off"]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            user=owner if local.as_root() else None, start_new_session=True,
        )  # fmt: skip
    env = {**os.environ, "PGHOST": str(sockets), "PGPORT": PG_PORT, "PGUSER": "postgres"}
    ready = [str(bindir / "pg_isready"), "-q", "-h", str(sockets), "-p", PG_PORT, "-U", "postgres"]
    try:
        local.wait_until(lambda: subprocess.run(ready, check=False).returncode == 0,
                         process, "postgres", log)  # fmt: skip
    except BaseException:
        _stop_database(process, None)
        raise
    return process, env


def _stop_database(process: subprocess.Popen[bytes] | None, data: Path | None) -> None:
    """Fast shutdown by the postmaster's PID (SIGINT: no waiting for clients), then the data."""
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    if data is not None:
        local.remove(data)


def _user_sql(name: str, password: str) -> str:
    name_, password_ = _quote(name), _quote("**" + password)
    return (
        "WITH u AS (INSERT INTO usr (active, username, password, fullname, email) "
        f"VALUES (TRUE, {name_}, {password_}, {name_}, {_quote(name + '@example.com')}) "
        "RETURNING user_no) INSERT INTO principal (type_id, user_no, displayname, "
        f"default_privileges) SELECT 1, user_no, {name_}, 0::BIT(24) FROM u"
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql(folder: Path, env: dict[str, str], sql: str) -> None:
    psql = local.first_program("psql")
    argv = [psql, "-qXAt", "-v", "ON_ERROR_STOP=1", "-d", "davical", "-c", sql]
    try:
        local.run(argv, folder / "setup.log", "psql", env=env)
    except ServerError as exc:
        raise ServerError(f"davical: SQL: {exc}") from None
