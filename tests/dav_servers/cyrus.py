"""Cyrus IMAP 3.6 with its CalDAV module (Fastmail's server), a throwaway loopback instance.

``cyrmaster`` runs in the foreground with a config of our own (every path in the
data folder, users in a sasldb of our own, plain logins allowed, ``httpd`` and
``imapd`` on loopback ports). Every service is given ``-C`` too: the master does
not pass its config on, and a child without it reads the system's. CalDAV
answers 500 for a user until the user's mailbox exists: the admin creates it
over IMAP (``CREATE user/NAME``). Cyrus logs only to syslog, so its
``server.log`` holds the master's own output alone. The master runs in a process
group of its own: on SIGTERM it signals its whole group, which would otherwise be
the test run's (as root it cannot, having become ``cyrus``).
"""

from __future__ import annotations

import imaplib
from pathlib import Path

from servers import DavServer, ServerError, free_port, start_on_free_port

from dav_servers import local

PROGRAMS = ("cyrmaster", "saslpasswd2", "/usr/lib/cyrus/bin/httpd")
PACKAGES = "cyrus-imapd cyrus-caldav sasl2-bin"
ADMIN = ("admin", "adm1n-s3cret")
USER = ("alice", "4lice-s3cret")
REALM = "localhost"  # servername: logins without a domain are looked up in it

_IMAPD_CONF = """\
configdirectory: {data}/config
partition-default: {data}/spool
defaultpartition: default
servername: {realm}
cyrus_user: {user}
admins: {admin}
unixhierarchysep: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {data}/sasldb2
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
httpmodules: caldav
httpallowcompress: no
mboxname_lockpath: {data}/lock
proc_path: {data}/proc
statuscache: no
syslog_prefix: syncd-test-cyrus
"""

_CYRUS_CONF = """\
START {{
  recover cmd="ctl_cyrusdb -C {conf} -r"
}}
SERVICES {{
  imap cmd="imapd -C {conf}" listen="127.0.0.1:{imap}" prefork=0
  http cmd="httpd -C {conf}" listen="127.0.0.1:{http}" prefork=0
}}
EVENTS {{
}}
"""


def start(folder: Path) -> DavServer:
    """Cyrus with ADMIN and USER (the server's login, its mailbox made), at ``/``."""
    folder.mkdir(parents=True, exist_ok=True)
    owner = local.run_as("cyrus")
    data = local.data_folder(folder, "cyrus", owner)
    try:
        return _start(folder, data, owner)
    except BaseException:
        local.remove(data)
        raise


def _start(folder: Path, data: Path, owner: str) -> DavServer:
    # The sockets (idle, notify, lmtp) default to config/socket/.
    for sub in ("config", "config/socket", "spool", "lock", "proc"):
        (data / sub).mkdir()
    conf = data / "imapd.conf"
    conf.write_text(_IMAPD_CONF.format(data=data, realm=REALM, user=owner, admin=ADMIN[0]))
    for name, password in (ADMIN, USER):
        _set_password(data, folder, name, password)
    local.give(data, owner, "mail" if local.as_root() else None)
    imap = {"port": 0}

    def argv(port: int) -> list[str]:
        imap["port"] = free_port()
        services = data / "cyrus.conf"
        services.write_text(_CYRUS_CONF.format(conf=conf, imap=imap["port"], http=port))
        local.give(services, owner)
        cyrmaster = local.first_program("cyrmaster")
        return [cyrmaster, "-C", str(conf), "-M", str(services), "-p", str(data / "pid"), "-D"]

    # The master binds every service's port before it answers on any: once httpd
    # answers, imapd takes connections too.
    process, port = start_on_free_port("cyrus", argv, folder, own_group=True)
    server = DavServer("cyrus", f"http://127.0.0.1:{port}/", *USER, process, folder, port,
                       after_stop=lambda: local.remove(data), one_uid_per_account=True)  # fmt: skip
    server.extra["imap_port"] = imap["port"]
    server.extra["data"] = data
    try:
        _create_mailbox(server, USER[0])
    except BaseException:
        server.stop()
        raise
    return server


def add_login(server: DavServer, name: str, password: str) -> None:
    """A new user of the running server, with its mailbox (and so its calendars)."""
    data: Path = server.extra["data"]
    _set_password(data, server.folder, name, password)
    local.give(data / "sasldb2", local.run_as("cyrus"), "mail" if local.as_root() else None)
    _create_mailbox(server, name)


def _set_password(data: Path, folder: Path, name: str, password: str) -> None:
    saslpasswd2 = local.first_program("saslpasswd2")
    argv = [saslpasswd2, "-p", "-c", "-f", str(data / "sasldb2"), "-u", REALM, name]
    local.run(argv, folder / "setup.log", f"saslpasswd2 {name}", text=password)


def _create_mailbox(server: DavServer, name: str) -> None:
    """The user's mailbox, made by the admin over IMAP: CalDAV needs it."""
    with imaplib.IMAP4("127.0.0.1", server.extra["imap_port"], timeout=30) as imap:
        imap.login(*ADMIN)
        status, answer = imap.create(f"user/{name}")
        if status != "OK":
            raise ServerError(f"cyrus: CREATE user/{name}: {answer!r}")
