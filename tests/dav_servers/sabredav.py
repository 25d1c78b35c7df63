"""sabre/dav 1.8 (the library under Nextcloud and Baikal, as Debian ships it), a throwaway
loopback instance: its example CalDAV server (``sabredav.php``) under PHP's built-in
server, on a sqlite database of the example's schema.

The same calendars answer at ``/`` to Basic logins and at ``/digest/`` to HTTP Digest
only (sabre/dav's standard PDO auth backend, also Baikal's default). A user has no
calendar until one is made (MKCALENDAR). Version 1.8 has no sync-collection: clients
compare the ctag and the etags.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import sqlite3
from pathlib import Path

from servers import DavServer, start_on_free_port

from dav_servers import local

SCRIPT = Path(__file__).with_name("sabredav.php")
LIBRARY = Path("/usr/share/php/Sabre/autoload.php")
PACKAGES = "php-sabre-dav php-sqlite3 php8.2-cli"
REALM = "SabreDAV"  # the realm the script gives the auth plugin: part of a digest's hash
USER = ("alice", "4lice-s3cret")

# The example's sqlite schema (examples/sql/sqlite.*.sql), and a table of plain
# passwords for the Basic door.
_SCHEMA = """\
CREATE TABLE calendarobjects (id integer primary key asc, calendardata blob, uri text,
    calendarid integer, lastmodified integer, etag text, size integer, componenttype text,
    firstoccurence integer, lastoccurence integer);
CREATE TABLE calendars (id integer primary key asc, principaluri text, displayname text,
    uri text, ctag integer, description text, calendarorder integer, calendarcolor text,
    timezone text, components text, transparent bool);
CREATE TABLE principals (id INTEGER PRIMARY KEY ASC, uri TEXT, email TEXT, displayname TEXT,
    vcardurl TEXT, UNIQUE(uri));
CREATE TABLE groupmembers (id INTEGER PRIMARY KEY ASC, principal_id INTEGER,
    member_id INTEGER, UNIQUE(principal_id, member_id));
CREATE TABLE users (id integer primary key asc, username TEXT, digesta1 TEXT, UNIQUE(username));
CREATE TABLE basic_users (username TEXT PRIMARY KEY, password TEXT);
"""


def missing_programs() -> list[str]:
    absent = [str(p) for p in (LIBRARY,) if not p.exists()]
    if not local.first_program("php"):
        absent.append("php")
    return absent


def start(folder: Path) -> DavServer:
    """sabre/dav with USER (the server's login), Basic logins at ``/``."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "sabredav.sqlite"
    with contextlib.closing(sqlite3.connect(database)) as db:
        db.executescript(_SCHEMA)
    _add(database, *USER)
    php = local.first_program("php")
    env = {**os.environ, "SABRE_DB": str(database)}

    def argv(port: int) -> list[str]:
        return [php, "-S", f"127.0.0.1:{port}", str(SCRIPT)]

    process, port = start_on_free_port("sabredav", argv, folder, env, own_group=True)
    url = f"http://127.0.0.1:{port}/"
    server = DavServer("sabredav", url, *USER, process, folder, port, sync_collection=False)
    server.extra["database"] = database
    return server


def digest_door(server: DavServer) -> DavServer:
    """The same server and calendars behind its Digest-only door (``/digest/``). The door
    is no process of its own: stop ``server``, not the door."""
    return dataclasses.replace(
        server, name="sabredav-digest", url=server.url + "digest/", digest=True, after_stop=None
    )


def add_login(server: DavServer, name: str, password: str) -> None:
    """A new user of the running server, at both doors."""
    _add(server.extra["database"], name, password)


def _add(database: Path, name: str, password: str) -> None:
    digest = hashlib.md5(f"{name}:{REALM}:{password}".encode()).hexdigest()  # noqa: S324
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.execute(
            "INSERT INTO principals (uri, email, displayname) VALUES (?, ?, ?)",
            (f"principals/{name}", f"{name}@example.com", name),
        )
        for proxy in ("calendar-proxy-read", "calendar-proxy-write"):
            db.execute("INSERT INTO principals (uri) VALUES (?)", (f"principals/{name}/{proxy}",))
        db.execute("INSERT INTO users (username, digesta1) VALUES (?, ?)", (name, digest))
        db.execute("INSERT INTO basic_users VALUES (?, ?)", (name, password))
