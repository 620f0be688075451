"""Select each edition's content from the one source, by audience, in data (never by CSS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..fingerprint import canonical_json as canonical_json  # re-exported for build.py
from ..fingerprint import json_digest
from ..source.loader import Located
from ..source.models import Edition, Section
from ..source.project import Project, block_in_edition
from ..source.translations import edition_language, is_translated, translated, translated_section


@dataclass(frozen=True)
class SelectedSection:
    """A section as one edition sees it: only the blocks meant for that edition."""

    section: Section
    located: Located
    blocks: tuple[tuple[int, Any], ...]  # (index in the file, block)


def get_edition(project: Project, edition_id: str) -> Edition:
    for ed in project.report.editions:
        if ed.id == edition_id:
            return ed
    raise KeyError(edition_id)


def select(project: Project, edition: Edition) -> list[SelectedSection]:
    """Sections in report order; sections the audience filter leaves empty are dropped.

    An edition in another language than the report's gets each text's translation for it.
    """
    tag = edition_language(project.report, edition)
    other = is_translated(project.report, edition)
    out = []
    for located in project.sections:
        section = located.model
        blocks = tuple((i, translated(b, tag) if other else b)
                       for i, b in enumerate(section.blocks)
                       if block_in_edition(section, b, edition.id))
        if blocks:
            shown = translated_section(section, tag) if other else section
            out.append(SelectedSection(shown, located, blocks))
    return out


def content_payload(edition: Edition, selected: list[SelectedSection],
                    cited: list[Any], data: dict[str, Any],
                    facts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The edition's own resolved content: what its fingerprint hashes and PDF/A attaches.

    ``facts`` (the facts it printed) is left out when there are none, so an edition written
    before facts existed keeps its fingerprint.
    """
    payload = {
        # Unset keys added later (language) stay out: old editions keep their fingerprints.
        # What only the summaries print (summaries, in_summary) is theirs: asking for a
        # summary leaves the edition's fingerprint, and so its PDF, as it was.
        "edition": edition.model_dump(mode="json", by_alias=True, exclude={"summaries"} | (
            set() if edition.language else {"language"})),
        "sections": [
            {"id": s.section.id, "title": s.section.title, "kind": s.section.kind,
             "blocks": [b.model_dump(mode="json", by_alias=True,
                                     exclude={"audiences", "translations", "in_summary"})
                        for _, b in s.blocks]}
            for s in selected
        ],
        "references": [r.model_dump(mode="json", by_alias=True, exclude_none=True)
                       for r in cited],
        "data": {k: v.model_dump(mode="json", by_alias=True) for k, v in sorted(data.items())},
    }
    if facts:
        payload["facts"] = facts
    return payload


def content_fingerprint(payload: dict[str, Any]) -> str:
    """Hash of the edition's own content only: no version, no date, no other edition's text."""
    return json_digest(payload)
