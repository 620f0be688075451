"""The changelog file: its entries, one per version, checked against report.yaml (each version
once, the report's version present, changes for one edition named by a real edition)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import Problem
from .loader import YamlDoc
from .models import Changelog
from .parts import ReportParts
from .paths import located_inside
from .schema import did_you_mean, validate

Loader = Callable[[Path, Path, list[Problem], int], YamlDoc | None]


def load_changelog(root: Path, parts: ReportParts, report_doc: YamlDoc,
                   problems: list[Problem], load: Loader
                   ) -> tuple[Changelog | None, YamlDoc | None]:
    name = parts.changelog
    if name is None:  # report.yaml's 'changelog' is invalid, and reported as such
        return None, None
    path = root / "report" / name  # refused where report.yaml names it, before it is read:
    if located_inside(root, path, report_doc, ("changelog",), problems, what="changelog",
                      value=name) is None:
        return None, None
    if not path.is_file():
        problems.append(report_doc.problem(("changelog",), f"changelog 'report/{name}' not found"))
        return None, None
    doc = load(root, path, problems, parts.max_bytes)
    if doc is None:
        return None, None
    changelog, errs = validate(Changelog, doc)
    problems += errs
    if changelog is not None:
        seen: set[str] = set()
        editions = {e.id for _i, e in parts.editions}
        for i, entry in enumerate(changelog.entries):
            if entry.version in seen:
                problems.append(doc.problem(("entries", i, "version"), (
                    f"version '{entry.version}' appears twice in the changelog")))
            seen.add(entry.version)
            for eid in entry.by_edition:
                if eid not in editions:
                    problems.append(doc.problem(
                        ("entries", i, "by_edition", eid), key=True, message=(
                            f"no edition '{eid}' in report.yaml{did_you_mean(eid, editions)}: "
                            "changes listed under by_edition belong to one edition")))
        if parts.version is not None and parts.version not in seen:
            problems.append(report_doc.problem(("version",), (
                f"version '{parts.version}' has no entry in report/{name}; add one "
                "(or run 'kratom-report version bump')")))
    return changelog, doc
