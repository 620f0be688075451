"""Content records on disk: ``releases/<version>/content.json``, and the working tree's own.

A record is checked when it is read: each edition's payload must hash to its recorded content
fingerprint (and to the fingerprint in the release manifest), and the reader's view must be the
one its payload gives. A damaged or hand-edited record is refused with one message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..compose.record import FORMAT, derived_view
from ..errors import ReportError
from ..fingerprint import canonical_json

WORKTREE = "worktree"
_SEMVER = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")


class RecordError(ReportError):
    """Raised for an unknown version, or a content record that is missing, damaged or edited."""


def content_document(version: str, date: str | None, records: dict[str, Any]) -> bytes:
    """The bytes of ``content.json``: canonical (sorted keys), so a record never churns."""
    doc = {"format": FORMAT, "version": version, "date": date, "editions": records}
    return canonical_json(doc) + b"\n"


def released_versions(root: Path) -> list[str]:
    """Versions with a release record in ``releases/``, oldest first."""
    folder = root / "releases"
    found = [p.name for p in folder.iterdir() if (p / "manifest.json").is_file()
             and _SEMVER.fullmatch(p.name)] if folder.is_dir() else []
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def latest_release(root: Path) -> str:
    versions = released_versions(root)
    if not versions:
        raise RecordError("releases/: no released version is recorded yet, so there is "
                          "nothing to compare with; name two versions, or release one first")
    return versions[-1]


def load_record(root: Path, version: str) -> dict[str, Any]:
    """A release's content record, checked against its fingerprints."""
    known = released_versions(root)
    if version not in known:
        listed = ", ".join(known) or "none"
        raise RecordError(f"unknown version '{version}': not a recorded release "
                          f"(releases: {listed}; or use '{WORKTREE}')")
    path = root / "releases" / version / "content.json"
    display = f"releases/{version}/content.json"
    if not path.is_file():
        raise RecordError(f"{display}: missing; this release was recorded before content "
                          "records existed. Check out its sources and run 'kratom-report "
                          "release' again: it adds the record and changes nothing else")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        manifest = json.loads((path.parent / "manifest.json").read_text(encoding="utf-8"))
        expected = {row["edition"]: row["content_fingerprint"] for row in manifest["editions"]}
        editions = doc["editions"]
        if doc.get("format") != FORMAT or doc.get("version") != version:
            raise ValueError("format or version does not match")
        for name, record in editions.items():
            fingerprint = record["content_fingerprint"]
            if expected.get(name) != fingerprint or derived_view(record) != record:
                raise ValueError(f"edition '{name}'")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise RecordError(f"{display}: damaged or edited by hand ({_short(exc)}): its content "
                          "does not match the fingerprints in manifest.json; restore it from "
                          "version control") from None
    return doc


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 80 else text[:77] + "..."
