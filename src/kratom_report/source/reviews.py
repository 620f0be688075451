"""Review rounds on record: ``report/reviews/<version>.yaml`` holds the comments reviewers left
in review copies (imported from their PDFs) and the approvals of that version.

This module reads and writes that file and judges it; importing PDFs lives in
publish/reviewimport.py and the commands in authoring/reviews.py. ``release`` asks
:func:`gate_problems` whether report.yaml's ``review`` settings let the version out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..atomic import ensure_folder, write_all
from ..errors import Problem, ReportError

HEADER = ("# Review comments and approvals of one version, written by 'kratom-report review'.\n"
          "# Edit status with 'review resolve ID' and 'review reopen ID', not by hand.\n")


class ReviewError(ReportError):
    """Raised when a review command cannot do what it was asked: a PDF that is not a review
    copy of this report and version, an unknown comment id, a damaged reviews file (exit 1)."""


@dataclass
class Reviews:
    """One version's comments and approvals, as on disk."""

    path: Path
    display: str
    version: str
    comments: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    rounds: int = 0

    @property
    def open(self) -> list[dict[str, Any]]:
        return [c for c in self.comments if c.get("status") == "open"]

    def find(self, comment_id: str) -> dict[str, Any]:
        found = next((c for c in self.comments if c["id"] == comment_id), None)
        if found is None:
            known = [c["id"] for c in self.comments]
            from ..errors import did_you_mean

            raise ReviewError(f"{self.display}: no comment '{comment_id}'"
                              f"{did_you_mean(comment_id, known)}; 'kratom-report review list' "
                              "shows every id")
        return found

    def summary(self) -> dict[str, Any]:
        """What a release record keeps of the round."""
        return {"rounds": self.rounds, "comments": len(self.comments),
                "resolved": sum(c.get("status") == "resolved" for c in self.comments),
                "approvals": [{k: str(a[k]) for k in ("by", "role", "date") if a.get(k)}
                              for a in self.approvals]}

    def save(self) -> None:
        data = {"version": self.version, "rounds": self.rounds, "comments": self.comments,
                "approvals": self.approvals}
        text = HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        ensure_folder(self.path.parent)
        write_all([(self.path, text.encode("utf-8"))])


def reviews_path(root: Path, version: str) -> Path:
    return root / "report" / "reviews" / f"{version}.yaml"


def load_reviews(root: Path, version: str) -> Reviews:
    """The version's reviews file, or an empty one when none was written yet."""
    from .loader import YamlLoadError, load_yaml

    path = reviews_path(root, version)
    display = f"report/reviews/{version}.yaml"
    if not path.is_file():
        return Reviews(path, display, version)
    try:
        data = load_yaml(path, display).data
    except YamlLoadError as exc:
        raise ReviewError("\n".join(str(p) for p in exc.problems)) from None
    if not isinstance(data, dict) or not isinstance(data.get("comments", []), list) \
            or not isinstance(data.get("approvals", []), list):
        raise ReviewError(f"{display}: not a reviews file (expected 'comments' and "
                          "'approvals' lists)")
    return Reviews(path, display, version, list(data.get("comments") or []),
                   list(data.get("approvals") or []), int(data.get("rounds") or 0))


def gate_problems(root: Path, version: str, required: bool, approvals: int,
                  where: Problem) -> list[Problem]:
    """Why ``release`` must refuse this version under report.yaml's ``review`` settings
    (``where``: the position of that key)."""
    if not required:
        return []
    reviews = load_reviews(root, version)
    problems = []
    if reviews.open:
        ids = ", ".join(c["id"] for c in reviews.open)
        problems.append(Problem(reviews.display, None, None, (
            f"{len(reviews.open)} review comment{'s are' if len(reviews.open) > 1 else ' is'} "
            f"still open ({ids}); resolve each with 'kratom-report review resolve ID', "
            "or see them with 'kratom-report review list --open'")))
    if len(reviews.approvals) < approvals:
        problems.append(Problem(where.path, where.line, where.column, (
            f"review requires {approvals} approval{'s' if approvals > 1 else ''} of version "
            f"{version}, {len(reviews.approvals)} recorded; record one with "
            "'kratom-report review approve --by NAME'")))
    return problems
