"""Time zones of parsed iCalendar objects: what icalendar leaves naive, made aware.

icalendar 7 resolves IANA names, Windows names ("W. Europe Standard Time") and
``/vendor/Area/City`` TZIDs, and TZIDs some VTIMEZONE defined, in this object or
in any object parsed before (a process-wide cache). Outlook display names and
made-up names come out naive, as do floating times. This module decides every
zone itself, from the TZID and the object's own VTIMEZONEs; and a calendar's
own zone from its calendar-timezone property (``calendar_zone``).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import warnings
import zoneinfo
from collections.abc import Iterator
from typing import Any

import icalendar
import x_wr_timezone
from dateutil.rrule import rrulestr
from icalendar.error import GloballyUniqueTZIDGuessed
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from icalendar.timezone.zoneinfo import ZONEINFO

from providers.caldav.budget import cpu_budget
from syncd import limits

# "/mozilla.org/20050126_1/Europe/Berlin" means Europe/Berlin; icalendar says so
# with a UserWarning on every read, which would flood a daemon's log.
warnings.filterwarnings("ignore", category=GloballyUniqueTZIDGuessed)


class _Tzdata(ZONEINFO):
    """icalendar's zone lookup, with a TZID that names a folder of tzdata ("Europe",
    "America/Argentina") or goes through a file ("Europe/London/x") taken as unknown:
    zoneinfo raises an OSError there (IsADirectoryError), which icalendar lets
    through, and one such TZID made its whole object unreadable."""

    def timezone(self, name: str) -> dt.tzinfo | None:
        try:
            return super().timezone(name)
        except OSError:
            return None


icalendar.timezone.tzp.use(_Tzdata())

_UTC = zoneinfo.ZoneInfo("UTC")
DATETIME_PROPS = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")

# Outlook / Exchange write the Windows display name as TZID, often without a
# VTIMEZONE. Keyed by the first place named after the "(UTC+hh:mm)" prefix.
_DISPLAY_NAMES = {
    "coordinated universal time": "UTC",
    "greenwich mean time : dublin": "Europe/London",
    "dublin": "Europe/London",
    "monrovia": "Atlantic/Reykjavik",
    "casablanca": "Africa/Casablanca",
    "amsterdam": "Europe/Berlin",
    "belgrade": "Europe/Budapest",
    "brussels": "Europe/Paris",
    "sarajevo": "Europe/Warsaw",
    "west central africa": "Africa/Lagos",
    "athens": "Europe/Athens",
    "bucharest": "Europe/Bucharest",
    "cairo": "Africa/Cairo",
    "harare": "Africa/Johannesburg",
    "helsinki": "Europe/Helsinki",
    "jerusalem": "Asia/Jerusalem",
    "istanbul": "Europe/Istanbul",
    "kuwait": "Asia/Riyadh",
    "moscow": "Europe/Moscow",
    "nairobi": "Africa/Nairobi",
    "abu dhabi": "Asia/Dubai",
    "islamabad": "Asia/Karachi",
    "chennai": "Asia/Kolkata",
    "kathmandu": "Asia/Kathmandu",
    "dhaka": "Asia/Dhaka",
    "bangkok": "Asia/Bangkok",
    "beijing": "Asia/Shanghai",
    "kuala lumpur": "Asia/Singapore",
    "perth": "Australia/Perth",
    "taipei": "Asia/Taipei",
    "osaka": "Asia/Tokyo",
    "seoul": "Asia/Seoul",
    "adelaide": "Australia/Adelaide",
    "brisbane": "Australia/Brisbane",
    "canberra": "Australia/Sydney",
    "auckland": "Pacific/Auckland",
    "brasilia": "America/Sao_Paulo",
    "buenos aires": "America/Argentina/Buenos_Aires",
    "atlantic time (canada)": "America/Halifax",
    "newfoundland": "America/St_Johns",
    "eastern time (us & canada)": "America/New_York",
    "indiana (east)": "America/Indiana/Indianapolis",
    "bogota": "America/Bogota",
    "central time (us & canada)": "America/Chicago",
    "guadalajara": "America/Mexico_City",
    "saskatchewan": "America/Regina",
    "mountain time (us & canada)": "America/Denver",
    "arizona": "America/Phoenix",
    "pacific time (us & canada)": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "tzone://microsoft/utc": "UTC",
}
_OFFSET_PREFIX = re.compile(r"^\s*\((?:UTC|GMT)[^)]*\)\s*", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def zone_by_name(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone an IANA, Windows, ``/vendor/Area/City`` or Outlook display name means.

    None when unknown.
    """
    name = name.strip().strip('"').strip()
    candidates = [name, WINDOWS_TO_OLSON.get(name, ""), _display_name_zone(name)]
    if name.startswith("/"):  # "/mozilla.org/20050126_1/Europe/Berlin"
        parts = name.strip("/").split("/")
        candidates += ["/".join(parts[i:]) for i in range(1, len(parts))]
    for candidate in candidates:
        # Only known keys: ZoneInfo("Europe") raises IsADirectoryError, not "not found".
        if candidate in _iana_names():
            return zoneinfo.ZoneInfo(candidate)
    return None


