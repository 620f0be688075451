"""Strict models of the report folder: what authors may write, and nothing else.

Every key carries a one-sentence description (``Field(description=...)``): the JSON Schemas
for the editor and the key tables of the documentation show it (source/jsonschemas.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

# Re-exported: the section and reference models were defined here first.
from .blockmodels import Block as Block
from .blockmodels import CalloutBlock as CalloutBlock
from .blockmodels import EvidenceTableBlock as EvidenceTableBlock
from .blockmodels import FigureBlock as FigureBlock
from .blockmodels import MarkdownBlock as MarkdownBlock
from .blockmodels import Section as Section
from .blockmodels import TableBlock as TableBlock
from .blockmodels import TableText as TableText

# Re-exported: the data file models were defined here first.
from .datamodels import DataFile as DataFile
from .datamodels import LayoutFile as LayoutFile
from .datamodels import LayoutTile as LayoutTile
from .limits import (
    DEFAULT_CHANGELOG,
    DEFAULT_MAX_FILE_MB,
    DEFAULT_REFERENCES,
    MAX_FILE_MB_CEILING,
    MAX_ID,
)
from .modelbase import LANGUAGE, SLUG, Line, Strict
from .modelbase import Cell as Cell
from .refmodels import Reference as Reference
from .refmodels import ReferenceFile as ReferenceFile
from .thememodels import Theme as Theme  # re-exported: defined here first

# Where YAML's reading of an unquoted value (Yes -> true, 1.10 -> 1.1) would change what the
# author wrote, the loader's source text is used instead (cells keep numbers like 26, 1.5).
TEXT_FIELDS = frozenset({
    "title", "subtitle", "caption", "label", "text", "alt", "audience", "key_messages",
    "cover_note", "study", "design", "population", "finding", "note", "changes", "caveat",
    "unit", "law", "organisation", "subject", "keywords", "affiliation", "mark", "summary",
})
CELL_FIELDS = frozenset({"header", "rows", "n"})
# Fields holding a list of text: a bare string there gets "write it as [x]".
TEXT_LIST_FIELDS = frozenset({"sections", "references", "keywords", "audiences", "key_messages",
                              "changes", "topics", "sources"})
Paper = Literal["a4", "letter"]
# The graded-entry summaries an edition may ask for, each a PDF of at most that many pages.
SummaryKind = Literal["one-page", "three-page"]
SUMMARY_PAGES = {"one-page": 1, "three-page": 3}

_SEMVER = r"^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}$"  # ASCII digits only: \d is any script
# A DOI as registries print it, without a resolver in front: 10.<registrant>/<suffix>.
_DOI = r"^10\.[0-9]{4,9}/[^\s]+$"
_STYLE = ("a CSL style name (american-medical-association, nlm-citation-sequence, apa) or a "
          ".csl file")


class Author(Strict):
    name: Line = Field(description="The author's name, as printed.")
    affiliation: Line | None = Field(
        default=None, description="The author's affiliation; optional.")


class StaleAfter(Strict):
    references_years: int = Field(default=10, ge=0, le=1000, description=(
        "check --stats lists works evidence sections cite that are older than this many years; "
        "default 10."))
    data_days: int = Field(default=365, ge=0, le=100_000, description=(
        "A figure's data is overdue this many days after its as_of; default 365."))


class Edition(Strict):
    id: Annotated[StrictStr, Field(pattern=SLUG, max_length=MAX_ID)] = Field(
        description="The edition's id, used in file names and in audiences: a-z, 0-9 and hyphens.")
    title: Line = Field(description="The edition's title, printed on its cover.")
    audience: Line = Field(description="Who the edition is for, printed on the cover as \"For …\".")
    accent: Annotated[StrictStr, Field(pattern=r"^#[0-9a-fA-F]{6}$")] = Field(description=(
        "Colour of headings and table headers, as a quoted #rrggbb with 4.5:1 contrast on white."))
    paper: Paper | None = Field(default=None, description=(
        "This edition's paper size, a4 or letter; default the report's paper."))
    citation_style: StrictStr | None = Field(default=None, description=(
        f"This edition's citation style, {_STYLE}; default the report's."))
    key_messages: list[StrictStr] = Field(min_length=1, description=(
        "The key messages printed on the edition's first page; each may cite its sources."))
    cover_note: StrictStr | None = Field(
        default=None, description="One or two sentences printed on the cover; optional.")
    # The edition's language (default: the report's); its sections use their translations.
    language: Annotated[StrictStr, Field(pattern=LANGUAGE)] | None = Field(
        default=None, description=(
            "The edition's language as a BCP 47 tag, for the tool's words, dates and the "
            "sections' translations; default the report's."))
    summaries: list[SummaryKind] = Field(default=[], description=(
        "Summaries built beside the edition: one-page, three-page or both; default none."))


class Site(Strict):
    """Where the release site is published: printed links and QR codes point there."""

    base_url: Annotated[StrictStr, Field(pattern=r"^https?://[^\s]+$")] | None = Field(
        default=None, description=(
            "The site's http(s) address: printed links and QR codes point there, and the site's "
            "URLs become absolute; optional."))


class ReviewPolicy(Strict):
    """``review``: release waits for open comments and approvals; the site may name them."""

    required: StrictBool = Field(default=False, description=(
        "When true, release refuses while a review comment is open or approvals are missing; "
        "default false."))
    approvals: Annotated[StrictInt, Field(ge=0, le=100)] = Field(default=0, description=(
        "How many recorded approvals release needs when required is true; default 0."))
    show_on_site: StrictBool = Field(default=False, description=(
        "When true, each version's page on the site says who approved it; default false."))


class Report(Strict):
    title: Line = Field(description="The title, printed on the cover and in the PDF metadata.")
    subtitle: Line | None = Field(
        default=None, description="A line printed under the title on the cover; optional.")
    slug: Annotated[StrictStr, Field(pattern=SLUG, max_length=MAX_ID)] = Field(
        description="The short name output files are named by (<slug>-<edition>-v<version>.pdf).")
    version: Annotated[StrictStr, Field(pattern=_SEMVER)] = Field(
        description="The briefing's version as MAJOR.MINOR.PATCH, quoted (YAML reads 1.10 as 1.1).")
    language: Annotated[StrictStr, Field(pattern=LANGUAGE)] = Field(
        default="en", description="The language of the text as a BCP 47 tag; default en.")
    authors: list[Author] = Field(min_length=1, description="The authors, in order.")
    organisation: Line = Field(
        description="The organisation publishing the briefing, printed on the cover.")
    contact: Line | None = Field(
        default=None, description="A contact printed after the licence; optional.")
    licence: StrictStr = Field(description="The licence as an SPDX id, like CC-BY-4.0.")
    citation_style: StrictStr = Field(default="american-medical-association", description=(
        f"How citations and references are formatted: {_STYLE}; an edition can set its own."))
    paper: Paper = Field(default="a4", description=(
        "Paper size of the PDF editions: a4 or letter; an edition can set its own."))
    subject: Line | None = Field(default=None, description=(
        "What the briefing is about in one line, for metadata and citation records; optional."))
    keywords: list[Line] = Field(
        default=[], description="Keywords for metadata and citation records.")
    # The range lives in limits.py: the quick reader (reportfile.py) judges by the same one.
    max_file_mb: StrictFloat = Field(default=DEFAULT_MAX_FILE_MB, gt=0, le=MAX_FILE_MB_CEILING,
                                     allow_inf_nan=False, description=(
        "The largest file, in MB, the report may read (images, data, fonts…); default 5."))
    stale_after: StaleAfter = Field(
        default=StaleAfter(), description="When references and figure data count as old.")
    editions: list[Edition] = Field(min_length=1, description=(
        "The editions, one per audience: each is built as its own PDF and web edition."))
    sections: list[StrictStr] = Field(
        min_length=1, description="Section ids in reading order, each the file sections/<id>.yaml.")
    references: list[StrictStr] = Field(default=list(DEFAULT_REFERENCES), description=(
        "Reference files, relative to report/, read in order: YAML, CSL-JSON (.json) or BibTeX "
        "(.bib)."))
    changelog: StrictStr = Field(
        default=DEFAULT_CHANGELOG, description="The changelog file, relative to report/.")
    retractions: StrictStr | None = Field(default=None, description=(
        "A Retraction Watch CSV, relative to report/: check warns at cited works with a notice "
        "and release refuses a retracted one; optional."))
    theme: Theme = Field(default=Theme(), description=(
        "How every edition looks: logo, colours, fonts, stylesheet, breaks, numbering."))
    facts: StrictStr | None = Field(default=None, description=(
        "The facts file, relative to report/; default facts.yaml when it exists."))
    site: Site = Field(default=Site(), description="Where the release site is published.")
    review: ReviewPolicy = Field(default=ReviewPolicy(), description=(
        "What release waits for (open comments, approvals) and whether the site names them."))
    doi: Annotated[StrictStr, Field(pattern=_DOI)] | None = Field(default=None, description=(
        "The concept DOI of all versions (10.…/…), printed where a version has none of its own; "
        "optional."))


class AcceptedOverdue(Strict):
    """A fact or data file released although due for review, and why (kept in the manifest)."""

    fact: StrictStr | None = Field(default=None, description="The id of the fact released overdue.")
    data: StrictStr | None = Field(
        default=None, description="The data file released overdue, relative to report/.")
    reason: Annotated[StrictStr, Field(min_length=1)] = Field(
        description="Why it was released although due for review; kept in the release's manifest.")

    @model_validator(mode="after")
    def _one_item(self) -> AcceptedOverdue:
        if (self.fact is None) == (self.data is None):
            raise ValueError("name either a fact (fact: ID) or a data file (data: FILE)")
        return self


class ChangelogEntry(Strict):
    version: Annotated[StrictStr, Field(pattern=_SEMVER)] = Field(
        description="The version this entry is about, quoted.")
    date: dt.date | None = Field(default=None, description=(
        "The release date; with a date and a change the entry is a release, else a draft."))
    changes: list[Line] = Field(default=[], description="What changed, about every edition.")
    by_edition: dict[StrictStr, list[Line]] = Field(default={}, description=(
        "What changed in one edition only, by edition id; only that edition's page lists it."))
    accepted_overdue: list[AcceptedOverdue] = Field(default=[], description=(
        "Facts or data files released although due for review, each with the reason."))
    doi: Annotated[StrictStr, Field(pattern=_DOI)] | None = Field(default=None, description=(
        "This version's DOI (10.…/…), printed in place of the concept DOI; optional."))

    def any_changes(self) -> bool:
        return bool(self.changes) or any(self.by_edition.values())

    def for_edition(self, edition: str) -> list[str]:  # every edition's changes, then its own
        return [*self.changes, *self.by_edition.get(edition, [])]


class Changelog(Strict):
    entries: list[ChangelogEntry] = Field(
        min_length=1, description="One entry per version, newest first.")
