"""How the state store writes an interview and a follow-up's record in SQLite (``syncd.state``).

An interview is JSON of its fields (sorted keys; times in ISO 8601); a record is a
row of the ``followups`` table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from typing import Any

from syncd.model import FollowUpKind, FollowUpRecord, Interview, RecordStatus, When


def _encode_when(value: When) -> str:
    return value.isoformat()


def _decode_when(text: str) -> When:
    return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)


def interview_to_json(interview: Interview) -> str:
    data: dict[str, Any] = dataclasses.asdict(interview)
    data["start"] = _encode_when(interview.start)
    data["end"] = _encode_when(interview.end)
    return json.dumps(data, sort_keys=True)


# An idle daemon reads the same interviews at every pass: each text is parsed once
# (an Interview is immutable). 4,096 of about 1 KB each.
@functools.lru_cache(maxsize=4096)
def interview_from_json(text: str) -> Interview:
    data = json.loads(text)
    data["start"] = _decode_when(data["start"])
    data["end"] = _decode_when(data["end"])
    known = {f.name for f in dataclasses.fields(Interview)}
    return Interview(**{k: v for k, v in data.items() if k in known})


SELECT_RECORDS = (
    "SELECT id, source, calendar, interview, kind, target, resource, etag,"
    " fingerprint, status, start, title FROM followups"
)


@functools.lru_cache(maxsize=8192)  # as interviews: each row read again at every pass
def record_of(r: tuple[str, ...]) -> FollowUpRecord:
    return FollowUpRecord(
        id=r[0],
        source=r[1],
        calendar=r[2],
        interview=r[3],
        kind=FollowUpKind(r[4]),
        target=r[5],
        resource=r[6],
        etag=r[7],
        fingerprint=r[8],
        status=RecordStatus(r[9]),
        start=dt.datetime.fromisoformat(r[10]),
        title=r[11],
    )
