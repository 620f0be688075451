"""Every hash the tool keeps: content fingerprints, cache keys, build and request records.

A cache is trusted only when its key covers every input that can change what it holds, so
all keys are made here, the same way: canonical JSON (sorted keys, no whitespace, UTF-8) for
data, SHA-256 for bytes, and one list of the tools whose versions shape the output. A rule
changed here reaches every cache and record at once (``docs/caches.md`` lists them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

# Libraries whose version can change a built file's bytes: a new one invalidates the records.
TOOLS = ("weasyprint", "pydyf", "pikepdf", "fonttools", "citeproc-py", "markdown-it-py")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace: the same data always hashes the same."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def json_bytes(value: object) -> bytes:
    """A record as people read it (indented, sorted keys), ending with a newline."""
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def digest(data: bytes | str) -> str:
    """SHA-256 of bytes (text is hashed as UTF-8), as 64 hex digits."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def json_digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``: independent of key order."""
    return digest(canonical_json(value))


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return digest(path.read_bytes())


def short_id(value: Any) -> str:
    """Ten hex digits naming ``value`` (SHA-1 of its sorted JSON): reproducible ids in markup,
    never trusted as a cache key."""
    data = json.dumps(value, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha1(data).hexdigest()[:10]  # noqa: S324 - an id, not a security check


class Hasher:
    """An incremental SHA-256 over named parts, so two parts can never run into each other."""

    def __init__(self, start: bytes = b"") -> None:
        self._h = hashlib.sha256(start)

    def add(self, data: bytes) -> Hasher:
        self._h.update(data)
        return self

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def tool_versions(names: Iterable[str] | None = None) -> dict[str, str]:
    """The installed version of each library (default :data:`TOOLS`; "absent" when missing)."""
    return {name: _version(name) for name in (TOOLS if names is None else names)}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def add_templates(h: Hasher, files: Iterable[Path]) -> None:
    """Each template file by name and bytes (``Templates.files()``: shadowed ones left out)."""
    for path in files:
        h.add(path.name.encode() + b"\0" + path.read_bytes())


def add_files(h: Hasher, root: Path, files: Iterable[Path], limit: int) -> None:
    """Each regular file that resolves inside ``root``, by its path under ``root`` and bytes.

    A file over ``limit`` bytes is hashed by size and time (the loader refuses it anyway); a
    link that leads out is skipped, never read (``source/paths.py``).
    """
    from .source.paths import is_inside

    for path in files:
        if not path.is_file() or not is_inside(root, path):
            continue
        stat = path.stat()
        data = path.read_bytes() if stat.st_size <= limit else \
            f"{stat.st_size}:{stat.st_mtime_ns}".encode()
        name = path.relative_to(root) if path.is_relative_to(root) else \
            path.resolve().relative_to(root.resolve())
        h.add(name.as_posix().encode() + b"\0" + data)


def mac(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 of ``parts`` (each length-prefixed, so parts never run into each other):
    what authenticates a cache entry the tool wrote (cachetrust.py)."""
    h = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def mac_ok(key: bytes, tag: object, *parts: str) -> bool:
    """Whether ``tag`` is the :func:`mac` of ``parts``, compared in constant time."""
    return isinstance(tag, str) and hmac.compare_digest(tag, mac(key, *parts))
