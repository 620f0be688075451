"""The library API: open a report, check, build, release and verify it.

Every command of the command line is a call to this module; scripts and notebooks use the same
calls (``import kratom_report as kr``). Progress goes to a callback when one is given, else to
the ``kratom_report`` logger at INFO; nothing here prints.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import Problem, ProblemsError

if TYPE_CHECKING:
    from .authoring.stats import EditionStats
    from .references.retractions import RetractionCheck
    from .references.uses import RefUse
    from .release import ReleaseResult
    from .verification import Verification

Progress = Callable[[str], None]
_log = logging.getLogger("kratom_report")


def _log_line(message: str) -> None:
    """A progress line to the logger: a warning at WARNING, everything else at INFO."""
    if message.startswith("warning: "):
        _log.warning(message.removeprefix("warning: "))
    else:
        _log.info(message)


@dataclass(frozen=True)
class Output:
    """One file a build wrote (or found unchanged and kept)."""

    path: Path
    edition: str
    format: str
    pages: int | None
    sha256: str
    size: int
    variant: str = ""
    skipped: bool = False


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: ``ok`` is false when any problem is an error (or, with
    ``strict``, a warning). Problems carry path, line, column, severity and message."""

    problems: tuple[Problem, ...]
    strict: bool = False
    editions: tuple[str, ...] = ()
    sections: int = 0
    references: int = 0
    stats: tuple[EditionStats, ...] = ()
    stale_after: tuple[int, int] = (0, 0)  # (reference years, data days), for stats text
    facts: tuple[str, ...] = ()  # with stats: each fact, where it is used, what falls due

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" or (self.strict and p.severity == "warning")
                       for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def infos(self) -> tuple[Problem, ...]:
        """Findings listed for the author that never fail a check (a draft's notes)."""
        return tuple(p for p in self.problems if p.severity == "info")


@dataclass(frozen=True)
class EditionInfo:
    """An edition as ``editions`` lists it."""

    id: str
    title: str
    sections: tuple[str, ...]
    pages_estimate: int


