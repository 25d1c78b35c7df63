"""The CalDAV servers of Debian packages, as throwaway loopback instances for the tests:
Cyrus (Fastmail's server), DAViCal and sabre/dav 1.8 (the library under Nextcloud and
Baikal). Each starts only when its programs are installed: ``missing`` says why not
and what to install. Nothing here imports pytest.
"""

from __future__ import annotations

from pathlib import Path

from servers import DavServer

from dav_servers import cyrus, davical, local, sabredav

SERVERS = ("cyrus", "davical", "sabredav")
_PACKAGES = {"cyrus": cyrus.PACKAGES, "davical": davical.PACKAGES, "sabredav": sabredav.PACKAGES}


def missing(name: str) -> str:
    """Why server ``name`` cannot run here and what to install; "" when it can."""
    if name == "cyrus":
        absent = [p for p in cyrus.PROGRAMS if not local.first_program(p)]
    elif name == "davical":
        absent = davical.missing_programs()
    else:
        absent = sabredav.missing_programs()
    if not absent:
        return ""
    packages = _PACKAGES[name]
    return (
        f"{name} is not installed (no {', '.join(absent)}): "
        f"apt-get install --no-install-recommends {packages}"
    )


def start(name: str, folder: Path) -> DavServer:
    """Server ``name`` (one of SERVERS) with its data in ``folder``, its one login ready."""
    starters = {"cyrus": cyrus.start, "davical": davical.start, "sabredav": sabredav.start}
    if name not in starters:
        raise ValueError(f"unknown server {name!r}: expected one of {', '.join(SERVERS)}")
    return starters[name](folder)


def add_login(server: DavServer, name: str, password: str) -> None:
    """A new user ``name`` of the running ``server``, ready to use CalDAV."""
    adders = {"cyrus": cyrus.add_login, "davical": davical.add_login,
              "sabredav": sabredav.add_login, "sabredav-digest": sabredav.add_login}  # fmt: skip
    adders[server.name](server, name, password)


digest_door = sabredav.digest_door
