"""Reading an event title: keyword matching and the company and role it names.

docs/behaviour.md ("Detection", "Facts"): keywords match as case-insensitive whole words; the title
patterns "Interview with X", "Interview at X", "Interview: X" and "X interview",
with a trailing " - role" or " for role", name the company and the role.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from syncd.facts import strip_marker


def fold(text: str) -> str:
    """Caseless, NFC-normalised text for comparing words in any script.

    The dotted capital I (U+0130) folds to a plain ``i``, so "İNTERVIEW" reads as
    "interview".
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return folded.replace("i\u0307", "i")


def _word_pattern(words: str) -> str:
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words.split()) + r"(?!\w)"


@functools.lru_cache(maxsize=256)
def _folded_keyword(keyword: str) -> re.Pattern[str] | None:
    folded = fold(keyword).strip()
    return re.compile(_word_pattern(folded)) if folded else None


@functools.lru_cache(maxsize=256)
def _keyword_in_title(keyword: str) -> re.Pattern[str] | None:
    text = unicodedata.normalize("NFC", keyword).strip()
    return re.compile(_word_pattern(text), re.IGNORECASE) if text else None


def has_keyword(title: str, keywords: tuple[str, ...]) -> bool:
    """True when a keyword stands in the title as a whole word, in any case."""
    folded = fold(title)
    for keyword in keywords:
        regex = _folded_keyword(keyword)
        if regex is not None and regex.search(folded):
            return True
    return False


# Words around the keyword that qualify the interview rather than name the employer.
# fmt: off
_QUALIFIERS = frozenset({
    "a", "an", "the", "my", "our", "and", "of", "phone", "telephone", "tel", "video",
    "virtual", "online", "remote", "onsite", "on-site", "in-person", "in", "person", "zoom",
    "teams", "skype", "webex", "first", "second", "third", "fourth", "fifth", "final", "last",
    "next", "1st", "2nd", "3rd", "4th", "5th", "initial", "intro", "introductory",
    "technical", "tech", "coding", "hr", "job", "panel", "group", "follow-up", "followup",
    "screening", "culture", "behavioral", "behavioural", "case", "hiring", "manager", "team",
    "round", "stage", "informal", "formal", "one-on-one", "1:1", "interview",
})
# fmt: on
_REMOTE_BEFORE = r"(?:phone|telephone|video|online|remote|virtual|zoom|teams|skype)[\s-]+"
_WITH_AT = re.compile(r"^\s+(?:with|at|mit|bei|avec|chez)\s+(?P<rest>\S.*)$", re.IGNORECASE)
_SEPARATED = re.compile(r"^\s*[:|–—-]\s*(?P<rest>\S.*)$")
_FOR = re.compile(r"^\s+for\s+(?P<rest>\S.*)$", re.IGNORECASE)
_ROLE_AFTER = re.compile(r"^\s*(?:[:|–—-]|for\b)\s*(?P<role>\S.*)$", re.IGNORECASE)
_ROLE_SPLIT = re.compile(r"\s+[-–—|]\s+|\s+for\s+|:\s+", re.IGNORECASE)
_AT = re.compile(r"\s+(?:at|bei|chez)\s+", re.IGNORECASE)


def title_says_remote(title: str, keywords: tuple[str, ...]) -> bool:
    """True when the title calls it a phone, video, remote, ... interview ("Phone interview")."""
    for keyword in keywords:
        text = unicodedata.normalize("NFC", keyword).strip()
        if text and re.search(r"\b" + _REMOTE_BEFORE + _word_pattern(text), title, re.I):
            return True
    return False


_PAIRS = frozenset({"()", "[]", '""', "“”", "''"})


