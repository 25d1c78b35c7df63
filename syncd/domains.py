"""Mail domains: the organisation a domain names, and the domains that name none.

docs/behaviour.md ("Facts") takes the employer from the organizer's mail domain (acme.com ->
Acme) unless it is a public mail domain, and the agency from
``detect.agency_domains``. Pure; nothing here raises.
"""

from __future__ import annotations

import contextlib
import re

# fmt: off
# Second-level labels under a country code that registries sell below (acme.co.uk).
_SECOND_LEVEL = frozenset({
    "co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "gen", "ne", "or", "go",
    "gob", "nic", "mil", "sch", "nom", "firm", "biz",
})
# Domains that name no employer: public mail services, calendar and scheduling systems.
_NO_EMPLOYER = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "passport.com", "icloud.com", "me.com", "mac.com", "aol.com", "aim.com", "proton.me",
    "protonmail.com", "protonmail.ch", "pm.me", "web.de", "t-online.de", "freenet.de",
    "arcor.de", "posteo.de", "mailbox.org", "mail.ru", "inbox.ru", "list.ru", "bk.ru",
    "ya.ru", "fastmail.com", "fastmail.fm", "zoho.com", "zohomail.com", "tutanota.com",
    "tutanota.de", "tuta.io", "tuta.com", "hey.com", "qq.com", "163.com", "126.com",
    "naver.com", "daum.net", "orange.fr", "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr",
    "libero.it", "virgilio.it", "btinternet.com", "sky.com", "virginmedia.com",
    "talktalk.net", "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "seznam.cz",
    "wp.pl", "o2.pl", "interia.pl", "onet.pl", "bigpond.com", "optusnet.com.au", "shaw.ca",
    "rogers.com", "rediffmail.com",
    # calendars and schedulers send invitations for someone else
    "calendar.google.com", "calendly.com", "greenhouse.io", "lever.co", "ashbyhq.com",
    "myworkday.com", "goodtime.io",
})
# Registrable names that are public mail whatever the country (yahoo.co.uk, gmx.net).
_NO_EMPLOYER_NAMES = frozenset({
    "yahoo", "ymail", "rocketmail", "gmx", "yandex", "hotmail", "outlook", "live",
})
# fmt: on


def mail_domain(address: str) -> str:
    """The lowercased domain of a mail address (``mailto:`` allowed); "" without one."""
    address = (address or "").strip().casefold().removeprefix("mailto:")
    local, at, domain = address.rpartition("@")
    return domain.strip(" .>") if at and local else ""


def in_domains(domain: str, domains: tuple[str, ...] | frozenset[str]) -> bool:
    """True when ``domain`` is one of ``domains`` or a subdomain of one."""
    for entry in domains:
        entry = entry.strip().casefold().lstrip("*@.")
        if entry and (domain == entry or domain.endswith("." + entry)):
            return True
    return False


def _registrable_label(domain: str) -> str:
    labels = [label for label in domain.strip(".").split(".") if label]
    if len(labels) < 2:
        return labels[0] if labels else ""
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return labels[-3]
    return labels[-2]


def names_no_employer(domain: str) -> bool:
    """True for public mail and calendar/scheduling service domains (gmail.com, yahoo.*)."""
    return in_domains(domain, _NO_EMPLOYER) or _registrable_label(domain) in _NO_EMPLOYER_NAMES


def org_name(domain: str) -> str:
    """The organisation a domain names: ``jobs.acme.co.uk`` -> ``Acme``, "" when none."""
    label = _registrable_label(domain)
    if label.startswith("xn--"):
        with contextlib.suppress(UnicodeError):
            label = label.encode("ascii").decode("idna")
    return " ".join(word[:1].upper() + word[1:] for word in re.split(r"[-_]+", label) if word)
