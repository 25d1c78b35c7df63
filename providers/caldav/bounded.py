"""A CalDAV server's answer, read whole within the bounds of ``providers.bounded``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class Answer:
    """A server's answer, read whole within the bounds: status, headers, body, and the URL
    that gave it (another than the one asked, after redirects)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    url: str = ""
    sent: str = ""  # the login scheme the request carried ("", "basic", "digest")
