"""The Google Calendar fake (tests/fakes/) in a process of its own, loaded with a bench set.

In its own process so that its work never counts as the client's CPU. It makes
``--calendars`` calendars of ``--events`` generated events each (bench/datasets.py),
writes a client-secrets file and one authorized-user file per calendar into
``--folder``, prints one JSON line (``api_endpoint``, ``calendars``, ``secrets``,
``tokens``) and then answers commands, one JSON line each on stdin, as the web UI
would act: ``{"op": "add", "calendar": ID, "body": {...}}`` (answers the event),
``{"op": "modify", "calendar": ID, "id": ID, "body": {...}}``, ``{"op": "remove",
...}``, ``{"op": "followups", "calendar": ID}`` (the syncd follow-ups there: id ->
etag), ``{"op": "requests"}`` (requests answered so far). It
stops at the end of stdin.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import events, google_body  # noqa: E402
from tests.fakes.google_calendar import FakeGoogleCalendar  # noqa: E402


def load(fake: FakeGoogleCalendar, calendars: int, count: int) -> list[str]:
    ids = []
    items = [google_body(item) for item in events(count)]
    for k in range(calendars):
        calendar = fake.add_calendar(f"bench {k}", time_zone="UTC")
        for body in items:
            fake.store.insert(calendar, body, trusted=True)
        ids.append(calendar)
    return ids


def answer(fake: FakeGoogleCalendar, command: dict[str, Any]) -> Any:
    op = command["op"]
    if op == "add":
        return fake.add_event(command["calendar"], command["body"])
    if op == "modify":
        return fake.modify_event(command["calendar"], command["id"], command["body"])
    if op == "remove":
        fake.remove_event(command["calendar"], command["id"])
        return {}
    if op == "followups":
        found: dict[str, str] = {}
        for event in fake.events(command["calendar"]):
            marker = event.get("extendedProperties", {}).get("private", {})
            if event.get("status") != "cancelled" and "syncd.kind" in marker:
                found[event["id"]] = event["etag"]
        return found
    if op == "requests":
        return len(fake.requests.records)
    raise ValueError(op)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--calendars", type=int, default=1)
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()
    fake = FakeGoogleCalendar(time_zone="UTC")
    ids = load(fake, args.calendars, args.events)
    fake.start()
    args.folder.mkdir(parents=True, exist_ok=True)
    secrets = fake.client_secrets_json(args.folder / "client_secret.json")
    tokens = [fake.authorized_user_json(args.folder / f"token-{k}.json") for k in range(len(ids))]
    ready = {"api_endpoint": fake.api_endpoint, "calendars": ids, "secrets": str(secrets)}
    print(json.dumps({**ready, "tokens": [str(t) for t in tokens]}), flush=True)
    for line in sys.stdin:
        print(json.dumps(answer(fake, json.loads(line))), flush=True)
    fake.stop()


if __name__ == "__main__":
    main()
