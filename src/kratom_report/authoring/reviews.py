"""Review rounds as commands: import reviewers' PDFs, list, resolve and reopen comments, and
approve a version. Every change rewrites ``report/reviews/<version>.yaml`` atomically; the
version is always the report's current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..source.reviews import ReviewError, Reviews, load_reviews


def _current(root: Path) -> tuple[str, str, Reviews]:
    from ..source.project import load_project

    report = load_project(root).report
    return report.slug, report.version, load_reviews(root, report.version)


def import_pdfs(root: Path, pdfs: Sequence[Path], reviewer: str | None = None
                ) -> list[dict[str, Any]]:
    """The comments added from ``pdfs`` (none twice); every PDF is read and checked before
    anything is written, so a refused one changes nothing."""
    from ..publish.reviewimport import comments, read_review_copy

    slug, version, reviews = _current(root)
    found = []
    for pdf in pdfs:
        review_map, notes = read_review_copy(pdf, slug, version)
        found += comments(review_map, notes, reviewer)
    known = {c["id"]: c for c in reviews.comments}
    added: list[dict[str, Any]] = []
    replies = 0
    for comment in found:
        old = known.get(comment["id"])
        if old is None:
            known[comment["id"]] = comment
            added.append(comment)
            continue
        have = {r["id"] for r in old.get("replies", [])}  # an answer given since, kept
        new = [r for r in comment.get("replies", []) if r["id"] not in have]
        if new:
            old.setdefault("replies", []).extend(new)
            replies += len(new)
    if added or replies:
        reviews.rounds += 1
        reviews.comments += [{**c, "round": reviews.rounds} for c in added]
        reviews.save()
    return added


def list_comments(root: Path, open_only: bool = False) -> list[dict[str, Any]]:
    _slug, _version, reviews = _current(root)
    return [c for c in reviews.comments if not open_only or c.get("status") == "open"]


def set_status(root: Path, comment_id: str, status: str, note: str | None = None
               ) -> dict[str, Any]:
    """Resolve (with an optional note) or reopen one comment."""
    _slug, _version, reviews = _current(root)
    comment = reviews.find(comment_id)
    if comment.get("status") == status:
        raise ReviewError(f"{reviews.display}: comment {comment_id} is {status} already")
    comment["status"] = status
    if note:
        comment["note"] = note
    reviews.save()
    return comment


def approve(root: Path, by: str, role: str | None = None) -> dict[str, Any]:
    """Record an approval of the current version (one per name)."""
    from ..source.currency import today

    _slug, version, reviews = _current(root)
    if not by.strip():
        raise ReviewError("review approve: --by needs a name")
    if any(a.get("by") == by for a in reviews.approvals):
        raise ReviewError(f"{reviews.display}: {by} approved version {version} already")
    approval = {"by": by, **({"role": role} if role else {}), "date": today().isoformat()}
    reviews.approvals.append(approval)
    reviews.save()
    return approval


def line_of(comment: dict[str, Any], reply: dict[str, Any] | None = None) -> str:
    """``path:line:col: [reviewer] comment (status, id)``: the form editors and CI read."""
    where = comment.get("source") or f"page {comment.get('page')} of {comment.get('edition')}"
    if reply is not None:
        return (f"{where}: [{reply['reviewer']}] reply: {reply['comment']} "
                f"(reply to {comment['id']})")
    text = comment.get("comment") or ""
    if comment.get("quote"):
        quoted = f'{comment["kind"]} "{comment["quote"]}"'
        text = f"{text} — {quoted}" if text else quoted
    return f"{where}: [{comment['reviewer']}] {text} ({comment['status']}, {comment['id']})"
