"""Facts: each number the report states, written once with its sources and when it was checked.

``report/facts.yaml`` (named by report.yaml's ``facts:``; ``facts.yaml`` is read when present)
holds the facts; any text prints one with ``{{fact:ID}}``. Loading validates the file and
keeps, per fact, the value as the author wrote it (YAML reads ``0.70`` as 0.7), so a number
prints with the decimals it was written with. Formatting for a language is the compose stage's
job (:mod:`..compose.facts`); the checks of every use are in :mod:`.factcheck`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictFloat, StrictInt, StrictStr, field_validator

from ..errors import Problem, relpath
from .loader import YamlDoc, YamlLoadError
from .modelbase import Strict
from .parsecache import ParsedDocs, load_cached
from .paths import located_inside
from .schema import validate

FACT_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
DEFAULT_FILE = "facts.yaml"
DEFAULT_PERIOD = "6 months"
_PERIOD = re.compile(r"([0-9]{1,4}) *(day|week|month|year)s?")
Format = Literal["number", "percent", "integer", "text"]


def _period(value: Any) -> Any:
    if isinstance(value, str) and not _PERIOD.fullmatch(value.strip()):
        raise ValueError(f"'{value}' is not a period; write a number and days, weeks, months "
                         "or years, like '6 months' or '90 days'")
    return value.strip() if isinstance(value, str) else value


class Fact(Strict):
    id: Annotated[StrictStr, Field(pattern=FACT_ID)] = Field(
        description="The fact's id, printed with {{fact:ID}}: lower-case words joined by hyphens.")
    value: StrictInt | StrictFloat | StrictStr = Field(
        description="The value, a number or text; a number keeps the decimals it is written with.")
    format: Format | None = Field(default=None, description=(
        "How the value prints: number, percent (as written, with a percent sign), integer or "
        "text; default number, or text for text."))
    decimals: Annotated[StrictInt, Field(ge=0, le=6)] | None = Field(
        default=None, description="How many decimals to print; default as written.")
    sources: list[StrictStr] = Field(
        min_length=1, description="The keys of the references the value comes from.")
    as_of: StrictStr | StrictInt | dt.date | None = Field(
        default=None, description="The period the value describes, like 2019; optional.")
    checked: dt.date = Field(description=(
        "When an author last confirmed the value in its sources; with review_every, when it is "
        "due again."))
    review_every: StrictStr | None = Field(default=None, description=(
        "How often to re-check this fact, like 3 months; default the file's review_every."))
    certainty: Literal["high", "moderate", "low", "very low", "very-low"] | None = Field(
        default=None, description="The certainty of the evidence for the value; optional.")
    note: StrictStr | None = Field(
        default=None, description="Free text for authors; never printed.")

    _periods = field_validator("review_every")(_period)

    @property
    def kind(self) -> Format:
        """The format used: as set, else text for text and number for numbers."""
        return self.format or ("text" if isinstance(self.value, str) else "number")


class FactsFile(Strict):
    review_every: StrictStr = Field(default=DEFAULT_PERIOD, description=(
        "How often each fact is due for re-checking: days, weeks, months or years."))
    facts: list[Fact] = Field(default=[], description="The facts, each printed with {{fact:ID}}.")

    _periods = field_validator("review_every")(_period)


@dataclass(frozen=True)
class FactBook:
    """The report's facts by id, where each stands, and each number as it was written."""

    facts: dict[str, Fact] = field(default_factory=dict)
    doc: YamlDoc | None = None
    review_every: str = DEFAULT_PERIOD
    index: dict[str, int] = field(default_factory=dict)  # position in the file's list
    written: dict[str, str] = field(default_factory=dict)  # numbers as typed ("0.70")

    def period(self, fact: Fact) -> str:
        return fact.review_every or self.review_every

    def due(self, fact: Fact) -> dt.date:
        """The day after which the fact must be checked again in its sources."""
        return add_period(fact.checked, self.period(fact))


def add_period(day: dt.date, period: str) -> dt.date:
    """``day`` plus "3 months" (a month end stays within the month: 31 Jan + 1 month = 28 Feb)."""
    m = _PERIOD.fullmatch(period.strip())
    if m is None:
        raise ValueError(period)
    n, unit = int(m[1]), m[2]
    if unit in ("day", "week"):
        return day + dt.timedelta(days=n * (7 if unit == "week" else 1))
    months = n * (12 if unit == "year" else 1)
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, d)
        except ValueError:
            continue
    raise ValueError(period)  # pragma: no cover - day 28 exists in every month


def load_facts(root: Path, report_doc: YamlDoc, problems: list[Problem],
               max_bytes: int, docs: ParsedDocs | None = None) -> FactBook:
    """The facts file report.yaml names (or ``facts.yaml`` when present); an empty book when
    there is none. Problems are located; a fact used but not defined is reported at its use."""
    raw = report_doc.data if isinstance(report_doc.data, dict) else {}
    listed = raw.get("facts")
    if listed is not None and not isinstance(listed, str):
        return FactBook()  # the Report model says what is wrong with it
    name = listed or DEFAULT_FILE
    report_dir = root / "report"
    target = located_inside(root, report_dir / name, report_doc, ("facts",), problems,
                            what="facts file", value=name)
    if target is None:
        return FactBook()
    if not target.is_file():
        if listed is not None:
            problems.append(report_doc.problem(("facts",), f"facts file 'report/{name}' not "
                                               "found"))
        return FactBook()
    try:
        doc = load_cached(target, relpath(target, root), max_bytes=max_bytes, docs=docs)
    except YamlLoadError as exc:
        problems += exc.problems
        return FactBook()
    model, errs = validate(FactsFile, doc)
    problems += errs
    if model is None:
        return FactBook(doc=doc)
    seen: dict[str, int] = {}
    for i, fact in enumerate(model.facts):
        if fact.id in seen:
            problems.append(doc.problem(("facts", i, "id"), (
                f"fact id '{fact.id}' is used twice (first at item {seen[fact.id] + 1}); "
                "each fact needs its own id")))
            continue
        seen[fact.id] = i
        if fact.kind != "text" and isinstance(fact.value, str):
            problems.append(doc.problem(("facts", i, "value"), (
                f"value '{fact.value[:40]}' is not a number, but the format is "
                f"'{fact.kind}'; write the number alone (like 1807 or 0.7), or set "
                "'format: text'")))
    written = {f.id: doc.raw.get(("facts", i, "value"), str(f.value))
               for i, f in enumerate(model.facts) if not isinstance(f.value, str)}
    facts = {f.id: model.facts[i] for f in model.facts for i in [seen[f.id]]}
    return FactBook(facts, doc, model.review_every, seen, written)
