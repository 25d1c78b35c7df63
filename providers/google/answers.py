"""Google's answers as the API promises them, or ``NotAnAnswer``.

googleapiclient's JSON model hands back the raw text when an answer with status
200 is not JSON (an HTML page: a network's login page, a proxy's, Google's own
"unusual traffic" page), raises RecursionError on deep nesting and
UnicodeDecodeError on bytes that are not UTF-8. ``AnswerModel`` takes its place
in ``build``: an answer is one JSON object of at most ANSWER_CONTAINERS objects
and arrays (the brackets are counted before parsing), else NotAnAnswer, or
AnswerTooLarge. ``page_of`` checks what a listing's page must hold.
"""

from __future__ import annotations

import json
from typing import Any

from googleapiclient.errors import HttpError
from googleapiclient.model import JsonModel

from providers.google.transport import AnswerTooLarge
from syncd import limits


class NotAnAnswer(Exception):
    """An answer that is not what the API promises; the text says what it is instead."""


class AnswerModel(JsonModel):
    """googleapiclient's JSON model, strict: every 2xx answer but a 204 is a JSON object."""

    def response(self, resp: Any, content: bytes) -> Any:
        if resp.status == 204:
            return {}
        if resp.status >= 300:  # (execute raises it first; kept for the model's contract)
            raise HttpError(resp, content)
        return parse(content, str(resp.get("content-type", "")))


def parse(content: bytes, content_type: str = "") -> dict[str, Any]:
    """The JSON object of an answer; NotAnAnswer saying what it is instead, or
    AnswerTooLarge when it holds more than ANSWER_CONTAINERS objects and arrays."""
    if not content.strip():
        raise NotAnAnswer("an empty answer")
    if content.count(b"{") + content.count(b"[") > limits.ANSWER_CONTAINERS:
        raise AnswerTooLarge(limits.ANSWER_CONTAINERS, "objects and arrays")
    try:
        body = json.loads(content.decode("utf-8"))
    except RecursionError:
        raise NotAnAnswer("JSON nested too deeply") from None
    except ValueError:  # not JSON; not UTF-8; a number of more than 4,300 digits
        raise NotAnAnswer(_what_instead(content, content_type)) from None
    if not isinstance(body, dict):
        raise NotAnAnswer(f"{json_kind(body)}, not a JSON object")
    return body


def _what_instead(content: bytes, content_type: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    head = content.lstrip()[:15].lower()
    if "html" in kind or head.startswith((b"<!doctype html", b"<html")):
        return "a web page, not JSON"
    shown = limits.shown(kind, 40) if kind else "no type"
    return f"not JSON ({shown}, {len(content):,} bytes)"


def page_of(answer: dict[str, Any]) -> dict[str, Any]:
    """A listing's page as the API promises it: ``items`` a list, the tokens text;
    NotAnAnswer otherwise. The items themselves are checked one by one by their reader."""
    if not isinstance(answer.get("items", []), list):
        raise NotAnAnswer("a page whose items are not a list")
    for token in ("nextPageToken", "nextSyncToken"):
        if not isinstance(answer.get(token, ""), str):
            raise NotAnAnswer(f"a page whose {token} is not text")
    return answer


def json_kind(value: object) -> str:
    """What a JSON value is, in a few words: "a JSON list", "a JSON number", ..."""
    kinds = {dict: "object", list: "list", str: "text", bool: "true or false", type(None): "null"}
    return "a JSON " + kinds.get(type(value), "number")
