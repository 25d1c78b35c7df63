"""The CalDAV provider's sync tokens: what a read saw rides in the token, and tells a
sync answer that lists the whole calendar (a token the server forgot, DAViCal) from
one that lists changes, and an object listed again unchanged (DAViCal's token stamped
with a write's time) from a change."""

from __future__ import annotations

import pytest

from providers.caldav import tokens
from providers.caldav.davxml import Member
from providers.caldav.stale import judge, went_back

CAL = "/cal/"


def member(name: str, etag: str) -> Member:
    return Member(f"{CAL}{name}", f"{CAL}{name}", etag)


def seen(**etags: str) -> tokens.Seen:
    return tokens.Seen().updated((f"{CAL}{name}", etag) for name, etag in etags.items())


# --- the token


def test_a_sync_token_carries_what_was_seen_and_reads_back() -> None:
    before = seen(a='"1"', b='"2"')

    token = tokens.sync_token("http://example.com/ns/sync/42", before)
    state = tokens.decode(token, CAL)

    assert token.startswith("sync:http://example.com/ns/sync/42 ")
    assert isinstance(state, tokens.SyncState)
    assert state.token == "http://example.com/ns/sync/42"
    assert state.seen.unchanged(f"{CAL}a", '"1"') and state.seen.unchanged(f"{CAL}b", '"2"')
    assert not state.seen.unchanged(f"{CAL}a", '"2"') and not state.seen.unchanged(f"{CAL}c", "x")


@pytest.mark.parametrize("token", ["sync:data:,7", "sync:data:,7 not*base64!", "sync:a b c"])
def test_a_token_without_a_readable_seen_part_is_the_servers_token_whole(token: str) -> None:
    state = tokens.decode(token, CAL)

    assert isinstance(state, tokens.SyncState)
    assert state.token == token.removeprefix("sync:") and len(state.seen) == 0


def test_seen_keeps_the_latest_etag_forgets_deleted_and_the_oldest_past_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "SEEN_MAX", 3)
    before = seen(a="1", b="2", c="3")

    after = before.updated([(f"{CAL}a", "1b"), (f"{CAL}d", "4")], deleted=[f"{CAL}c"])

    assert not after.unchanged(f"{CAL}a", "1") and after.unchanged(f"{CAL}a", "1b")
    assert not after.unchanged(f"{CAL}c", "3")  # deleted
    assert after.unchanged(f"{CAL}d", "4") and len(after) == 3
    assert not after.updated([(f"{CAL}e", "5")]).unchanged(f"{CAL}b", "2")  # the oldest


# --- the verdict on an answer


def test_changes_and_one_write_listed_again_are_changes() -> None:
    # DAViCal: the write the token was stamped with comes again beside a real change.
    verdict = judge([member("a", "1"), member("new", "9")], [], seen(a="1", b="2"), "t5", "t6")

    assert not verdict.everything and verdict.relisted == {f"{CAL}a"}


def test_two_objects_listed_unchanged_is_the_whole_calendar() -> None:
    listed = [member("a", "1"), member("b", "2"), member("c", "3b")]

    verdict = judge(listed, [], seen(a="1", b="2", c="3", gone="4"), "data:,5", "data:,9")

    assert verdict.everything and "2 objects" in verdict.why


def test_only_an_object_listed_unchanged_is_the_whole_calendar() -> None:
    verdict = judge([member("a", "1")], [], seen(a="1", gone="2"), "data:,5", "data:,9")

    assert verdict.everything


def test_a_token_that_went_back_is_the_whole_calendar() -> None:
    verdict = judge([member("new", "9")], [], seen(), "data:,999999", "data:,12")

    assert verdict.everything and "older" in verdict.why


def test_an_answer_with_deletions_or_nothing_is_changes() -> None:
    listed = [member("a", "1"), member("b", "2")]

    assert not judge(listed, [f"{CAL}c"], seen(a="1", b="2"), "t1", "t2").everything
    assert not judge([], [], seen(a="1"), "data:,9", "data:,1").everything


@pytest.mark.parametrize(
    ("sent", "got", "back"),
    [
        ("data:,10", "data:,9", True),
        ("data:,10", "data:,11", False),
        ("http://sabre.io/ns/sync/10", "http://sabre.io/ns/sync/9", True),
        ("data:,10", "other:,9", False),  # another kind of token
        ("abc", "abd", False),  # no numbers
    ],
)
def test_went_back(sent: str, got: str, back: bool) -> None:
    assert went_back(sent, got) is back
