"""The theme block of report.yaml: how the briefing looks (checked in source/theme.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, field_validator

from .modelbase import Strict

_COLOUR = r"^#[0-9a-fA-F]{6}$"


class ThemeColours(Strict):
    text: Annotated[StrictStr, Field(pattern=_COLOUR)] | None = None
    muted: Annotated[StrictStr, Field(pattern=_COLOUR)] | None = None

    @field_validator("text", "muted", mode="before")
    @classmethod
    def _written(cls, value: Any) -> Any:
        if value is None:  # `text: #1b1f24` unquoted: YAML reads a comment, so no value
            raise ValueError("is empty")
        return value


class ThemeFonts(Strict):
    regular: StrictStr
    bold: StrictStr | None = None
    italic: StrictStr | None = None
    bold_italic: StrictStr | None = None
    licence: StrictStr  # a font is shipped with its licence, or not at all


class ThemeNumbering(Strict):
    tables: bool = True
    figures: bool = True


class Theme(Strict):
    """How the briefing looks; every file is a path relative to report/ (see source/theme.py)."""

    logo: StrictStr | None = None
    logo_in_header: bool = False
    colours: ThemeColours = ThemeColours()
    fonts: ThemeFonts | None = None
    fallback_fonts: list[StrictStr] = []
    css: StrictStr | None = None
    section_break: Literal["page", "auto"] = "auto"
    numbering: ThemeNumbering = ThemeNumbering()
