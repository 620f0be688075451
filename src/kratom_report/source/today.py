"""Today's date, as every judgement of how old the evidence is reads it.

Its own module, with nothing heavy imported, so a quick path (``check`` on unchanged inputs,
checkmemo.py) can key on the date without loading the models.
"""

from __future__ import annotations

import datetime as dt
import os

from ..errors import ReportError

TODAY_ENV = "KRATOM_REPORT_TODAY"


class TodayError(ReportError):
    """Raised when ``KRATOM_REPORT_TODAY`` is set but is not an ISO date."""


def today() -> dt.date:
    """``KRATOM_REPORT_TODAY`` (an ISO date) when set, else the system date."""
    value = os.environ.get(TODAY_ENV, "").strip()
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise TodayError(f"{TODAY_ENV}='{value[:40]}' is not a date; write it like "
                         "2026-12-02, or unset it") from None
