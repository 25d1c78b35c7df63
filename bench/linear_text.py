"""Benchmark: CPU time of detection's passes over hostile invitation text as it doubles.

Each shape once made a pass quadratic (docs/reliability.md, "Hostile input checks");
linear, doubling the text roughly doubles the time. Sizes double from a start to
past what syncd reads (64 KiB of a description, 1,000 characters of a title: the
passes themselves are timed here, without those caps, to show how they grow).
A shape stops growing once one size takes more than --give-up seconds.

Run: .venv/bin/python bench/linear_text.py [--give-up S] [--smoke]; a table goes to stdout.
With PYTHONPATH pointing at another checkout, it times that one (the old code).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from providers.caldav.salvage import read_calendar
from syncd.facts import description_text, has_meeting_link, split_phone
from syncd.titles import company_and_role


def broken_object(count: int) -> str:
    """``count`` zones and ``count`` events behind a calendar property icalendar refuses."""
    zones = "".join(
        f"BEGIN:VTIMEZONE\r\nTZID:Zone {n}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        f"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        for n in range(count)
    )
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:e{n}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Zone {n}:20270101T100000\r\nSUMMARY:Interview {n}\r\nEND:VEVENT\r\n"
        for n in range(count)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-BROKEN;=:\r\n{zones}{events}END:VCALENDAR\r\n"


def title(size: int) -> str:
    return "Interview with Acme " + "-" * size + "x"


# shape -> (what is timed, the input of a size, the sizes)
SHAPES: dict[str, tuple[Callable[[str], object], Callable[[int], str], list[int]]] = {
    "meeting link, a.a.a. (chars)": (
        has_meeting_link, lambda n: "a." * (n // 2), [8_192, 16_384, 32_768, 65_536]),
    "meeting link, http://a.a.a. (chars)": (
        has_meeting_link, lambda n: "http://" + "a." * (n // 2), [8_192, 16_384, 32_768, 65_536]),
    "HTML, '<a x=' repeated (chars)": (
        description_text, lambda n: "<p>" + "<a x=" * (n // 5), [8_192, 16_384, 32_768, 65_536]),
    "HTML, '<b ' repeated (chars)": (
        description_text, lambda n: "<b " * (n // 3), [8_192, 16_384, 32_768, 65_536]),
    "phone, 'tel' and spaces (chars)": (
        split_phone, lambda n: "tel" + " " * n + "x 020 7946 0958",
        [8_192, 16_384, 32_768, 65_536]),
    "title cleaning, '-' run (chars)": (
        lambda t: company_and_role(t, ("interview",), "#heard-back"), title,
        [2_500, 5_000, 10_000, 20_000]),
    "broken object repair (zones + events)": (
        lambda t: read_calendar(t, "hostile.ics"), broken_object, [75, 150, 300, 600]),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--give-up", type=float, default=20.0, metavar="S")
    parser.add_argument("--smoke", action="store_true", help="the first size of each (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.give_up = 0.0
    print("| shape | " + " | ".join(f"size {n}" for n in range(1, 5)) + " |")
    print("|---|---|---|---|---|")
    for name, (function, make, sizes) in SHAPES.items():
        cells = []
        for size in sizes:
            text = make(size)
            start = time.process_time()
            function(text)
            spent = time.process_time() - start
            cells.append(f"{size:,}: {spent:.3f} s")
            if spent > args.give_up:
                break
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