@functools.cache
def _iana_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def zone_key(name: str) -> str:
    """The IANA name a TZID means (an IANA name, a Windows or Outlook name, a
    ``/vendor/Area/City`` form); "" when unknown."""
    zone = zone_by_name(name[:200]) if name.strip() else None
    return zone.key if zone is not None else ""


_MAX_LINES = 2000  # a VTIMEZONE has a few dozen; the text is the server's, untrusted


def calendar_zone(timezone_text: str, timezone_id: str = "") -> str:
    """The IANA name of a calendar's zone: RFC 7809's calendar-timezone-id when it names
    one, else the TZID (or X-LIC-LOCATION) of the one VTIMEZONE in the calendar-timezone
    text (RFC 4791 5.2.2); "" when there is none, more than one, or an unknown one.

    A line scan, not a parse: the first _MAX_LINES lines only, nothing built from them.
    """
    found = zone_key(timezone_id)
    if found or not timezone_text:
        return found
    lines = timezone_text.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "")
    zones, depth, names = 0, 0, []
    for line in lines.split("\n", _MAX_LINES)[:_MAX_LINES]:
        head, _, value = line.partition(":")
        name = head.split(";", 1)[0].strip().upper()
        if name == "BEGIN" and value.strip().upper() == "VTIMEZONE":
            zones, depth = zones + 1, 1
        elif name == "BEGIN" and depth:
            depth += 1
        elif name == "END" and depth:
            depth -= 1
        elif depth == 1 and name in ("TZID", "X-LIC-LOCATION"):
            names.append(value.strip())
    if zones != 1:
        return ""
    return next((key for key in map(zone_key, names) if key), "")


def _display_name_zone(tzid: str) -> str:
    places = _OFFSET_PREFIX.sub("", tzid).replace("/", ",").casefold()
    first = " ".join(places.split(",")[0].split())
    return _DISPLAY_NAMES.get(first, "")


def standardise(cal: icalendar.Calendar) -> tuple[icalendar.Calendar, str]:
    """Apply X-WR-TIMEZONE (UTC times shown in that zone); returns the calendar and a
    problem text ("" when fine). An unknown X-WR-TIMEZONE is dropped, times stay UTC."""
    name = cal.get("X-WR-TIMEZONE")
    if name is None:
        return cal, ""
    zone = zone_by_name(str(name))
    del cal["X-WR-TIMEZONE"]  # recurring_ical_events must not apply it a second time
    if zone is None:
        return cal, f"unknown X-WR-TIMEZONE {limits.shown(str(name), 80)!r} ignored"
    return x_wr_timezone.to_standard(cal, timezone=zone), ""


def own_zones(cal: icalendar.Calendar) -> dict[str, icalendar.Component]:
    """The VTIMEZONEs the object itself defines, by TZID."""
    return {
        str(vtz["TZID"]): vtz
        for vtz in cal.subcomponents
        if vtz.name == "VTIMEZONE" and isinstance(vtz.get("TZID"), str)
    }


UNKNOWN = "unknown TZID"


def make_aware(
    component: icalendar.Component, own: dict[str, icalendar.Component], fallback: dt.tzinfo
) -> dict[str, str]:
    """Set the zone of every date-time of the component, in place.

    icalendar's own choice is not trusted: it caches VTIMEZONEs per TZID for the
    whole process, so another object's definition could win. A TZID means the
    zone its name names (IANA, Windows, Outlook display name), else this
    object's VTIMEZONE of that TZID when it can be used at a bounded cost
    (``zone_from_definition``), else ``fallback``; floating times get
    ``fallback``; UTC stays UTC. Returns the TZIDs that fell back, each with
    why (for one warning), empty when all resolved.
    """
    unresolved: dict[str, str] = {}
    for prop in _datetime_props(component):
        tzid = prop.params.get("TZID")
        zone, why = _resolve(str(tzid), own) if tzid else (None, "")
        values = prop.dts if isinstance(prop, icalendar.vDDDLists) else [prop]
        for value in values:
            new = _zoned(value.dt, zone or fallback, force=bool(tzid))
            if new is not None:
                value.dt = new
                if tzid and zone is None:
                    unresolved[str(tzid)] = why
    return unresolved


