"""A notice about a published work (retraction, correction, expression of concern…) as both
sources of notices give it: the Retraction Watch CSV and Crossref's API."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Natures that withdraw a work: citing it needs a reason (``retraction_note``). The others
# (correction, expression of concern, partial retraction) ask the author to look again.
RETRACTED = frozenset({"retraction", "withdrawal", "removal"})
_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)


@dataclass(frozen=True)
class Notice:
    """One notice about a work: its nature as the source names it, date (ISO when it could
    be read, else as written), the notice's own DOI, and where the notice was found."""

    nature: str
    date: str
    doi: str
    source: str

    @property
    def kind(self) -> str:
        """The nature in one spelling for both sources: ``expression of concern``."""
        return " ".join(self.nature.lower().replace("_", " ").replace("-", " ").split())

    @property
    def retracts(self) -> bool:
        return self.kind in RETRACTED


def normalise_doi(text: str) -> str:
    """A DOI as matching compares it: no resolver prefix, no spaces, lower case."""
    return _PREFIX.sub("", text.strip()).strip().lower()
