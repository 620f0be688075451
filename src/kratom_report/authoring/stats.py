"""Per-edition statistics for authors: length, reading grade and what still needs work.

Only ``check --stats`` and ``check --format json`` compute these, so a plain ``check`` stays fast.
Everything here reads the validated project and the rendered editions; nothing is written.

Reading grade is Flesch–Kincaid over prose (key messages, cover note, Markdown and callout text;
not headings, tables or captions, which are not sentences). Syllables are counted offline: a
word's hyphenation points (pyphen, which WeasyPrint already needs) plus one, or a vowel-group
estimate when that is larger, because hyphenation dictionaries leave out break points near word
ends and in words they do not know.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyphen

from ..build import CheckResult
from ..compose.editions import SelectedSection, select
from ..compose.estimate import estimate_pages
from ..compose.render import RenderedEdition, release_of
from ..source.currency import latest_day
from ..source.loader import Loc, YamlDoc
from ..source.markdown import citations_in, make_markdown
from ..source.models import CalloutBlock, Edition, FigureBlock, MarkdownBlock
from ..source.project import Project, iter_texts


@dataclass(frozen=True)
class OldReference:
    key: str
    year: int


@dataclass(frozen=True)
class StaleData:
    file: str
    as_of: str
    age_days: int | None  # None: as_of is not a date we can read


@dataclass(frozen=True)
class EditionStats:
    edition: str
    words: int
    pages_estimate: int
    fk_key_messages: float | None
    fk_all: float | None
    uncited: tuple[str, ...]  # "file:line" of paragraphs without a citation in evidence sections
    todo: tuple[str, ...]  # "file:line" of TODO/FIXME markers in the text this edition prints
    old_refs: tuple[OldReference, ...]
    stale_data: tuple[StaleData, ...]
    # Sections the three-page summary leaves out (no `summary:`); None: it asks for none.
    without_summary: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, Any]:
        """The shape ``check --format json`` prints under ``editions.<id>``."""
        return {
            "words": self.words,
            "pages_estimate": self.pages_estimate,
            "fk_grade": {"key_messages": self.fk_key_messages, "all": self.fk_all},
            "uncited": list(self.uncited),
            "todo": list(self.todo),
            "old_refs": [{"key": r.key, "year": r.year} for r in self.old_refs],
            "stale_data": [{"file": d.file, "as_of": d.as_of, "age_days": d.age_days}
                           for d in self.stale_data],
        } | ({} if self.without_summary is None
             else {"sections_without_summary": list(self.without_summary)})


def edition_stats(result: CheckResult, *, today: dt.date | None = None) -> list[EditionStats]:
    """Statistics for every rendered edition.

    Ages are measured from the release date in the changelog; a draft has none, so ``today``
    is used (default: the system date), which tests pass explicitly to stay deterministic.
    """
    project = result.project
    release = release_of(project)
    now = release.date or today or dt.date.today()
    return [_one(project, r, now) for r in result.editions]


def _one(project: Project, rendered: RenderedEdition, now: dt.date) -> EditionStats:
    edition = rendered.edition
    selected = select(project, edition)
    md = make_markdown()
    key_messages = list(edition.key_messages)
    prose = [text for _, _, text in _edition_texts(project, edition)]
    prose += [text for s in selected for _, loc, text, block in _section_texts(s)
              if isinstance(block, MarkdownBlock | CalloutBlock) and loc[-1] == "text"]
    stale = project.report.stale_after
    return EditionStats(
        edition=edition.id,
        words=rendered.words,
        pages_estimate=estimate_pages(rendered),
        fk_key_messages=fk_grade(md, key_messages, project.report.language),
        fk_all=fk_grade(md, prose, project.report.language),
        uncited=tuple(_uncited(md, selected)),
        todo=tuple(dict.fromkeys(_todos(project, edition, selected))),
        old_refs=tuple(_old_refs(md, project, selected, now, stale.references_years)),
        stale_data=tuple(_stale_data(project, selected, now, stale.data_days)),
        without_summary=tuple(s.section.id for s in selected if not s.section.summary)
        if "three-page" in edition.summaries else None,
    )


# --- what the edition prints, with where it comes from ----------------------------------------


def _edition_texts(project: Project, edition: Edition) -> Iterator[tuple[YamlDoc, Loc, str]]:
    """The edition's key messages, then its cover note, from report.yaml."""
    index = next(i for i, e in enumerate(project.report.editions) if e.id == edition.id)
    for j, message in enumerate(edition.key_messages):
        yield project.report_doc, ("editions", index, "key_messages", j), message
    if edition.cover_note:
        yield project.report_doc, ("editions", index, "cover_note"), edition.cover_note