def _resolve(tzid: str, own: dict[str, icalendar.Component]) -> tuple[dt.tzinfo | None, str]:
    zone = zone_by_name(tzid)
    if zone is not None:
        return zone, ""
    if tzid in own:
        return zone_from_definition(own[tzid].to_ical())
    return None, UNKNOWN


@functools.lru_cache(maxsize=64)
def zone_from_definition(vtimezone: bytes) -> tuple[dt.tzinfo | None, str]:
    """A zone built from VTIMEZONE text, shared by objects with the same definition; or
    None and why not.

    dateutil walks a zone's rules from their DTSTART on every conversion, so a
    definition is used only when it has at most ZONE_TRANSITIONS transitions up
    to LAST_YEAR, counted within ZONE_SECONDS of CPU (syncd.limits).
    """
    try:
        definition = icalendar.Timezone.from_ical(vtimezone)
    except Exception:  # an unusable definition is like none
        return None, UNKNOWN
    why = _past_limits(definition)
    if why:
        return None, why
    try:
        zone: dt.tzinfo | None = definition.to_tz(lookup_tzid=False)  # type: ignore[attr-defined]
    except Exception:
        return None, UNKNOWN
    return zone, ""


def _past_limits(definition: icalendar.Component) -> str:
    """Why a VTIMEZONE would cost too much to use (the start of a warning ending with
    its TZID), or ""."""
    room = limits.ZONE_TRANSITIONS + 1  # one more is enough to know
    with cpu_budget(limits.ZONE_SECONDS) as budget:
        for part in definition.walk():
            if part.name in ("STANDARD", "DAYLIGHT"):
                room -= sum(1 for _ in itertools.islice(_onsets(part), room))
    if budget.over:
        return f"its VTIMEZONE takes more than {limits.ZONE_SECONDS:g} s of CPU to read: TZID"
    if room <= 0:
        return (
            f"its VTIMEZONE has more than {limits.ZONE_TRANSITIONS:,} transitions"
            f" up to {limits.LAST_YEAR}: TZID"
        )
    return ""


def _onsets(part: icalendar.Component) -> Iterator[dt.date]:
    """The onsets up to LAST_YEAR a STANDARD or DAYLIGHT part names (its DTSTART, RDATEs
    and RRULE), the rule's lazily. What cannot be read here is left to icalendar."""
    first = getattr(part.get("DTSTART"), "dt", None)
    if not isinstance(first, dt.datetime):
        return
    first = first.replace(tzinfo=None)
    found = part.get("RDATE")
    rdates = [
        value.dt
        for prop in (found if isinstance(found, list) else [found] if found is not None else [])
        for value in getattr(prop, "dts", [])
    ]
    yield from (d for d in [first, *rdates] if isinstance(d, dt.date) and limits.in_years(d))
    if "RRULE" not in part:
        return
    try:
        rule_text = part["RRULE"].to_ical()
        text = rule_text.decode() if isinstance(rule_text, bytes) else str(rule_text)
        rule = rrulestr(text, dtstart=first, ignoretz=True)
    except Exception:
        return
    yield from itertools.takewhile(lambda moment: moment.year <= limits.LAST_YEAR, rule)


def _datetime_props(component: icalendar.Component) -> Iterator[Any]:
    for name in DATETIME_PROPS:
        found = component.get(name)
        yield from found if isinstance(found, list) else [] if found is None else [found]


def _zoned(value: object, zone: dt.tzinfo, *, force: bool) -> object | None:
    """``value`` with its wall-clock time set in ``zone``; None when nothing changes.

    Without ``force`` only naive (floating) date-times change; UTC never does.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or (force and value.tzinfo not in (dt.UTC, _UTC)):
            return value.replace(tzinfo=zone)
        return None
    if isinstance(value, tuple):  # PERIOD: (start, end or duration)
        parts = [_zoned(part, zone, force=force) for part in value]
        if any(part is not None for part in parts):
            return tuple(
                new if new is not None else old for new, old in zip(parts, value, strict=True)
            )
    return None
