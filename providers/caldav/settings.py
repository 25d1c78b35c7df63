"""A CalDAV source's own config keys: the server, the login, where the password comes from,
how long one request may take, which certificates to trust."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import logging
import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from syncd import limits
from syncd.config import SourceConfig
from syncd.config_schema import Key, Section
from syncd.config_values import (
    Invalid,
    argv,
    boolean,
    duration_within,
    env_name,
    http_url,
    optional_path,
    text,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class DavSettings:
    url: str  # the server (or principal, or calendar home) URL
    username: str = ""  # "" = no login
    password_env: str = ""  # the variable holding the password
    password_command: tuple[str, ...] = ()  # or the command printing it
    # One request, from connecting to the answer's last byte (syncd.limits.REQUEST_SECONDS).
    timeout: dt.timedelta = dt.timedelta(seconds=limits.REQUEST_SECONDS)
    # TLS: the CA certificate(s) (PEM) to trust beside the system's, for a server whose
    # certificate is its own; ``verify = false`` checks none (a warning every pass).
    ca_file: Path | None = None
    verify: bool = True


def _both_passwords(values: Mapping[str, Any]) -> None:
    if values["password_env"] and values["password_command"]:
        raise Invalid("set password_env or password_command, not both", key="password_command")


SECTION = Section(
    {
        "url": Key(http_url),
        "username": Key(text, ""),
        "password_env": Key(env_name, ""),
        "password_command": Key(argv, [], masked=True),
        "timeout": Key(
            duration_within(limits.TIMEOUT_MIN, limits.TIMEOUT_MAX), f"{limits.REQUEST_SECONDS}s"
        ),
        "ca_file": Key(optional_path, "", empty_means="the system's certificates"),
        "verify": Key(boolean, True),
    },
    DavSettings,
    (_both_passwords,),
)


def notes(source: SourceConfig) -> list[str]:
    """What is valid but will not work on this machine yet, or not safely: an unset
    password variable, a password that would go in clear."""
    settings: DavSettings = source.settings
    found = []
    if settings.password_env and settings.password_env not in os.environ:
        found.append(f"password_env: {settings.password_env} is not set here")
    if host := in_clear(settings):
        found.append(f"url: http:// sends the password in clear to {host}; use https://")
    if settings.ca_file is not None and not settings.ca_file.is_file():
        found.append(f"ca_file: {settings.ca_file} does not exist yet")
    if not settings.verify:
        found.append("verify = false: the server's certificate is not checked; set ca_file")
    return found


def in_clear(settings: DavSettings) -> str:
    """The host a password would be sent to in clear (an http:// URL to another machine,
    with a password set); "" when it would not.

    Loopback (127.0.0.0/8, ::1, localhost) is exempt: what is sent there never leaves
    the machine, and a local server (the demo's, a tunnel's end) is a reason to use it.
    """
    if not settings.username or not (settings.password_env or settings.password_command):
        return ""
    parts = urllib.parse.urlsplit(settings.url)
    host = parts.hostname or ""
    if parts.scheme != "http" or _loopback(host):
        return ""
    return host


_warned: set[tuple[str, str]] = set()


def warn_in_clear(source: SourceConfig) -> None:
    """One warning per process and source when its password would be sent in clear."""
    host = in_clear(source.settings)
    if host and (source.name, host) not in _warned:
        _warned.add((source.name, host))
        log.warning(
            "%s: the url is http://, so the password is sent in clear to %s; use an https://"
            " URL (or a tunnel to it)",
            source.name,
            host,
        )


def _loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return address.is_loopback or (mapped is not None and mapped.is_loopback)
