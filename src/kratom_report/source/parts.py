"""The parts of report.yaml later checks rely on, usable even when the file as a whole is invalid.

One mistake in report.yaml (an unquoted version, a bad accent, a misspelt key) makes the
``Report`` model fail. Without it every later check would run blind and report things that are
not wrong: audiences naming "unknown" editions, references "not found", citations "unknown".
Here each top-level key is judged on its own: what is valid is used, what is not is None, and
the checks that need an invalid part are skipped instead of guessing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .limits import limit_bytes
from .loader import Loc
from .models import Edition, Report


@dataclass
class ReportParts:
    """What report.yaml reliably says, part by part; None marks a part that is invalid."""

    editions: list[tuple[int, Edition]] = field(default_factory=list)  # valid ones, by index
    edition_ids: list[str] | None = None  # None: not every edition has a usable id
    sections: list[str] | None = None  # the listed section ids that are text
    sections_checked: bool = True  # False: the order is invalid, so no file is "not listed"
    references: list[str] | None = None
    changelog: str | None = None
    version: str | None = None
    max_bytes: int = field(default_factory=lambda: limit_bytes(None))
    texts: list[tuple[Loc, str]] = field(default_factory=list)  # key messages, cover notes


def report_parts(report: Report | None, raw: Any) -> ReportParts:
    """The parts of a valid report, or the valid parts of an invalid one."""
    if report is not None:
        editions = list(enumerate(report.editions))
        return ReportParts(
            editions=editions, edition_ids=[e.id for e in report.editions],
            sections=list(report.sections), references=list(report.references),
            changelog=report.changelog, version=report.version,
            max_bytes=limit_bytes(report.max_file_mb), texts=_texts(editions))
    data = raw if isinstance(raw, dict) else {}
    bad = _invalid_keys(data) if isinstance(raw, dict) else set(Report.model_fields)

    def good(name: str) -> Any:
        if name in bad:
            return None
        default = Report.model_fields[name].default
        return data.get(name, default)

    parts = ReportParts(references=good("references"), changelog=good("changelog"),
                        version=good("version"))
    mb = good("max_file_mb")
    parts.max_bytes = limit_bytes(mb)
    order = data.get("sections")
    parts.sections = [s for s in order if isinstance(s, str)] if isinstance(order, list) else None
    parts.sections_checked = "sections" not in bad
    parts.editions, parts.edition_ids = _editions(data.get("editions"))
    parts.texts = _raw_texts(data.get("editions"))
    return parts


def _invalid_keys(data: dict) -> set[str]:
    """Top-level keys that fail on their own (a misspelt extra key fails only itself)."""
    try:
        Report.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        if any(not err["loc"] for err in errors):
            return set(Report.model_fields)
        return {str(err["loc"][0]) for err in errors}
    return set()


def _editions(raw: Any) -> tuple[list[tuple[int, Edition]], list[str] | None]:
    """Each edition judged alone: a bad accent in one leaves the others (and its id) usable."""
    if not isinstance(raw, list):
        return [], None
    valid: list[tuple[int, Edition]] = []
    ids: list[str] | None = []
    for i, item in enumerate(raw):
        with contextlib.suppress(ValidationError):
            valid.append((i, Edition.model_validate(item)))
        ident = item.get("id") if isinstance(item, dict) else None
        if ids is not None and isinstance(ident, str) and ident:
            ids.append(ident)
        else:
            ids = None  # an edition without a usable id: audiences cannot be judged
    return valid, ids


def _texts(editions: list[tuple[int, Edition]]) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for i, ed in editions:
        out += [(("editions", i, "key_messages", j), m) for j, m in enumerate(ed.key_messages)]
        if ed.cover_note:
            out.append((("editions", i, "cover_note"), ed.cover_note))
    return out


def _raw_texts(raw: Any) -> list[tuple[Loc, str]]:
    """Key messages and cover notes as written, of valid and invalid editions alike."""
    out: list[tuple[Loc, str]] = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict):
            continue
        messages = item.get("key_messages")
        for j, m in enumerate(messages if isinstance(messages, list) else []):
            if isinstance(m, str):
                out.append((("editions", i, "key_messages", j), m))
        if isinstance(item.get("cover_note"), str):
            out.append((("editions", i, "cover_note"), item["cover_note"]))
    return out
