"""HTTP for Graph: one session, every answer read within a deadline and a size.

Each answer is read as it streams in and reading stops at ``answer_bytes``; a
timer ends the request at its deadline (``providers.bounded``, as for CalDAV).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import requests

from providers.bounded import Deadline, TooSlow, read_body

SOCKET_SECONDS = 30  # one socket operation (connect, one read) at most


@dataclasses.dataclass(frozen=True)
class Answer:
    """A whole answer: status, headers (case-insensitive), body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Http:
    """One session; ``send`` makes one request within ``deadline`` seconds and reads at
    most ``answer_bytes`` of its answer. Redirects are not followed (Graph sends none
    to a client that asks as syncd does; a token must not travel elsewhere)."""

    def __init__(self, *, deadline: float, answer_bytes: int) -> None:
        self.deadline, self.answer_bytes = deadline, answer_bytes
        self.session = requests.Session()

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
    ) -> Answer:
        """The answer; TooSlow past the deadline, TooLarge past the size, requests'
        RequestException on a network failure."""
        with Deadline(self.session, self.deadline) as deadline:
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=dict(headers),
                    data=body,
                    stream=True,
                    allow_redirects=False,
                    timeout=(SOCKET_SECONDS, SOCKET_SECONDS),
                )
            except requests.RequestException:
                if deadline.expired:
                    raise TooSlow(self.deadline) from None
                raise
            try:
                deadline.watch(response)
                content = read_body(response, self.answer_bytes, deadline)
            except (requests.RequestException, OSError):
                if deadline.expired:
                    raise TooSlow(self.deadline) from None
                raise
            finally:
                response.close()
            return Answer(response.status_code, response.headers, content)

    def close(self) -> None:
        self.session.close()
