"""The limits syncd keeps to when it reads what others wrote: invitations, servers, the config.

Anyone can put an event into the user's calendar, and servers misbehave: every
quantity syncd reads from outside has a bound here. Past a bound syncd cuts or
skips that one thing, with one warning naming it, and goes on: never the
calendar, never the source, never an exception. docs/reliability.md lists each
limit with its reason and what happens past it; change the two together.

Plain values, no I/O: the core, the providers and the config schema read them.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

# --- series -------------------------------------------------------------------------

# Instances of one series read in a pass's window. The default window (7 days back,
# 180 + 45 ahead) holds 33 instances of a weekly series and 232 of a daily one; an
# invitation repeating every minute holds 330,000 (and writes three follow-ups each).
# A provider that expands series itself stops past this many (plus one, so that the
# core sees there were more); the core reads no more than this many of one series.
INSTANCES_PER_SERIES = 500

# Values of the RDATE and of the EXDATE lists of one object read (CalDAV): the
# parser turns each into a datetime, 50,000 RDATEs cost a second of CPU, and the
# core reads no more than INSTANCES_PER_SERIES instances. Past it, the values near
# the pass's window are kept, the earliest first.
DATES_PER_OBJECT = 2 * INSTANCES_PER_SERIES

# Interviews of one series that get follow-ups: the earliest ones in the window. A
# real interview series (an assessment week, a weekly panel) has a handful; each
# interview costs up to three writes.
INTERVIEWS_PER_SERIES = 50

# CPU time one stored object's time zones and series may take to build and expand,
# once its text is parsed. An ordinary object takes a few milliseconds, 501
# instances of a flood about 0.1 s; a rule that never matches again makes dateutil
# walk every period up to the year 9999 (seconds to hours). Past this the object is
# skipped. Measured per thread, so other work does not count.
OBJECT_SECONDS = 1.0

# Content lines of one stored object parsed (CalDAV), once unfolded. icalendar takes
# about 20 us a line: an ordinary invitation has 30 to 100 lines, 5,000 attendees
# 5,000 to 10,000, a series with 800 changed instances 20,000. 200,000 one-word X-
# lines (1.4 MB, far under any byte limit) took 4.3 s to parse, 10,000 VALARMs 0.9 s.
# Past this the object is skipped unparsed.
OBJECT_LINES = 20_000

# --- time zones an object defines itself (VTIMEZONE) --------------------------------

# Transitions a VTIMEZONE may define up to LAST_YEAR. A real zone has two a year:
# Outlook writes its rules from 1601, 1,200 transitions by 2200. A rule repeating
# every second has 31 million a year, and dateutil walks them on every conversion.
# Past this the TZID is read as its IANA name says, else in the zone in force.
ZONE_TRANSITIONS = 2_000

# CPU time counting those transitions may take: Outlook's 1,200 take about 0.15 s
# (counted once per process and definition); a rule that never matches again
# walks on to the year 9999.
ZONE_SECONDS = 0.5

# --- dates and times read from text -------------------------------------------------

# The years of every date syncd reads from an event or a description: an event
# time, a `decision:` date. Python's dates end at 9999 and the zones syncd converts
# to shift them by hours, so 0001 and 9999 overflow; nobody's interview is before
# 1900 or after 2200. Past them an event is skipped, a decision is unknown.
FIRST_YEAR = 1900
LAST_YEAR = 2200

# --- text read from an event --------------------------------------------------------

# Characters of an event's title read: titles are a line; a megabyte title would be
# searched by every detection rule and copied into every follow-up's description.
TITLE_CHARS = 1_000

# Characters of an event's description (and location) read: facts are a few lines;
# a 64 KiB description is a long e-mail pasted in. A server may send megabytes, and
# every detection rule searches the text of every instance of a series.
DESCRIPTION_CHARS = 64 * 1024

# Characters of an untrusted title a log line shows (control characters dropped).
SHOWN_CHARS = 40

# Characters of one fact read into an interview (company, role, contact, agency, a
# phone): a name, a role, a number or two. A contact joined from 5,000 attendees'
# names, or a 64 KiB "contact:" line, would be copied into every follow-up.
FACT_CHARS = 500

# --- what syncd prints --------------------------------------------------------------

# Characters of a title `status` and `plan` list (control characters dropped): the
# longest follow-up title syncd writes is about 50 characters and a company name.
LISTED_CHARS = 120

# Characters of one value a log line carries (a title, a path, an error's text), and
# of the whole line: anyone's text goes into log lines, and a 1 MB title made three
# 1 MB lines. Control characters in a line are written as escapes (\x1b).
LOGGED_CHARS = 500
LOG_LINE_CHARS = 2_000

# Unreadable items (events without an id, of the wrong type) one warning names; it
# counts the rest, so that a page of garbage makes one line, not 2,500.
SHOWN_ITEMS = 3

# --- answers of a server -----------------------------------------------------------

# Bytes of one answer syncd reads, on the wire and again after decompression (gzip,
# deflate). A CalDAV multiget of 500 ordinary objects is 1-3 MB, a full page of 2,500
# Google events 5-10 MB. A server can send gigabytes, and a small gzip body can
# inflate a thousandfold (a 200 MB Google listing took 650 MB to read). Past this
# the request fails with one line, read no further: a multiget is asked again in
# halves, a Google listing in pages of 250 events, where the answer may fit. Each
# answer is read as it streams in, so memory stays near this.
ANSWER_BYTES = 16 * 2**20

# Bytes of one object's data in an answer (CalDAV). An ordinary invitation is a few
# KiB, a long e-mail pasted in 100 KiB, an attachment sent inline a few MiB. Past this
# the object is skipped with one warning; the rest of the answer is read.
OBJECT_BYTES = 4 * 2**20

# JSON objects and arrays in one answer (Google), counted as the brackets that open
# them (in strings too, so the count errs high). A Google event has 10 to 40: a page
# of 2,500, 100,000 at most. Parsed, each costs 56 to 240 bytes whatever its size on
# the wire: 16 MiB of "{}," would be 5.6 million dictionaries, 350 MiB. Past this
# the answer is dropped as too large.
ANSWER_CONTAINERS = 250_000

# Pages of one listing followed (Google's nextPageToken). A full read of the widest
# window (366 days back, 731 ahead) of a calendar with 20 events a day is 22,000
# events: 9 pages of 2,500. Google may send short pages, even empty ones with a
# token, so ten times that. A server that hands out new tokens forever stops here,
# and one that sends a token it sent before stops at once; the listing is then
# incomplete, so its calendar fails this pass with one line (nothing is deleted).
PAGES_PER_LISTING = 100

# Wall-clock seconds one request may take, from connecting to the answer's last byte
# (a source's ``timeout``, which may set it from TIMEOUT_MIN to TIMEOUT_MAX). A
# multiget of 500 objects on a slow server takes a few seconds, a page of 2,500
# Google events is under 1 MB gzipped; a socket's own timeout restarts with every
# byte, and a server dripping one byte every 10 s held a pass for minutes. Past this
# the request is cut: one line, the source tries again at its next pass.
REQUEST_SECONDS = 60
TIMEOUT_MIN = dt.timedelta(seconds=1)
TIMEOUT_MAX = dt.timedelta(minutes=10)

# --- writes -------------------------------------------------------------------------

# Writes (create, update, delete) one pass makes per source; the rest come at the
# next pass, soonest first. A first pass over a busy calendar makes a few dozen;
# this bounds what one bad pass can do to a calendar and to the API quota.
WRITES_PER_PASS = 200

# --- the mass-deletion guard ---------------------------------------------------------

# Known interviews a complete read of a calendar may miss at once, none of them reported
# cancelled or deleted, before syncd stops believing it: at least this many, and more
# than half of those known there. One missing interview is an ordinary deletion seen late
# (a read after a refused sync token lists what is there, not what went); most of them
# at once is a restore from an older backup, a server glitch or a cut listing, and
# believing it would delete every follow-up still ahead. Below it they are gone at once.
GUARD_LOST_MIN = 2

# How long the guard holds: the calendar is read whole at every pass meanwhile, and
# interviews that come back are taken up again. Those a complete read still misses this
# long after the first read that missed them count as deleted. A day is time to notice
# one warning and restore a backup; a day-old thank-you is past use anyway.
GUARD_HOLD = dt.timedelta(days=1)

# --- the config ---------------------------------------------------------------------

# Between two passes of a source: at least a second (the daemon's clock; under
# 30 s syncd warns about quota), at most a day (a thank-you is due within the hour).
INTERVAL_MIN = dt.timedelta(seconds=1)
INTERVAL_MAX = dt.timedelta(days=1)
# How far back a first read looks for interviews: under FORGET_AFTER (400 days,
# syncd.observe), or what it finds would be forgotten and found again every read.
LOOKBACK_MAX = dt.timedelta(days=366)
# How far ahead interviews are taken: two years bounds the window every read and
# every series expansion covers.
LOOKAHEAD_MAX = dt.timedelta(days=731)
# After the interview, a thank-you: a week later it is no thank-you any more.
DELAY_MAX = dt.timedelta(days=7)
# How long a follow-up event lasts: it is a reminder to act, not a day's plan.
FOLLOWUP_DURATION_MAX = dt.timedelta(days=1)


def in_years(value: dt.date) -> bool:
    """Whether a date (or a date-time, by its calendar date) lies in FIRST_YEAR..LAST_YEAR."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def shown(text: str, chars: int = SHOWN_CHARS) -> str:
    """Untrusted text as a log line may show it: control and format characters (terminal
    escapes, bidi overrides) dropped, runs of white space as one space, cut to ``chars``
    with "..." when longer."""
    head = text[: chars * 4]  # enough to fill ``chars`` once control characters are gone
    kept = "".join(c for c in head if unicodedata.category(c)[0] != "C" or c in "\t\n\r")
    kept = " ".join(kept.split())
    return kept if len(kept) <= chars and len(head) == len(text) else kept[: chars - 3] + "..."