def _clean(text: str) -> str:
    """Text without surrounding punctuation, a trailing remark in brackets or quotes.

    One pass over the text from each end: a title is anyone's text, and the regexes
    this replaces scanned a run of punctuation once per character of it.
    """
    first, last = 0, len(text)  # text[first:last] is what is left
    first, last = _inside_spaces(text, first, last)
    while last - first > 1 and text[first] + text[last - 1] in _PAIRS:
        first, last = _inside_spaces(text, first + 1, last - 1)
    text = text[first:last]
    # A trailing remark in brackets, after the name: "Acme (London)".
    opening = text.rfind("(")
    if text.endswith(")") and opening > 0 and ")" not in text[opening + 1 : -1]:
        before = text[:opening].rstrip()
        if before:
            text = before
    # Punctuation around the name: not before a word or a bracket, not after a word, a
    # full stop, a closing bracket, "!" or "+" ("Yahoo!", "Google+").
    first, last = 0, len(text)
    while first < last and not _word_char(text[first]) and text[first] not in "([":
        first += 1
    while last > first and not _word_char(text[last - 1]) and text[last - 1] not in ".)]!+":
        last -= 1
    text = text[first:last]
    if text.endswith(")") and "(" not in text:
        text = text[:-1].rstrip()
    return text if any(_word_char(c) for c in text) else ""


def _inside_spaces(text: str, first: int, last: int) -> tuple[int, int]:
    """The bounds of ``text[first:last]`` without white space at either end."""
    while first < last and text[first].isspace():
        first += 1
    while last > first and text[last - 1].isspace():
        last -= 1
    return first, last


def _word_char(char: str) -> bool:
    """What ``\\w`` matches."""
    return char.isalnum() or char == "_"


def _company_before(prefix: str) -> str:
    """The employer named before the keyword ("Acme phone interview"), "" when none."""
    if prefix.rstrip().endswith("/"):  # "Entretien / Interview": a translation, no name
        return ""
    words = _clean(prefix).split()
    first, last = 0, len(words)
    while first < last and fold(words[first]).strip(".,:;#") in _QUALIFIERS:
        first += 1
    while last > first and fold(words[last - 1]).strip(".,:;#") in _QUALIFIERS:
        last -= 1
    return _clean(" ".join(words[first:last]))


def _company_role(rest: str, with_person: bool) -> tuple[str, str]:
    """Split "Acme - Senior Engineer" into company and role."""
    parts = _ROLE_SPLIT.split(rest, maxsplit=1)
    company, role = parts[0], (parts[1] if len(parts) > 1 else "")
    if with_person:  # "Interview with Jane Smith at Acme": Jane is the interviewer
        company = _AT.split(company)[-1]
    return _clean(company), _clean(role)


def _read_at(title: str, start: int, end: int) -> tuple[str, str]:
    """Company and role around one keyword occurrence at ``title[start:end]``."""
    after = title[end:]
    company = _company_before(title[:start])
    if company:
        role = _ROLE_AFTER.match(after)
        return company, _clean(role["role"]) if role else ""
    if match := _WITH_AT.match(after):
        return _company_role(match["rest"], with_person=True)
    if match := _SEPARATED.match(after):
        return _company_role(match["rest"], with_person=False)
    if match := _FOR.match(after):  # "Interview for Data Analyst at Globex"
        parts = _AT.split(match["rest"], maxsplit=1)
        return (_clean(parts[1]) if len(parts) > 1 else ""), _clean(parts[0])
    return "", ""


def company_and_role(title: str, keywords: tuple[str, ...], marker: str) -> tuple[str, str]:
    """The (company, role) a title names by the title patterns; "" for what it does not.

    Tries every keyword occurrence, earliest first; the heard-back marker is
    ignored. The company keeps the casing of the title.
    """
    text = re.sub(r"\s+", " ", strip_marker(unicodedata.normalize("NFC", title), marker)).strip()
    spans: list[tuple[int, int]] = []
    for keyword in keywords:
        regex = _keyword_in_title(keyword)
        if regex is not None:
            spans.extend(m.span() for m in regex.finditer(text))
    for start, end in sorted(spans):
        company, role = _read_at(text, start, end)
        if company or role:
            return company, role
    return "", ""
