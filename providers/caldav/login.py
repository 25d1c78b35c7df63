"""How syncd logs in to a CalDAV server: Basic (RFC 7617) or Digest (RFC 7616), as it asks.

The same config serves both: a username and a password. Over https, or to a
loopback address, the first request carries Basic at once (no round trip on the
servers most people use). Over plain http to another machine nothing is sent
until the server asks: then Digest when it offers it (the password never
crosses the wire), Basic only when that is all it takes (the warning given when
such a source opens, ``settings.warn_in_clear``, said so already). A ``401`` naming Digest (sabre/
dav's standard auth backend, Baikal's default) switches to Digest and the request
goes again; every later request carries Digest at once, with the nonce counted
up. A Digest ``401`` marked ``stale`` (an expired nonce) is signed again; any
other ``401`` to a login syncd sent is a refused password. A server that offers
neither Basic nor Digest (Bearer, Negotiate, NTLM only) gets one clear line:
syncd does not log in that way.

Digest here is RFC 7616 for ``qop=auth`` (and RFC 2069's form without qop) with
MD5, SHA-256 and SHA-512-256, each also ``-sess``, and ``userhash``. niquests has
a Digest auth too, but as a response hook it reads a 401's body whole and sends
the request again outside syncd's bounds (``providers.caldav.bounded``) and its
count: here the 401 is answered by the one code path every request takes.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import secrets
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

import niquests

# An RFC 9110 token, and one auth-param (its value a token or a quoted string).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(rf'({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|{_TOKEN})')
_OPENING = re.compile(rf"({_TOKEN})(?:\s+(.*))?", re.DOTALL)
# Digest algorithms, strongest first: name -> hashlib name.
_ALGORITHMS = {"SHA-512-256": "sha512_256", "SHA-256": "sha256", "MD5": "md5"}
SCHEMES = ("Basic", "Digest")  # the ones syncd logs in with


@dataclasses.dataclass(frozen=True)
class Challenge:
    """One challenge of a WWW-Authenticate header: its scheme (lower case) and parameters
    (names lower case, values unquoted)."""

    scheme: str
    params: Mapping[str, str]


def parse_challenges(header: str) -> list[Challenge]:
    """The challenges of a WWW-Authenticate value (several may share one header, as
    ``Basic realm="a", Digest realm="b", nonce="n"``); what cannot be read is skipped.

    The value is cut at commas outside quotes: an item ``name=value`` is a parameter
    of the challenge before it; any other item opens a challenge (its scheme, then a
    first parameter or a token68, which is not kept).
    """
    found: list[tuple[str, dict[str, str]]] = []
    for item in _items(header or ""):
        param = _PARAM.fullmatch(item)
        if param is not None:
            if found:
                found[-1][1][param.group(1).lower()] = _unquoted(param.group(2))
            continue
        opening = _OPENING.fullmatch(item)
        if opening is None:
            continue
        params: dict[str, str] = {}
        first = _PARAM.fullmatch((opening.group(2) or "").strip())
        if first is not None:
            params[first.group(1).lower()] = _unquoted(first.group(2))
        found.append((opening.group(1).lower(), params))
    return [Challenge(scheme, params) for scheme, params in found]


def _items(text: str) -> list[str]:
    """``text`` cut at the commas outside quoted strings, each item stripped."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- Digest (RFC 7616)


def usable_digest(challenges: list[Challenge]) -> Challenge | None:
    """The Digest challenge syncd answers: the strongest algorithm it knows, with ``qop``
    offering ``auth`` (or no qop at all); None when there is none."""
    usable = []
    for challenge in challenges:
        params = challenge.params
        if challenge.scheme != "digest" or "nonce" not in params:
            continue
        name = _algorithm(params)
        qops = {q.strip().lower() for q in params.get("qop", "").split(",") if q.strip()}
        if name in _ALGORITHMS and (not qops or "auth" in qops) and _hash_exists(name):
            usable.append((list(_ALGORITHMS).index(name), challenge))
    return min(usable, key=lambda pair: pair[0])[1] if usable else None


def _algorithm(params: Mapping[str, str]) -> str:
    return params.get("algorithm", "MD5").upper().removesuffix("-SESS")


def _hash_exists(name: str) -> bool:
    try:
        hashlib.new(_ALGORITHMS[name], usedforsecurity=False)
    except ValueError:  # an OpenSSL without SHA-512/256
        return False
    return True


