"""Change marks: which paragraphs, items, rows and key messages are new or changed since a version.

Built from a diff of content records (by the pipeline), used by the renderer: a marked unit
gets the class ``changed`` (a bar in the margin) and a short note a screen reader reads. The
units are matched by their plain text, the same text the content record holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape

from .i18n import N_, Words


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
        return cls(since, frozenset(units), frozenset(messages), change_summary(edition_diff))

    def summary_lines(self) -> list[str]:
        return summary_lines(self.summary, Words(self.language))

    def note(self) -> str:
        return Words(self.language).gettext("Changed since %(version)s") % {
            "version": self.since}


def change_summary(d: dict[str, Any]) -> dict[str, Any]:
    """What changed in one edition (its part of a diff), by section title, for readers.

    Each section lists the kinds of its changed blocks (see publish.diff.classify), the
    numbers that changed and the blocks added or removed. Section ids never appear: readers
    know sections by their titles.
    """
    if d.get("status") != "changed":
        return {}
    sections: dict[str, dict[str, Any]] = {}
    titles: dict[str, str] = {}
    blocks = d["blocks"]
    for where in ("changed", "added", "removed"):
        for b in blocks.get(where, []):
            titles[b["section"]] = b["title"]
            entry = sections.setdefault(b["title"], {"kinds": [], "numbers": [], "added": 0,
                                                     "removed": 0})
            if where != "changed":
                entry[where] += 1
            entry["kinds"] += [k for k in b.get("kinds", []) if k not in entry["kinds"]]
    for n in d["numbers"]:
        if n["section"] in titles:
            sections[titles[n["section"]]]["numbers"].append(f"{n['old']} → {n['new']}")
    for entry in sections.values():
        if len(entry["kinds"]) > 1 and "wording" in entry["kinds"]:
            entry["kinds"].remove("wording")  # "wording only" is said of nothing else
    km = d["key_messages"]
    return {
        "sections": [{"title": t, **e} for t, e in sections.items()],
        "sections_added": [s["title"] for s in d["sections"]["added"]],
        "sections_removed": [s["title"] for s in d["sections"]["removed"]],
        "key_messages": sum(len(v) for v in km.values()),
        "key_message_numbers": [f"{n['old']} → {n['new']}" for n in d["numbers"]
                                if n["section"] is None],
        "references_added": [r["entry"] for r in d["references"]["added"]],
        "references_removed": [r["entry"] for r in d["references"]["removed"]],
        "figures": len(d["figures"]),
        # Hook for the facts diff: entries {"id", "old", "new", "checked"?}, one per fact.
        "facts": list(d.get("facts", [])),
    }


_KIND_WORDS = {"source": N_("new source cited"), "certainty": N_("certainty changed"),
               "recommendation": N_("recommendation or key message changed"),
               "wording": N_("wording only")}


def summary_lines(summary: dict[str, Any], words: Words) -> list[str]:
    """The summary as sentences in the edition's language: the "What changed" page, the
    site's version page and the feed entry all print these."""
    if not summary:
        return []
    _ = words.gettext
    lines = [_("New section: %(title)s") % {"title": t} for t in summary["sections_added"]]
    lines += [_("Section removed: %(title)s") % {"title": t}
              for t in summary["sections_removed"]]
    for s in summary["sections"]:
        parts = [_(_KIND_WORDS[k]) if k != "number" else
                 _("number changed: %(numbers)s") % {"numbers": ", ".join(s["numbers"])}
                 if s["numbers"] else _("number changed") for k in s["kinds"]]
        parts += [words.ngettext("%(num)d block added", "%(num)d blocks added", s["added"])
                  % {"num": s["added"]}] if s["added"] else []
        parts += [words.ngettext("%(num)d block removed", "%(num)d blocks removed",
                                 s["removed"]) % {"num": s["removed"]}] if s["removed"] else []
        lines.append(f"{s['title']}: {'; '.join(parts)}")
    if summary["key_messages"]:
        parts = [_(_KIND_WORDS["recommendation"])]
        if summary["key_message_numbers"]:
            parts.append(_("number changed: %(numbers)s")
                         % {"numbers": ", ".join(summary["key_message_numbers"])})
        lines.append(f"{_('Key messages')}: {'; '.join(parts)}")
    lines += [fact_line(f) for f in summary.get("facts", [])]
    lines += [_("Reference added: %(reference)s") % {"reference": r}
              for r in summary["references_added"]]
    lines += [_("Reference removed: %(reference)s") % {"reference": r}
              for r in summary["references_removed"]]
    if summary["figures"]:
        lines.append(words.ngettext("Figure data: %(num)d point changed",
                                    "Figure data: %(num)d points changed", summary["figures"])
                     % {"num": summary["figures"]})
    return lines


def fact_line(fact: dict[str, Any]) -> str:
    """``fact us-past-year-use: 0.7% → 0.8% (checked 2026-12-02)``: the facts diff's entries
    (see the hook in change_summary) as one line."""
    checked = f" (checked {fact['checked']})" if fact.get("checked") else ""
    return f"fact {fact['id']}: {fact['old']} → {fact['new']}{checked}"


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
