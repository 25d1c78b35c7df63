"""A bare client of the caldav library writing events: the comparison for syncd's writes.

``python bench/caldav_writes.py CALENDAR_URL USER COUNT`` (password in
$BENCH_DAV_PASSWORD): COUNT events of the size of syncd's follow-ups (a
description, an alarm), each by ``calendar.add_event`` (caldav 3's name for
``save_event``: one PUT). Prints the loop's wall and CPU seconds.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import uuid

import caldav

TEXT = "Call Pat Doe at Company (+44 20 7946 0000) once, in the morning, not more often."


def follow_up(n: int) -> str:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1 + n % 90)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uuid.uuid4().hex}@bench\r\nDTSTAMP:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + dt.timedelta(minutes=15):%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:Follow-up call: Company {n}\r\nDESCRIPTION:{TEXT * 4}\r\n"
        "TRANSP:TRANSPARENT\r\nX-SYNCD-KIND:call-morning\r\n"
        "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Call\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def main() -> None:
    url, user, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with caldav.DAVClient(
        url, username=user, password=os.environ["BENCH_DAV_PASSWORD"], auth_type="basic"
    ) as client:
        calendar = client.calendar(url=url)
        texts = [follow_up(n) for n in range(count)]
        began, began_cpu = time.perf_counter(), time.process_time()
        for text in texts:
            calendar.add_event(text)
        print(time.perf_counter() - began, time.process_time() - began_cpu)


if __name__ == "__main__":
    main()
