"""Detection (SPEC 3) and the facts read from an interview (SPEC 4)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import unicodedata
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncd.config import Config, DetectConfig, SourceConfig
from syncd.detect import (
    description_facts,
    detect,
    heard_back_in_title,
    html_to_text,
    normalise_decision,
)
from syncd.domains import names_no_employer, org_name
from syncd.facts import split_phone
from syncd.model import Attendee, CalendarEvent, FollowUpKind, Interview, Markers

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=LONDON)  # a Tuesday
CONFIG = Config(timezone=LONDON)
SOURCE = SourceConfig(name="work", kind="caldav", me=("me@example.com",))
ME = Attendee("me@example.com", "Me", "accepted", is_self=True)


def event(title: str = "Interview with Acme", **fields: Any) -> CalendarEvent:
    start = dt.datetime(2026, 3, 11, 14, 0, tzinfo=LONDON)
    values: dict[str, Any] = {
        "id": "ev1",
        "calendar": "cal",
        "title": title,
        "start": start,
        "end": start + dt.timedelta(hours=1),
    }
    values.update(fields)
    return CalendarEvent(**values)


def with_detect(**fields: Any) -> Config:
    return dataclasses.replace(CONFIG, detect=dataclasses.replace(CONFIG.detect, **fields))


def found(ev: CalendarEvent, config: Config = CONFIG, source: SourceConfig = SOURCE) -> Interview:
    interview = detect(ev, source, config, NOW)
    assert interview is not None
    return interview


# --- detection ------------------------------------------------------------------------

TITLES = [
    ("Interview with Acme", True),
    ("INTERVIEW WITH ACME", True),
    ("interview with acme", True),
    ("İNTERVIEW WITH ACME", True),  # Turkish dotted capital I
    ("Interview mit Müller GmbH", True),
    ("Entretien / Interview – Société Générale", True),
    ("Job-interview: Acme", True),
    ("Acme interview #heard-back", True),
    ("Interviewing skills webinar", False),
    ("Interviews to schedule", False),
    ("Reinterview", False),
    ("Mock interview", False),
    ("Interview prep with coach", False),
    ("Practice Interview", False),
    ("PRACTICE   INTERVIEW with Acme", False),
    ("Vorstellungsgespräch bei Müller", False),
    ("Team lunch", False),
    ("", False),
]


@pytest.mark.parametrize(("title", "expected"), TITLES, ids=[t or "<empty>" for t, _ in TITLES])
def test_title_detection(title: str, expected: bool) -> None:
    assert (detect(event(title), SOURCE, CONFIG, NOW) is not None) is expected


KEYWORD_CASES = [
    ("Vorstellungsgespräch bei Müller", ("vorstellungsgespräch",), True),
    ("VORSTELLUNGSGESPRÄCH", ("Vorstellungsgespräch",), True),
    (unicodedata.normalize("NFD", "Vorstellungsgespräch"), ("Vorstellungsgespräch",), True),
    ("Vorstellungsgespräche planen", ("Vorstellungsgespräch",), False),
    ("Job  talk at Acme", ("job talk",), True),
    ("Job talks", ("job talk",), False),
    ("Interview with Acme", ("vorstellungsgespräch",), False),
]


@pytest.mark.parametrize(
    ("title", "keywords", "expected"),
    KEYWORD_CASES,
    ids=["german", "german-caps", "nfd-title", "longer-word", "spaces", "plural", "not-configured"],
)
def test_configured_keywords(title: str, keywords: tuple[str, ...], expected: bool) -> None:
    config = with_detect(keywords=keywords)
    assert (detect(event(title), SOURCE, config, NOW) is not None) is expected


def test_pattern_matches_title() -> None:
    config = with_detect(patterns=(r"^\d\. runde\b",))
    assert detect(event("2. Runde bei Initech"), SOURCE, config, NOW) is not None
    assert detect(event("Runde bei Initech"), SOURCE, config, NOW) is None


def test_pattern_groups_name_company_and_role() -> None:
    config = with_detect(patterns=(r"^onsite: (?P<company>[^/]+) / (?P<role>.+)$",))
    interview = found(event("Onsite: Initech / Data Analyst"), config)
    assert (interview.company, interview.role) == ("Initech", "Data Analyst")


@pytest.mark.parametrize(
    ("categories", "configured", "expected"),
    [
        (("INTERVIEW",), ("interview",), True),
        (("Work", "Bewerbung"), ("bewerbung",), True),
        (("Work",), ("interview",), False),
        (("Interview",), (), False),
    ],
    ids=["case-insensitive", "one-of-several", "other-category", "none-configured"],
)
def test_category_detection(
    categories: tuple[str, ...], configured: tuple[str, ...], expected: bool
) -> None:
    ev = event("Meeting at Acme", categories=categories)
    assert (detect(ev, SOURCE, with_detect(categories=configured), NOW) is not None) is expected


def test_category_interview_still_excluded_by_title() -> None:
    ev = event("Mock interview", categories=("Interview",))
    assert detect(ev, SOURCE, with_detect(categories=("interview",)), NOW) is None


RULES = [
    ("confirmed", {}, True),
    ("tentative", {"status": "tentative"}, True),
    ("cancelled", {"status": "cancelled"}, False),
    ("cancelled-caps", {"status": "CANCELLED"}, False),
    ("self-declined", {"attendees": (dataclasses.replace(ME, response="declined"),)}, False),
    (
        "me-address-declined",
        {"attendees": (Attendee("ME@Example.com", response="declined"),)},
        False,
    ),
    (
        "me-mailto-declined",
        {"attendees": (Attendee("mailto:me@example.com", response="DECLINED"),)},
        False,
    ),
    ("self-accepted", {"attendees": (ME,)}, True),
    (
        "interviewer-declined",
        {"attendees": (ME, Attendee("jane@acme.com", "Jane", "declined"))},
        True,
    ),
    (
        "syncd-marker",
        {"markers": Markers(FollowUpKind.THANK_YOU, "ev0", "cal", "f" * 32)},
        False,
    ),
]


@pytest.mark.parametrize(("fields", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_status_response_and_markers(fields: dict[str, Any], expected: bool) -> None:
    assert (detect(event(**fields), SOURCE, CONFIG, NOW) is not None) is expected


EVENT_TYPES = [
    ("default", True),
    ("fromGmail", True),
    ("outOfOffice", False),
    ("focusTime", False),
    ("workingLocation", False),
    ("birthday", False),
    ("a type Google adds one day", False),
]


@pytest.mark.parametrize(("event_type", "expected"), EVENT_TYPES, ids=[t for t, _ in EVENT_TYPES])
def test_only_ordinary_events_and_gmails_can_be_interviews(event_type: str, expected: bool) -> None:
    ev = event("Out of office: interview at Umbrella", event_type=event_type)
    assert (detect(ev, SOURCE, CONFIG, NOW) is not None) is expected
    # known before: the lookback is waived, the event type is not
    assert (detect(ev, SOURCE, CONFIG, NOW, known=True) is not None) is expected


# The window is elapsed time: compare instants, whatever the zone (and DST) of now.
UTC_NOW = NOW.astimezone(dt.UTC)
SECOND = dt.timedelta(seconds=1)
WEEK = dt.timedelta(days=7)
HALF_YEAR = dt.timedelta(days=180)
WINDOW = [
    ("ended-exactly-lookback-ago", NOW - WEEK - dt.timedelta(hours=1), NOW - WEEK, True),
    ("ended-just-before-lookback", NOW - WEEK - dt.timedelta(hours=1), NOW - WEEK - SECOND, False),
    ("running-now", NOW - dt.timedelta(minutes=30), NOW + dt.timedelta(minutes=30), True),
    (
        "starts-exactly-lookahead",
        UTC_NOW + HALF_YEAR,
        UTC_NOW + HALF_YEAR + dt.timedelta(hours=1),
        True,
    ),
    (
        "starts-just-after-lookahead",
        UTC_NOW + HALF_YEAR + SECOND,
        UTC_NOW + HALF_YEAR + dt.timedelta(hours=1),
        False,
    ),
    # all-day: midnight in the config zone, the end date exclusive
    ("all-day-ending-inside", dt.date(2026, 3, 3), dt.date(2026, 3, 4), True),
    ("all-day-ended-before", dt.date(2026, 3, 2), dt.date(2026, 3, 3), False),
    ("all-day-last-day-ahead", dt.date(2026, 9, 6), dt.date(2026, 9, 7), True),
    ("all-day-too-far-ahead", dt.date(2026, 9, 7), dt.date(2026, 9, 8), False),
    ("all-day-no-end", dt.date(2026, 3, 3), dt.date(2026, 3, 3), True),
]


@pytest.mark.parametrize(
    ("start", "end", "expected"), [w[1:] for w in WINDOW], ids=[w[0] for w in WINDOW]
)
def test_lookback_and_lookahead(start: dt.date, end: dt.date, expected: bool) -> None:
    assert (detect(event(start=start, end=end), SOURCE, CONFIG, NOW) is not None) is expected


def test_window_follows_config() -> None:
    ev = event(start=NOW - dt.timedelta(days=3, hours=1), end=NOW - dt.timedelta(days=3))
    assert detect(ev, SOURCE, with_detect(lookback=dt.timedelta(days=2)), NOW) is None
    ev = event(start=NOW + dt.timedelta(days=31), end=NOW + dt.timedelta(days=31, hours=1))
    assert detect(ev, SOURCE, with_detect(lookahead=dt.timedelta(days=30)), NOW) is None


def test_all_day_midnight_is_in_config_zone() -> None:
    # Ends at 2026-03-03 00:00 local: 00:00 UTC, but 10:00 UTC in Honolulu.
    ev = event(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3))
    now = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)
    assert detect(ev, SOURCE, Config(timezone=ZoneInfo("UTC")), now) is None
    assert detect(ev, SOURCE, Config(timezone=ZoneInfo("Pacific/Honolulu")), now) is not None


def test_naive_times_are_read_in_config_zone() -> None:
    ev = event(start=dt.datetime(2026, 3, 11, 14, 0), end=dt.datetime(2026, 3, 11, 15, 0))
    assert found(ev).start == dt.datetime(2026, 3, 11, 14, 0)


def test_interview_carries_event_identity() -> None:
    ev = event(
        "Interview with Acme",
        id="uid-1",
        recurrence_id="20260311T140000Z",
        calendar="https://dav.example.com/cal/",
        resource="/cal/uid-1.ics",
        location="1 Main St",
    )
    interview = found(ev)
    assert interview.source == "work"
    assert interview.calendar == "https://dav.example.com/cal/"
    assert interview.key == "uid-1;20260311T140000Z"
    assert interview.resource == "/cal/uid-1.ics"
    assert (interview.title, interview.location) == ("Interview with Acme", "1 Main St")
    assert (interview.start, interview.end) == (ev.start, ev.end)


BROKEN = [
    ("no-start", {"start": None}),
    ("text-start", {"start": "tomorrow"}),
    ("none-title", {"title": None}),
    ("none-everything", {"description": None, "location": None, "status": None, "title": None}),
]


def test_missing_collections_do_not_cost_the_interview() -> None:
    ev = event("Interview with Acme", attendees=None, categories=None, organizer=None)
    assert found(ev).company == "Acme"


@pytest.mark.parametrize("fields", [b[1] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_event_never_raises(
    fields: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = detect(event(**fields), SOURCE, CONFIG, NOW)
    assert result is None
    assert len(caplog.records) <= 1


def test_unreadable_start_is_one_warning_naming_the_event(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert detect(event("Interview with Acme", start=None), SOURCE, CONFIG, NOW) is None
    assert len(caplog.records) == 1
    assert "Interview with Acme" in caplog.records[0].getMessage()


def test_broken_facts_keep_the_interview(caplog: pytest.LogCaptureFixture) -> None:
    ev = event("Interview with Acme", attendees=(ME, None, 42), organizer="jane@acme.com")
    with caplog.at_level(logging.WARNING):
        interview = found(ev)
    assert interview.company == "Acme"
    assert len(caplog.records) <= 1


# --- company and role -----------------------------------------------------------------

TITLE_FACTS = [
    ("Interview with Acme - Senior Engineer", "Acme", "Senior Engineer"),
    ("Interview with Acme – Senior Engineer", "Acme", "Senior Engineer"),
    ("Interview at Globex for Data Analyst", "Globex", "Data Analyst"),
    ("Interview: Initech", "Initech", ""),
    ("Interview: Initech - QA Lead", "Initech", "QA Lead"),
    ("Umbrella interview", "Umbrella", ""),
    ("Umbrella interview - Virologist", "Umbrella", "Virologist"),
    ("Umbrella final phone interview for Virologist", "Umbrella", "Virologist"),
    ("INTERVIEW WITH ACME", "ACME", ""),
    ("interview with acme", "acme", ""),
    ("İnterview with Acme", "Acme", ""),
    ("Second interview at Globex: Data Analyst", "Globex", "Data Analyst"),
    ("Interview with Hewlett-Packard - Engineer", "Hewlett-Packard", "Engineer"),
    ("Interview with Jane Smith at Acme", "Acme", ""),
    ("Interview for Data Analyst at Globex", "Globex", "Data Analyst"),
    ("Interview with Acme (Zoom)", "Acme", ""),
    ("Interview with Acme #heard-back", "Acme", ""),
    ("Interview mit Müller GmbH", "Müller GmbH", ""),
    ("Entretien / Interview – Société Générale", "Société Générale", ""),
    ("[Acme] Interview", "Acme", ""),
    ("Phone interview", "the employer", ""),
    ("Hiring manager interview", "the employer", ""),
    ("Interview", "the employer", ""),
]


@pytest.mark.parametrize(("title", "company", "role"), TITLE_FACTS, ids=[t[0] for t in TITLE_FACTS])
def test_company_and_role_from_title(title: str, company: str, role: str) -> None:
    interview = found(event(title))
    assert (interview.company, interview.role) == (company, role)


ORGANIZERS = [
    ("plain-domain", "jane@acme.com", "Acme"),
    ("country-domain", "jane@jobs.acme.co.uk", "Acme"),
    ("subdomain", "talent@mail.globex.io", "Globex"),
    ("hyphenated", "hr@initech-systems.de", "Initech Systems"),
    ("idna", "hr@xn--mller-kva.de", "Müller"),
    ("gmail", "jane.recruiter@gmail.com", "the employer"),
    ("yahoo-country", "jane@yahoo.co.uk", "the employer"),
    ("gmx", "jane@gmx.net", "the employer"),
    ("proton", "jane@proton.me", "the employer"),
    ("google-group-calendar", "abc123@group.calendar.google.com", "the employer"),
    ("my-own-address", "me@example.com", "the employer"),
]


@pytest.mark.parametrize(
    ("email", "company"), [o[1:] for o in ORGANIZERS], ids=[o[0] for o in ORGANIZERS]
)
def test_company_from_organizer_domain(email: str, company: str) -> None:
    interview = found(event("Interview", organizer=Attendee(email, "Jane Doe")))
    assert interview.company == company


def test_title_company_beats_organizer_domain() -> None:
    interview = found(event("Interview with Globex", organizer=Attendee("jane@acme.com")))
    assert interview.company == "Globex"


def test_self_organized_uses_the_domain_all_guests_share() -> None:
    guests = (ME, Attendee("jane@acme.com", "Jane"), Attendee("bob@eu.acme.com"))
    interview = found(event("Interview", organizer=ME, attendees=guests))
    assert interview.company == "Acme"
    assert interview.contact == "Jane, bob@eu.acme.com"


def test_self_organized_with_guests_of_several_domains_names_no_company() -> None:
    guests = (ME, Attendee("jane@acme.com"), Attendee("bob@globex.com"))
    assert found(event("Interview", organizer=ME, attendees=guests)).company == "the employer"


def test_description_overrides_title() -> None:
    description = "Company: Globex Corporation\nrole:   CTO\n"
    interview = found(event("Interview with Acme - Engineer", description=description))
    assert (interview.company, interview.role) == ("Globex Corporation", "CTO")


# --- contact --------------------------------------------------------------------------

CONTACTS = [
    (
        "line-with-phone",
        {"description": "Contact: Jane Smith, +44 20 7946 0958"},
        ("Jane Smith", "+44 20 7946 0958"),
    ),
    (
        "line-with-us-phone",
        {"description": "CONTACT : Bill (555) 123-4567"},
        ("Bill", "(555) 123-4567"),
    ),
    (
        "line-only-phone",
        {"description": "contact: 020 7946 0958", "organizer": Attendee("jane@acme.com", "Jane")},
        ("Jane", "020 7946 0958"),
    ),
    ("organizer-name", {"organizer": Attendee("jane@acme.com", "Jane Smith")}, ("Jane Smith", "")),
    ("organizer-address", {"organizer": Attendee("jane@acme.com")}, ("jane@acme.com", "")),
    (
        "other-attendees",
        {
            "organizer": ME,
            "attendees": (
                ME,
                Attendee("jane@acme.com", "Jane"),
                Attendee("room@resource.calendar.google.com", "Room 1"),
            ),
        },
        ("Jane", ""),
    ),
    ("nobody", {}, ("", "")),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in CONTACTS], ids=[c[0] for c in CONTACTS]
)
def test_contact(fields: dict[str, Any], expected: tuple[str, str]) -> None:
    interview = found(event(**fields))
    assert (interview.contact, interview.contact_phone) == expected


# --- HTML descriptions ----------------------------------------------------------------

GOOGLE_HTML = (
    "<b>Company:</b> Initech &amp; Co<br>"
    "Role: TPS&nbsp;Reports Lead<br>"
    'Contact: <a href="mailto:bill@initech.com">Bill Lumbergh</a>, +1 (555) 123-4567<br>'
    "<p>Decision: Friday</p>"
    '<div>Join: <a href="https://www.google.com/url?q=https://zoom.us/j/123&amp;sa=D">here</a></div>'
)


def test_google_html_description() -> None:
    interview = found(event("Interview", description=GOOGLE_HTML))
    assert interview.company == "Initech & Co"
    assert interview.role == "TPS Reports Lead"
    assert interview.contact == "Bill Lumbergh (bill@initech.com)"
    assert interview.contact_phone == "+1 (555) 123-4567"
    assert interview.decision == "friday"
    assert interview.remote is True


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("<div><b>Company:</b>&nbsp;A&amp;B</div>", "Company: A&B"),
        ('<a href="https://zoom.us/j/1">https://zoom.us/j/1</a>', "https://zoom.us/j/1"),
        ('<a href="https://zoom.us/j/1">Join</a>', "Join (https://zoom.us/j/1)"),
        ("<ul><li>one</li><li>two</li></ul>", "one\n\ntwo"),
        ("1 &lt; 2 <i>&#8211;</i> ok", "1 < 2 – ok"),
        ("<b>unclosed", "unclosed"),
    ],
    ids=["br", "p", "bold-entities", "autolink", "hidden-link", "list", "entities", "unclosed"],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_description_facts() -> None:
    text = (
        "Hello!\n"
        "  Company :  Acme Ltd  \n"
        "- Agency-Contact: Sam\n"
        "**Decision:** next week\n"
        "company: Second Acme\n"
        "Join: https://zoom.us/j/1\n"
        "https://meet.google.com/abc-defg-hij\n"
        "Role:\n"
    )
    assert description_facts(text) == {
        "company": "Acme Ltd",
        "agency contact": "Sam",
        "decision": "next week",
        "join": "https://zoom.us/j/1",
    }


def test_description_facts_reads_html() -> None:
    assert description_facts("<div>Status: <b>Offer</b></div>") == {"status": "Offer"}


# --- agency ---------------------------------------------------------------------------

HAYS = with_detect(agency_domains=("hays.co.uk",))
SAM = Attendee("sam.jones@uk.hays.co.uk", "Sam Jones")

AGENCIES = [
    (
        "by-line",
        CONFIG,
        {"description": "Agency: Hays\nAgency contact: Sam Jones 020 7946 0958"},
        ("Hays", "Sam Jones", "020 7946 0958"),
    ),
    (
        "staffing-manager-line",
        CONFIG,
        {"description": "Agency: Hays\nStaffing manager: Sam Jones, tel. +44 20 7946 0958"},
        ("Hays", "Sam Jones", "+44 20 7946 0958"),
    ),
    (
        "staffing-manager-line-alone",
        CONFIG,
        {"description": "Staffing Manager: Sam Jones"},
        ("the agency", "Sam Jones", ""),
    ),
    ("by-organizer-domain", HAYS, {"organizer": SAM}, ("Hays", "Sam Jones", "")),
    (
        "by-attendee-domain",
        HAYS,
        {"organizer": Attendee("jane@acme.com", "Jane"), "attendees": (ME, SAM)},
        ("Hays", "Sam Jones", ""),
    ),
    (
        "domain-without-name",
        HAYS,
        {"organizer": Attendee("desk@hays.co.uk")},
        ("Hays", "", ""),
    ),
    (
        "line-beats-domain",
        HAYS,
        {"organizer": SAM, "description": "Agency contact: Kim Lee 07700 900123"},
        ("Hays", "Kim Lee", "07700 900123"),
    ),
    ("no-agency", CONFIG, {"organizer": SAM}, ("", "", "")),
]


@pytest.mark.parametrize(
    ("config", "fields", "expected"), [a[1:] for a in AGENCIES], ids=[a[0] for a in AGENCIES]
)
def test_agency(config: Config, fields: dict[str, Any], expected: tuple[str, str, str]) -> None:
    interview = found(event("Interview with Acme", **fields), config)
    assert (interview.agency, interview.agency_contact, interview.agency_phone) == expected


def test_agency_staff_are_not_the_employer_contact() -> None:
    guests = (ME, SAM, Attendee("jane@acme.com", "Jane Smith"))
    interview = found(event("Interview", organizer=SAM, attendees=guests), HAYS)
    assert (interview.company, interview.contact) == ("Acme", "Jane Smith")


# --- decision -------------------------------------------------------------------------

DECISIONS = [
    ("end of week", "end of week"),
    ("End of Week", "end of week"),
    ("end-of-the-week.", "end of week"),
    ("EOW", "end of week"),
    ("End of next week", "end of next week"),
    ("next week", "next week"),
    ("Next  Week", "next week"),
    ("Friday", "friday"),
    ("fri", "friday"),
    ("by Friday", "friday"),
    ("next Tuesday", "tuesday"),
    ("Thurs.", "thursday"),
    ("2026-12-04", "2026-12-04"),
    ("2026/12/4", "2026-12-04"),
    ("4 December 2026", "2026-12-04"),
    ("Dec 4th, 2026", "2026-12-04"),
    ("2026-02-30", None),
    ("soon", None),
    ("", None),
]


@pytest.mark.parametrize(
    ("text", "expected"), DECISIONS, ids=[d[0] or "<empty>" for d in DECISIONS]
)
def test_normalise_decision(text: str, expected: str | None) -> None:
    assert normalise_decision(text) == expected


def test_decision_from_description() -> None:
    assert found(event(description="Decision: by Friday")).decision == "friday"


def test_absent_decision_is_end_of_week(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert found(event()).decision == "end of week"
    assert not caplog.records


def test_unknown_decision_logs_one_warning_naming_the_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ev = event("Interview with Acme", description="Decision: when the stars align")
    with caplog.at_level(logging.WARNING):
        assert found(ev).decision == "end of week"
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "Interview with Acme" in message and "when the stars align" in message


# --- heard back -----------------------------------------------------------------------

HEARD_BACK = [
    ("status-heard-back", "Interview with Acme", "Status: heard back", True),
    ("status-hyphen", "Interview with Acme", "status: Heard-Back", True),
    ("status-offer", "Interview with Acme", "Status: OFFER (verbal)", True),
    ("status-rejected", "Interview with Acme", "Status: rejected", True),
    ("status-withdrawn", "Interview with Acme", "Status: withdrawn", True),
    ("status-waiting", "Interview with Acme", "Status: waiting", False),
    ("status-not-heard", "Interview with Acme", "Status: not heard back", False),
    ("marker-title", "Interview with Acme #heard-back", "", True),
    ("marker-title-caps", "Interview with Acme #HEARD-BACK", "", True),
    ("marker-no-hyphen", "Interview with Acme #heardback", "", True),
    ("marker-description", "Interview with Acme", "Went well.\n#heard-back", True),
    ("marker-html", "Interview with Acme", "Went well<br><b>#heard-back</b>", True),
    ("nothing", "Interview with Acme", "Went well.", False),
]


@pytest.mark.parametrize(
    ("title", "description", "expected"),
    [h[1:] for h in HEARD_BACK],
    ids=[h[0] for h in HEARD_BACK],
)
def test_heard_back(title: str, description: str, expected: bool) -> None:
    assert found(event(title, description=description)).heard_back is expected


def test_custom_heard_back_marker() -> None:
    config = with_detect(heard_back_marker="!done")
    assert found(event("Interview with Acme !DONE"), config).heard_back is True
    assert found(event("Interview with Acme #heard-back"), config).heard_back is False


@pytest.mark.parametrize(
    ("title", "marker", "expected"),
    [
        ("Follow-up call: Acme #heard-back", "#heard-back", True),
        ("Follow-up call: Acme #Heard_Back", "#heard-back", True),
        ("Follow-up call: Acme", "#heard-back", False),
        ("Follow-up call: Acme #heard-backlog", "#heard-back", False),
        ("Follow-up call: Acme", "", False),
        ("", "#heard-back", False),
    ],
    ids=["plain", "case-and-underscore", "absent", "longer-word", "empty-marker", "empty-title"],
)
def test_heard_back_in_title(title: str, marker: str, expected: bool) -> None:
    assert heard_back_in_title(title, marker) is expected


# --- remote ---------------------------------------------------------------------------

REMOTE = [
    ("zoom-link-in-description", {"description": "Join https://us02web.zoom.us/j/123?pwd=x"}, True),
    ("meet-link-in-location", {"location": "https://meet.google.com/abc-defg-hij"}, True),
    ("teams-link", {"description": "https://teams.microsoft.com/l/meetup-join/19%3ameeting"}, True),
    (
        "teams-in-outlook-safelink",
        {
            "description": "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fteams.microsoft.com%2Fl%2Fx"
        },
        True,
    ),
    (
        "teams-link-in-html-href",
        {"description": '<a href="https://teams.live.com/meet/1">Join</a>'},
        True,
    ),
    ("webex", {"location": "https://acme.webex.com/meet/jane"}, True),
    ("whereby", {"description": "whereby.com/acme-interviews"}, True),
    ("jitsi", {"description": "https://meet.jit.si/AcmeInterview"}, True),
    ("phone-location", {"location": "Phone"}, True),
    ("video-call-location", {"location": "Video call"}, True),
    ("online-location", {"location": "ONLINE"}, True),
    ("remote-location", {"location": "Remote"}, True),
    ("teams-location", {"location": "Microsoft Teams Meeting"}, True),
    ("conference-flag", {"conference": True}, True),
    ("in-person-address", {"location": "Acme HQ, 1 Main Street, London EC1A 1BB"}, False),
    ("lookalike-domain", {"description": "see notzoom.us for parking"}, False),
    ("phone-only-in-description", {"description": "Bring your phone charger"}, False),
    ("nothing", {}, False),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [r[1:] for r in REMOTE], ids=[r[0] for r in REMOTE]
)
def test_remote(fields: dict[str, Any], expected: bool) -> None:
    assert found(event(**fields)).remote is expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Phone interview with Acme", True),
        ("Acme video interview", True),
        ("Interview with Remote Ltd", False),
    ],
    ids=["phone-interview", "video-interview", "company-named-remote"],
)
def test_remote_from_title(title: str, expected: bool) -> None:
    assert found(event(title, location="Acme HQ")).remote is expected


# --- helpers other modules reuse ------------------------------------------------------

PHONES = [
    ("Jane Smith, +44 20 7946 0958", ("Jane Smith", "+44 20 7946 0958")),
    ("Jane (020 7946 0958)", ("Jane", "020 7946 0958")),
    ("Jane tel: (555) 123-4567", ("Jane", "(555) 123-4567")),
    ("+49 (0)30 1234567 Jan", ("Jan", "+49 (0)30 1234567")),
    ("Jane <jane@acme.com>", ("Jane <jane@acme.com>", "")),
    ("Jane, 2026-12-04", ("Jane, 2026-12-04", "")),
    ("Room 12345", ("Room 12345", "")),
]


@pytest.mark.parametrize(("text", "expected"), PHONES, ids=[p[0] for p in PHONES])
def test_split_phone(text: str, expected: tuple[str, str]) -> None:
    assert split_phone(text) == expected


@pytest.mark.parametrize(
    ("domain", "name", "public"),
    [
        ("acme.com", "Acme", False),
        ("jobs.acme.co.uk", "Acme", False),
        ("careers.acme.com.au", "Acme", False),
        ("hays.co.uk", "Hays", False),
        ("gmail.com", "Gmail", True),
        ("yahoo.fr", "Yahoo", True),
        ("web.de", "Web", True),
    ],
    ids=lambda v: str(v),
)
def test_domain_names(domain: str, name: str, public: bool) -> None:
    assert (org_name(domain), names_no_employer(domain)) == (name, public)


def test_detect_config_defaults_match_spec() -> None:
    # Guards the table above: the SPEC defaults this module is written against.
    defaults = DetectConfig()
    assert defaults.keywords == ("interview",)
    assert defaults.exclude == ("mock interview", "interview prep", "practice interview")
    assert defaults.heard_back_marker == "#heard-back"


# --- out of the limits (syncd/limits.py) -------------------------------------------------


@pytest.mark.parametrize(
    "said", ["9999-12-31", "0001-01-01", "99999-01-01", "1899-12-31", "31 December 9999"]
)
def test_decision_dates_out_of_range_are_unknown_with_one_warning(
    said: str, caplog: pytest.LogCaptureFixture
) -> None:
    ev = event("Interview with Acme", description=f"decision: {said}")
    with caplog.at_level(logging.WARNING):
        assert found(ev).decision == "end of week"
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert message.startswith("work: cal: interview 'Interview with Acme'")
    assert said in message and "not understood" in message


def test_decision_dates_at_the_edges_of_the_range_are_read() -> None:
    assert normalise_decision("2200-12-31") == "2200-12-31"
    assert normalise_decision("1900-01-01") == "1900-01-01"


EDGE_TIMES = [
    ("year-9999", dt.datetime(9999, 12, 31, 22, tzinfo=dt.UTC), None),
    ("year-0001-to-9999", dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 12, 31)),
    ("all-day-9999", dt.date(9999, 12, 31), None),
    ("year-0001-to-now", dt.datetime(1, 1, 1, tzinfo=dt.UTC), NOW + dt.timedelta(days=1)),
]


@pytest.mark.parametrize(
    ("start", "end"), [c[1:] for c in EDGE_TIMES], ids=[c[0] for c in EDGE_TIMES]
)
def test_event_times_out_of_range_are_skipped_with_one_warning(
    start: dt.date, end: dt.date | None, caplog: pytest.LogCaptureFixture
) -> None:
    ev = event("Interview with Acme", start=start, end=end or start)
    with caplog.at_level(logging.WARNING):
        assert detect(ev, SOURCE, CONFIG, NOW, known=True) is None
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert message.startswith("work: cal: event 'Interview with Acme' (ev1) skipped:")
    assert "out of range (years 1900 to 2200)" in message


def test_an_event_out_of_range_that_is_no_interview_is_skipped_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ev = event("Team lunch", start=dt.datetime(9999, 12, 31, 22, tzinfo=dt.UTC))
    with caplog.at_level(logging.WARNING):
        assert detect(ev, SOURCE, CONFIG, NOW) is None
    assert not caplog.records


def test_long_title_and_description_are_cut_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    title = "Interview with Acme " + "x" * 1_000_000
    ev = event(title, description="decision: friday\n" + "y" * 10_000_000)
    with caplog.at_level(logging.WARNING):
        interview = found(ev)
    assert len(interview.title) == 1_000 and interview.company.startswith("Acme")
    assert interview.decision == "friday"
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "title cut to its first 1,000 characters" in message
    assert "description cut to its first 65,536 characters" in message
    assert len(message) < 400


def test_a_warning_shows_no_control_characters_of_a_title(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ev = event("Interview\x1b]0;pwned\x07 with Acme", description="decision: 9999-12-31")
    with caplog.at_level(logging.WARNING):
        found(ev)
    message = caplog.records[0].getMessage()
    assert "\x1b" not in message and "\x07" not in message