@dataclass(frozen=True)
class Report:
    """A report folder (the one holding ``report/report.yaml``). Every method reads the sources
    afresh, so a long-lived object never works from stale content."""

    root: Path
    _progress: Progress | None = field(default=None, repr=False, compare=False)

    def _say(self, progress: Progress | None) -> Progress:
        return progress or self._progress or _log_line

    def check(self, *, strict: bool = False, stats: bool = False) -> CheckResult:
        """Validate everything and compose every edition in memory; write nothing.

        Content problems are returned, never raised. A check without errors is remembered
        (checkmemo.py) and given again while no input has changed; ``stats`` always runs.
        """
        from .checkmemo import Remembered, recall, remember, unchanged_key

        key = unchanged_key(self.root)
        if not stats and (seen := recall(key)) is not None:
            return CheckResult(seen.problems, strict, seen.editions, seen.sections,
                               seen.references, stale_after=seen.stale_after)
        from .build import check

        try:
            result = check(self.root)
        except ProblemsError as exc:
            return CheckResult(tuple(exc.problems), strict)
        stale = result.project.report.stale_after
        editions = tuple(r.edition.id for r in result.editions)
        remember(key, Remembered(tuple(result.warnings), editions, len(result.project.sections),
                                 len(result.project.references),
                                 (stale.references_years, stale.data_days)))
        numbers: tuple[EditionStats, ...] = ()
        facts: tuple[str, ...] = ()
        if stats:
            from .authoring.stats import edition_stats

            numbers = tuple(edition_stats(result))
            from .authoring.factstats import fact_lines
            from .source.currency import today

            facts = tuple(fact_lines(result.project, today()))
        return CheckResult(tuple(result.warnings), strict, editions,
                           len(result.project.sections), len(result.project.references),
                           numbers, (stale.references_years, stale.data_days), facts)

    def build(self, editions: Iterable[str] | None = None, formats: Sequence[str] = ("pdf",),
              out: str | os.PathLike[str] | None = None, variant: str | None = None, *,
              paper: str | None = None, jobs: int | None = None, force: bool = False,
              mark_changes: str | None = None, progress: Progress | None = None,
              review: bool = False) -> list[Output]:
        """Build ``editions`` (default: all, in report.yaml's order) in every format asked for
        into ``out`` (default ``dist/`` under the report root); with ``review``, review copies
        (PDF only: source positions in the margin, never released). Raises
        :class:`~kratom_report.errors.ProblemsError` with every problem; on any failure
        nothing in ``out`` changes."""
        from .build import BuildRequest, build

        folder = Path(out) if out is not None else self.root / "dist"
        written: list[Output] = []
        for fmt in dict.fromkeys(formats):
            request = BuildRequest(editions=tuple(editions or ()), fmt=fmt, out=folder,
                                   paper=paper, variant="review" if review else
                                   variant or "pdf/ua-1", jobs=jobs,
                                   force=force, mark_changes=mark_changes)
            written += [Output(b.path, b.edition, fmt, b.pages, b.sha256, b.size,
                               request.variant if fmt == "pdf" else "", b.skipped)
                        for b in build(self.root, request, self._say(progress))]
        return written

    def release(self, out: str | os.PathLike[str] | None = None, *, jobs: int | None = None,
                assemble: Iterable[str | os.PathLike[str]] = (),
                sign: str | os.PathLike[str] | None = None,
                passphrase: str | bytes | None = None, timestamp_url: str | None = None,
                progress: Progress | None = None) -> ReleaseResult:
        """Release the current version into ``out/<version>/`` (default ``dist/``) with its
        site; refuses drafts and a version already released with other content.

        With ``assemble`` (folders that ``build`` wrote on other machines), the PDFs are taken
        from there after their build fingerprints are checked against this tree, instead of
        being rendered; the release is the same bytes either way. With ``sign`` (a PKCS#12
        file and its ``passphrase``), every PDF gets a PAdES signature, timestamped by
        ``timestamp_url`` when given; a key that cannot sign is refused before any work."""
        from .publish.signing import SigningRequest
        from .release import release

        folder = Path(out) if out is not None else self.root / "dist"
        secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
        signing = SigningRequest(Path(sign), secret, timestamp_url) if sign is not None \
            else None
        return release(self.root, folder, jobs, progress=self._say(progress),
                       assemble=[Path(f) for f in assemble], signing=signing)

    def verify(self, pdf: str | os.PathLike[str], *,
               trust: str | os.PathLike[str] | None = None) -> Verification:
        """Check ``pdf``'s signature (against the release record, or chaining to the CA
        certificates in ``trust``), then rebuild the edition it says it is from this report
        and compare the bytes. A failed signature check raises
        :class:`~kratom_report.verification.SignatureError`."""
        from .verification import verify as run

        return run(self.root, Path(pdf), Path(trust) if trust is not None else None)

    def review_import(self, pdfs: Iterable[str | os.PathLike[str]], *,
                      reviewer: str | None = None) -> list[dict[str, Any]]:
        """Comments from reviewers' annotated review copies into ``report/reviews/<version>.yaml``
        (the new ones are returned; importing again adds nothing). Raises
        :class:`~kratom_report.source.reviews.ReviewError` for a PDF that is not a review copy
        of this report's version, before anything is written."""
        from .authoring.reviews import import_pdfs

        return import_pdfs(self.root, [Path(p) for p in pdfs], reviewer)

    def review_comments(self, *, open_only: bool = False) -> list[dict[str, Any]]:
        """The current version's review comments, in the order they were imported."""
        from .authoring.reviews import list_comments

        return list_comments(self.root, open_only)

    def review_status(self, comment_id: str, status: str, note: str | None = None
                      ) -> dict[str, Any]:
        """Mark a comment ``resolved`` (with an optional note) or ``open`` again."""
        from .authoring.reviews import set_status

        return set_status(self.root, comment_id, status, note)

    def review_approve(self, by: str, role: str | None = None) -> dict[str, Any]:
        """Record ``by``'s approval of the current version."""
        from .authoring.reviews import approve

        return approve(self.root, by, role)

    def editions(self) -> list[EditionInfo]:
        """Every edition with its sections and an estimated page count (composes each)."""
        from .build import check
        from .compose.editions import select
        from .compose.estimate import estimate_pages

        result = check(self.root)
        return [EditionInfo(r.edition.id, r.edition.title,
                            tuple(s.section.id for s in select(result.project, r.edition)),
                            estimate_pages(r))
                for r in result.editions]

    def references(self) -> list[RefUse]:
        """Every reference with the sections of each edition that cite it."""
        from .references.uses import reference_uses
        from .source.project import load_project

        return reference_uses(load_project(self.root))

    def export_references(self, fmt: Literal["csljson", "bibtex"]) -> str:
        """All references as CSL-JSON or BibTeX text, for a reference manager."""
        from .references.uses import export
        from .source.project import load_project

        return export(load_project(self.root), fmt)

    def check_retractions(self, csv: str | os.PathLike[str] | None = None, *,
                          online: bool = False, crossref_url: str | None = None,
                          timeout: float | None = None) -> RetractionCheck:
        """Cited works retracted, corrected or under an expression of concern: from a
        Retraction Watch CSV (default: report.yaml's ``retractions:``) and, with ``online``,
        from Crossref's API. Failed lookups are in ``.problems``; the CSV's are raised."""
        from .references.retractions import check_retractions
        from .source.project import load_project

        return check_retractions(load_project(self.root), Path(csv) if csv else None,
                                 online=online, base=crossref_url, timeout=timeout)

    def diff(self, old: str | None = None, new: str | None = None,
             edition: str | None = None) -> dict[str, Any]:
        """What changed between two recorded versions (or a version and ``worktree``)."""
        from .compare import compare

        return compare(self.root, old, new, edition)


def open(path: str | os.PathLike[str] | None = None, *,  # noqa: A001 - as in io.open
         progress: Progress | None = None) -> Report:
    """The report in ``path`` (the folder holding ``report/``), or the nearest one upward from
    the current folder. Raises :class:`~kratom_report.errors.SourceNotFound`."""
    from .source.locate import find_root

    return Report(find_root(Path(path) if path is not None else None), progress)


def verify(pdf: str | os.PathLike[str], source: str | os.PathLike[str] | None = None, *,
           trust: str | os.PathLike[str] | None = None) -> Verification:
    """Check a PDF's signature, rebuild the edition it says it is and byte-compare: the
    sources are ``source`` or the report around the current folder."""
    return open(source).verify(pdf, trust=trust)
