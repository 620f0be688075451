"""report.yaml read quickly, before loading: the guesses a fingerprint or worker count needs.

The quick reader parses with libyaml and judges nothing but the keys it is asked for, yet it
takes every limit and default from :mod:`.limits`, the same place the model (``models.py``)
takes them from, so a value the loader refuses is never used here either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .limits import DEFAULT_MAX_FILE_MB, DEFAULT_REFERENCES, limit_bytes
from .locate import REPORT_FILE
from .paths import is_inside

_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def quick_report_yaml(root: Path) -> dict:
    """report.yaml read quickly and leniently: for guesses only, loading checks it properly."""
    try:
        return quick_yaml((root / REPORT_FILE).read_bytes())
    except OSError:
        return {}


def quick_yaml(text: bytes) -> dict:
    """The text of a report.yaml read as :func:`quick_report_yaml` reads the file."""
    try:
        data = yaml.load(text, Loader=_FastLoader)
    except Exception:  # noqa: BLE001 - a guess only; loading reports the real problem
        return {}
    return data if isinstance(data, dict) else {}


def reference_names(report: dict) -> list[str]:
    """The reference files a report.yaml (read quickly) lists, relative to report/; the
    model's default when it lists none."""
    names = report.get("references", list(DEFAULT_REFERENCES))
    if not isinstance(names, list):
        names = list(DEFAULT_REFERENCES)
    return [n for n in names if isinstance(n, str)]


def quick_limit(root: Path) -> int:
    """The file size limit in bytes report.yaml sets; the default when unset or invalid."""
    return limit_bytes(quick_report_yaml(root).get("max_file_mb", DEFAULT_MAX_FILE_MB))


def quick_reference_files(root: Path) -> list[Path]:
    """The reference files report.yaml lists (the model's default when it lists none)."""
    return [root / "report" / n for n in reference_names(quick_report_yaml(root))]


def named_outside(root: Path) -> list[Path]:
    """Files that report.yaml's values name (relative to report/) outside ``report/`` but
    inside the report folder: reference files, a CSL style, the retractions CSV. A guess from
    every string in it (files under report/ are hashed already), so a new key that names a
    file is covered too; what hashes the inputs (build, preview, check) reads these."""
    found = []
    for value in _strings(quick_report_yaml(root)):
        if len(value) > 1000 or "\0" in value:
            continue
        try:
            path = root / "report" / value
            if path.is_file() and is_inside(root, path) and not is_inside(root / "report", path):
                found.append(path)
        except (OSError, ValueError):
            continue
    return sorted(set(found))


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
