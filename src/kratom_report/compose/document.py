"""What every page of an edition says about the document: which release it is (version and
the one date every printed or embedded date comes from), title, people, licence, how to cite
it, and the changelog."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..source.models import ChangelogEntry, Edition
from ..source.project import Project
from .i18n import Words

_LICENCES = {
    "CC-BY-4.0": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "CC-BY-SA-4.0": "Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)",
    "CC-BY-NC-4.0": "Creative Commons Attribution-NonCommercial 4.0 International (CC BY-NC 4.0)",
    "CC-BY-NC-ND-4.0": "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 "
                       "International (CC BY-NC-ND 4.0)",
    "CC0-1.0": "CC0 1.0 Universal (public domain dedication)",
}


@dataclass(frozen=True)
class Release:
    """Which version this build is, and the one date every printed or embedded date comes from."""

    version: str
    date: dt.date | None
    entry: ChangelogEntry | None

    @property
    def draft(self) -> bool:
        return self.date is None


def release_of(project: Project) -> Release:
    """A changelog entry with a date and changes is a release; anything else is a draft."""
    version = project.report.version
    entry = next((e for e in project.changelog.entries if e.version == version), None)
    date = entry.date if entry is not None and entry.date and entry.any_changes() else None
    return Release(version, date, entry)


def format_date(date: dt.date, lang: str = "en") -> str:
    return Words(lang).date(date)


def licence_name(spdx: str) -> str:
    """The licence as a reader reads it; an id we do not know prints as written."""
    return _LICENCES.get(spdx, spdx)


def document_meta(project: Project, edition: Edition, release: Release, words: Words,
              fingerprint: str) -> dict[str, Any]:
    """What every page says about the document: title, people, licence, version and date."""
    report = project.report
    return {
        "lang": words.lang,
        "rtl": words.rtl,
        "title": report.title,
        "subtitle": report.subtitle,
        "slug": report.slug,
        "authors": [a.name for a in report.authors],
        "author_affiliations": [a.model_dump() for a in report.authors],
        "organisation": report.organisation,
        "contact": report.contact,
        "licence": licence_name(report.licence),
        "licence_id": report.licence,
        "subject": report.subject,
        "keywords": report.keywords,
        "version": release.version,
        "draft": release.draft,
        "date_text": words.date(release.date) if release.date else words.gettext("Draft"),
        "date_iso": release.date.isoformat() if release.date else None,
        "generator": f"kratom-report {__version__}",
        "fingerprint": fingerprint[:16],
        "fingerprint_full": fingerprint,
        "how_to_cite": _how_to_cite(project, edition, release, words),
        "doi": doi_link((release.entry.doi if release.entry else None) or report.doi),
    }


def doi_link(doi: str | None) -> dict[str, str] | None:
    """The DOI as the DOI Foundation asks it printed, ``https://doi.org/<doi>``: ``text`` as
    written, ``href`` with the characters a URL reserves (``#``, ``?``, ``%``) encoded."""
    if not doi:
        return None
    return {"text": f"https://doi.org/{doi}",
            "href": f"https://doi.org/{quote(doi, safe='/:;()[]')}"}


def changelog_context(project: Project, edition: Edition, release: Release,
                      words: Words) -> dict[str, Any]:
    """The "What changed" page of one edition: each version's changes to every edition and to
    this one (never another edition's own)."""
    entries = []
    for e in project.changelog.entries:
        entries.append({"version": e.version,
                        "date": words.date(e.date) if e.date else words.gettext("Draft"),
                        "changes": e.for_edition(edition.id),
                        "current": e.version == release.version})
    return {"current": next((e for e in entries if e["current"]), None), "entries": entries}


def _how_to_cite(project: Project, edition: Edition, release: Release, words: Words) -> str:
    r = project.report
    authors = ", ".join(a.name for a in r.authors)
    title = f"{r.title}: {r.subtitle}" if r.subtitle else r.title
    year = str(release.date.year) if release.date else words.gettext("draft, not for citation")
    return words.gettext("%(authors)s. %(title)s. %(edition)s, version %(version)s. "
                         "%(organisation)s; %(year)s.") % {
        "authors": authors, "title": title, "edition": edition.title,
        "version": release.version, "organisation": r.organisation, "year": year}
