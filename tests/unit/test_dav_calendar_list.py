"""The CalDAV calendar list read from the server's words: privileges, zones, the default.

Answers here are shaped as servers that cannot run on this machine write them
(sabre/dav and Nextcloud: the inbox inside the calendar home, aggregate
privileges spelled out, task lists) and as hostile ones might.
"""

from __future__ import annotations

import pytest

from providers import CalendarInfo
from providers.caldav import davxml, homexml, zones
from providers.caldav.home import mark_default, may_read, may_write

HOME = "/remote.php/dav/calendars/dana/"


def multistatus(*responses: str, prologue: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prologue}\n<d:multistatus xmlns:d="DAV:" '
        'xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">'
        f"{''.join(responses)}</d:multistatus>"
    ).encode()


def response(href: str, props: str, missing: str = "") -> str:
    absent = (
        f"<d:propstat><d:prop>{missing}</d:prop><d:status>HTTP/1.1 404 Not Found</d:status>"
        "</d:propstat>"
        if missing
        else ""
    )
    return (
        f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}</d:prop>"
        f"<d:status>HTTP/1.1 200 OK</d:status></d:propstat>{absent}</d:response>"
    )


def granted(*names: str) -> str:
    inner = "".join(f"<d:privilege><{n}/></d:privilege>" for n in names)
    return f"<d:current-user-privilege-set>{inner}</d:current-user-privilege-set>"


def calendar(name: str, privileges: str = "", extra: str = "", missing: str = "") -> str:
    kinds = "<d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>"
    return response(f"{HOME}{name}/", f"<d:displayname>{name}</d:displayname>{kinds}"
                    f"{privileges}{extra}", missing)  # fmt: skip


def test_a_nextcloud_like_listing() -> None:
    body = multistatus(
        response(HOME, "<d:resourcetype><d:collection/></d:resourcetype>"),
        calendar("personal", granted("d:read", "d:write", "d:write-content", "d:bind")),
        calendar("holidays", granted("d:read", "d:write-properties", "cal:read-free-busy")),
        calendar(
            "tasks",
            granted("d:all"),
            '<cal:supported-calendar-component-set><cal:comp name="VTODO"/>'
            "</cal:supported-calendar-component-set>",
        ),
        calendar("busy", granted("cal:read-free-busy")),
        response(
            f"{HOME}inbox/",
            "<d:resourcetype><d:collection/><cal:schedule-inbox/></d:resourcetype>"
            f"<cal:schedule-default-calendar-URL><d:href>{HOME}personal/</d:href>"
            "</cal:schedule-default-calendar-URL>",
        ),
    )

    listing = homexml.parse_calendar_list(body)

    found = {c.name: (may_write(c.privileges, c.components), may_read(c.privileges))
             for c in listing.calendars}  # fmt: skip
    assert found == {
        "personal": (True, True),
        "holidays": (False, True),  # write-properties is its colour and name, not its events
        "tasks": (False, True),  # takes no VEVENT
        "busy": (False, False),  # free/busy only: never read
    }
    assert [c.href for c in listing.calendars][0] == f"{HOME}personal/"
    assert (listing.default, listing.inbox_seen) == (f"{HOME}personal/", True)


@pytest.mark.parametrize(
    ("privileges", "writable", "readable"),
    [
        (None, True, True),  # the server does not say: try, a refusal is a RefusedError
        (frozenset({"all"}), True, True),  # Xandikos, everywhere
        (frozenset({"read", "all", "write", "write-content"}), True, True),  # Radicale "rw"
        (frozenset({"read"}), False, True),  # Radicale "r"
        (frozenset({"read", "write-content", "bind"}), True, True),
        (frozenset({"read", "write-content"}), False, True),  # may edit, not create
        (frozenset({"read", "bind", "unbind"}), False, True),
        (frozenset(), False, False),
    ],
)
def test_what_the_privileges_allow(
    privileges: frozenset[str] | None, writable: bool, readable: bool
) -> None:
    assert (may_write(privileges, None), may_read(privileges)) == (writable, readable)


def test_a_privilege_set_the_server_does_not_report_is_none() -> None:
    body = multistatus(calendar("work", "", ""), calendar("home", granted()))

    work, home = homexml.parse_calendar_list(body).calendars

    assert (work.privileges, work.components) == (None, None)
    assert home.privileges == frozenset()


def test_an_answer_declaring_entities_is_refused_unexpanded() -> None:
    prologue = '<!DOCTYPE d:multistatus [<!ENTITY name "Expanded">]>'
    body = multistatus(calendar("&name;"), prologue=prologue)

    with pytest.raises(davxml.MalformedResponse, match="DTD") as refused:
        homexml.parse_calendar_list(body)

    assert "Expanded" not in str(refused.value)


