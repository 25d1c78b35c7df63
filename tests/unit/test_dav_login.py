"""Logging in to a CalDAV server: the WWW-Authenticate challenges read, RFC 7616 Digest
answers checked against the RFCs' own examples, and the choice of scheme after a 401.

The login against a real Digest-only server (sabre/dav's standard backend) is in
tests/e2e/test_dav_digest.py.
"""

from __future__ import annotations

import base64
import hashlib
from types import SimpleNamespace

import pytest

from providers.caldav.login import (
    Challenge,
    Login,
    Unsupported,
    digest_header,
    parse_challenges,
    usable_digest,
)

# RFC 7616 section 3.9.1: the same request answered with SHA-256 and with MD5.
RFC7616 = {
    "realm": "http-auth@example.org",
    "qop": "auth, auth-int",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
}
CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


def fields(header: str) -> dict[str, str]:
    (challenge,) = parse_challenges(header)
    assert challenge.scheme == "digest"
    return dict(challenge.params)


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ],
)
def test_digest_answers_the_rfc_7616_example(algorithm: str, response: str) -> None:
    challenge = Challenge("digest", {**RFC7616, "algorithm": algorithm})

    header = digest_header(
        challenge, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, CNONCE
    )

    assert fields(header) == {
        "username": "Mufasa", "realm": RFC7616["realm"], "nonce": RFC7616["nonce"],
        "uri": "/dir/index.html", "response": response, "algorithm": algorithm,
        "opaque": RFC7616["opaque"], "qop": "auth", "nc": "00000001", "cnonce": CNONCE,
    }  # fmt: skip


def test_digest_answers_the_rfc_2617_example_without_an_algorithm() -> None:
    (challenge,) = parse_challenges(
        'Digest realm="testrealm@host.com", qop="auth,auth-int",'
        ' nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )

    header = digest_header(
        challenge, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b"
    )

    assert fields(header)["response"] == "6629fae49393a05397450978507c4ef1"
    assert "algorithm" not in fields(header)


def test_digest_without_qop_is_rfc_2069s_form() -> None:
    challenge = Challenge("digest", {"realm": "r", "nonce": "n"})

    said = fields(digest_header(challenge, "u", "p", "PUT", "/a.ics", 1, "c"))

    def md5(text: str) -> str:
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    expected = md5(f"{md5('u:r:p')}:n:{md5('PUT:/a.ics')}")
    assert said["response"] == expected
    assert not {"qop", "nc", "cnonce"} & set(said)


def test_sess_algorithms_and_userhash() -> None:
    params = {"realm": "r", "nonce": "n", "qop": "auth", "algorithm": "SHA-256-sess"}
    challenge = Challenge("digest", {**params, "userhash": "true"})

    said = fields(digest_header(challenge, "ann", "pw", "GET", "/", 2, "c"))

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    secret = sha(f"{sha('ann:r:pw')}:n:c")
    assert said["response"] == sha(f"{secret}:n:00000002:c:auth:{sha('GET:/')}")
    assert said["username"] == sha("ann:r") and said["userhash"] == "true"


# --- reading WWW-Authenticate


def test_several_challenges_in_one_header_quoted_commas_and_token68s() -> None:
    found = parse_challenges(
        'Bearer abc.def==, Basic realm="a, b", charset="UTF-8", '
        'Digest realm="x", nonce="q\\"uoted", qop="auth", Negotiate'
    )

    assert found == [
        Challenge("bearer", {}),
        Challenge("basic", {"realm": "a, b", "charset": "UTF-8"}),
        Challenge("digest", {"realm": "x", "nonce": 'q"uoted', "qop": "auth"}),
        Challenge("negotiate", {}),
    ]


@pytest.mark.parametrize("header", ["", ",,,", '=x, "quoted"', "realm=lost"])
def test_an_unreadable_header_has_no_challenge(header: str) -> None:
    assert parse_challenges(header) == []


def test_the_strongest_usable_digest_is_chosen() -> None:
    found = parse_challenges(
        'Digest realm="r", nonce="1", algorithm=MD5, qop="auth", '
        'Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth", '
        'Digest realm="r", nonce="3", algorithm=SHA-256, qop="auth-int", '
        'Digest realm="r", nonce="4", algorithm=UNKNOWN-9'
    )

    chosen = usable_digest(found)

    assert chosen is not None and chosen.params["nonce"] == "2"
    assert usable_digest(found[2:]) is None  # auth-int only, or an unknown algorithm


# --- choosing the scheme after a 401


def sent_with(login: Login, url: str = "http://dav.example/cal/a.ics", method: str = "GET") -> str:
    request = SimpleNamespace(method=method, url=url, headers={})
    login(request)
    return str(request.headers.get("Authorization", ""))


DIGEST = 'Digest realm="SabreDAV", nonce="n1", qop="auth", opaque="o"'


def test_basic_first_then_digest_when_the_server_asks_for_it() -> None:
    login = Login("ann", "pä:ss", basic_first=True)
    assert sent_with(login) == "Basic " + base64.b64encode("ann:pä:ss".encode()).decode()

    assert login.answer(DIGEST, sent="basic") is True

    first, second = sent_with(login), sent_with(login, method="PUT")
    assert first.startswith("Digest ") and fields(first)["nc"] == "00000001"
    assert fields(second)["nc"] == "00000002" and fields(second)["uri"] == "/cal/a.ics"
    assert login.answer(DIGEST.replace("n1", "n2"), sent="digest") is False  # wrong password


def test_a_stale_nonce_is_signed_again_not_a_wrong_password() -> None:
    login = Login("ann", "pw", basic_first=True)
    login.answer(DIGEST, sent="basic")

    assert login.answer(DIGEST.replace("n1", "n2") + ", stale=TRUE", sent="digest") is True
    assert fields(sent_with(login))["nonce"] == "n2"


def test_nothing_is_sent_before_a_challenge_when_not_basic_first() -> None:
    login = Login("ann", "pw", basic_first=False)
    assert sent_with(login) == ""

    assert login.answer('Basic realm="x"', sent="") is True
    assert sent_with(login).startswith("Basic ")
    assert login.answer('Basic realm="x"', sent="basic") is False


def test_digest_is_preferred_to_basic_when_both_are_offered() -> None:
    login = Login("ann", "pw", basic_first=False)

    assert login.answer('Basic realm="x", ' + DIGEST, sent="") is True

    assert sent_with(login).startswith("Digest ")


def test_a_401_without_a_challenge_is_answered_with_basic_once() -> None:
    login = Login("ann", "pw", basic_first=False)

    assert login.answer(None, sent="") is True
    assert login.answer(None, sent="basic") is False


@pytest.mark.parametrize(
    ("header", "schemes"),
    [
        ('Bearer realm="x", error="invalid_token"', ["Bearer"]),
        ("Negotiate, NTLM", ["NTLM", "Negotiate"]),
        ('Digest realm="r", nonce="n", qop="auth-int"', ["Digest"]),
    ],
)
def test_a_server_asking_only_for_other_schemes_is_unsupported(
    header: str, schemes: list[str]
) -> None:
    login = Login("ann", "pw", basic_first=True)

    with pytest.raises(Unsupported) as raised:
        login.answer(header, sent="basic")

    assert raised.value.schemes == schemes
