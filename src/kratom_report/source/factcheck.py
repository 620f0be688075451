"""Every use of a fact and every editorial note, checked where it is written.

A ``{{fact:ID}}`` must name a fact of the facts file (a located error with a "did you mean");
the paragraph, key message, caption or cell that uses it should cite one of the fact's sources
(a located warning; ``--strict`` makes it an error). A table's or figure's ``source`` line
cites for its caption and cells. Editorial notes (``{{note: …}}`` and the upper-case markers
TODO, FIXME and TK) are listed with their position: as information in a draft, as warnings in
a version about to be released; ``release`` refuses while any remain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem, Severity, did_you_mean
from .facts import FactBook, load_facts
from .loader import Loc, Located, YamlDoc
from .markdown import FACT, MARKER, NOTE, brace_marks, citations_in
from .models import Changelog, EvidenceTableBlock, FigureBlock, TableBlock
from .parsecache import ParsedDocs
from .parts import ReportParts
from .texts import MARKDOWN, iter_texts, parse_once


@dataclass
class FactFindings:
    """What the texts hold: problems (errors), warnings, and every note found."""

    problems: list[Problem]
    warnings: list[Problem]
    notes: list[Problem]  # one per note; their severity is what ``check`` shows


def check_fact_texts(book: FactBook, report_texts: list[tuple[Loc, str]], report_doc: YamlDoc,
                     sections: list[Located], data: dict[str, Located],
                     references: dict[str, Located], draft: bool,
                     parsed: dict[str, list[Any]] | None = None) -> FactFindings:
    """Check every fact use and list every note in the texts of the report."""
    found = FactFindings([], [], [])
    _check_sources(book, references, found)
    severity: Severity = "info" if draft else "warning"
    parsed = {} if parsed is None else parsed
    for doc, loc, text, block_cites in _texts(report_texts, report_doc, sections, parsed):
        tokens = parse_once(parsed, text)
        seen: dict[str, int] = {}  # markers found so far in this text, by word
        for run in (t for t in tokens if t.type == "inline"):
            children = run.children or []
            cites = block_cites | {c.key.lower() for c in citations_in_children(children)}
            for child in children:
                if child.type == "fact":
                    _use(book, doc, loc, child.meta, cites, found)
                elif child.type == "editorial_note":
                    line, col = doc.find(loc, child.meta["raw"])
                    found.notes.append(Problem(doc.display, line, col, _note(child.meta["text"]),
                                               severity))
                elif child.type == "text":
                    _markers(doc, loc, child.content, seen, severity, found)
    for located in data.values():  # labels and notes drawn in figures are plain text
        for loc, text in _strings(located.doc.data, ()):
            _plain(book, located.doc, loc, text, severity, found)
    return found


def facts_and_notes(root: Path, report_doc: YamlDoc, parts: ReportParts,
                    sections: list[Located], data: dict[str, Located],
                    references: dict[str, Located], changelog: Changelog | None,
                    problems: list[Problem], warnings: list[Problem],
                    parsed: dict[str, list[Any]] | None = None,
                    docs: ParsedDocs | None = None) -> tuple[FactBook, list[Problem]]:
    """The facts file and every note, for :func:`.project.load_project`."""
    book = load_facts(root, report_doc, problems, parts.max_bytes, docs)
    entry = next((e for e in changelog.entries if e.version == parts.version), None) \
        if changelog is not None else None
    draft = entry is None or entry.date is None or not entry.any_changes()
    found = check_fact_texts(book, parts.texts, report_doc, sections, data, references, draft,
                             {} if parsed is None else parsed)
    problems += found.problems
    warnings += found.warnings + found.notes
    return book, found.notes


def fact_uses(book: FactBook, report_texts: list[tuple[Loc, str]], report_doc: YamlDoc,
              sections: list[Located], data: dict[str, Located]) -> dict[str, list[str]]:
    """Where each fact is printed, as ``file:line`` in reading order (every fact listed)."""
    out: dict[str, list[str]] = {fact_id: [] for fact_id in book.facts}
    places = [(doc, loc, text) for doc, loc, text, _ in _texts(report_texts, report_doc,
                                                                 sections, {})]
    places += [(d.doc, loc, text) for d in data.values() for loc, text in _strings(d.doc.data, ())]
    for doc, loc, text in places:
        for m in FACT.finditer(text):
            if m.group(1) in out:
                line, _col = doc.find(loc, m.group(0))
                out[m.group(1)].append(f"{doc.display}:{line}")
    return {k: list(dict.fromkeys(v)) for k, v in out.items()}


def citations_in_children(children: list[Any]) -> Iterator[Any]:
    for child in children:
        if child.type == "citation":
            yield from child.meta["cites"]


def _texts(report_texts: list[tuple[Loc, str]], report_doc: YamlDoc, sections: list[Located],
           parsed: dict[str, list[Any]]) -> Iterator[tuple[YamlDoc, Loc, str, set[str]]]:
    """Every printed text with the citations that stand for all of it (a block's source)."""
    for loc, text in report_texts:
        yield report_doc, loc, text, set()
    for s in sections:
        yield s.doc, ("title",), s.model.title, set()
        for loc, text, block in iter_texts(s.model, translations=True):
            cites: set[str] = set()
            if isinstance(block, TableBlock | EvidenceTableBlock | FigureBlock) and block.source:
                cites = {c.key.lower() for c in citations_in(
                    MARKDOWN, block.source, parse_once(parsed, block.source))}
            yield s.doc, loc, text, cites


def _use(book: FactBook, doc: YamlDoc, loc: Loc, meta: dict[str, Any], cites: set[str],
         found: FactFindings) -> None:
    line, col = doc.find(loc, meta["raw"])
    fact = book.facts.get(meta["id"])
    if fact is None:
        found.problems.append(Problem(doc.display, line, col, _unknown(book, meta["id"])))
        return
    if not cites & {k.lower() for k in fact.sources}:
        keys = ", ".join(f"[@{k}]" for k in fact.sources)
        found.warnings.append(Problem(doc.display, line, col, (
            f"fact '{fact.id}' is printed here without its source; cite "
            f"{'one of ' if len(fact.sources) > 1 else ''}{keys} in the same paragraph, "
            "caption or cell"), "warning"))


def _unknown(book: FactBook, fact_id: str) -> str:
    if book.doc is None:
        return (f"unknown fact '{fact_id}': the report has no facts file; define the fact in "
                "report/facts.yaml")
    return (f"unknown fact '{fact_id}'{did_you_mean(fact_id, book.facts)}; facts are defined "
            f"in {book.doc.display}")


NOTE_SUFFIX = " (shown in drafts only; release refuses while it remains)"


def _note(text: str) -> str:
    short = text if len(text) <= 80 else text[:77] + "..."
    return f"editorial note: '{short}'{NOTE_SUFFIX}"


def _markers(doc: YamlDoc, loc: Loc, content: str, seen: dict[str, int], severity: Severity,
             found: FactFindings) -> None:
    for m in MARKER.finditer(content):
        word = m.group(0)
        line, col = doc.find(loc, word, seen.get(word, 0))
        seen[word] = seen.get(word, 0) + 1
        found.notes.append(Problem(doc.display, line, col, _marker(word), severity))


def _marker(word: str) -> str:
    return f"'{word}' marks an editorial note{NOTE_SUFFIX}"


def _plain(book: FactBook, doc: YamlDoc, loc: Loc, text: str, severity: Severity,
           found: FactFindings) -> None:
    for m in brace_marks(text):
        line, col = doc.find(loc, m.group(0))
        if m.re is FACT and m.group(1) not in book.facts:
            found.problems.append(Problem(doc.display, line, col, _unknown(book, m.group(1))))
        elif m.re is NOTE:
            found.notes.append(Problem(doc.display, line, col,
                                       _note(" ".join(m.group(1).split())), severity))
    for i, m in enumerate(MARKER.finditer(text)):
        line, col = doc.find(loc, m.group(0), i)
        found.notes.append(Problem(doc.display, line, col, _marker(m.group(0)), severity))


def _strings(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, loc + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, loc + (i,))


def _check_sources(book: FactBook, references: dict[str, Located],
                   found: FactFindings) -> None:
    if book.doc is None:
        return
    for fact in book.facts.values():
        for j, key in enumerate(fact.sources):
            if key.lower() not in references:
                found.problems.append(book.doc.problem(
                    ("facts", book.index[fact.id], "sources", j),
                    f"unknown citation key '{key}'{did_you_mean(key.lower(), references)}"))
