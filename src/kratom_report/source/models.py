"""Strict models of the report folder: what authors may write, and nothing else."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_serializer,
    model_validator,
)

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
from .modelbase import Line, Strict
from .thememodels import Theme as Theme  # re-exported: defined here first

Cell = str | int | float

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
Kind = Literal["front", "evidence", "guidance", "policy", "back"]
Certainty = Literal["high", "moderate", "low", "very-low"]
Paper = Literal["a4", "letter"]
# The graded-entry summaries an edition may ask for, each a PDF of at most that many pages.
SummaryKind = Literal["one-page", "three-page"]
SUMMARY_PAGES = {"one-page": 1, "three-page": 3}

_SLUG = r"^[a-z0-9][a-z0-9-]*$"
_SEMVER = r"^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}$"  # ASCII digits only: \d is any script
# BCP 47 in the shape tools accept: a 2-3 letter language, then subtags (en, en-GB, zh-Hant-TW).
_LANGUAGE = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"


class Author(Strict):
    name: Line
    affiliation: Line | None = None


class StaleAfter(Strict):
    references_years: int = Field(default=10, ge=0, le=1000)
    data_days: int = Field(default=365, ge=0, le=100_000)


class Edition(Strict):
    id: Annotated[StrictStr, Field(pattern=_SLUG, max_length=MAX_ID)]
    title: Line
    audience: Line
    accent: Annotated[StrictStr, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
    paper: Paper | None = None
    citation_style: StrictStr | None = None
    key_messages: list[StrictStr] = Field(min_length=1)
    cover_note: StrictStr | None = None
    # The edition's language (default: the report's); its sections use their translations.
    language: Annotated[StrictStr, Field(pattern=_LANGUAGE)] | None = None
    summaries: list[SummaryKind] = []


# A DOI as registries print it, without a resolver in front: 10.<registrant>/<suffix>.
_DOI = r"^10\.[0-9]{4,9}/[^\s]+$"


class Site(Strict):
    """Where the release site is published: printed links and QR codes point there."""

    base_url: Annotated[StrictStr, Field(pattern=r"^https?://[^\s]+$")] | None = None


class ReviewPolicy(Strict):
    """``review``: release waits for open comments and approvals; the site may name them."""

    required: StrictBool = False
    approvals: Annotated[StrictInt, Field(ge=0, le=100)] = 0
    show_on_site: StrictBool = False


class Report(Strict):
    title: Line
    subtitle: Line | None = None
    slug: Annotated[StrictStr, Field(pattern=_SLUG, max_length=MAX_ID)]
    version: Annotated[StrictStr, Field(pattern=_SEMVER)]
    language: Annotated[StrictStr, Field(pattern=_LANGUAGE)] = "en"
    authors: list[Author] = Field(min_length=1)
    organisation: Line
    contact: Line | None = None
    licence: StrictStr
    citation_style: StrictStr = "american-medical-association"
    paper: Paper = "a4"
    subject: Line | None = None
    keywords: list[Line] = []
    # The range lives in limits.py: the quick reader (reportfile.py) judges by the same one.
    max_file_mb: StrictFloat = Field(default=DEFAULT_MAX_FILE_MB, gt=0, le=MAX_FILE_MB_CEILING,
                                     allow_inf_nan=False)
    stale_after: StaleAfter = StaleAfter()
    editions: list[Edition] = Field(min_length=1)
    sections: list[StrictStr] = Field(min_length=1)
    references: list[StrictStr] = list(DEFAULT_REFERENCES)
    changelog: StrictStr = DEFAULT_CHANGELOG
    retractions: StrictStr | None = None  # a Retraction Watch CSV, relative to report/
    theme: Theme = Theme()
    facts: StrictStr | None = None  # the facts file (default: facts.yaml when present)
    site: Site = Site()
    review: ReviewPolicy = ReviewPolicy()
    doi: Annotated[StrictStr, Field(pattern=_DOI)] | None = None  # the concept DOI (all versions)


class _Block(Strict):
    audiences: list[StrictStr] | None = None


# A block's text in other languages: `translations: {th: {text: ...}}`, by BCP 47 tag. Each
# names only fields its block has; a field left out prints as the original.
Language = Annotated[StrictStr, Field(pattern=_LANGUAGE)]


class MarkdownText(Strict):
    text: StrictStr


class CalloutText(Strict):
    title: Line | None = None
    text: StrictStr | None = None


class TableText(Strict):
    caption: Line | None = None
    header: list[Cell] | None = None
    rows: list[list[Cell]] | None = None
    source: StrictStr | None = None


class EvidenceRowText(Strict):
    study: StrictStr | None = None
    design: StrictStr | None = None
    population: StrictStr | None = None
    finding: StrictStr | None = None


class EvidenceTableText(Strict):
    caption: Line | None = None
    rows: list[EvidenceRowText] | None = None
    source: StrictStr | None = None


class FigureText(Strict):
    caption: Line | None = None
    alt: Line | None = None
    source: StrictStr | None = None


class SectionText(Strict):
    title: Line
    summary: StrictStr | None = None


class MarkdownBlock(_Block):
    type: Literal["markdown"]
    text: StrictStr
    translations: dict[Language, MarkdownText] | None = None


class CalloutBlock(_Block):
    type: Literal["callout"]
    title: Line | None = None
    text: StrictStr
    translations: dict[Language, CalloutText] | None = None


class TableBlock(_Block):
    type: Literal["table"]
    caption: Line
    header: list[Cell] = Field(min_length=1)
    rows: list[list[Cell]] = Field(min_length=1)
    source: StrictStr | None = None
    in_summary: bool = False  # also shown in the edition's three-page summary
    translations: dict[Language, TableText] | None = None


class EvidenceRow(Strict):
    study: StrictStr
    design: StrictStr
    n: Cell | None = None
    population: StrictStr
    finding: StrictStr
    certainty: Certainty


class EvidenceTableBlock(_Block):
    type: Literal["evidence_table"]
    caption: Line
    rows: list[EvidenceRow] = Field(min_length=1)
    source: StrictStr | None = None
    in_summary: bool = False
    translations: dict[Language, EvidenceTableText] | None = None


FigureKind = Literal["timeline", "series", "state-map", "tile-map", "image"]
# A width is a share of the column or a print length: 60%, 120mm, 8cm, 3.5in.
_WIDTH = re.compile(r"([0-9]+(?:\.[0-9]+)?)(%|mm|cm|in)")
_MAX_WIDTH = {"%": 100.0, "mm": 300.0, "cm": 30.0, "in": 12.0}


class FigureBlock(_Block):
    """``data`` for drawn kinds; ``file`` (and ``width``) for ``image``; ``layout`` for maps.

    Which keys a kind takes is checked in source/figurefiles.py, so the message can say why.
    """

    type: Literal["figure"]
    kind: FigureKind
    data: StrictStr | None = None
    file: StrictStr | None = None
    layout: StrictStr | None = None
    width: StrictStr | None = None
    caption: Line
    alt: Line
    source: StrictStr | None = None
    in_summary: bool = False
    translations: dict[Language, FigureText] | None = None

    @field_validator("alt")
    @classmethod
    def _alt_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is blank")  # worded in schema.py, with why alt text matters
        return value

    @field_validator("width")
    @classmethod
    def _width_form(cls, value: str | None) -> str | None:
        m = _WIDTH.fullmatch(value.strip()) if value is not None else None
        if value is not None and (m is None or not 0 < float(m[1]) <= _MAX_WIDTH[m[2]]):
            raise ValueError(f"'{value}' is not a width; write a share of the column (1% to "
                             "100%, like 60%) or a length up to the page (like 120mm, 8cm, 3in)")
        return value.strip() if value is not None else None

    @model_serializer(mode="wrap")
    def _without_unused(self, handler: Any) -> Any:
        # Keys a kind does not use are left out, so a figure written before they existed
        # keeps its content fingerprint.
        out = handler(self)
        for key in ("data", "file", "layout", "width"):
            if isinstance(out, dict) and out.get(key) is None:
                out.pop(key, None)
        return out


Block = Annotated[
    MarkdownBlock | CalloutBlock | TableBlock | EvidenceTableBlock | FigureBlock,
    Field(discriminator="type"),
]


class Section(Strict):
    id: Annotated[StrictStr, Field(pattern=_SLUG, max_length=MAX_ID)]
    title: Line
    kind: Kind
    audiences: list[StrictStr] | None = None
    translations: dict[Language, SectionText] | None = None
    summary: StrictStr | None = None  # Markdown for the three-page summary
    blocks: list[Block] = Field(min_length=1)


Name = dict[str, Any]


CslNames = list[dict[str, StrictStr]]
CslDate = int | dt.date | StrictStr | dict[str, Any]


class Reference(Strict):
    key: StrictStr
    type: StrictStr
    author: list[dict[str, StrictStr]] | None = None
    editor: list[dict[str, StrictStr]] | None = None
    title: StrictStr
    container_title: StrictStr | None = Field(None, alias="container-title")
    container_title_short: StrictStr | None = Field(None, alias="container-title-short")
    collection_title: StrictStr | None = Field(None, alias="collection-title")
    issued: int | dt.date | StrictStr | dict[str, Any] | None = None
    volume: Cell | None = None
    issue: Cell | None = None
    page: Cell | None = None
    number: Cell | None = None
    edition: Cell | None = None
    genre: StrictStr | None = None
    DOI: StrictStr | None = None
    PMID: Cell | None = None
    URL: StrictStr | None = None
    accessed: dt.date | StrictStr | dict[str, Any] | None = None
    publisher: StrictStr | None = None
    publisher_place: StrictStr | None = Field(None, alias="publisher-place")
    note: StrictStr | None = None
    # The other CSL variables citeproc-py can print, so that reference-manager exports carry
    # them through (which export fields are left out, and why: references/csljson.py).
    title_short: StrictStr | None = Field(None, alias="title-short")
    ISBN: Cell | None = None
    ISSN: StrictStr | None = None
    PMCID: StrictStr | None = None
    language: StrictStr | None = None
    translator: CslNames | None = None
    collection_editor: CslNames | None = Field(None, alias="collection-editor")
    container_author: CslNames | None = Field(None, alias="container-author")
    editorial_director: CslNames | None = Field(None, alias="editorial-director")
    original_author: CslNames | None = Field(None, alias="original-author")
    composer: CslNames | None = None
    illustrator: CslNames | None = None
    interviewer: CslNames | None = None
    recipient: CslNames | None = None
    original_date: CslDate | None = Field(None, alias="original-date")
    event_date: CslDate | None = Field(None, alias="event-date")
    submitted: CslDate | None = None
    collection_number: Cell | None = Field(None, alias="collection-number")
    chapter_number: Cell | None = Field(None, alias="chapter-number")
    number_of_pages: Cell | None = Field(None, alias="number-of-pages")
    number_of_volumes: Cell | None = Field(None, alias="number-of-volumes")
    version: Cell | None = None
    event: StrictStr | None = None
    event_place: StrictStr | None = Field(None, alias="event-place")
    original_title: StrictStr | None = Field(None, alias="original-title")
    original_publisher: StrictStr | None = Field(None, alias="original-publisher")
    original_publisher_place: StrictStr | None = Field(None, alias="original-publisher-place")
    archive: StrictStr | None = None
    archive_location: StrictStr | None = None
    archive_place: StrictStr | None = Field(None, alias="archive-place")
    authority: StrictStr | None = None
    jurisdiction: StrictStr | None = None
    medium: StrictStr | None = None
    section: StrictStr | None = None
    status: StrictStr | None = None
    dimensions: StrictStr | None = None
    study_design: StrictStr | None = None
    n: Cell | None = None
    topics: list[StrictStr] = []
    confidence: StrictStr | None = None
    verified_by: StrictStr | None = None
    identifier_note: StrictStr | None = None
    retraction_note: StrictStr | None = None  # why a retracted work is still cited


class ReferenceFile(Strict):
    references: list[dict[str, Any]]


class AcceptedOverdue(Strict):
    """A fact or data file released although due for review, and why (kept in the manifest)."""

    fact: StrictStr | None = None
    data: StrictStr | None = None
    reason: Annotated[StrictStr, Field(min_length=1)]

    @model_validator(mode="after")
    def _one_item(self) -> AcceptedOverdue:
        if (self.fact is None) == (self.data is None):
            raise ValueError("name either a fact (fact: ID) or a data file (data: FILE)")
        return self


class ChangelogEntry(Strict):
    version: Annotated[StrictStr, Field(pattern=_SEMVER)]
    date: dt.date | None = None
    changes: list[Line] = []  # about every edition
    by_edition: dict[StrictStr, list[Line]] = {}  # about one edition only: its own page lists them
    accepted_overdue: list[AcceptedOverdue] = []
    doi: Annotated[StrictStr, Field(pattern=_DOI)] | None = None  # this version's DOI

    def any_changes(self) -> bool:
        return bool(self.changes) or any(self.by_edition.values())

    def for_edition(self, edition: str) -> list[str]:  # every edition's changes, then its own
        return [*self.changes, *self.by_edition.get(edition, [])]


class Changelog(Strict):
    entries: list[ChangelogEntry] = Field(min_length=1)
