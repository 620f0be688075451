"""Cited works that were retracted, corrected or given an expression of concern.

The notices come from the Retraction Watch database as Crossref publishes it (a CSV of about
60 MB: one row per notice, the cited work's DOI in ``OriginalPaperDOI``) or, on request only,
from Crossref's REST API (:mod:`.crossref`). The CSV is read row by row and only rows whose DOI
a reference carries are kept, so its size never becomes memory. DOIs match ignoring case and a
``https://doi.org/``, ``http://dx.doi.org/`` or ``doi:`` prefix.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ProblemsError, relpath
from ..source.loader import Located
from ..source.project import Project
from .notices import Notice, normalise_doi

__all__ = ["Finding", "Notice", "RetractionCheck", "check_retractions", "csv_date",
           "normalise_doi", "report_problems"]

REQUIRED = ("OriginalPaperDOI", "RetractionNature", "RetractionDate", "RetractionDOI")
MAX_CSV_BYTES = 1_000_000_000  # the real file is ~60 MB; a gigabyte is not that file
MAX_FIELD = 1_000_000  # characters in one cell: the longest real one (Notes) is far shorter
_US_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"
                      r"(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?$")
_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ].*)?$")


@dataclass(frozen=True)
class Finding:
    """A cited reference and every notice about its DOI."""

    key: str
    doi: str
    notices: tuple[Notice, ...]
    note: str | None  # the reference's retraction_note
    located: Located

    @property
    def retracted(self) -> bool:
        """Retracted, unless a reinstatement came on or after the last retraction."""
        retractions = [n.date for n in self.notices if n.retracts]
        if not retractions:
            return False
        reinstated = [n.date for n in self.notices if n.kind == "reinstatement"]
        return not reinstated or max(reinstated) < max(retractions)


def csv_date(text: str) -> str:
    """``1/31/2023 0:00`` (month first, as the database writes it) or an ISO date as
    ``2023-01-31``; anything else is kept as written."""
    text = text.strip()
    for pattern, order in ((_US_DATE, (2, 0, 1)), (_ISO_DATE, (0, 1, 2))):
        m = pattern.match(text)
        if m:
            parts = m.groups()
            try:
                return dt.date(int(parts[order[0]]), int(parts[order[1]]),
                               int(parts[order[2]])).isoformat()
            except ValueError:
                return text
    return text


def read_retraction_watch(path: Path, wanted: set[str], display: str
                          ) -> dict[str, list[Notice]]:
    """Notices for the DOIs in ``wanted`` (normalised), read row by row.

    Raises :class:`ProblemsError` located at ``display`` (and the line) for a file that is
    missing, too large, not CSV or without the columns matching needs.
    """
    try:
        size = path.stat().st_size
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ProblemsError([Problem(display, message=f"cannot read: {exc.strerror}")]) from None
    if size > MAX_CSV_BYTES:
        handle.close()
        raise ProblemsError([Problem(display, message=(
            f"is {size / 1_000_000:.0f} MB; a Retraction Watch CSV is well under "
            f"{MAX_CSV_BYTES // 1_000_000_000} GB: is this the right file?"))])
    found: dict[str, list[Notice]] = {}
    with handle:
        reader = csv.reader(handle)
        limit = csv.field_size_limit(MAX_FIELD)
        try:
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                what = ("column " if len(missing) == 1 else "columns ") + ", ".join(missing)
                raise ProblemsError([Problem(display, message=(
                    f"not a Retraction Watch CSV: {what} missing (expected the file Crossref "
                    "publishes, with a header row naming OriginalPaperDOI, RetractionNature, "
                    "RetractionDate and RetractionDOI)"))])
            col = {name: header.index(name) for name in REQUIRED}
            for row in reader:
                _add(row, col, wanted, found)
        except csv.Error as exc:
            raise ProblemsError([Problem(display, reader.line_num, None,
                                         f"not a readable CSV: {exc}")]) from None
        except UnicodeDecodeError:
            raise ProblemsError([Problem(display, reader.line_num + 1, None,
                                         "not UTF-8 text; is this the CSV Crossref "
                                         "publishes?")]) from None
        finally:
            csv.field_size_limit(limit)
    return found


def _add(row: list[str], col: dict[str, int], wanted: set[str],
         found: dict[str, list[Notice]]) -> None:
    if len(row) <= max(col.values()):
        return  # a short row (a trailing blank line) holds no notice
    doi = normalise_doi(row[col["OriginalPaperDOI"]])
    if doi not in wanted:
        return
    notice_doi = normalise_doi(row[col["RetractionDOI"]])
    if notice_doi in ("", "unavailable", "none", "na", "n/a"):
        notice_doi = ""
    found.setdefault(doi, []).append(Notice(
        row[col["RetractionNature"]].strip() or "Notice",
        csv_date(row[col["RetractionDate"]]), notice_doi, "Retraction Watch"))


def cited_dois(project: Project) -> dict[str, list[Located]]:
    """The references some edition cites that carry a DOI, by normalised DOI."""
    from .uses import reference_uses

    cited = {u.key.lower() for u in reference_uses(project) if u.cited_in}
    out: dict[str, list[Located]] = {}
    for key, located in project.references.items():
        if key in cited and located.model.DOI:
            out.setdefault(normalise_doi(located.model.DOI), []).append(located)
    return out


def findings(project: Project, notices: dict[str, list[Notice]]) -> list[Finding]:
    """Every cited reference with a notice, in reference-file order."""
    out = []
    for doi, refs in cited_dois(project).items():
        found = notices.get(doi)
        if not found:
            continue
        ordered = tuple(sorted(found, key=lambda n: (n.date, n.nature, n.doi)))
        out += [Finding(loc.model.key, loc.model.DOI, ordered,
                        getattr(loc.model, "retraction_note", None), loc) for loc in refs]
    order = {key: i for i, key in enumerate(project.references)}
    return sorted(out, key=lambda f: order.get(f.key.lower(), 0))


def notice_text(n: Notice) -> str:
    """``Retraction 2023-01-31 (notice 10.1/x)``, the words every listing uses."""
    return f"{n.nature} {n.date or 'undated'}" + (f" (notice {n.doi})" if n.doi else "")


def problems(found: Iterable[Finding], source: str, *, release: bool) -> list[Problem]:
    """Located at each reference's DOI: warnings for ``check``; for ``release``, an error for
    each retracted work cited without a ``retraction_note`` (only those)."""
    out = []
    for f in found:
        if f.note:
            continue  # the author says why it is still cited
        if release and not f.retracted:
            continue
        notices = "; ".join(notice_text(n) for n in f.notices)
        if f.retracted:
            message = (f"reference '{f.key}' (DOI {f.doi}) is retracted according to {source}: "
                       f"{notices}; stop citing it, or add a retraction_note saying why it is "
                       "still cited")
        else:
            message = (f"reference '{f.key}' (DOI {f.doi}) has a notice in {source}: {notices}; "
                       "check what it changes, then add a retraction_note to record that")
        out.append(f.located.doc.problem(f.located.loc + ("DOI",), message,
                                         severity="error" if release else "warning"))
    return out


def report_problems(project: Project, *, release: bool = False) -> list[Problem]:
    """What ``check`` (warnings) and ``release`` (errors) say about the CSV that report.yaml
    names as ``retractions:``; nothing when it names none."""
    from ..source.paths import located_inside

    name = project.report.retractions
    if not name:
        return []
    where: list[Problem] = []
    path = located_inside(project.root, project.report_dir / name, project.report_doc,
                          ("retractions",), where, what="retractions file", value=name)
    if path is None:
        return where
    if not path.is_file():
        return [project.report_doc.problem(("retractions",), (
            f"retractions file '{name}' not found (relative to report/); download the "
            "Retraction Watch CSV from Crossref there, or remove 'retractions:'"))]
    display = relpath(project.report_dir / name, project.root)
    notices = read_retraction_watch(path, set(cited_dois(project)), display)
    return problems(findings(project, notices), display, release=release)


@dataclass(frozen=True)
class RetractionCheck:
    """What ``refs --check-retractions`` found: ``checked`` cited DOIs were looked up;
    ``problems`` are lookups that failed (online), located at the reference's DOI;
    ``unknown`` are keys of references Crossref does not know."""

    findings: list[Finding]
    checked: int
    sources: list[str]
    problems: list[Problem]
    unknown: list[str]


def check_retractions(project: Project, csv_file: Path | None = None, *, online: bool = False,
                      base: str | None = None, timeout: float | None = None
                      ) -> RetractionCheck:
    """Cited works with notices, from ``csv_file`` (default: report.yaml's ``retractions:``)
    and, with ``online``, from Crossref's API at ``base``."""
    dois = cited_dois(project)
    notices: dict[str, list[Notice]] = {}
    sources: list[str] = []
    if csv_file is None and project.report.retractions:
        csv_file = project.report_dir / project.report.retractions
    if csv_file is not None:
        display = relpath(csv_file, project.root) if csv_file.is_relative_to(
            project.root) else str(csv_file)
        sources.append(display)
        notices = read_retraction_watch(csv_file, set(dois), display)
    failed: list[Problem] = []
    unknown: list[str] = []
    if online:
        from .crossref import DEFAULT_BASE, DEFAULT_TIMEOUT, ask_crossref

        base = (base or DEFAULT_BASE).rstrip("/")
        sources.append(base)
        contact = project.report.contact or ""
        answers = ask_crossref(dois, base, timeout or DEFAULT_TIMEOUT,
                               mailto=contact if "@" in contact and " " not in contact
                               else None)
        for doi, found in answers.notices.items():
            if found is None:
                unknown += [loc.model.key for loc in dois[doi]]
            for n in found or []:
                if all((n.kind, n.doi) != (m.kind, m.doi) for m in notices.get(doi, [])):
                    notices.setdefault(doi, []).append(n)
        for doi, reason in answers.failed.items():
            failed += [loc.doc.problem(loc.loc + ("DOI",), (
                f"reference '{loc.model.key}': Crossref lookup of {doi} failed: {reason}"))
                for loc in dois[doi]]
    return RetractionCheck(findings(project, notices), len(dois), sources, failed, unknown)