def _section_texts(selected: SelectedSection) -> Iterator[tuple[YamlDoc, Loc, str, Any]]:
    """Every text of the blocks this edition shows, in reading order."""
    shown = {i for i, _ in selected.blocks}
    for loc, text, block in iter_texts(selected.section):
        if loc[1] in shown:
            yield selected.located.doc, loc, text, block


# --- findings ------------------------------------------------------------------------------


def _uncited(md: Any, selected: list[SelectedSection]) -> Iterator[str]:
    """Paragraphs of evidence sections with no citation, as ``file:line``."""
    for s in selected:
        if s.section.kind != "evidence":
            continue
        for doc, loc, text, block in _section_texts(s):
            if not (isinstance(block, MarkdownBlock | CalloutBlock) and loc[-1] == "text"):
                continue
            tokens = md.parse(text, {})
            for i, token in enumerate(tokens):
                if token.type != "paragraph_open" or token.map is None:
                    continue
                inline = tokens[i + 1]
                if any(c.type == "citation" for c in inline.children or []):
                    continue
                yield f"{doc.display}:{_line_in_text(doc, loc, text, token.map[0])}"


def _line_in_text(doc: YamlDoc, loc: Loc, text: str, offset: int) -> int:
    """File line of line ``offset`` of a text value.

    A literal block scalar (``|``) keeps its lines, and its text starts on the line after the
    indicator. Other scalars fold lines, so the paragraph's first words are searched instead.
    """
    line, col = doc.at(loc)
    if line is None:
        return 1
    source = doc.lines[line - 1] if line - 1 < len(doc.lines) else ""
    if col is not None and source[col - 1:col] == "|":
        return line + 1 + offset
    first = text.split("\n")[offset].strip()
    needle = first[:40].rsplit(" ", 1)[0] if len(first) > 40 else first
    found, _ = doc.find(loc, needle) if needle else (line, col)
    return found or line


_MARKER = re.compile(r"\b(?:TODO|FIXME)\b")


def _todos(project: Project, edition: Edition, selected: list[SelectedSection]) -> Iterator[str]:
    texts = [(doc, loc, text) for doc, loc, text in _edition_texts(project, edition)]
    for s in selected:
        doc = s.located.doc
        texts.append((doc, ("title",), s.section.title))
        texts += [(d, loc, text) for d, loc, text, _ in _section_texts(s)]
    for doc, loc, text in texts:
        count = len(_MARKER.findall(text))
        if count:
            yield from (f"{doc.display}:{line}" for line in _marker_lines(doc, loc, count))


def _marker_lines(doc: YamlDoc, loc: Loc, count: int) -> list[int]:
    """Lines of the first ``count`` markers from where the value starts in the file."""
    line, col = doc.at(loc)
    line, col = line or 1, col or 1
    out: list[int] = []
    for i in range(line - 1, len(doc.lines)):
        out += [i + 1] * len(_MARKER.findall(doc.lines[i][col - 1 if i == line - 1 else 0:]))
        if len(out) >= count:
            return out[:count]
    return out + [line] * (count - len(out))


def _old_refs(md: Any, project: Project, selected: list[SelectedSection], now: dt.date,
              years: int) -> Iterator[OldReference]:
    """References cited in evidence sections and published more than ``years`` years ago."""
    seen: set[str] = set()
    for s in selected:
        if s.section.kind != "evidence":
            continue
        for _, _, text, _ in _section_texts(s):
            for cite in citations_in(md, text):
                key = cite.key.lower()
                located = project.references.get(key)
                if key in seen or located is None:
                    continue
                seen.add(key)
                year = issued_year(located.model.issued)
                if year is not None and now.year - year > years:
                    yield OldReference(located.model.key, year)


def _stale_data(project: Project, selected: list[SelectedSection], now: dt.date,
                days: int) -> Iterator[StaleData]:
    seen: set[str] = set()
    for s in selected:
        for _, block in s.blocks:
            if not isinstance(block, FigureBlock) or block.data is None or block.data in seen:
                continue
            seen.add(block.data)
            located = project.data.get(block.data)
            if located is None:
                continue
            as_of = located.model.as_of
            latest = latest_day(as_of)
            age = (now - latest).days if latest is not None else None
            if age is None or age > days:
                yield StaleData(located.doc.display, str(as_of), age)


