"""When the tool trusts what it finds in its on-disk cache: the one rule, for every cache.

A cache folder can be shared (a CI cache restored from another branch's run, a home folder
others can write to), so nothing read from it is used unless the tool can authenticate it:

- the folder (``$XDG_CACHE_HOME/kratom-report``) must be a real folder, not a symbolic link,
  owned by the user and writable by nobody else; otherwise it is not used at all (one warning
  on stderr) and the run goes on uncached;
- every entry carries an HMAC-SHA256 made with a per-user secret key; an entry whose MAC does
  not check out is ignored (and rewritten by the run that formats it again). The key is kept
  **outside** the cache folder, in ``$XDG_STATE_HOME/kratom-report/cache-key`` (default
  ``~/.local/state``), 0600, in a folder held to the same rules: a cache restored from
  elsewhere brings its entries but never the key that would make them pass.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import stat
import sys
from pathlib import Path

DISABLE_ENV = "KRATOM_REPORT_NO_CACHE"
KEY_BYTES = 32


def _xdg(variable: str, default: str) -> Path:
    base = os.environ.get(variable, "").strip()
    return Path(base) if base and Path(base).is_absolute() else Path.home() / default


def cache_folder() -> Path:
    """Where the caches live, trusted or not (see :func:`trusted_cache_folder`)."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "kratom-report"


def key_path() -> Path:
    return _xdg("XDG_STATE_HOME", ".local/state") / "kratom-report" / "cache-key"


def cache_disabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip() not in ("", "0")


def trusted_cache_folder() -> Path | None:
    """The cache folder, made (0700) if missing, or None when caching is off or the folder
    cannot be trusted (a link, another owner, writable by group or others)."""
    if cache_disabled():
        return None
    folder = cache_folder()
    return folder if _private_folder(folder) else None


def _private_folder(folder: Path) -> bool:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return False  # no writable place: run uncached, as before
    reason = untrusted_reason(folder)
    if reason is not None:
        warn_untrusted(str(folder), reason)
        return False
    return True


def untrusted_reason(path: Path, *, regular: bool = False) -> str | None:
    """Why ``path`` cannot hold trusted cache data (None: it can)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not (stat.S_ISREG(info.st_mode) if regular else stat.S_ISDIR(info.st_mode)):
        return "is not a regular file" if regular else "is not a folder"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return "is owned by another user"
    if info.st_mode & (0o077 if regular else 0o022):
        return "can be read or written by others" if regular else \
            "can be written by group or others"
    return None


@functools.cache  # once per folder and reason in a process: one line, not one per file
def warn_untrusted(where: str, reason: str) -> None:
    print(f"warning: cache {where} {reason}; not using it (the run goes on without a cache; "
          "fix its permissions or remove it)", file=sys.stderr)


def cache_key() -> bytes | None:
    """The per-user secret key, made on first use; None when it cannot be kept safely."""
    path = key_path()
    if not _private_folder(path.parent):
        return None
    if not os.path.lexists(path):
        from ..atomic import write_all
        from ..errors import OutputError

        with contextlib.suppress(OutputError, OSError):  # exclusive: two first runs keep one
            write_all([(path, secrets.token_bytes(KEY_BYTES))], mode=0o600, exclusive=True)
    reason = untrusted_reason(path, regular=True)
    if reason is not None:
        warn_untrusted(str(path), reason)
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        key = os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return key if len(key) == KEY_BYTES else None
