"""What a new release must meet before anything is rendered: no editorial note left in, no
evidence overdue for review that the changelog entry does not accept, and the review round
report.yaml asks for. Each gate collects every problem and stops once."""

from __future__ import annotations

from typing import Any

from ..errors import Problem, ProblemsError
from ..source.project import Project


def evidence_gate(project: Project) -> list[dict[str, str]]:
    """Refuse editorial notes and evidence due for review that the changelog entry does not
    accept (one located line each); return the accepted items for the manifest."""
    from ..source.currency import overdue, overdue_problems, today
    from ..source.factcheck import NOTE_SUFFIX

    day = today()
    problems = [Problem(n.path, n.line, n.column, n.message.removesuffix(NOTE_SUFFIX)
                        + "; remove it before releasing") for n in project.notes]
    problems += [p for p in overdue_problems(project, day, "error") if p.severity == "error"]
    if problems:
        raise ProblemsError(problems)
    return [{d.kind: d.name, "due": d.due.isoformat(), "reason": d.accepted.reason}
            for d in sorted(overdue(project, day), key=lambda d: (d.kind, d.name))
            if d.accepted is not None]


def review_gate(project: Project, version: str) -> dict[str, Any] | None:
    """Refuse while report.yaml's ``review`` asks for more (open comments, approvals); the
    round's summary for the manifest when review is asked for or anything was recorded."""
    from ..source.reviews import gate_problems, load_reviews

    policy = project.report.review
    line, column = project.report_doc.at(("review",), key=True)
    problems = gate_problems(project.root, version, policy.required, policy.approvals,
                             Problem(project.report_doc.display, line, column))
    if problems:
        raise ProblemsError(problems)
    reviews = load_reviews(project.root, version)
    wanted = policy.required or policy.show_on_site
    return reviews.summary() if wanted or reviews.comments or reviews.approvals else None
