"""Change marks: which paragraphs, items, rows and key messages are new or changed since a version.

Built from a diff of content records (by the pipeline), used by the renderer: a marked unit
gets the class ``changed`` (a bar in the margin) and a short note a screen reader reads. The
units are matched by their plain text, the same text the content record holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape


@dataclass(frozen=True)
class ChangeMarks:
    since: str
    units: frozenset[str]
    key_messages: frozenset[str]
    summary: dict[str, Any] = field(default_factory=dict)
    language: str = "en"  # the edition's: the note is in its words

    @classmethod
    def from_diff(cls, since: str, edition_diff: dict[str, Any]) -> ChangeMarks:
        """The marks for one edition from its part of a diff (see publish.diff)."""
        units = {p["new"] for p in edition_diff.get("paragraphs", []) if p["new"]}
        for block in edition_diff.get("blocks", {}).get("added", []):
            units.update(t.strip() for t in block["text"].split(" / "))
        km = edition_diff.get("key_messages", {})
        messages = {c["new"] for c in km.get("changed", [])} | set(km.get("added", []))
        return cls(since, frozenset(units), frozenset(messages), _summary(edition_diff))

    def note(self) -> str:
        from .i18n import Words

        return Words(self.language).gettext("Changed since %(version)s") % {
            "version": self.since}


def _summary(d: dict[str, Any]) -> dict[str, Any]:
    """What the "What changed" page lists under the author's changelog."""
    if d.get("status") != "changed":
        return {}
    per_section: Counter[str] = Counter(p["section"] for p in d["paragraphs"])
    per_section.update(b["section"] for b in d["blocks"]["added"] + d["blocks"]["removed"])
    sections = d["sections"]
    return {
        "sections": [{"id": k, "changes": v} for k, v in sorted(per_section.items())],
        "sections_added": [s["title"] for s in sections["added"]],
        "sections_removed": [s["title"] for s in sections["removed"]],
        "key_messages": sum(len(v) for v in d["key_messages"].values()),
        "numbers": d["numbers"],
        "references_added": [r["entry"] for r in d["references"]["added"]],
        "references_removed": [r["entry"] for r in d["references"]["removed"]],
        "figures": len(d["figures"]),
    }


def mark_rules(md: Any, marks: ChangeMarks) -> None:
    """Paragraphs and list items whose text the marks name get the class ``changed``."""
    from .record import inline_text

    note = f'<span class="change-note">{escape(marks.note())}</span>'

    def first_text(tokens: list[Any], start: int) -> str | None:
        for token in tokens[start:]:
            if token.type == "inline":
                return inline_text(token.children or [])
            if token.type in ("list_item_close", "paragraph_close"):
                return None
        return None

    def paragraph_open(self, tokens, idx, options, env) -> str:  # noqa: ANN001
        if tokens[idx].hidden or first_text(tokens, idx + 1) not in marks.units:
            return self.renderToken(tokens, idx, options, env)
        tokens[idx].attrJoin("class", "changed")
        return self.renderToken(tokens, idx, options, env) + note

    def list_item_open(self, tokens, idx, options, env) -> str:  # noqa: ANN001
        if first_text(tokens, idx + 1) not in marks.units:
            return self.renderToken(tokens, idx, options, env)
        tokens[idx].attrJoin("class", "changed")
        return self.renderToken(tokens, idx, options, env) + note

    md.add_render_rule("paragraph_open", paragraph_open)
    md.add_render_rule("list_item_open", list_item_open)