def test_an_unreadable_answer_is_malformed() -> None:
    with pytest.raises(davxml.MalformedResponse):
        homexml.parse_calendar_list(b"<html>Service Unavailable</html>")


def test_discovery_reads_the_three_hrefs() -> None:
    body = multistatus(
        response(
            "/principals/dana/",
            "<d:current-user-principal><d:href>/principals/dana/</d:href>"
            f"</d:current-user-principal><cal:calendar-home-set><d:href>{HOME}</d:href>"
            "</cal:calendar-home-set>",
            "<cal:schedule-inbox-URL/>",
        )
    )

    assert homexml.parse_discovery(body) == ("/principals/dana/", HOME, "")


# --- zones


def vcalendar(*vtimezones: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + "".join(vtimezones) + "END:VCALENDAR"


def vtimezone(tzid: str, *extra: str) -> str:
    lines = [f"TZID:{tzid}", *extra, "BEGIN:STANDARD", "TZOFFSETFROM:+0100",
             "TZOFFSETTO:+0100", "TZNAME:X", "END:STANDARD"]  # fmt: skip
    return "BEGIN:VTIMEZONE\r\n" + "".join(line + "\r\n" for line in lines) + "END:VTIMEZONE\r\n"


@pytest.mark.parametrize(
    ("text", "timezone_id", "zone"),
    [
        (vcalendar(vtimezone("Europe/Lisbon")), "", "Europe/Lisbon"),
        (vcalendar(vtimezone("Pacific Standard Time")), "", "America/Los_Angeles"),
        (vcalendar(vtimezone("(UTC+01:00) Amsterdam, Berlin, Bern")), "", "Europe/Berlin"),
        (vcalendar(vtimezone("Custom", "X-LIC-LOCATION:Asia/Tokyo")), "", "Asia/Tokyo"),
        (vcalendar(vtimezone("Europe/\r\n Lisbon")), "", "Europe/Lisbon"),  # folded
        (vcalendar(vtimezone("Office time")), "", ""),
        (vcalendar(vtimezone("Europe/Rome"), vtimezone("Europe/Oslo")), "", ""),  # which one?
        (vcalendar(), "", ""),
        ("not iCalendar at all", "", ""),
        ("", "America/Chicago", "America/Chicago"),  # RFC 7809 calendar-timezone-id
        (vcalendar(vtimezone("Europe/Rome")), "nonsense", "Europe/Rome"),
    ],
)
def test_the_zone_of_a_calendar_timezone(text: str, timezone_id: str, zone: str) -> None:
    assert zones.calendar_zone(text, timezone_id) == zone


def test_a_huge_calendar_timezone_is_not_read() -> None:
    padding = "X-FILLER:" + "x" * 70 + "\r\n"
    text = vcalendar(vtimezone("Europe/Rome", *[padding.strip()] * 1000))
    body = multistatus(
        calendar("big", extra=f"<cal:calendar-timezone>{text}</cal:calendar-timezone>")
    )

    [entry] = homexml.parse_calendar_list(body).calendars

    assert len(text) > homexml.TIMEZONE_TEXT_MAX and entry.timezone == ""
    long = vcalendar(*[padding] * 3000, vtimezone("Europe/Rome"))
    assert zones.calendar_zone(long) == ""  # past the lines a scan looks at


# --- the default calendar


def info(name: str, writable: bool = True, readable: bool = True) -> CalendarInfo:
    return CalendarInfo(f"https://dav.example.com{HOME}{name}/", name, (f"{HOME}{name}/",),
                        writable=writable, readable=readable)  # fmt: skip


@pytest.mark.parametrize(
    ("default", "chosen"),
    [
        (f"{HOME}work/", "work"),  # the inbox's word
        (f"https://dav.example.com{HOME}work", "work"),  # absolute, no trailing slash
        (f"{HOME}shared/", "personal"),  # read-only: not a place for follow-ups
        (f"{HOME}gone/", "personal"),  # not listed
        ("", "personal"),  # no inbox: the first writable one
    ],
)
def test_the_default_calendar(default: str, chosen: str) -> None:
    calendars = [info("shared", writable=False), info("personal"), info("work")]

    marked = mark_default(calendars, default)

    assert [c.name for c in marked if c.default] == [chosen]
    assert [c.name for c in marked] == ["shared", "personal", "work"]


def test_no_default_without_a_writable_calendar() -> None:
    marked = mark_default([info("shared", writable=False), info("busy", readable=False)], "")

    assert not any(c.default for c in marked)


# --- discovery, against canned answers


class CannedHttp:
    """DavHttp's part that Home uses, answering PROPFINDs from a table by URL."""

    def __init__(self, url: str, answers: dict[str, bytes]) -> None:
        from caldav.davclient import DAVClient

        self.client = DAVClient(url)
        self.answers = answers
        self.asked: list[str] = []
        self.source = type("Source", (), {"name": "icloud"})()

    def send(
        self, method: str, url: str, body: bytes, headers: object, *, what: str = ""
    ) -> object:
        self.asked.append(f"{method} {url}")
        return type("Answer", (), {"status_code": 207, "content": self.answers[url]})()


def test_a_calendar_home_on_another_host_is_followed() -> None:
    # iCloud: the principal is on caldav.icloud.com, its calendars on a pNN host.
    from providers.caldav.home import Home

    home = "https://p42-caldav.example.com/123/calendars/"
    answers = {
        "https://caldav.example.com/": multistatus(
            response(
                "/",
                "<d:current-user-principal><d:href>/123/principal/</d:href>"
                "</d:current-user-principal>",
            )  # fmt: skip
        ),
        "https://caldav.example.com/123/principal/": multistatus(
            response(
                "/123/principal/",
                f"<cal:calendar-home-set><d:href>{home}</d:href></cal:calendar-home-set>"
                f"<cal:schedule-inbox-URL><d:href>{home}inbox/</d:href></cal:schedule-inbox-URL>",
            )
        ),
        home: multistatus(
            calendar("work", granted("d:read")).replace(HOME, "/123/calendars/"),
            calendar("home", granted("d:all")).replace(HOME, "/123/calendars/"),
            response(
                "/123/calendars/inbox/",
                "<d:resourcetype><d:collection/><cal:schedule-inbox/></d:resourcetype>",
                "<cal:schedule-default-calendar-URL/>",
            ),
        ),
        # Asked at depth 0 once each, as the listing said neither (Cyrus's inbox and
        # DAViCal's calendars say them only so): here they have nothing to say either.
        f"{home}inbox/": multistatus(response("/123/calendars/inbox/", "")),
        f"{home}home/": multistatus(response("/123/calendars/home/", "")),
    }
    http = CannedHttp("https://caldav.example.com/", answers)
    found = Home(http)  # type: ignore[arg-type]

    calendars = found.calendars()
    asked = len(http.asked)
    found.calendars()

    assert [c.id for c in calendars] == [f"{home}work/", f"{home}home/"]
    assert [(c.writable, c.default) for c in calendars] == [(False, False), (True, True)]
    assert http.asked[2:asked] == [f"PROPFIND {home}", f"PROPFIND {home}inbox/",
                                   f"PROPFIND {home}home/"]  # fmt: skip
    assert http.asked[asked:] == [f"PROPFIND {home}"]  # neither is asked again


def test_a_default_and_a_zone_the_listing_withholds_are_asked_at_depth_0() -> None:
    # Cyrus states the inbox's default calendar, DAViCal a calendar's zone, only when
    # that one resource is asked at depth 0; the home's listing answers them 404.
    from providers.caldav.home import Home

    root = "https://dav.example.com"
    inbox = f"{HOME}Inbox/"
    zone = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:America/New_York\nEND:VTIMEZONE\nEND:VCALENDAR"
    answers = {
        f"{root}/": multistatus(
            response(
                "/",
                f"<d:current-user-principal><d:href>/p/</d:href></d:current-user-principal>"
                f"<cal:calendar-home-set><d:href>{HOME}</d:href></cal:calendar-home-set>"
                f"<cal:schedule-inbox-URL><d:href>{inbox}</d:href></cal:schedule-inbox-URL>",
            )
        ),
        f"{root}{HOME}": multistatus(
            calendar("A-first", granted("d:all"), missing="<cal:calendar-timezone/>"),
            calendar("Default", granted("d:all"), missing="<cal:calendar-timezone/>"),
            response(
                inbox,
                "<d:resourcetype><d:collection/><cal:schedule-inbox/></d:resourcetype>",
                "<cal:schedule-default-calendar-URL/>",
            ),
        ),
        f"{root}{inbox}": multistatus(
            response(
                inbox,
                "<cal:schedule-default-calendar-URL><d:href>"
                f"{HOME}Default/</d:href></cal:schedule-default-calendar-URL>",
            )
        ),
        f"{root}{HOME}Default/": multistatus(
            response(f"{HOME}Default/", f"<cal:calendar-timezone>{zone}</cal:calendar-timezone>")
        ),
    }
    http = CannedHttp(f"{root}/", answers)
    found = Home(http)  # type: ignore[arg-type]

    calendars = found.calendars()
    asked = len(http.asked)
    again = found.calendars()

    assert [(c.name, c.default, c.zone) for c in calendars] == [
        ("A-first", False, ""), ("Default", True, "America/New_York")
    ]  # fmt: skip
    assert again == calendars
    # while they state something, both are asked at each listing: one request each
    assert http.asked[asked:] == [f"PROPFIND {root}{HOME}", f"PROPFIND {root}{inbox}",
                                  f"PROPFIND {root}{HOME}Default/"]  # fmt: skip
