"""``diff``: load two content records (a release's, or the working tree's) and compare them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .publish.diff import diff_records
from .publish.records import WORKTREE, RecordError, latest_release, load_record


def worktree_record(root: Path) -> dict[str, Any]:
    """The working tree's record, rendered as ``check`` renders it (no PDF)."""
    from .build import check

    result = check(root)
    return {"version": WORKTREE, "editions": {r.edition.id: r.record()
                                              for r in result.editions}}


def record_of(root: Path, which: str) -> dict[str, Any]:
    return worktree_record(root) if which == WORKTREE else load_record(root, which)


def compare(root: Path, old: str | None = None, new: str | None = None,
            edition: str | None = None) -> dict[str, Any]:
    """The changes from ``old`` (default: the latest release) to ``new`` (default: worktree)."""
    old = old or latest_release(root)
    new = new or WORKTREE
    before = record_of(root, old)
    after = record_of(root, new)
    if edition is not None:
        for label, doc in ((old, before), (new, after)):
            if edition not in doc["editions"]:
                known = ", ".join(sorted(doc["editions"])) or "none"
                raise RecordError(f"edition '{edition}' did not exist in {label} "
                                  f"(editions there: {known})")
    result = diff_records(before, after, [edition] if edition else None)
    result["old"], result["new"] = old, new
    return result
