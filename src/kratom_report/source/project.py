"""Load and validate a whole report folder, collecting every problem before failing once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..errors import Problem, ProblemsError, relpath
from ..references.files import Unavailable, load_references
from ..references.lint import lint_references
from .changelogfile import Loader, load_changelog
from .datamodels import DataFile
from .factcheck import FactBook, facts_and_notes
from .figurefiles import FigureFiles, figure_keys_ok, load_figure_files
from .limits import MAX_ID, limit_bytes
from .loader import Loc, Located, YamlDoc, YamlLoadError
from .locate import REPORT_FILE
from .markdown import MAX_DEPTH, MAX_SLIPS, nesting_depth, scan_citations
from .models import Block, Changelog, Edition, FigureBlock, MarkdownBlock, Report, Section
from .parsecache import ParsedDocs, load_cached
from .parts import ReportParts, report_parts
from .paths import is_inside, located_inside, outside_message
from .schema import as_written, did_you_mean, validate
from .texts import (
    AUTO,
    MARKDOWN,
    auto_source_keys,
    block_in_edition,
    check_controls,
    iter_texts,
    parse_once,
)
from .theme import check_contrast, check_theme
from .tilelayout import check_statuses
from .translations import check_languages


@dataclass
class Project:
    """Everything a build needs, validated; positions kept for later located messages."""

    root: Path
    report: Report
    report_doc: YamlDoc
    sections: list[Located]
    references: dict[str, Located]  # by lower-cased key
    changelog: Changelog
    changelog_doc: YamlDoc
    data: dict[str, Located]  # by path relative to report/
    warnings: list[Problem] = field(default_factory=list)
    figures: FigureFiles = field(default_factory=FigureFiles)  # images and tile layouts
    facts: FactBook = field(default_factory=FactBook)
    notes: list[Problem] = field(default_factory=list)  # editorial notes; release refuses them

    @property
    def report_dir(self) -> Path:
        return self.root / "report"


def load_project(root: Path, *, parsed: dict[str, list[Any]] | None = None,
                 docs: ParsedDocs | None = None) -> Project:
    """Load every file of the report; raise ProblemsError listing all problems found. One
    mistake is one message: a part that fails (report.yaml's editions, a reference file) is
    reported where it is, and the checks that depend on it are skipped, not failed.

    ``parsed``: each text's Markdown tokens (see ``texts.parse_once``), filled as texts are
    read; a caller that loads again and again (the preview) passes the last load's, so
    unchanged texts are not parsed again. ``docs``: parsed files kept between loads by such
    a caller (see :class:`.parsecache.ParsedDocs`); this load starts a new round of it."""
    problems: list[Problem] = []
    if docs is not None:
        docs.new_load()
    load: Loader = partial(_load, docs=docs)
    if not is_inside(root, root / "report"):  # a link out: say so, not blame report.yaml
        raise ProblemsError([Problem("report/", message=outside_message("folder", "report"))])
    report_doc = load(root, root / REPORT_FILE, problems, limit_bytes(None))
    if report_doc is None:
        raise ProblemsError(problems)
    report, errs = validate(Report, report_doc)
    problems += errs
    parts = report_parts(report, as_written(report_doc, report_doc.data))

    sections, complete = _load_sections(root, parts, report_doc, problems, load)
    unavailable = Unavailable()
    references = load_references(root, parts.references, report_doc, problems, parts.max_bytes,
                                 unavailable, docs)
    changelog, changelog_doc = load_changelog(root, parts, report_doc, problems, load)
    data = _load_data(root, sections, problems, parts.max_bytes, load)
    figures = load_figure_files(root, sections, data, problems, parts.max_bytes, docs)

    check_contrast(parts.editions, report_doc, problems)
    _check_edition_ids(report_doc, problems)
    _check_style_paths(root, report_doc, problems)
    check_theme(root, report_doc, parts.max_bytes, problems)
    for doc in [report_doc, *(s.doc for s in sections), *(d.doc for d in data.values())]:
        check_controls(doc, doc.data, (), problems)
    if complete:
        _check_editions_select(parts.editions, report_doc, sections, problems)
    warnings: list[Problem] = []
    if report is not None:
        check_languages(report, report_doc, sections, block_in_edition, problems, warnings)
    parsed = {} if parsed is None else parsed  # each text's tokens, shared by the checks
    cited = _check_citations(parts.texts, report_doc, sections, data, references, unavailable,
                             problems, warnings, parsed)
    facts, notes = facts_and_notes(root, report_doc, parts, sections, data, references,
                                   changelog, problems, warnings, parsed, docs)
    # "Not cited" needs every text read: not so when a section or an edition failed.
    lint_references(references, cited, problems, warnings,
                    unused=complete and parts.edition_ids is not None)
    if problems or report is None or changelog is None or changelog_doc is None:
        raise ProblemsError(problems + warnings)
    return Project(root, report, report_doc, sections, references, changelog, changelog_doc,
                   data, warnings, figures, facts, notes)


def _load(root: Path, path: Path, problems: list[Problem], max_bytes: int,
          docs: ParsedDocs | None = None) -> YamlDoc | None:
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if not is_inside(root, path):
        problems.append(Problem(shown, message=outside_message("file", shown)))
        return None
    try:
        return load_cached(path, relpath(path, root), max_bytes=max_bytes, docs=docs)
    except YamlLoadError as exc:
        problems += exc.problems
        return None


def _load_sections(root: Path, parts: ReportParts, report_doc: YamlDoc,
                   problems: list[Problem], load: Loader) -> tuple[list[Located], bool]:
    """Sections in report order, and whether every listed one loaded and validated."""
    folder = root / "report" / "sections"
    if parts.sections and located_inside(root, folder, report_doc, ("sections",), problems,
                                         what="folder", value="report/sections") is None:
        return [], False  # a link out: nothing in it is listed or read
    on_disk = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
    seen: dict[str, int] = {}
    explained: set[str] = set()  # unlisted files a "did you mean" already points at
    out: list[Located] = []
    complete = parts.sections_checked and parts.sections is not None
    for i, sid in enumerate(parts.sections or []):
        if sid in seen:
            problems.append(report_doc.problem(("sections", i), (
                f"section '{sid}' is listed twice in 'sections' (first at item {seen[sid] + 1})")))
            continue
        seen[sid] = i
        if not _ID.fullmatch(sid) or len(sid) > MAX_ID:
            complete = False
            problems.append(report_doc.problem(("sections", i), (
                f"'{sid[:80]}' is not a valid section id: use lowercase letters, digits and "
                f"hyphens, at most {MAX_ID} characters (it names the file "
                "report/sections/<id>.yaml)")))
            continue
        path = folder / f"{sid}.yaml"
        if not path.is_file():
            complete = False
            hint = did_you_mean(sid, on_disk)
            explained |= {name for name in on_disk if hint == f" (did you mean '{name}'?)"}
            problems.append(report_doc.problem(("sections", i), (
                f"section '{sid}' has no file report/sections/{sid}.yaml{hint}")))
            continue
        located = _load_section(root, path, sid, parts.edition_ids, problems, parts.max_bytes,
                                load)
        if located is None or located.loc == ("salvaged",):
            complete = False
        if located is not None:
            out.append(located)
    if parts.sections_checked:
        for name in on_disk:
            if name not in seen and name not in explained:
                problems.append(Problem(relpath(folder / f"{name}.yaml", root), None, None, (
                    f"section file is not listed in report.yaml 'sections'; add '{name}' "
                    "to the order or delete the file")))
    return out, complete


def _load_section(root: Path, path: Path, sid: str, edition_ids: list[str] | None,
                  problems: list[Problem], max_bytes: int, load: Loader) -> Located | None:
    """One section, or its valid blocks (marked salvaged) so their mistakes show in one run."""
    doc = load(root, path, problems, max_bytes)
    if doc is None:
        return None
    section, errs = validate(Section, doc)
    problems += errs
    if section is None:
        section = _salvage(doc)
        if section is None:
            return None
        # Keep checking the blocks that are valid, but never build from this section.
        _check_audiences(section, doc, edition_ids, problems)
        return Located(section, doc, ("salvaged",))
    if section.id != sid:
        problems.append(doc.problem(("id",), (
            f"section id '{section.id}' does not match its file name '{sid}.yaml'")))
    _check_audiences(section, doc, edition_ids, problems)
    return Located(section, doc)


def _salvage(doc: YamlDoc) -> Section | None:
    """The valid blocks of an invalid section, so their own mistakes are reported in one run."""
    raw = doc.data if isinstance(doc.data, dict) else {}
    blocks = found if isinstance(found := raw.get("blocks"), list) else []
    adapter = TypeAdapter(Block)
    kept = []
    for block in blocks:
        try:
            kept.append(adapter.validate_python(block))
        except ValidationError:
            # A placeholder in no edition keeps the other blocks at their real index.
            kept.append(MarkdownBlock.model_construct(type="markdown", text="", audiences=[]))
    audiences = raw.get("audiences")
    if not (isinstance(audiences, list) and all(isinstance(a, str) for a in audiences)):
        audiences = None
    if not kept:
        return None
    return Section.model_construct(id=str(raw.get("id", doc.path.stem)), title="", kind="back",
                                   audiences=audiences, blocks=kept)


def _check_audiences(section: Section, doc: YamlDoc, edition_ids: list[str] | None,
                     problems: list[Problem]) -> None:
    if not edition_ids:
        return
    lists: list[tuple[Loc, list[str]]] = []
    if section.audiences is not None:
        lists.append((("audiences",), section.audiences))
    for b, block in enumerate(section.blocks):
        if block.audiences is not None:
            lists.append((("blocks", b, "audiences"), block.audiences))
    for loc, names in lists:
        for j, name in enumerate(names):
            if name not in edition_ids:
                problems.append(doc.problem(loc + (j,), (
                    f"unknown edition '{name}' in audiences{did_you_mean(name, edition_ids)} "
                    f"(editions: {', '.join(edition_ids)})")))


def _load_data(root: Path, sections: list[Located], problems: list[Problem],
               max_bytes: int, load: Loader) -> dict[str, Located]:
    out: dict[str, Located] = {}
    report_dir = (root / "report").resolve()
    for located in sections:
        for b, block in enumerate(located.model.blocks):
            if not isinstance(block, FigureBlock):
                continue
            if not figure_keys_ok(block, located.doc, ("blocks", b), problems) \
                    or block.data is None:
                continue
            loc = ("blocks", b, "data")
            target = located_inside(report_dir, report_dir / block.data, located.doc, loc,
                                    problems, what="data file", value=block.data)
            if target is None:
                continue
            if block.data not in out:
                if not target.is_file():
                    problems.append(located.doc.problem(loc, (
                        f"data file 'report/{block.data}' not found")))
                    continue
                doc = load(root, target, problems, max_bytes)
                if doc is None:
                    continue
                model, errs = validate(DataFile, doc)
                problems += errs
                if model is None:
                    continue
                if model.kind is None:
                    problems.append(doc.problem((), (
                        "data file has none of 'events', 'series' or 'states'")))
                    continue
                if model.kind == "tile-map":
                    check_statuses(model, doc, problems)
                out[block.data] = Located(model, doc)
            data = out.get(block.data)
            kind = "tile-map" if block.kind == "state-map" else block.kind  # an alias
            if data is not None and data.model.kind != kind:
                problems.append(located.doc.problem(("blocks", b, "kind"), (
                    f"figure kind '{block.kind}' does not match data file "
                    f"'report/{block.data}', which holds a {data.model.kind}")))
    return out


def _check_editions_select(editions: list[tuple[int, Edition]], doc: YamlDoc,
                           sections: list[Located], problems: list[Problem]) -> None:
    for i, ed in editions:
        if not any(block_in_edition(s.model, blk, ed.id)
                   for s in sections for blk in s.model.blocks):
            problems.append(doc.problem(("editions", i, "id"), (
                f"edition '{ed.id}' selects no content: no block's audiences include it")))


def _check_citations(report_texts: list[tuple[Loc, str]], report_doc: YamlDoc,
                     sections: list[Located], data: dict[str, Located],
                     references: dict[str, Located], unavailable: Unavailable,
                     problems: list[Problem], warnings: list[Problem],
                     parsed: dict[str, list[Any]]) -> set[str]:
    """Report unknown keys where they stand; return every key some text cites.

    A key of a reference that failed to load is not unknown: its file or entry is reported.
    Citation-like slips (a bare ``@key``, an unclosed ``[@key``) are warnings.
    """
    known = set(references)
    cited: set[str] = set()
    texts: list[tuple[YamlDoc, Loc, str]] = [(report_doc, loc, t) for loc, t in report_texts]
    for s in sections:
        for loc, text, _block in iter_texts(s.model, translations=True):
            texts.append((s.doc, loc, text))
    for d in data.values():
        listed: list[tuple[Loc, str]] = [(("sources", j), key)
                                         for j, key in enumerate(d.model.sources)]
        listed += [((list_key, i, "sources", j), key)
                   for i, (list_key, _id, st) in enumerate(d.model.region_items())
                   for j, key in enumerate(st.sources)]
        for loc, key in listed:
            if key.lower() not in known and key not in unavailable:
                problems.append(d.doc.problem(loc, _unknown(key, known)))
    for s in sections:  # a figure with `source: auto` cites what its data file lists
        for block in s.model.blocks:
            if isinstance(block, FigureBlock) and block.source == AUTO and block.data in data:
                cited |= {k.lower() for k in auto_source_keys(data[block.data].model)}
    for doc, loc, text in texts:
        tokens = parse_once(parsed, text)  # one parse for every check
        depth = nesting_depth(MARKDOWN, text, tokens)
        if depth > MAX_DEPTH:
            problems.append(doc.problem(loc, (
                f"lists and quotes are nested {depth} levels deep; at most {MAX_DEPTH} can be "
                "printed, so flatten them (deeper text would be lost)")))
            continue
        cites, slips = scan_citations(MARKDOWN, text, tokens)
        cited |= {c.key.lower() for c in cites}
        unknown = list(dict.fromkeys(c.key for c in cites
                                     if c.key.lower() not in known and c.key not in unavailable))
        for key in unknown[:MAX_SLIPS]:  # each located by reading the text again: bounded
            line, col = doc.find(loc, "@" + key)
            problems.append(Problem(doc.display, line, col, _unknown(key, known)))
        if len(unknown) > MAX_SLIPS:
            problems.append(doc.problem(loc, (
                f"{len(unknown) - MAX_SLIPS} more unknown citation keys in this text are not "
                "listed; fix the ones above and check again")))
        for slip in slips:
            line, col = doc.find(loc, slip.needle, slip.occurrence)
            warnings.append(Problem(doc.display, line, col, slip.message, "warning"))
    return cited


# One id pattern for everything that becomes a file name; checked before any path is built.
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


def _check_style_paths(root: Path, doc: YamlDoc, problems: list[Problem]) -> None:
    """A ``citation_style`` that names a .csl file (report or edition level) must live inside
    the report folder: a style is parsed, and a path could point at any file on the machine."""
    data = doc.data if isinstance(doc.data, dict) else {}
    places: list[tuple[Loc, Any]] = [(("citation_style",), data.get("citation_style"))]
    editions = found if isinstance(found := data.get("editions"), list) else []
    places += [(("editions", i, "citation_style"), e.get("citation_style"))
               for i, e in enumerate(editions) if isinstance(e, dict)]
    for loc, value in places:
        if not isinstance(value, str) or not (value.lower().endswith(".csl") or "/" in value):
            continue
        located_inside(root, root / "report" / Path(value).expanduser(), doc, loc, problems,
                       what="citation style", value=value)


def _check_edition_ids(doc: YamlDoc, problems: list[Problem]) -> None:
    editions = doc.data.get("editions") if isinstance(doc.data, dict) else None
    seen: dict[str, int] = {}
    for i, ed in enumerate(editions if isinstance(editions, list) else []):
        eid = ed.get("id") if isinstance(ed, dict) else None
        if isinstance(eid, str) and eid in seen:
            problems.append(doc.problem(("editions", i, "id"), (
                f"edition id '{eid}' is used twice (first at item {seen[eid] + 1}); each "
                "edition needs its own id")))
        elif isinstance(eid, str):
            seen[eid] = i


def _unknown(key: str, known: set[str]) -> str:
    return f"unknown citation key '{key}'{did_you_mean(key.lower(), known)}"
