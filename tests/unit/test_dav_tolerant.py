"""Reading a server's multistatus tolerantly: what cannot be read whole is read in halves.

The parser's side (providers.caldav.davxml): a character XML cannot carry makes a
multistatus PartlyUnreadable (its objects may be read apart), a DTD or HTML is
malformed as a whole, long text nodes are read, an object past OBJECT_BYTES is
not. The requests' side (providers.caldav.reports): a multiget that cannot be
read whole is asked for again in halves down to single objects, and one that
still cannot is read by a GET, against a table of objects answering as a server
that writes them as stored would.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import pytest

from providers.caldav import davxml
from providers.caldav.bounded import Answer
from providers.caldav.davxml import Member
from providers.caldav.reports import Reports
from providers.caldav.transport import AnswerTooLarge
from syncd import limits
from syncd.errors import ProviderError, TransientError

CALENDAR = "http://dav.example/cal/"


def ical(title: str, description: str = "") -> str:
    more = f"DESCRIPTION:{description}\r\n" if description else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n"
        f"SUMMARY:{title}\r\n{more}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def multistatus(objects: dict[str, str], prologue: str = "") -> bytes:
    """A multiget answer holding each object's data as it is (no escaping: only plain text
    and the characters under test go in)."""
    responses = "".join(
        f"<D:response><D:href>/cal/{name}</D:href><D:propstat><D:prop>"
        f'<D:getetag>"{name}"</D:getetag><C:calendar-data>{data}</C:calendar-data>'
        "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
        for name, data in objects.items()
    )
    return (
        f'{prologue}<?xml version="1.0" encoding="utf-8"?>\n'
        '<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f"{responses}</D:multistatus>"
    ).encode("utf-8", "surrogatepass")


# --- the parser ---------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\uffff", "\ufffe", "\x00", "\x1b", "\x0b", "\x0c"])
def test_a_character_xml_cannot_carry_makes_the_answer_partly_unreadable(character: str) -> None:
    body = multistatus({"a.ics": ical("ok"), "b.ics": ical(f"Bad{character}"), "c.ics": ical("ok")})

    with pytest.raises(davxml.PartlyUnreadable) as raised:
        davxml.parse_multiget(body)

    assert "\n" not in str(raised.value) and str(raised.value).startswith("not XML")


@pytest.mark.parametrize(
    "prologue",
    [
        "",
        "\ufeff",
        '<?xml version="1.0"?>\n<!-- a comment -->\n<?pi x?>\n',
    ],
)
def test_an_answer_declaring_a_dtd_is_refused_as_a_whole(prologue: str) -> None:
    head = '<!DOCTYPE D:multistatus [<!ENTITY a "b">]>'
    body = (
        prologue.encode() + head.encode() + multistatus({"a.ics": ical("&a;")}).split(b"\n", 1)[1]
    )

    with pytest.raises(davxml.MalformedResponse, match="DTD") as raised:
        davxml.parse_multiget(body)

    assert not isinstance(raised.value, davxml.PartlyUnreadable)


def test_an_answer_that_is_no_multistatus_is_refused_as_a_whole() -> None:
    with pytest.raises(davxml.MalformedResponse) as raised:
        davxml.parse_multiget(b"<html><body>\x1b Service Unavailable</body></html>")

    assert not isinstance(raised.value, davxml.PartlyUnreadable)


def test_a_text_node_past_lxmls_limit_is_read_and_an_object_past_the_cap_left_out() -> None:
    long = "A" * (limits.OBJECT_BYTES + 1)  # 4 MiB: also past lxml's own 10 MB with more
    huge = "B" * 10_500_000
    wide = "\U0001f600" * (limits.OBJECT_BYTES // 4 + 1)  # few characters, many bytes
    body = multistatus(
        {
            "fits.ics": ical("ok", "C" * (limits.OBJECT_BYTES - 1000)),
            "long.ics": ical("ok", long),
            "huge.ics": ical("ok", huge),
            "wide.ics": ical("ok", wide),
        }
    )

    answers = {a.member.resource: a for a in davxml.parse_multiget(body)}

    assert answers["/cal/fits.ics"].data is not None and not answers["/cal/fits.ics"].problem
    for name in ("long", "huge", "wide"):
        answer = answers[f"/cal/{name}.ics"]
        assert answer.data is None and "larger than 4 MiB" in answer.problem, name


# --- a multiget read in halves ------------------------------------------------------


class TableHttp:
    """DavHttp's part that Reports uses: multigets and GETs answered from a table of objects.

    ``fits`` says whether an answer of those objects may be sent; when not, the answer
    is past the cap (AnswerTooLarge), as ``DavHttp.send`` would raise it. ``get``
    answers a GET of one object (default: its data as stored).
    """

    def __init__(
        self,
        objects: dict[str, str],
        fits: Callable[[Sequence[str]], bool] = lambda names: True,
        prologue: str = "",
        get: Callable[[str], Answer] | None = None,
    ) -> None:
        self.objects, self.fits, self.prologue = objects, fits, prologue
        self.get = get or (lambda name: Answer(200, {"ETag": f'"{name}"'}, objects[name].encode()))
        self.asked: list[list[str] | str] = []
        self.source = type("Source", (), {"name": "dav"})()

    def send(
        self, method: str, url: str, body: bytes, headers: object, *, what: str = ""
    ) -> Answer:
        if method == "GET":
            name = url.rsplit("/", 1)[-1]
            self.asked.append(f"GET {name}")
            return self.get(name)
        names = [
            h.rsplit("/", 1)[-1] for h in re.findall(r"<D:href>([^<]*)</D:href>", body.decode())
        ]
        self.asked.append(names)
        if not self.fits(names):
            raise AnswerTooLarge(f"{what}: too large")
        answer = multistatus({n: self.objects[n] for n in names}, self.prologue)
        return Answer(207, {}, answer)


def members(*names: str) -> list[Member]:
    return [Member(f"/cal/{n}", f"/cal/{n}", "") for n in names]


def read(http: TableHttp, names: Sequence[str]) -> list[str]:
    reports = Reports(http)  # type: ignore[arg-type]
    return [
        f.member.resource.rsplit("/", 1)[-1] for f in reports.multiget(CALENDAR, members(*names))
    ]


EIGHT = [f"{n}.ics" for n in "abcdefgh"]


def test_an_object_xml_cannot_carry_is_found_in_halves_and_read_by_a_get(
    caplog: pytest.LogCaptureFixture,
) -> None:
    objects = {name: ical(f"Meeting {name}") for name in EIGHT}
    objects["f.ics"] = ical("Interview with Bad\x1bchar")
    http = TableHttp(objects)

    with caplog.at_level(logging.WARNING):
        read_names = read(http, EIGHT)

    assert read_names == EIGHT
    assert not caplog.records
    # all 8, halves of 4, of 2, single objects: only where the bad one is; then its GET
    assert [a if isinstance(a, str) else len(a) for a in http.asked] == [
        8, 4, 4, 2, 2, 1, 1, "GET f.ics"
    ]  # fmt: skip


def test_an_object_its_get_answers_with_no_icalendar_is_named_once_and_the_seven_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    objects = {name: ical(f"Meeting {name}") for name in EIGHT}
    objects["f.ics"] = ical("Interview with Bad\x1bchar")
    http = TableHttp(objects, get=lambda name: Answer(200, {}, b"<html>Oops</html>"))

    with caplog.at_level(logging.WARNING):
        read_names = read(http, EIGHT)

    assert read_names == [n for n in EIGHT if n != "f.ics"]
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning.startswith("dav: calendar /cal/: f.ics skipped: the server's answer for it is")
    assert warning.endswith("; a GET of it too")


def test_a_get_that_fails_fails_the_read_so_the_token_stays_before_the_object() -> None:
    objects = {name: ical(f"Meeting {name}") for name in EIGHT}
    objects["f.ics"] = ical("Bad\x00")

    def down(name: str) -> Answer:
        raise TransientError(f"GET {name}: the server answered HTTP 503; syncd tries again")

    with pytest.raises(TransientError, match="503"):
        read(TableHttp(objects, get=down), EIGHT)


def test_an_object_gone_before_its_get_is_gone() -> None:
    objects = {name: ical(f"Meeting {name}") for name in EIGHT}
    objects["a.ics"] = ical("Bad\uffff")
    http = TableHttp(objects, get=lambda name: Answer(404, {}, b""))

    fetched = list(Reports(http).multiget(CALENDAR, members(*EIGHT)))  # type: ignore[arg-type]

    assert [f.member.resource for f in fetched if f.gone] == ["/cal/a.ics"]


def test_two_objects_xml_cannot_carry_are_each_read_by_a_get(
    caplog: pytest.LogCaptureFixture,
) -> None:
    objects = {name: ical(f"Meeting {name}") for name in EIGHT}
    objects["a.ics"] = ical("Bad\uffff")
    objects["h.ics"] = ical("Bad\x00")
    http = TableHttp(objects)

    with caplog.at_level(logging.WARNING):
        read_names = read(http, EIGHT)

    assert sorted(read_names) == EIGHT
    assert [a for a in http.asked if isinstance(a, str)] == ["GET a.ics", "GET h.ics"]
    assert not caplog.records


def test_an_answer_too_large_is_read_in_halves_around_the_object_that_makes_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    objects = {name: ical(f"Meeting {name}") for name in EIGHT}
    http = TableHttp(objects, fits=lambda names: "c.ics" not in names)

    with caplog.at_level(logging.WARNING):
        read_names = read(http, EIGHT)

    assert read_names == [n for n in EIGHT if n != "c.ics"]
    [warning] = [r.getMessage() for r in caplog.records]
    assert "c.ics skipped: its data is larger than 4 MiB" in warning


def test_answers_too_large_in_both_halves_are_the_servers_doing() -> None:
    http = TableHttp({name: ical("x") for name in EIGHT}, fits=lambda names: False)

    with pytest.raises(AnswerTooLarge, match="even for half as many objects"):
        read(http, EIGHT)

    assert [len(asked) for asked in http.asked] == [8, 4, 4]


def test_an_answer_declaring_a_dtd_fails_the_read_at_once() -> None:
    http = TableHttp({name: ical("x") for name in EIGHT}, prologue="<!DOCTYPE x>")

    with pytest.raises(ProviderError, match="DTD"):
        read(http, EIGHT)

    assert len(http.asked) == 1
