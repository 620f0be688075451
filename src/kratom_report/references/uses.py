"""Where each reference is cited, per edition and section; exports for reference managers."""

from __future__ import annotations

from dataclasses import dataclass

from ..source.markdown import citations_in, make_markdown
from ..source.project import Project, block_in_edition, iter_texts

KEY_MESSAGES = "key-messages"


@dataclass(frozen=True)
class RefUse:
    key: str
    title: str
    doi: str | None
    url: str | None
    cited_in: dict[str, list[str]]


def reference_uses(project: Project) -> list[RefUse]:
    """Every reference in file order, with the sections of each edition that cite it."""
    md = make_markdown()
    where: dict[str, dict[str, list[str]]] = {k: {} for k in project.references}
    for edition in project.report.editions:
        places: list[tuple[str, str]] = [(KEY_MESSAGES, m) for m in edition.key_messages]
        if edition.cover_note:
            places.append((KEY_MESSAGES, edition.cover_note))
        for located in project.sections:
            section = located.model
            for _loc, text, block in iter_texts(section):
                if block_in_edition(section, block, edition.id):
                    places.append((section.id, text))
        for section_id, text in places:
            for cite in citations_in(md, text):
                sections = where.get(cite.key.lower())
                if sections is None:
                    continue
                ids = sections.setdefault(edition.id, [])
                if section_id not in ids:
                    ids.append(section_id)
    return [RefUse(loc.model.key, loc.model.title, loc.model.DOI, loc.model.URL, where[key])
            for key, loc in project.references.items()]


def export(project: Project, fmt: str) -> str:
    """All references as CSL-JSON or BibTeX text."""
    from .bibexport import export_bibtex
    from .csljson import export_csljson

    refs = [loc.model.model_dump(by_alias=True, exclude_none=True, mode="json")
            for loc in project.references.values()]
    return export_csljson(refs) if fmt == "csljson" else export_bibtex(refs)
