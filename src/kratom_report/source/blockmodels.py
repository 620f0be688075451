"""Strict models of a section file (report/sections/<id>.yaml) and the blocks it holds.

Every key carries a one-sentence description: the JSON Schemas for the editor and the key
tables of the documentation show it (source/jsonschemas.py).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, field_validator, model_serializer

from .limits import MAX_ID
from .modelbase import LANGUAGE, SLUG, Cell, Line, Strict

Kind = Literal["front", "evidence", "guidance", "policy", "back"]
Certainty = Literal["high", "moderate", "low", "very-low"]

# A block's text in other languages: `translations: {th: {text: ...}}`, by BCP 47 tag. Each
# names only fields its block has; a field left out prints as the original.
Language = Annotated[StrictStr, Field(pattern=LANGUAGE)]

_AUDIENCES = "Edition ids this block is in; absent means every edition."
_TRANSLATIONS = ("This block's text in other languages, by BCP 47 tag (fr, th); a field left "
                 "out prints as the original.")
_IN_SUMMARY = "Also show this block in the edition's three-page summary; default false."
_SOURCE = "The source line printed under it; may cite, like [@key]; optional."
_CAPTION = "The caption, numbered (Table N., Figure N.) unless the theme's numbering is off."
_SAME = "The same text in this language; left out, the original prints."


class _Block(Strict):
    audiences: list[StrictStr] | None = Field(default=None, description=_AUDIENCES)


class MarkdownText(Strict):
    text: StrictStr = Field(description=_SAME)


class CalloutText(Strict):
    title: Line | None = Field(default=None, description=_SAME)
    text: StrictStr | None = Field(default=None, description=_SAME)


class TableText(Strict):
    caption: Line | None = Field(default=None, description=_SAME)
    header: list[Cell] | None = Field(
        default=None, description="The column headings in this language.")
    rows: list[list[Cell]] | None = Field(default=None, description="The rows in this language.")
    source: StrictStr | None = Field(default=None, description=_SAME)


class EvidenceRowText(Strict):
    study: StrictStr | None = Field(default=None, description=_SAME)
    design: StrictStr | None = Field(default=None, description=_SAME)
    population: StrictStr | None = Field(default=None, description=_SAME)
    finding: StrictStr | None = Field(default=None, description=_SAME)


class EvidenceTableText(Strict):
    caption: Line | None = Field(default=None, description=_SAME)
    rows: list[EvidenceRowText] | None = Field(
        default=None, description="The rows in this language, in the order of the original's.")
    source: StrictStr | None = Field(default=None, description=_SAME)


class FigureText(Strict):
    caption: Line | None = Field(default=None, description=_SAME)
    alt: Line | None = Field(default=None, description=_SAME)
    source: StrictStr | None = Field(default=None, description=_SAME)


class SectionText(Strict):
    title: Line = Field(description="The section's title in this language.")
    summary: StrictStr | None = Field(default=None, description=_SAME)


class MarkdownBlock(_Block):
    type: Literal["markdown"] = Field(description="markdown: prose.")
    text: StrictStr = Field(
        description="CommonMark text with citations like [@key]; raw HTML is shown as text.")
    translations: dict[Language, MarkdownText] | None = Field(
        default=None, description=_TRANSLATIONS)


class CalloutBlock(_Block):
    type: Literal["callout"] = Field(description="callout: a highlighted box.")
    title: Line | None = Field(default=None, description="The box's heading; optional.")
    text: StrictStr = Field(description="The box's text, in Markdown.")
    translations: dict[Language, CalloutText] | None = Field(
        default=None, description=_TRANSLATIONS)


class TableBlock(_Block):
    type: Literal["table"] = Field(description="table: a table of text and numbers.")
    caption: Line = Field(description=_CAPTION)
    header: list[Cell] = Field(min_length=1, description="The column headings.")
    rows: list[list[Cell]] = Field(min_length=1, description="The rows, each a list of cells.")
    source: StrictStr | None = Field(default=None, description=_SOURCE)
    in_summary: bool = Field(default=False, description=_IN_SUMMARY)
    translations: dict[Language, TableText] | None = Field(default=None, description=_TRANSLATIONS)


class EvidenceRow(Strict):
    study: StrictStr = Field(description="The study, usually its citation, like [@key].")
    design: StrictStr = Field(description="The study's design, like RCT or cohort.")
    n: Cell | None = Field(default=None, description="The number of participants; optional.")
    population: StrictStr = Field(description="Who was studied.")
    finding: StrictStr = Field(description="What the study found.")
    certainty: Certainty = Field(description=(
        "Certainty of the evidence: high, moderate, low or very-low, printed in words with a dot "
        "scale."))


class EvidenceTableBlock(_Block):
    type: Literal["evidence_table"] = Field(description="evidence_table: one row per study.")
    caption: Line = Field(description=_CAPTION)
    rows: list[EvidenceRow] = Field(min_length=1, description="One row per study.")
    source: StrictStr | None = Field(default=None, description=_SOURCE)
    in_summary: bool = Field(default=False, description=_IN_SUMMARY)
    translations: dict[Language, EvidenceTableText] | None = Field(
        default=None, description=_TRANSLATIONS)


FigureKind = Literal["timeline", "series", "state-map", "tile-map", "image"]
# A width is a share of the column or a print length: 60%, 120mm, 8cm, 3.5in.
_WIDTH = re.compile(r"([0-9]+(?:\.[0-9]+)?)(%|mm|cm|in)")
_MAX_WIDTH = {"%": 100.0, "mm": 300.0, "cm": 30.0, "in": 12.0}


class FigureBlock(_Block):
    """``data`` for drawn kinds; ``file`` (and ``width``) for ``image``; ``layout`` for maps.

    Which keys a kind takes is checked in source/figurefiles.py, so the message can say why.
    """

    type: Literal["figure"] = Field(description="figure: a drawn figure or an image.")
    kind: FigureKind = Field(description=(
        "What it shows: timeline, series or tile-map (state-map for US states) drawn from data, "
        "or an image."))
    data: StrictStr | None = Field(default=None, description=(
        "The data file a timeline, series or tile map draws, relative to report/."))
    file: StrictStr | None = Field(
        default=None, description="An image's file (SVG, PNG or JPEG), relative to report/.")
    layout: StrictStr | None = Field(default=None, description=(
        "A tile map's layout: a shipped one (us-states, the default) or a YAML file."))
    width: StrictStr | None = Field(default=None, description=(
        "An image's width, centred: 1% to 100% of the column, or a length like 120mm."))
    caption: Line = Field(description=_CAPTION)
    alt: Line = Field(description="What the figure shows, for readers who cannot see it.")
    source: StrictStr | None = Field(default=None, description=(
        "The source line printed under it; may cite, and auto cites every reference its data "
        "names."))
    in_summary: bool = Field(default=False, description=_IN_SUMMARY)
    translations: dict[Language, FigureText] | None = Field(default=None, description=_TRANSLATIONS)

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
    id: Annotated[StrictStr, Field(pattern=SLUG, max_length=MAX_ID)] = Field(
        description="The section's id, also its file name (sections/<id>.yaml).")
    title: Line = Field(description="The section's heading.")
    kind: Kind = Field(description=(
        "The section's role: front, evidence, guidance, policy or back; it sets the section's "
        "style, and check --stats dates the works evidence sections cite."))
    audiences: list[StrictStr] | None = Field(
        default=None, description="Edition ids this section is in; absent means every edition.")
    translations: dict[Language, SectionText] | None = Field(
        default=None, description="The title and summary in other languages, by BCP 47 tag.")
    summary: StrictStr | None = Field(default=None, description=(
        "Markdown for the three-page summary; without it, the section is left out of that "
        "summary."))
    blocks: list[Block] = Field(min_length=1, description="The section's content, in order.")
