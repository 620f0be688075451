"""Facts that changed between two content records: a fact is its own kind of change.

A text that prints ``{{fact:ID}}`` keeps that form in the record, so a new value is reported
once, here, not as a changed sentence in every place that prints it. Before texts are compared,
each token reads as its value (:func:`with_values`), so a number an author turned into a fact
(``56,136`` became ``{{fact:survey-sample}}`` with that value) is no change at all.
"""

from __future__ import annotations

from typing import Any

from ..source.markdown import FACT


def fact_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """``[{id, old, new, checked}]`` for each fact added, removed, re-valued or re-checked."""
    out = []
    for fact_id in sorted(set(old) | set(new)):
        a, b = old.get(fact_id), new.get(fact_id)
        if a == b:
            continue
        out.append({"id": fact_id, "old": a["text"] if a else None,
                    "new": b["text"] if b else None,
                    "checked": (b or a or {}).get("checked")})
    return out


def fact_lines(changes: list[dict[str, Any]]) -> list[str]:
    """``fact us-past-year-use: 0.7% → 0.8% (checked 2026-12-02)``, one line per change."""
    return [f"  fact {c['id']}: {c['old'] or '(none)'} → {c['new'] or '(none)'}"
            + (f" (checked {c['checked']})" if c["checked"] else "") for c in changes]


def with_values(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict, dict]:
    """Both editions' records with every ``{{fact:ID}}`` read as one value per id.

    The value is the new record's (the old one's for a fact that was dropped), on both sides:
    a token both versions print stays equal when only its value changed (that change is the
    facts diff's), while a plain number that became a fact compares with the fact's value.
    Keys are read too (figure data are keyed by their labels). A token neither record
    defines is left as written."""
    values = {k: v["text"] for k, v in old.get("facts", {}).items()}
    values.update({k: v["text"] for k, v in new.get("facts", {}).items()})

    def text(s: str) -> str:
        return FACT.sub(lambda m: values.get(m.group(1), m.group(0)), s) if "{{" in s else s

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return text(node)
        if isinstance(node, list):
            return [walk(x) for x in node]
        if isinstance(node, dict):
            return {text(k): v if k == "facts" else walk(v) for k, v in node.items()}
        return node

    return walk(old), walk(new)
