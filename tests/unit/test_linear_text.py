"""Every pass over an invitation's text is linear: hostile text at the caps costs little.

Each shape below made one of detection's passes quadratic before (a regex that rescanned
the rest of the text from every position of a run, html.parser rescanning at every
construct it cannot close, an object's repair testing every event with every zone).
Each runs here at the size syncd reads at most (syncd.limits: 1,000 characters of a
title, 64 KiB of a description or location; a broken object of 300 zones and 300
events) and must stay within the issue's bound of 2 s of CPU for one hostile object.
The old implementations are kept here as oracles: on ordinary text the new passes
answer as they did (hypothesis).
"""

from __future__ import annotations

import datetime as dt
import html.parser
import re
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.caldav import salvage
from syncd import facts, limits, planner
from syncd.config import Config, SourceConfig
from syncd.detect import detect
from syncd.facts import (
    description_facts,
    description_text,
    has_meeting_link,
    normalise_decision,
    says_remote,
    split_phone,
)
from syncd.html_text import html_to_text
from syncd.model import Attendee, CalendarEvent
from syncd.titles import _clean, company_and_role, has_keyword, title_says_remote

CPU_SECONDS = 2.0  # the bound for one hostile object
KIB64 = limits.DESCRIPTION_CHARS
TITLE = limits.TITLE_CHARS
KEYWORDS = ("interview", "job interview")


def cpu(function: Callable[..., object], *args: object) -> float:
    start = time.process_time()
    function(*args)
    return time.process_time() - start


