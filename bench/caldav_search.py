"""caldav's own search over a window: the comparison for syncd's first read.

``python bench/caldav_search.py CALENDAR_URL USER START END`` (ISO instants), the
password in $BENCH_DAV_PASSWORD: ``calendar.search(start=, end=, event=True)``,
then each event's title read to count the interviews, as a script that looks
for them would. Prints the objects found and the interviews among them.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import caldav


def main() -> None:
    url, user = sys.argv[1], sys.argv[2]
    start, end = (dt.datetime.fromisoformat(value) for value in sys.argv[3:5])
    with caldav.DAVClient(
        url, username=user, password=os.environ["BENCH_DAV_PASSWORD"], auth_type="basic"
    ) as client:
        calendar = client.calendar(url=url)
        found = calendar.search(start=start, end=end, event=True)
        titles = [str(obj.icalendar_component.get("summary", "")) for obj in found]
        print(len(found), sum("interview" in title.lower() for title in titles))


if __name__ == "__main__":
    main()
