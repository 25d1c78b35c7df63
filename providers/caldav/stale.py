"""Telling a sync-collection answer that lists changes from one that lists everything.

RFC 6578 has a server refuse a sync-token it no longer knows (``valid-sync-token``).
DAViCal does not: it answers a token it forgot (it drops tokens a week old once
newer ones exist) or never made with a 207 listing every object there is, and no
deletion. Taken as changes, that answer hides every deletion since the token; the
caldav library's hints say SOGo, Stalwart, Purelymail and OX answer so too. And
DAViCal stamps a token with the time of the write that made it, and lists from
that time on: an answer from a good token lists that one write again, unchanged.

What the provider read as of a token rides in it (``tokens.Seen``). An answer is
taken for everything, and the calendar read whole instead (the full read, with the
mass-deletion guard), when it reports no deletion and

- its token went back: the server's new token ends in a smaller number than the
  one sent, with the same text before it (DAViCal's tokens count up: an unknown
  token from another database, or a restored one), or
- it lists two or more objects unchanged since the token (a good answer lists at
  most the one write the token was stamped with), or
- it lists only such objects (a good answer lists that one write only beside a
  change).

Otherwise the objects it lists unchanged are dropped: they were read already.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from providers.caldav.davxml import Member
from providers.caldav.tokens import Seen

_NUMBERED = re.compile(r"(.*?)(\d+)")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """``everything``: the answer lists the whole calendar; ``relisted``: the resources
    it lists unchanged since the token (not to fetch)."""

    everything: bool
    relisted: frozenset[str]
    why: str = ""


def judge(
    members: Sequence[Member], deleted: Sequence[str], seen: Seen, sent: str, got: str
) -> Verdict:
    """The verdict on a sync answer to token ``sent`` (its members, deletions, new token
    ``got``), given what was ``seen`` as of ``sent``."""
    relisted = frozenset(m.resource for m in members if seen.unchanged(m.resource, m.etag))
    if deleted or not members:
        return Verdict(False, relisted)
    if went_back(sent, got):
        return Verdict(True, relisted, f"its new token {got!r} is older than {sent!r}")
    if len(relisted) >= 2 or len(relisted) == len(members):
        return Verdict(True, relisted, f"it lists {len(relisted)} objects read before, unchanged")
    return Verdict(False, relisted)


def went_back(sent: str, got: str) -> bool:
    """Whether ``got`` ends in a smaller number than ``sent``, the text before the same."""
    before, after = _NUMBERED.fullmatch(sent), _NUMBERED.fullmatch(got)
    if before is None or after is None or before.group(1) != after.group(1):
        return False
    return int(after.group(2)) < int(before.group(2))
