"""Facts from an interview's free text: descriptions, phones, mail domains, links.

Pure helpers for ``detect`` (docs/behaviour.md, "Facts"). Nothing here raises on odd text:
a value that cannot be read comes back empty, ``None`` or ``False``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import urllib.parse

from syncd import limits
from syncd.html_text import html_to_text

# --- HTML descriptions (Google's web editor) ----------------------------------------

# Whether a description is HTML. Possessive, so each "<" costs at most the text up to
# the next "<" or ">".
_LOOKS_HTML = re.compile(
    r"<(?:br|p|div|span|b|i|u|a|ul|ol|li|strong|em|font|html|body|h[1-6]|table)\b[^<>]*+>"
    r"|</[a-z][a-z0-9]*+\s*+>|&(?:[a-z]{2,8}|#\d{1,7}|#x[0-9a-f]{1,6});",
    re.IGNORECASE,
)


def description_text(description: str) -> str:
    """The description as plain text: HTML (Google's web editor) converted, else as is."""
    if _LOOKS_HTML.search(description):
        return html_to_text(description)
    return description.replace("\r\n", "\n").replace("\r", "\n")


# --- key: value lines -----------------------------------------------------------------

# A bullet or Markdown bold may precede the key; "https://..." is not a fact line.
_FACT_LINE = re.compile(
    r"^[\s*>•·-]*(?P<key>[^\W\d_][\w '&./-]{0,40}?)[\s*]*:(?!//)(?P<value>.*)$",
)


def fact_lines(text: str) -> list[tuple[str, str]]:
    """Every ``key: value`` line of plain text, in order: (lowercased key, value).

    Keys have runs of spaces, ``-`` and ``_`` folded to one space; empty values
    are left out.
    """
    found = []
    for line in text.splitlines():
        match = _FACT_LINE.match(line)
        if match:
            key = re.sub(r"[\s_-]+", " ", match["key"]).strip().casefold()
            value = match["value"].strip().strip("*").strip()
            if value:
                found.append((key, value))
    return found


def description_facts(description: str) -> dict[str, str]:
    """The ``key: value`` lines of a description (plain or HTML), keys lowercased.

    The first non-empty value of a key wins. Never raises.
    """
    facts: dict[str, str] = {}
    for key, value in fact_lines(description_text(description)):
        facts.setdefault(key, value)
    return facts


_HEARD_BACK = re.compile(r"(?:heard ?back|offer|rejected|withdrawn)\b")


def status_heard_back(value: str) -> bool:
    """True when a ``status:`` value says the user heard back (offer, rejected, ...)."""
    norm = re.sub(r"[\s_-]+", " ", value.casefold()).strip()
    return _HEARD_BACK.match(norm) is not None


@functools.lru_cache(maxsize=64)
def _marker_regex(marker: str) -> re.Pattern[str] | None:
    words = [w for w in re.split(r"[\s_-]+", marker.strip()) if w]
    if not words:
        return None
    # "#heard-back", "#heard_back", "#heardback" and "#Heard Back" all count.
    body = r"[\s_-]?".join(re.escape(w) for w in words)
    head = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    tail = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    return re.compile(head + body + tail, re.IGNORECASE)


def heard_back_in_title(title: str, marker: str) -> bool:
    """True when the heard-back ``marker`` stands in ``title`` (any case, any separator).

    Also used on descriptions. An empty marker never matches.
    """
    regex = _marker_regex(marker or "")
    return regex is not None and regex.search(title or "") is not None


def strip_marker(text: str, marker: str) -> str:
    """``text`` without the heard-back marker."""
    regex = _marker_regex(marker or "")
    return regex.sub(" ", text) if regex else text


# --- decision -------------------------------------------------------------------------

_WEEKDAYS = {
    "monday": ("mon",),
    "tuesday": ("tue", "tues"),
    "wednesday": ("wed", "weds"),
    "thursday": ("thu", "thur", "thurs"),
    "friday": ("fri",),
    "saturday": ("sat",),
    "sunday": ("sun",),
}
_WEEKDAY_OF = {alias: day for day, aliases in _WEEKDAYS.items() for alias in (day, *aliases)}
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
# Lead words dropped before a decision is read ("by", "at the latest", ...).
_FILLERS = frozenset({
    "by", "on", "until", "till", "before", "around", "about", "at", "the", "this", "coming",
    "probably", "expected", "maybe", "likely", "latest",
})  # fmt: skip
_PHRASES = {
    "end of week": "end of week",
    "end of the week": "end of week",
    "end of this week": "end of week",
    "week end": "end of week",
    "eow": "end of week",
    "week": "end of week",
    "end of next week": "end of next week",
    "end of the next week": "end of next week",
    "eonw": "end of next week",
    "next week": "next week",
    "in a week": "next week",
    "within a week": "next week",
    "a week": "next week",
    "one week": "next week",
    "1 week": "next week",
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\.? ([a-z]+)\.?,? (\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")


def _iso(year: str, month: str, day: str) -> str | None:
    # A date outside the years of syncd.limits is no decision anyone stated.
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return date.isoformat() if limits.in_years(date) else None


def normalise_decision(text: str) -> str | None:
    """The decision in planner form, or None when it cannot be read.

    Returns ``"end of week"``, ``"end of next week"``, ``"next week"``, a lowercase
    English weekday (``"fri"`` -> ``"friday"``) or an ISO date ``YYYY-MM-DD`` (also
    read from ``2026/12/04`` or ``4 December 2026``) in the years of syncd.limits
    (``9999-12-31`` cannot be read). Case, spacing, a trailing
    full stop, a parenthesised remark and lead words like "by" do not matter.
    """
    norm = re.sub(r"\([^()]*\)", " ", (text or "").casefold())
    norm = re.sub(r"[\s_]+", " ", norm).strip(" .,;:!?")
    words = norm.split(" ")
    lead = 0
    while lead < len(words) - 1 and words[lead] in _FILLERS:  # the last word stays
        lead += 1
    norm = " ".join(words[lead:])
    norm = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", norm)
    if norm in _PHRASES:
        return _PHRASES[norm]
    day = norm.removeprefix("next ").removesuffix(".")
    if day in _WEEKDAY_OF:
        return _WEEKDAY_OF[day]
    if match := _ISO.match(norm):
        return _iso(*match.groups())
    if (match := _DAY_MONTH_YEAR.match(norm)) and match[2] in _MONTHS:
        return _iso(match[3], str(_MONTHS[match[2]]), match[1])
    if (match := _MONTH_DAY_YEAR.match(norm)) and match[1] in _MONTHS:
        return _iso(match[3], str(_MONTHS[match[1]]), match[2])
    return None


# --- phone numbers --------------------------------------------------------------------

_PHONE = re.compile(r"(?<![\w+(])(?:\+|00)?\(?\+?\d[\d ().\-/]{5,}\d(?!\w)")
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
# Possessive: "tel" and a long run of spaces not at the end cost that run once.
_PHONE_LABEL = re.compile(
    r"\b(?:tel|telephone|phone|ph|mobile|mob|cell|call|t|m)\b\.?\s*+(?::\s*+)?$", re.IGNORECASE
)


def split_phone(text: str) -> tuple[str, str]:
    """Split contact text into (the rest, the first phone number in it).

    A phone has 7 to 15 digits (``+44 20 7946 0958``, ``(555) 123-4567``,
    ``020 7946 0958``); dates are not phones. The rest loses the number, its
    label ("tel:") and the separators left dangling. No phone: (text, "").
    """
    for match in _PHONE.finditer(text):
        start, phone = match.start(), match.group()
        if phone.startswith("(") and ")" not in phone:
            start, phone = start + 1, phone[1:]
        digits = sum(c.isdigit() for c in phone)
        if not 7 <= digits <= 15 or _DATE_LIKE.match(phone):
            continue
        before = _PHONE_LABEL.sub("", text[:start])
        rest = before + " " + text[match.end() :]
        rest = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", " ", rest)
        rest = re.sub(r"\s+", " ", rest)
        rest = re.sub(r"\s+([,;)])", r"\1", rest).strip(" ,;:|/–—-")
        return rest, phone.strip()
    return text.strip(), ""


# --- remote ---------------------------------------------------------------------------

# The service's domain as a name of its own or after a dot (us02web.zoom.us): the
# sub-domains before it need not be read, and reading them from every dot of
# "a.a.a..." was quadratic (19.7 s of CPU for 24 KB).
_MEETING_LINK = re.compile(
    r"(?<![\w-])(?:zoom\.us|meet\.google\.com|teams\.microsoft\.com"
    r"|teams\.live\.com|webex\.com|whereby\.com|meet\.jit\.si|jitsi(?:\.[\w-]++)++)(?![\w-])",
    re.IGNORECASE,
)
_REMOTE_WORDS = re.compile(
    r"\b(?:phone|telephone|video|online|remote|virtual|zoom|skype|webex|whereby|jitsi"
    r"|(?:ms |microsoft )?teams|google meet|hangouts?)\b",
    re.IGNORECASE,
)


def has_meeting_link(text: str) -> bool:
    """True when text holds a Zoom, Meet, Teams, Webex, Whereby or Jitsi link."""
    return bool(text) and _MEETING_LINK.search(urllib.parse.unquote(text)) is not None


def says_remote(location: str) -> bool:
    """True when a location says phone, video, online, remote (or names a meeting service)."""
    return bool(location) and _REMOTE_WORDS.search(location) is not None
