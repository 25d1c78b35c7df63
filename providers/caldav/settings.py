"""A CalDAV source's own config keys: the server, the login, where the password comes from,
how long one request may take."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from syncd import limits
from syncd.config import SourceConfig
from syncd.config_schema import Key, Section
from syncd.config_values import Invalid, argv, duration_within, env_name, http_url, text


@dataclasses.dataclass(frozen=True)
class DavSettings:
    url: str  # the server (or principal, or calendar home) URL
    username: str = ""  # "" = no login
    password_env: str = ""  # the variable holding the password
    password_command: tuple[str, ...] = ()  # or the command printing it
    # One request, from connecting to the answer's last byte (syncd.limits.REQUEST_SECONDS).
    timeout: dt.timedelta = dt.timedelta(seconds=limits.REQUEST_SECONDS)


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
    },
    DavSettings,
    (_both_passwords,),
)


def notes(source: SourceConfig) -> list[str]:
    """What is valid but will not work on this machine yet: an unset password variable."""
    settings: DavSettings = source.settings
    if settings.password_env and settings.password_env not in os.environ:
        return [f"password_env: {settings.password_env} is not set here"]
    return []