def issued_year(issued: Any) -> int | None:
    """The year of a reference's ``issued`` (a year, an ISO date or CSL date-parts)."""
    if isinstance(issued, bool):
        return None
    if isinstance(issued, int):
        return issued
    if isinstance(issued, dt.date):
        return issued.year
    if isinstance(issued, str):
        m = re.match(r"^([0-9]{4})", issued.strip())
        return int(m.group(1)) if m else None
    if isinstance(issued, dict):
        parts = issued.get("date-parts") or [[None]]
        first = parts[0][0] if parts and parts[0] else None
        try:
            return int(first) if first is not None else None
        except (TypeError, ValueError):
            return None
    return None


# --- readability ---------------------------------------------------------------------------


def fk_grade(md: Any, texts: list[str], language: str = "en") -> float | None:
    """Flesch–Kincaid grade level of Markdown texts; None when there are no words."""
    words = sentences = syllables = 0
    count = _syllable_counter(language)
    for text in texts:
        for passage in _passages(md, text):
            tokens = _WORD.findall(passage)
            if not tokens:
                continue
            words += len(tokens)
            syllables += sum(count(t) for t in tokens)
            sentences += max(1, _sentence_count(passage))
    if not words:
        return None
    grade = 0.39 * words / sentences + 11.8 * syllables / words - 15.59
    return round(grade, 1)


def _passages(md: Any, text: str) -> Iterator[str]:
    """Plain text of each paragraph (also in lists and quotes), without citations or images.

    Headings and table cells are left out: they are not sentences and would lower the grade.
    """
    tokens = md.parse(text, {})
    for before, token in zip([None, *tokens], tokens, strict=False):
        if token.type != "inline" or not token.children or before.type != "paragraph_open":
            continue
        parts = []
        for child in token.children:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        # A removed citation leaves "metabolism ." behind: close the gap before punctuation.
        passage = re.sub(r"\s+([.,;:!?])", r"\1", " ".join("".join(parts).split()))
        if passage:
            yield passage


# A word: letters and digits, joined by hyphens, apostrophes, or a point/comma between digits.
_WORD = re.compile(r"\w+(?:(?:[-'’]|(?<=\d)[.,](?=\d))\w+)*")
_ABBREVIATIONS = {"e.g", "i.e", "al", "vs", "cf", "approx", "fig", "no", "p", "pp", "dr", "mr",
                  "mrs", "ms", "st", "vol", "ca"}
_END = re.compile(r"([\w.]*)[.!?]+[\"'’”)\]]*(?=\s|$)")


def _sentence_count(passage: str) -> int:
    count = 0
    for m in _END.finditer(passage):
        before = m.group(1).lower().rstrip(".")
        if before in _ABBREVIATIONS or re.fullmatch(r"[a-z]", before):
            continue  # "et al.", "e.g.", an initial like "A."
        count += 1
    return count


@functools.cache
def _syllable_counter(language: str) -> Any:
    # en_US patterns split English words more often than en_GB's (closer to syllables).
    name = "en_US" if language.split("-")[0].split("_")[0] == "en" else \
        pyphen.language_fallback(language.replace("-", "_")) or "en_US"
    dictionary = pyphen.Pyphen(lang=name)

    @functools.cache
    def word(w: str) -> int:
        hyphenated = len(dictionary.positions(w)) + 1
        return max(hyphenated, _vowel_groups(w))

    def count(token: str) -> int:
        total = 0
        for part in re.split(r"[-]", token):
            for run in re.findall(r"\d[\d.,]*|[^\W\d_]+", part.replace("'", "")
                                  .replace("’", "")):
                total += _run_syllables(run, word)
        return max(1, total)

    return count


def _run_syllables(run: str, word: Any) -> int:
    if run[0].isdigit():
        # "8" is one syllable, "2016" four; longer numbers are read as groups, not digit by digit.
        return max(1, min(len(re.sub(r"\D", "", run)), 4))
    if run.isupper() and 2 <= len(run) <= 5:
        # Acronyms are spelt out: FDA is three syllables ("W" alone is three).
        return sum(3 if c == "W" else 1 for c in run)
    return word(run.lower())


def _vowel_groups(w: str) -> int:
    n = len(re.findall(r"[aeiouy]+", w))
    if n > 1 and w.endswith("e") and not w.endswith(("le", "ee")):
        n -= 1  # silent e: "phrase"
    if n > 1 and (re.search(r"[^aeiouytd]ed$", w)
                  or re.search(r"[^aeiouysxzcg]es$", w) and not re.search(r"[cs]hes$", w)):
        n -= 1  # "used", "makes"; but "tested", "doses", "changes" keep the syllable
    return max(1, n)