def fill(unit: str, size: int, prefix: str = "", suffix: str = "") -> str:
    """``prefix``, then ``unit`` repeated, then ``suffix``: ``size`` characters in all."""
    body = size - len(prefix) - len(suffix)
    return prefix + (unit * (body // len(unit) + 1))[:body] + suffix


# --- descriptions and locations, 64 KiB ------------------------------------------------

DESCRIPTIONS = {
    "a.a.a.": fill("a.", KIB64),
    "http://a.a.a.": fill("a.", KIB64, "http://"),
    "jitsi.jitsi.": fill("jitsi.", KIB64),
    "a-a-a-": fill("a-", KIB64, suffix="!"),
    "<b <b <b": fill("<b ", KIB64),
    "<a x=<a x=": fill("<a x=", KIB64, "<p>"),
    "<a href='": fill("<a href='", KIB64, "<p>"),
    "<![<![": fill("<![", KIB64, "<p>"),
    "<?<?": fill("<?", KIB64, "<p>"),
    "</ </ ": fill("</ ", KIB64, "<p>"),
    "<!--<!--": fill("<!--", KIB64, "<p>"),
    "<p><<<<": fill("<", KIB64, "<p>"),
    "&#9999...": "<p>&#" + "9" * (KIB64 - 5),
    "<a><a><a>": fill('<a href="https://zoom.us/j/1">x', KIB64) + "</a>" * 2000,
    "contact: 1 1 1": fill("1 ", KIB64, "contact: "),
    "contact: tel    x": fill(" ", KIB64, "contact: tel", "x 020 7946 0958"),
    "contact: (((": fill("(", KIB64, "contact: "),
    "decision: by by by": fill("by ", KIB64, "decision: ", " friday"),
    "decision: (((": fill("(", KIB64, "decision: "),
    "key      : spaces": fill(" ", KIB64, "company", ": x"),
    "key: value lines": fill("role: x\n", KIB64),
    "status: heard back": fill("status: heard back ", KIB64),
    "#heard-back": fill("#heard-", KIB64),
}


@pytest.mark.parametrize("shape", DESCRIPTIONS)
def test_a_64_kib_description_of_each_hostile_shape_is_read_in_bounded_time(shape):
    text = DESCRIPTIONS[shape]
    assert len(text) >= KIB64 - 10

    spent = sum(
        cpu(function, text)
        for function in (
            has_meeting_link,
            says_remote,
            description_text,
            description_facts,
            split_phone,
            normalise_decision,
        )
    )

    assert spent < CPU_SECONDS


# --- titles, 1,000 characters -----------------------------------------------------------

TITLES = {
    "-x": fill("-", TITLE, "Interview with Acme ", "x"),
    " -x": fill(" -", TITLE, "Interview with Acme", "x"),
    "(((": fill("(", TITLE, "Interview with "),
    "(((...)))": "Interview with " + "(" * 490 + ")" * 490,
    "keyword repeated": fill("interview ", TITLE),
    "job interview": fill("job interview job ", TITLE),
    "with with": fill(" with", TITLE, "Interview"),
    "at at": fill(" at", TITLE, "Interview with Ann"),
    "(a) (a)": fill("(a) ", TITLE, "Interview with Acme "),
    "quotes": fill('"', TITLE, "Interview with "),
    "phone video": fill("phone video ", TITLE, suffix="interview"),
    "spaces": fill(" ", TITLE, "Interview", "with Acme"),
    "a.a.a.": fill("a.", TITLE, "Interview with "),
}


@pytest.mark.parametrize("shape", TITLES)
def test_a_1000_character_title_of_each_hostile_shape_is_read_in_bounded_time(shape):
    title = TITLES[shape]
    assert len(title) >= TITLE - 20

    spent = cpu(company_and_role, title, KEYWORDS, "#heard-back")
    spent += cpu(title_says_remote, title, KEYWORDS) + cpu(has_keyword, title, KEYWORDS)

    assert spent < CPU_SECONDS


def test_detect_on_an_event_hostile_everywhere_at_the_caps():
    """One event: a hostile title, description and location, each past its cap, and 5,000
    attendees with long names; detection reads it within the bound."""
    start = dt.datetime(2026, 3, 11, 14, tzinfo=ZoneInfo("Europe/London"))
    people = tuple(Attendee(f"p{n}@example.com", "a" * 60 + str(n)) for n in range(5000))
    event = CalendarEvent(
        id="hostile",
        calendar="cal",
        title=TITLES["-x"] * 3,
        start=start,
        end=start + dt.timedelta(hours=1),
        description=DESCRIPTIONS["<a x=<a x="] + "\ncontact: " + "a" * KIB64,
        location=DESCRIPTIONS["a.a.a."] * 2,
        attendees=people,
    )
    config = Config(timezone=ZoneInfo("Europe/London"))
    now = start - dt.timedelta(days=1)

    begun = time.process_time()
    interview = detect(event, SourceConfig("work", "caldav"), config, now)
    spent = time.process_time() - begun

    assert interview is not None
    assert spent < CPU_SECONDS
    assert len(interview.title) == limits.TITLE_CHARS
    assert len(interview.contact) == limits.FACT_CHARS


# --- a broken object: 300 zones and 300 events ---------------------------------------------


def broken_object(count: int) -> str:
    zones = "".join(
        f"BEGIN:VTIMEZONE\r\nTZID:Zone {n}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        f"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        for n in range(count)
    )
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:e{n}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Zone {n}:20270101T100000\r\nDTEND;TZID=Zone {n}:20270101T110000\r\n"
        f"SUMMARY:Interview {n}\r\nEND:VEVENT\r\n"
        for n in range(count)
    )
    # A calendar property icalendar refuses: the whole text fails, the repair runs.
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-BROKEN;=:\r\n{zones}{events}END:VCALENDAR\r\n"


def test_repairing_a_broken_object_of_300_zones_and_300_events_is_bounded():
    text = broken_object(300)

    begun = time.process_time()
    calendar = salvage.read_calendar(text, "hostile.ics")
    spent = time.process_time() - begun

    assert len(calendar.walk("VEVENT")) == 300 and len(calendar.walk("VTIMEZONE")) == 300
    assert spent < CPU_SECONDS


def test_a_broken_object_of_unclosed_blocks_is_bounded():
    text = "BEGIN:VCALENDAR\r\nX-BROKEN;=:\r\n" + "BEGIN:VEVENT\r\nBEGIN:VALARM\r\n" * 20_000
    text += (
        "BEGIN:VEVENT\r\nUID:last\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    begun = time.process_time()
    calendar = salvage.read_calendar(text, "hostile.ics")
    spent = time.process_time() - begun

    assert spent < CPU_SECONDS
    assert calendar.walk("VEVENT") == []  # one block of 40,000 unclosed components: skipped


def test_unreadable_events_are_named_in_one_warning(caplog):
    good = "BEGIN:VEVENT\r\nUID:good\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\n"
    bad = "".join(f"BEGIN:VEVENT\r\nUID:bad{n}\r\nBEGIN:VTODO\r\nEND:VEVENT\r\n" for n in range(7))
    text = f"BEGIN:VCALENDAR\r\nX-BROKEN;=:\r\n{good}{bad}END:VCALENDAR\r\n"

    calendar = salvage.read_calendar(text, "hostile.ics")

    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == ["good"]
    assert [r.getMessage() for r in caplog.records] == [
        "hostile.ics: skipping unreadable 7 VEVENTs: 'bad0', 'bad1', 'bad2' and 4 more"
    ]


# --- the old passes as oracles: the new ones answer the same on ordinary text -----------

OLD_MEETING_LINK = re.compile(
    r"(?<![\w-])(?:[\w-]+\.)*(?:zoom\.us|meet\.google\.com|teams\.microsoft\.com"
    r"|teams\.live\.com|webex\.com|whereby\.com|meet\.jit\.si|jitsi(?:\.[\w-]+)+)(?![\w-])",
    re.IGNORECASE,
)
PIECES = ["zoom.us", "us02web.", "meet.google.com", "jitsi", ".", "-", "a", "x.y", "/", " ",
          "teams.microsoft.com", "webex.com", "meet.jit.si", "_", "é", "://", "%2E"]  # fmt: skip


@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_meeting_links_are_found_as_before(text):
    assert has_meeting_link(text) == bool(
        text and OLD_MEETING_LINK.search(__import__("urllib.parse").parse.unquote(text))
    )


def old_clean(text: str) -> str:
    text = text.strip()
    while len(text) > 1 and text[0] + text[-1] in ("()", "[]", '""', "“”", "''"):
        text = text[1:-1].strip()
    text = re.sub(r"(?<=\S)\s*\([^()]*\)$", "", text)
    text = re.sub(r"^[^\w(\[]+|[^\w.)\]!+]+$", "", text)
    if text.endswith(")") and "(" not in text:
        text = text[:-1].rstrip()
    return text if re.search(r"\w", text) else ""


@settings(max_examples=500)
@given(st.lists(st.sampled_from(list("aZ9_ ()[]\"'“”.!+-:|/,#\t")), max_size=16).map("".join))
def test_titles_are_cleaned_as_before(text):
    assert _clean(text) == old_clean(text)


OLD_FILLER = re.compile(
    r"^(?:by|on|until|till|before|around|about|at|the|this|coming|probably|expected|"
    r"maybe|likely|latest|at the latest)\s+"
)
WORDS = ["by", "at", "the", "latest", "on", "friday", "next", "week", "end", "of", "2027-01-08",
         "probably", "(tbc)", ".", "this", "coming"]  # fmt: skip


def old_normalise(text: str) -> str | None:
    """normalise_decision as it was, its lead words dropped by a regex in a loop."""
    norm = re.sub(r"\([^()]*\)", " ", text.casefold())
    norm = re.sub(r"[\s_]+", " ", norm).strip(" .,;:!?")
    while (shorter := OLD_FILLER.sub("", norm)) != norm:
        norm = shorter
    norm = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", norm)
    if norm in facts._PHRASES:
        return facts._PHRASES[norm]
    day = norm.removeprefix("next ").removesuffix(".")
    if day in facts._WEEKDAY_OF:
        return facts._WEEKDAY_OF[day]
    if match := facts._ISO.match(norm):
        return facts._iso(*match.groups())
    return None


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join))
def test_decisions_read_as_before(said):
    assert normalise_decision(said) == old_normalise(said)


