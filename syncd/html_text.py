"""HTML descriptions (Google's web editor) as plain text lines, in one linear pass.

Python's ``html.parser`` rescans the rest of the text at every construct it cannot
close ("<a x=" repeated: 17 s of CPU for 64 KiB), and anyone who sends an invitation
writes its description. This reads what an editor writes (tags, entities, comments,
links) and nothing more: each character is looked at a bounded number of times.
"""

from __future__ import annotations

import html
import re
import urllib.parse

_BLOCK_TAGS = frozenset({
    "br", "p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "dt", "dd",
})  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title"})

# A tag: no "<" or ">" inside (a quoted ">" in an attribute ends it early: editors
# write "&gt;"), a comment opening, or another "<!...>" / "<?...>" construct.
# Possessive, so a tag that never closes is scanned once, up to the next "<".
_MARKUP = re.compile(
    r"<(?P<close>/?)(?P<name>[a-zA-Z][a-zA-Z0-9]*+)(?P<attrs>[^<>]*+)>"
    r"|(?P<comment><!--)"
    r"|<[!?/][^<>]*+>"
)
# A character reference past any code point: html.unescape would hand its digits to
# int(), which refuses more than 4,300 of them (ValueError); it stands for U+FFFD.
_HUGE_REFERENCE = re.compile(r"&#0*+[0-9]{8,}+;?|&#[xX]0*+[0-9a-fA-F]{7,}+;?")
_HREF = re.compile(
    r"""(?:^|\s)href\s*+=\s*+(?:"(?P<dq>[^"]*+)"|'(?P<sq>[^']*+)'|(?P<bare>[^\s"'=<>`]++))""",
    re.IGNORECASE,
)


def _link_target(href: str) -> str:
    """The readable target of a link: an address, a number, or the URL unwrapped."""
    href = href.strip()
    scheme, _, rest = href.partition(":")
    if scheme.lower() in ("mailto", "tel"):
        return urllib.parse.unquote(rest.split("?", 1)[0]).strip()
    parts = urllib.parse.urlsplit(href)
    if parts.netloc.endswith("google.com") and parts.path == "/url":
        # Google wraps links typed in its editor as google.com/url?q=<target>.
        return urllib.parse.parse_qs(parts.query).get("q", [href])[0]
    return href


def unescape(text: str) -> str:
    """``html.unescape``, without its ValueError on a reference of thousands of digits."""
    return html.unescape(_HUGE_REFERENCE.sub("\ufffd", text)) if "&" in text else text


class _Text:
    """The text parts read so far, and the link whose text is being read."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.skipping = 0
        self._link: tuple[str, int] | None = None  # (target, index of its first part)

    def data(self, text: str) -> None:
        if text and not self.skipping:
            self.parts.append(unescape(text))

    def start(self, tag: str, attrs: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "a":
            self.end_link()  # links do not nest: a new one ends the one open
            found = _HREF.search(attrs)
            href = next((g for g in found.groups() if g is not None), "") if found else ""
            href = unescape(href)
            self._link = (_link_target(href), len(self.parts))

    def end(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS and tag != "br":
            self.parts.append("\n")
        elif tag == "a":
            self.end_link()

    def end_link(self) -> None:
        if self._link is None:
            return
        target, first = self._link
        self._link = None
        # Keep the target when the text hides it: a meeting link may sit only in href.
        if target and target.casefold() not in "".join(self.parts[first:]).casefold():
            self.parts.append(f" ({target})")


def html_to_text(s: str) -> str:
    """Plain text lines of an HTML fragment: blocks and ``<br>`` become line breaks.

    Entities are decoded, a link keeps its target after its text when the text
    does not show it; what is inside script, style, head and title is left out.
    Never raises; linear in the length of ``s``.
    """
    text = _Text()
    at = 0
    while (found := _MARKUP.search(s, at)) is not None:
        text.data(s[at : found.start()])
        at = found.end()
        if found["comment"]:
            close = s.find("-->", at)
            at = len(s) if close < 0 else close + 3
        elif found["name"]:
            tag, attrs = found["name"].lower(), found["attrs"]
            if found["close"]:
                text.end(tag)
            else:
                text.start(tag, attrs)
                if attrs.endswith("/"):  # <br/>, <p/>
                    text.end(tag)
    text.data(s[at:])
    text.end_link()
    joined = "".join(text.parts).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [line.strip() for line in joined.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
