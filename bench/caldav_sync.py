"""A bare client of the caldav library: one sync-token pass over one calendar.

``python bench/caldav_sync.py CALENDAR_URL USER TOKEN_FILE``, the password in
$BENCH_DAV_PASSWORD: asks for the changes since the token in TOKEN_FILE (none:
every href), writes the new token back, prints how many objects changed. What a
minimal script does to notice changes: the comparison for ``syncd run --once``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import caldav


def main() -> None:
    url, user, token_file = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    token = token_file.read_text() if token_file.exists() else None
    with caldav.DAVClient(
        url, username=user, password=os.environ["BENCH_DAV_PASSWORD"], auth_type="basic"
    ) as client:
        calendar = client.calendar(url=url)
        found = calendar.get_objects_by_sync_token(
            sync_token=token, load_objects=False, disable_fallback=True
        )
        token_file.write_text(str(found.sync_token))
        print(len(list(found)))


if __name__ == "__main__":
    main()
