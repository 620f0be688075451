"""Facts that changed between two content records: a fact is its own kind of change.

A text that prints ``{{fact:ID}}`` keeps that form in the record, so a new value is reported
once, here, not as a changed sentence in every place that prints it.
"""

from __future__ import annotations

from typing import Any


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
