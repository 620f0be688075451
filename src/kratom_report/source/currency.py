"""How old the evidence is: facts due for a new check, figure data past its ``stale_after``.

A fact is overdue when today is later than ``checked`` + ``review_every``; a figure's data file
when today is later than the last day its ``as_of`` can mean + ``stale_after.data_days``.
``check`` warns for each, ``release`` refuses them unless the version's changelog entry accepts
them (``accepted_overdue``). "Today" is the only date here that is not the release date: it
judges the sources and is never printed, so outputs stay reproducible. Tests (and anyone
checking how a release will look on a given day) set it with ``KRATOM_REPORT_TODAY``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..errors import Problem, did_you_mean
from .models import AcceptedOverdue, ChangelogEntry
from .project import Project
from .today import TODAY_ENV, TodayError, today  # noqa: F401 - their home is today.py


@dataclass(frozen=True)
class Due:
    """One item with the day it is due for review, and where to fix it."""

    kind: str  # "fact" or "data"
    name: str  # the fact id, or the data file relative to report/
    due: dt.date
    where: Problem  # located at the `checked` date or the `as_of`; message filled per use
    accepted: AcceptedOverdue | None = None

    def label(self) -> str:
        return f"fact '{self.name}'" if self.kind == "fact" else f"data file 'report/{self.name}'"


def due_items(project: Project) -> list[Due]:
    """Every fact and figure data file with its review date, in file order."""
    out: list[Due] = []
    book = project.facts
    for fact in book.facts.values():
        if book.doc is not None:
            where = book.doc.problem(("facts", book.index[fact.id], "checked"), "")
            out.append(Due("fact", fact.id, book.due(fact), where))
    days = project.report.stale_after.data_days
    for name, located in sorted(project.data.items()):
        last = latest_day(located.model.as_of)
        if last is not None:
            out.append(Due("data", name, last + dt.timedelta(days=days),
                           located.doc.problem(("as_of",), "")))
    accepted = _accepted(current_entry(project))
    return [Due(d.kind, d.name, d.due, d.where, accepted.get((d.kind, d.name))) for d in out]


def overdue(project: Project, day: dt.date) -> list[Due]:
    return [d for d in due_items(project) if day > d.due]


def overdue_problems(project: Project, day: dt.date, severity: Any = "warning"
                     ) -> list[Problem]:
    """One located finding per overdue item not accepted by the changelog entry; accepted
    ones are listed as information."""
    out = []
    for d in overdue(project, day):
        if d.accepted is not None:
            message = f"{d.label()} is overdue since {d.due.isoformat()}; accepted for this " \
                      f"version: {d.accepted.reason}"
            out.append(_at(d.where, message, "info"))
            continue
        fix = ("check it in its sources and update 'checked'" if d.kind == "fact" else
               "check the data in its sources and update 'as_of'")
        out.append(_at(d.where, (
            f"{d.label()} was due for review on {d.due.isoformat()}; {fix}, or accept it in "
            "the changelog entry (accepted_overdue)"), severity))
    return out + _unknown_acceptances(project)


def _at(where: Problem, message: str, severity: Any) -> Problem:
    return Problem(where.path, where.line, where.column, message, severity)


def current_entry(project: Project) -> ChangelogEntry | None:
    return next((e for e in project.changelog.entries if e.version == project.report.version),
                None)


def _accepted(entry: ChangelogEntry | None) -> dict[tuple[str, str], AcceptedOverdue]:
    out = {}
    for item in entry.accepted_overdue if entry is not None else []:
        if item.fact is not None:
            out[("fact", item.fact)] = item
        elif item.data is not None:
            out[("data", item.data.removeprefix("report/"))] = item
    return out


def _unknown_acceptances(project: Project) -> list[Problem]:
    """An acceptance that names no fact or data file is a typo: it would accept nothing."""
    entry = current_entry(project)
    if entry is None:
        return []
    index = project.changelog.entries.index(entry)
    out = []
    for i, item in enumerate(entry.accepted_overdue):
        kind, name = ("fact", item.fact) if item.fact is not None else ("data", item.data)
        known = list(project.facts.facts) if kind == "fact" else list(project.data)
        if name is not None and name.removeprefix("report/") not in known:
            out.append(project.changelog_doc.problem(
                ("entries", index, "accepted_overdue", i, kind),
                f"accepted_overdue names {kind} '{name}', which the report does not have"
                f"{did_you_mean(name, known)}"))
    return out


def latest_day(as_of: Any) -> dt.date | None:
    """The last day ``as_of`` can mean: "2026-04" is as of 30 April 2026 at the latest."""
    if isinstance(as_of, dt.date):
        return as_of
    m = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", str(as_of).strip())
    if m is None:
        return None
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if day:
            return dt.date(year, int(month), int(day))
        if month:
            first_next = dt.date(year + int(month) // 12, int(month) % 12 + 1, 1)
            return first_next - dt.timedelta(days=1)
        return dt.date(year, 12, 31)
    except ValueError:
        return None
