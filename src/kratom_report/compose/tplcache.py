"""Compiled templates kept between runs: compiling is most of what a release site costs.

Jinja's own file cache unpickles a checksum and lets a truncated or foreign file raise, so a
damaged cache could stop a build. This one stores ``prefix + marshal(code)``, where the prefix
names the cache format, Jinja's bytecode magic and the SHA-1 Jinja takes of the template source:
a file whose prefix does not match, or whose code does not load, is ignored and rewritten. The
folder is per tool and Python version (``$XDG_CACHE_HOME/kratom-report/templates/…``, off with
``KRATOM_REPORT_NO_CACHE=1``), and is the user's own, like Python's ``__pycache__``.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

from jinja2.bccache import Bucket, BytecodeCache, bc_magic

from .. import __version__
from ..atomic import write_all
from ..errors import OutputError
from ..fingerprint import digest
from ..references.refcache import cache_dir

_FORMAT = b"kratom-report-template-1\n"
_MAX_BYTES = 8_000_000


class TemplateCache(BytecodeCache):
    """One file per template name; stale or damaged files are ignored, never trusted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, bucket: Bucket) -> Path:
        return self.folder / f"{digest(bucket.key)}.cache"

    @staticmethod
    def _prefix(bucket: Bucket) -> bytes:
        return _FORMAT + bc_magic + str(bucket.checksum).encode("ascii") + b"\n"

    def load_bytecode(self, bucket: Bucket) -> None:
        path, prefix = self._path(bucket), self._prefix(bucket)
        try:
            if path.is_symlink() or path.stat().st_size > _MAX_BYTES:
                return
            data = path.read_bytes()
        except OSError:
            return
        if not data.startswith(prefix):
            return
        try:
            code = marshal.loads(data[len(prefix):])
        except (EOFError, ValueError, TypeError):
            return
        if type(code).__name__ == "code":
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        data = self._prefix(bucket) + marshal.dumps(bucket.code)
        with contextlib.suppress(OutputError):  # a cache that cannot be written is not kept
            write_all([(self._path(bucket), data)], durable=False, mode=0o600)


def template_cache() -> Any:
    """The cache for this tool and Python version, or None when it is off or not writable."""
    base = cache_dir()
    if base is None:
        return None
    folder = base / "templates" / f"{__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None  # no writable cache: compile every run, as before
    if folder.is_symlink() or not os.access(folder, os.W_OK):
        return None
    return TemplateCache(folder)
