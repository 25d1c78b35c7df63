"""CalDAV sources (Radicale, Xandikos, Nextcloud, iCloud, ...): ``kind = "caldav"``.

Light on purpose: the caldav library, niquests, lxml and icalendar load only
when a source of this kind is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers import ProviderKind
from providers.caldav.settings import SECTION, notes, warn_in_clear

if TYPE_CHECKING:
    from providers import Provider
    from syncd.config import Config, SourceConfig


def _open(source: SourceConfig, config: Config) -> Provider:
    from providers.caldav.provider import open_source

    warn_in_clear(source)
    return open_source(source, config)


KIND = ProviderKind(name="caldav", title="CalDAV", config=SECTION, open=_open, notes=notes)