class OldParser(html.parser.HTMLParser):
    """What html_to_text was, less its link targets: the oracle for tags and entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skipping += 1
        elif tag in ("br", "p", "div", "li", "ul"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in ("p", "div", "li", "ul"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def old_text(markup: str) -> str:
    parser = OldParser()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


FRAGMENTS = ["<br>", "<br/>", "<p>", "</p>", "<div class=\"x\">", "</div>", "<b>", "</b>",
             "<li>", "</li>", "<ul>", "</ul>", "<span style='a:b'>", "</span>", "&amp;", "&nbsp;",
             "&#8211;", "&lt;", "Company: Acme", "Role", ": ", "text", " ", "\n", "<!-- c -->",
             "<style>p{}</style>", "<script>x</script>", "<title>t</title>"]  # fmt: skip


@settings(max_examples=500)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join))
def test_html_reads_as_html_parser_read_it(markup):
    assert html_to_text(markup) == old_text(markup)


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ('<a href="https://zoom.us/j/1">Join</a>', "Join (https://zoom.us/j/1)"),
        ("<a href='mailto:ann@acme.example'>Ann</a>", "Ann (ann@acme.example)"),
        (
            "<a href=https://meet.google.com/x>https://meet.google.com/x</a>",
            "https://meet.google.com/x",
        ),
        ('<a href="https://zoom.us/j/1">Join', "Join (https://zoom.us/j/1)"),  # never closed
        ("&#99999999999999;", "\ufffd"),  # past any code point: no ValueError
        ("<p>a < b</p>", "a < b"),
    ],
)
def test_html_links_and_oddities(markup, text):
    assert html_to_text(markup) == text


def old_blocks(text: str, name: str) -> list[str]:
    pattern = rf"^BEGIN:{name}\r?\n.*?^END:{name}\r?(?:\n|\Z)"
    return [m.group(0) for m in re.finditer(pattern, text, re.M | re.S | re.I)]


LINES = ["BEGIN:VEVENT", "END:VEVENT", "begin:vevent", "UID:x", "BEGIN:VALARM", "END:VALARM",
         "BEGIN:VTIMEZONE", "END:VTIMEZONE", "X:y"]  # fmt: skip


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from(LINES), max_size=12),
    st.sampled_from(["\r\n", "\n"]),
    st.booleans(),
)
def test_blocks_are_found_as_before(lines, newline, last_newline):
    text = newline.join(lines) + (newline if last_newline else "")
    assert list(salvage._blocks(text, "VEVENT")) == old_blocks(text, "VEVENT")


@pytest.mark.parametrize(
    "contact", ["a" * 65536, "<" * 65536, "<a" * 32768, "a@" * 32768, "1(" * 32768]
)
def test_the_greetings_name_is_read_in_bounded_time_past_the_fact_cap(contact):
    # FACT_CHARS cuts a contact to 500 characters first; the pass itself is linear too.
    assert cpu(planner._person_name, contact) < CPU_SECONDS  # was 6 s at 64 KiB


@pytest.mark.parametrize(
    ("contact", "name"),
    [
        ("Ann Smith <ann@x.com>, bob@acme.com +44 20 7946 0000", "Ann Smith"),
        ("Ann (ann@x.com)", "Ann"),
        ("Dr. Bo Li", "Dr. Bo Li"),
    ],
)
def test_the_greetings_name_leaves_addresses_and_numbers_out(contact, name):
    assert planner._person_name(contact) == name