def digest_header(
    challenge: Challenge,
    username: str,
    password: str,
    method: str,
    uri: str,
    count: int,
    cnonce: str,
) -> str:
    """The Authorization value answering a Digest ``challenge`` (RFC 7616 3.4) for one
    request (``uri``: its path and query), the ``count``-th under this nonce."""
    params = challenge.params
    algorithm = params.get("algorithm", "MD5")
    name = _ALGORITHMS[_algorithm(params)]

    def digest(text: str) -> str:
        return hashlib.new(name, text.encode("utf-8"), usedforsecurity=False).hexdigest()

    realm, nonce = params.get("realm", ""), params["nonce"]
    secret = digest(f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        secret = digest(f"{secret}:{nonce}:{cnonce}")
    target = digest(f"{method}:{uri}")
    qops = {q.strip().lower() for q in params.get("qop", "").split(",") if q.strip()}
    fields = {"realm": realm, "nonce": nonce, "uri": uri}
    if qops:
        nc = f"{count:08x}"
        response = digest(f"{secret}:{nonce}:{nc}:{cnonce}:auth:{target}")
        extra = f", qop=auth, nc={nc}, cnonce={_quoted(cnonce)}"
    else:  # RFC 2069
        response = digest(f"{secret}:{nonce}:{target}")
        extra = ""
    userhash = params.get("userhash", "").lower() == "true"
    user = digest(f"{username}:{realm}") if userhash else username
    parts = [f"username={_quoted(user)}"] + [f"{k}={_quoted(v)}" for k, v in fields.items()]
    parts.append(f"response={_quoted(response)}")
    if "algorithm" in params:
        parts.append(f"algorithm={algorithm}")
    if "opaque" in params:
        parts.append(f"opaque={_quoted(params['opaque'])}")
    if userhash:
        parts.append("userhash=true")
    return "Digest " + ", ".join(parts) + extra


# --- the login


class Unsupported(Exception):
    """The server asks for a login by schemes syncd does not speak (``schemes``)."""

    def __init__(self, schemes: list[str]) -> None:
        super().__init__(", ".join(schemes))
        self.schemes = schemes


class Login(niquests.auth.AuthBase):
    """A source's login, set on every request (an ``auth`` for niquests); ``answer`` takes
    a 401's challenge and says whether the request should go again."""

    def __init__(self, username: str, password: str, *, basic_first: bool) -> None:
        self.username, self.password = username, password
        self.scheme = "basic" if basic_first else ""  # what requests carry now ("": nothing)
        self._digest: Challenge | None = None
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> Any:
        with self._lock:
            scheme, challenge = self.scheme, self._digest
            self._count += 1
            count = self._count
        if scheme == "basic":
            pair = f"{self.username}:{self.password}".encode()
            request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        elif scheme == "digest" and challenge is not None:
            parts = urllib.parse.urlsplit(str(request.url))
            uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request.headers["Authorization"] = digest_header(
                challenge, self.username, self.password, str(request.method), uri, count,
                secrets.token_hex(8),
            )  # fmt: skip
        return request

    def answer(self, header: str | None, sent: str) -> bool:
        """Whether to send again a request that carried ``sent`` ("", "basic", "digest") and
        got a 401 with this WWW-Authenticate ``header``: True after switching to the scheme
        the server offers (or signing with its fresh nonce); False when the server refused
        the login syncd sent. Raises Unsupported when it offers no scheme syncd speaks."""
        challenges = parse_challenges(header or "")
        digest = usable_digest(challenges)
        with self._lock:
            if digest is not None:
                stale = digest.params.get("stale", "").lower() == "true"
                if sent == "digest" and not stale:
                    return False
                self.scheme, self._digest, self._count = "digest", digest, 0
                return True
            if any(c.scheme == "basic" for c in challenges) or not challenges:
                # No challenge at all (a server against RFC 9110): Basic is the one to guess.
                if sent == "basic":
                    return False
                self.scheme = "basic"
                return True
        raise Unsupported(sorted({_named(c.scheme) for c in challenges}))


def _named(scheme: str) -> str:
    known = {"bearer": "Bearer", "negotiate": "Negotiate", "ntlm": "NTLM", "digest": "Digest"}
    return known.get(scheme, scheme[:40])
