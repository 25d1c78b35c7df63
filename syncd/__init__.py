"""syncd: interview follow-ups written into the calendars job seekers already use."""

__version__ = "0.1.0"
