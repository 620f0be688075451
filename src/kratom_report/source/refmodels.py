"""Strict models of a reference file in our YAML (report/references.yaml and the like).

CSL variables under their CSL names, plus the tool's own notes (study_design, verified_by…).
Every key carries a one-sentence description for the editor's schema and the documentation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, StrictStr

from .modelbase import Cell, Strict

CslNames = list[dict[str, StrictStr]]
CslDate = int | dt.date | StrictStr | dict[str, Any]


class Reference(Strict):
    key: StrictStr = Field(
        description="The citation key, cited as [@key]; unique regardless of case.")
    type: StrictStr = Field(
        description="The CSL item type, like article-journal, book, report or webpage.")
    author: list[dict[str, StrictStr]] | None = Field(default=None, description=(
        "The authors as [{family, given}], or [{literal}] for an organisation."))
    editor: list[dict[str, StrictStr]] | None = Field(
        default=None, description="The editors, written like author.")
    title: StrictStr = Field(description="The work's title.")
    container_title: StrictStr | None = Field(default=None, alias="container-title", description=(
        "The journal, book or website the work appears in."))
    container_title_short: StrictStr | None = Field(
        default=None, alias="container-title-short", description=(
            "The journal's abbreviated title (J Am Chem Soc), as AMA prints it."))
    collection_title: StrictStr | None = Field(
        default=None, alias="collection-title", description="The series the work belongs to.")
    issued: int | dt.date | StrictStr | dict[str, Any] | None = Field(default=None, description=(
        "When the work was published: a year, a date (2016-08-31) or CSL date-parts."))
    volume: Cell | None = Field(default=None, description="The volume.")
    issue: Cell | None = Field(default=None, description="The issue.")
    page: Cell | None = Field(default=None, description="The page range or first page.")
    number: Cell | None = Field(
        default=None, description="The work's number, like a report or bill number.")
    edition: Cell | None = Field(default=None, description="The edition, like 2.")
    genre: StrictStr | None = Field(
        default=None, description="The kind of work in words, like Press release or Dissertation.")
    DOI: StrictStr | None = Field(default=None, description=(
        "The DOI as 10.…/…, without a resolver in front; one DOI under two keys is an error."))
    PMID: Cell | None = Field(default=None, description="The PubMed id.")
    URL: StrictStr | None = Field(default=None, description="The web address of the work.")
    accessed: dt.date | StrictStr | dict[str, Any] | None = Field(
        default=None, description="When the URL was last visited: a date or CSL date-parts.")
    publisher: StrictStr | None = Field(default=None, description="The publisher.")
    publisher_place: StrictStr | None = Field(
        default=None, alias="publisher-place", description="Where the publisher is.")
    note: StrictStr | None = Field(
        default=None, description="A CSL note, printed where the citation style prints one.")
    # The other CSL variables citeproc-py can print, so that reference-manager exports carry
    # them through (which export fields are left out, and why: references/csljson.py).
    title_short: StrictStr | None = Field(
        default=None, alias="title-short", description="A short form of the title.")
    ISBN: Cell | None = Field(
        default=None, description="The ISBN, an identifier like DOI, URL and PMID.")
    ISSN: StrictStr | None = Field(default=None, description="The ISSN.")
    PMCID: StrictStr | None = Field(default=None, description="The PubMed Central id.")
    language: StrictStr | None = Field(
        default=None, description="The work's language, as a CSL language tag.")
    translator: CslNames | None = Field(
        default=None, description="The translators, written like author.")
    collection_editor: CslNames | None = Field(
        default=None, alias="collection-editor", description=(
            "The editors of the series, written like author."))
    container_author: CslNames | None = Field(default=None, alias="container-author", description=(
        "The authors of the containing work, written like author."))
    editorial_director: CslNames | None = Field(
        default=None, alias="editorial-director", description=(
            "The editorial directors, written like author."))
    original_author: CslNames | None = Field(default=None, alias="original-author", description=(
        "The authors of the original work, written like author."))
    composer: CslNames | None = Field(
        default=None, description="The composers, written like author.")
    illustrator: CslNames | None = Field(
        default=None, description="The illustrators, written like author.")
    interviewer: CslNames | None = Field(
        default=None, description="The interviewers, written like author.")
    recipient: CslNames | None = Field(
        default=None, description="The recipients (of a letter or an email), written like author.")
    original_date: CslDate | None = Field(default=None, alias="original-date", description=(
        "When the original work was published, written like issued."))
    event_date: CslDate | None = Field(default=None, alias="event-date", description=(
        "When the event took place, written like issued."))
    submitted: CslDate | None = Field(
        default=None, description="When the work was submitted, written like issued.")
    collection_number: Cell | None = Field(
        default=None, alias="collection-number", description="The work's number in its series.")
    chapter_number: Cell | None = Field(
        default=None, alias="chapter-number", description="The chapter's number.")
    number_of_pages: Cell | None = Field(
        default=None, alias="number-of-pages", description="How many pages the work has.")
    number_of_volumes: Cell | None = Field(
        default=None, alias="number-of-volumes", description="How many volumes the work has.")
    version: Cell | None = Field(
        default=None, description="The version of the work, like a dataset's or a software's.")
    event: StrictStr | None = Field(
        default=None, description="The event (conference, hearing) the work was presented at.")
    event_place: StrictStr | None = Field(
        default=None, alias="event-place", description="Where the event took place.")
    original_title: StrictStr | None = Field(
        default=None, alias="original-title", description="The original work's title.")
    original_publisher: StrictStr | None = Field(
        default=None, alias="original-publisher", description="The original work's publisher.")
    original_publisher_place: StrictStr | None = Field(
        default=None, alias="original-publisher-place", description=(
            "Where the original work's publisher is."))
    archive: StrictStr | None = Field(default=None, description="The archive holding the work.")
    archive_location: StrictStr | None = Field(
        default=None, description="Where in the archive the work is.")
    archive_place: StrictStr | None = Field(
        default=None, alias="archive-place", description="Where the archive is.")
    authority: StrictStr | None = Field(default=None, description=(
        "The body that issued or decided the work, like a court or an agency."))
    jurisdiction: StrictStr | None = Field(
        default=None, description="The jurisdiction of a legal work.")
    medium: StrictStr | None = Field(default=None, description="The medium, like CD-ROM or film.")
    section: StrictStr | None = Field(
        default=None, description="The section of a newspaper or a code the work is in.")
    status: StrictStr | None = Field(
        default=None, description="The publication status, like in press.")
    dimensions: StrictStr | None = Field(
        default=None, description="The physical size or running time of the work.")
    study_design: StrictStr | None = Field(
        default=None, description="The study's design, for the authors; not printed.")
    n: Cell | None = Field(
        default=None, description="The number of participants, for the authors; not printed.")
    topics: list[StrictStr] = Field(
        default=[], description="Topics, for the authors' own sorting; not printed.")
    confidence: StrictStr | None = Field(
        default=None, description="How far the authors trust the source; not printed.")
    verified_by: StrictStr | None = Field(default=None, description=(
        "Who checked the reference against the source, and when; not printed."))
    identifier_note: StrictStr | None = Field(default=None, description=(
        "Why the work has no DOI, URL, PMID or ISBN; it silences check's warning."))
    retraction_note: StrictStr | None = Field(default=None, description=(
        "Why a retracted work is still cited; release refuses a retracted work without one."))


class ReferenceFile(Strict):
    references: list[dict[str, Any]] = Field(
        description="The references, each a mapping of CSL fields and the tool's own.")
