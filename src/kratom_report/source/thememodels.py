"""The theme block of report.yaml: how the briefing looks (checked in source/theme.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, field_validator

from .modelbase import Strict

_COLOUR = r"^#[0-9a-fA-F]{6}$"


class ThemeColours(Strict):
    text: Annotated[StrictStr, Field(pattern=_COLOUR)] | None = Field(default=None, description=(
        "Body text colour, a quoted #rrggbb with 4.5:1 contrast on white; optional."))
    muted: Annotated[StrictStr, Field(pattern=_COLOUR)] | None = Field(default=None, description=(
        "Secondary text colour (running heads, sources, cover details), a quoted #rrggbb with "
        "4.5:1 contrast on white; optional."))

    @field_validator("text", "muted", mode="before")
    @classmethod
    def _written(cls, value: Any) -> Any:
        if value is None:  # `text: #1b1f24` unquoted: YAML reads a comment, so no value
            raise ValueError("is empty")
        return value


class ThemeFonts(Strict):
    regular: StrictStr = Field(
        description="The regular face: a .ttf, .otf, .woff or .woff2 file, relative to report/.")
    bold: StrictStr | None = Field(
        default=None, description="The bold face, for headings and bold text; optional.")
    italic: StrictStr | None = Field(default=None, description="The italic face; optional.")
    bold_italic: StrictStr | None = Field(
        default=None, description="The bold italic face; optional.")
    # A font is shipped with its licence, or not at all.
    licence: StrictStr = Field(description="The fonts' licence file, relative to report/.")


class ThemeNumbering(Strict):
    tables: bool = Field(
        default=True, description="Number table captions (\"Table 1.\"); default true.")
    figures: bool = Field(
        default=True, description="Number figure captions (\"Figure 1.\"); default true.")


class Theme(Strict):
    """How the briefing looks; every file is a path relative to report/ (see source/theme.py)."""

    logo: StrictStr | None = Field(default=None, description=(
        "An .svg or .png logo on the cover and atop every web page; optional."))
    logo_in_header: bool = Field(default=False, description=(
        "Also show the logo in the running head of every page but the cover; default false."))
    colours: ThemeColours = Field(
        default=ThemeColours(), description="The body and secondary text colours.")
    fonts: ThemeFonts | None = Field(
        default=None, description="Font files that replace Inter everywhere; optional.")
    fallback_fonts: list[StrictStr] = Field(
        default=[], description="Font files for characters the fonts lack, tried in order.")
    css: StrictStr | None = Field(default=None, description=(
        "A stylesheet added after the built-in one, for print only; optional."))
    section_break: Literal["page", "auto"] = Field(default="auto", description=(
        "page starts every section on a new page; auto lets sections flow."))
    numbering: ThemeNumbering = Field(
        default=ThemeNumbering(), description="Which captions are numbered; both by default.")
