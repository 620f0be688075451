"""Editions in other languages: which catalog of the tool's words serves a language, and the
translated text of sections and blocks (``translations: {th: {text: ...}}``).

An edition whose language differs from the report's prints each block's translation for that
language; a block without one prints the original, with a located warning naming it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import Problem
from .loader import Loc, Located, YamlDoc
from .models import EvidenceTableBlock, Report, Section, TableBlock, TableText

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "kratom_report"
BUILT_IN = "en"  # the msgids: no catalog needed


@functools.cache  # the package's own files: asked for every word a page prints
def catalog_languages() -> tuple[str, ...]:
    """Every language the tool's words are shipped in, English first."""
    shipped = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (BUILT_IN, *[s for s in shipped if s != BUILT_IN])


def catalog_for(tag: str) -> str | None:
    """The shipped catalog for a BCP 47 tag (``fr-CA`` falls back to ``fr``), or None."""
    shipped = {s.lower(): s for s in catalog_languages()}
    full = tag.replace("-", "_").lower()
    return shipped.get(full) or shipped.get(full.split("_")[0])


def edition_language(report: Report, edition: Any) -> str:
    return edition.language or report.language


def is_translated(report: Report, edition: Any) -> bool:
    """Whether the edition is written in another language than the report's sources."""
    return edition_language(report, edition).lower() != report.language.lower()


def translation_key(translations: dict[str, Any] | None, tag: str) -> str | None:
    """The key of ``translations`` that serves ``tag``: the tag itself, else its language."""
    if not translations:
        return None
    by_lower = {k.lower(): k for k in translations}
    return by_lower.get(tag.lower()) or by_lower.get(tag.split("-")[0].lower())


def translated(block: Any, tag: str) -> Any:
    """The block as the ``tag`` edition prints it: translated fields over the original ones."""
    key = translation_key(getattr(block, "translations", None), tag)
    if key is None:
        return block
    text = block.translations[key]
    update = text.model_dump(exclude_none=True)
    if isinstance(block, EvidenceTableBlock) and text.rows is not None:
        update["rows"] = [row.model_copy(update=tr.model_dump(exclude_none=True))
                          for row, tr in zip(block.rows, text.rows, strict=False)]
    return block.model_copy(update=update)


def translated_section(section: Section, tag: str) -> Section:
    key = translation_key(section.translations, tag)
    if key is None or section.translations is None:
        return section
    text = section.translations[key]
    return section.model_copy(update={"title": text.title} | (
        {"summary": text.summary} if text.summary is not None else {}))


def text_loc(data: Any, loc: Loc, key: str, path: Loc) -> Loc:
    """Where a translated block's text stands: in its translation if written there, else the
    original (``path`` is the original place, ``loc`` the block's)."""
    inner = loc + ("translations", key) + path[len(loc):]
    cur = data
    for part in inner:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        else:
            return path
    return inner


def translated_texts(base: Loc, block: Any) -> Iterator[tuple[Loc, str]]:
    """Every text of a block's translations, with its place (their citations must resolve)."""
    for key, text in (getattr(block, "translations", None) or {}).items():
        at = base + ("translations", key)
        for name in ("title", "text", "caption", "source"):
            value = getattr(text, name, None)
            if value is not None:
                yield at + (name,), value
        for c, cell in enumerate(getattr(text, "header", None) or []):
            yield at + ("header", c), str(cell)
        for r, row in enumerate(getattr(text, "rows", None) or []):
            if isinstance(row, list):
                for c, cell in enumerate(row):
                    yield at + ("rows", r, c), str(cell)
                continue
            for name in ("study", "design", "population", "finding"):
                if getattr(row, name) is not None:
                    yield at + ("rows", r, name), getattr(row, name)


def check_languages(report: Report, report_doc: YamlDoc, sections: list[Located],
                    in_edition: Callable[[Section, Any, str], bool],
                    problems: list[Problem], warnings: list[Problem]) -> None:
    """Warn about languages without a catalog and blocks a translated edition lacks; a
    translated table must keep the original's shape."""
    shipped = ", ".join(catalog_languages())
    if catalog_for(report.language) is None:
        warnings.append(report_doc.problem(("language",), (
            f"no catalog of the tool's words for language '{report.language}' (shipped: "
            f"{shipped}); headings, labels and dates print in English"), severity="warning"))
    for i, edition in enumerate(report.editions):
        if edition.language and catalog_for(edition.language) is None:
            warnings.append(report_doc.problem(("editions", i, "language"), (
                f"no catalog of the tool's words for language '{edition.language}' (shipped: "
                f"{shipped}); edition '{edition.id}' prints headings, labels and dates in "
                "English"), severity="warning"))
    for located in sections:
        for b, block in enumerate(located.model.blocks):
            _check_shape(located.doc, ("blocks", b), block, problems)
    for edition in report.editions:
        if is_translated(report, edition):
            _missing(edition, edition_language(report, edition), sections, in_edition, warnings)


def _missing(edition: Any, tag: str, sections: list[Located],
             in_edition: Callable[[Section, Any, str], bool], warnings: list[Problem]) -> None:
    for located in sections:
        if located.loc == ("salvaged",):  # invalid: its errors are reported, not its gaps
            continue
        section = located.model
        blocks = [(b, block) for b, block in enumerate(section.blocks)
                  if in_edition(section, block, edition.id)]
        if blocks and translation_key(section.translations, tag) is None:
            warnings.append(located.doc.problem(("title",), (
                f"section '{section.id}' has no '{tag}' translation of its title for edition "
                f"'{edition.id}'; the original is printed"), severity="warning"))
        for b, block in blocks:
            if translation_key(block.translations, tag) is None:
                warnings.append(located.doc.problem(("blocks", b), (
                    f"block {b + 1} ({block.type}) has no '{tag}' translation for edition "
                    f"'{edition.id}'; the original is printed"), severity="warning"))


def _check_shape(doc: YamlDoc, loc: Loc, block: Any, problems: list[Problem]) -> None:
    """A translated table has the original's rows and columns: cells are matched by place."""
    if not isinstance(block, TableBlock | EvidenceTableBlock):
        return
    for key, text in (block.translations or {}).items():
        at = loc + ("translations", key)
        header = text.header if isinstance(text, TableText) else None
        if isinstance(block, TableBlock) and header is not None \
                and len(header) != len(block.header):
            problems.append(doc.problem(at + ("header",), (
                f"the '{key}' header has {len(header)} cells, the table's has "
                f"{len(block.header)}; translate every column, in order")))
        if text.rows is None:
            continue
        if len(text.rows) != len(block.rows):
            problems.append(doc.problem(at + ("rows",), (
                f"the '{key}' translation has {len(text.rows)} rows, the table has "
                f"{len(block.rows)}; translate every row, in order")))
            continue
        for r, (row, original) in enumerate(zip(text.rows, block.rows, strict=True)):
            if isinstance(row, list) and len(row) != len(original):
                problems.append(doc.problem(at + ("rows", r), (
                    f"row {r + 1} of the '{key}' translation has {len(row)} cells, the "
                    f"table's has {len(original)}; translate every cell, in order")))
