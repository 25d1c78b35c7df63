"""The people of an event as detection sees them: the user, agency staff and the others,
and the employer, contact and agency they name (docs/behaviour.md, "Facts").

Pure; every field is read as text whatever the provider handed over.
"""

from __future__ import annotations

from syncd.config import DetectConfig, SourceConfig
from syncd.domains import in_domains, mail_domain, names_no_employer, org_name
from syncd.model import Attendee, CalendarEvent


class People:
    """The organizer and attendees, sorted into the user, agency staff and the others."""

    def __init__(self, event: CalendarEvent, source: SourceConfig, rules: DetectConfig) -> None:
        self._me = {address(a) for a in source.me}
        # The user's own organisation (me@mycompany.com) is not the one interviewing them.
        self._my_orgs = {org_name(d) for a in self._me if (d := mail_domain(a))}
        self._agency_domains = rules.agency_domains
        organizer = event.organizer if isinstance(event.organizer, Attendee) else None
        people = attendees((organizer, *attendees(event.attendees)))
        self._organizer = (
            organizer if organizer is not None and not self._is_me(organizer) else None
        )
        self._others = [a for a in people if not self._is_me(a)]

    def _is_me(self, person: Attendee) -> bool:
        return person.is_self or address(person.email) in self._me

    def _is_agency(self, person: Attendee) -> bool:
        return in_domains(mail_domain(person.email), self._agency_domains)

    def _is_employer_side(self, person: Attendee) -> bool:
        # Calendar resources and group calendars (…calendar.google.com) are no people.
        domain = mail_domain(person.email)
        return not self._is_agency(person) and not domain.endswith("calendar.google.com")

    def employer(self) -> str:
        """The organizer's organisation by mail domain, else the one all others share."""
        organizer = self._organizer
        if (
            organizer is not None
            and self._is_employer_side(organizer)
            and (name := self._org(mail_domain(organizer.email)))
        ):
            return name
        names = {self._org(mail_domain(a.email)) for a in self._others if self._is_employer_side(a)}
        names.discard("")
        return names.pop() if len(names) == 1 else ""

    def _org(self, domain: str) -> str:
        name = org_name(domain) if domain and not names_no_employer(domain) else ""
        return "" if name in self._my_orgs else name

    def contact(self) -> str:
        """The organizer's name or address, else the other attendees' (", "-joined)."""
        organizer = self._organizer
        if organizer is not None and self._is_employer_side(organizer) and label(organizer):
            return label(organizer)
        skip = address(organizer.email) if organizer is not None else None
        labels = [
            label(a)
            for a in self._others
            if a is not organizer and address(a.email) != skip and self._is_employer_side(a)
        ]
        return ", ".join(dict.fromkeys(name for name in labels if name))

    def agency(self) -> str:
        """The organisation of the first agency person (organizer first), else ""."""
        return next(
            (org_name(mail_domain(a.email)) for a in self._others if self._is_agency(a)), ""
        )

    def agency_person(self) -> str:
        """The name of the first agency person who has one, else ""."""
        return next(
            (name for a in self._others if self._is_agency(a) and (name := text(a.name).strip())),
            "",
        )


def label(person: Attendee) -> str:
    return text(person.name).strip() or address(person.email)


def address(value: object) -> str:
    return text(value).strip().casefold().removeprefix("mailto:")


def text(value: object) -> str:
    """A field as text: None is "", anything else its ``str``."""
    if isinstance(value, str):
        return value
    return "" if value is None else str(value)


def attendees(values: object) -> tuple[Attendee, ...]:
    if isinstance(values, tuple | list):
        return tuple(a for a in values if isinstance(a, Attendee))
    return ()


def texts(values: object) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    if isinstance(values, tuple | list | set | frozenset):
        return tuple(text(v) for v in values)
    return ()
