"""``check --stats`` on facts: each fact with its value, where it is printed, and what falls
due for review soon (so it can be re-checked before a release is refused)."""

from __future__ import annotations

import datetime as dt

from ..compose.facts import format_fact
from ..source.currency import due_items
from ..source.factcheck import fact_uses
from ..source.parts import report_parts
from ..source.project import Project
from ..source.schema import as_written

SOON_DAYS = 30


def fact_lines(project: Project, today: dt.date) -> list[str]:
    """The facts block of ``check --stats``, one line per fact and per item due soon."""
    book = project.facts
    parts = report_parts(project.report, as_written(project.report_doc, project.report_doc.data))
    uses = fact_uses(book, parts.texts, project.report_doc, project.sections, project.data)
    lines = [f"facts: {len(book.facts) or 'none'}"]
    for fact_id, fact in book.facts.items():
        value = format_fact(fact, project.report.language, book.written.get(fact_id))
        where = ", ".join(uses[fact_id]) or "not used"
        lines.append(f"  {fact_id} = {value} (checked {fact.checked.isoformat()}, due "
                     f"{book.due(fact).isoformat()}): {where}")
    soon = [d for d in due_items(project) if today <= d.due <= today + dt.timedelta(SOON_DAYS)]
    lines.append(f"due for review in the next {SOON_DAYS} days: {len(soon) or 'none'}")
    lines += [f"  {d.label()}: due {d.due.isoformat()} ({d.where.path}:{d.where.line})"
              for d in sorted(soon, key=lambda d: (d.due, d.name))]
    return lines
