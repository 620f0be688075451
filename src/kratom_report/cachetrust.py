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

Below the two rules, the one store for small caches (:func:`read_entry`, :func:`write_entry`):
one file per entry, in a folder per kind held to the same rules.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
import stat
import sys
from pathlib import Path

from .fingerprint import mac, mac_ok

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
        from .atomic import write_all
        from .errors import OutputError

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


# ------------------------------------------------------------------------------ entry files
# Small caches (a parsed source file, "this record checks out", "this summary fits") keep one
# file per entry, ``<cache folder>/<kind>/<entry key>.json``, so a run reads only the entries it
# asks for and needs no cache object carried through the code. Each file holds its payload (a
# string) and the MAC of (kind, entry key, payload): a file copied under another name, from
# another kind or user, or edited, does not check out and is ignored.

ENTRY_FORMAT = 1
MAX_ENTRY_BYTES = 16_000_000  # a larger file is not ours: ignored, and never written
MAX_ENTRIES = 512  # per kind; the least recently written are removed beyond this


def read_entry(kind: str, key: str) -> str | None:
    """The payload stored under ``key``, or None: caching off, folder or key not trusted,
    missing, a link, too large, not ours or its MAC does not check out."""
    found = _entry_place(kind, key)
    if found is None:
        return None
    path, secret = found
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return None
        chunks, size = [], 0
        while size <= info.st_size and (chunk := os.read(fd, info.st_size + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        entry = json.loads(b"".join(chunks).decode("utf-8"))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    if not isinstance(entry, dict) or entry.get("format") != ENTRY_FORMAT:
        return None
    payload = entry.get("payload")
    if not isinstance(payload, str) or not mac_ok(secret, entry.get("mac"), kind, key, payload):
        return None
    return payload


def write_entry(kind: str, key: str, payload: str) -> None:
    """Store ``payload`` under ``key`` atomically; a cache that cannot be written is not kept."""
    found = _entry_place(kind, key)
    if found is None:
        return
    try:
        data = json.dumps({"format": ENTRY_FORMAT, "payload": payload,
                           "mac": mac(found[1], kind, key, payload)}).encode("utf-8")
    except UnicodeError:
        return
    if len(data) > MAX_ENTRY_BYTES:
        return
    from .atomic import write_all
    from .errors import OutputError

    with contextlib.suppress(OSError, OutputError):
        write_all([(found[0], data)], durable=False, mode=0o600)
        _prune(found[0].parent)


def _entry_place(kind: str, key: str) -> tuple[Path, bytes] | None:
    """Where the entry lives and the key that authenticates it; None when not to be used."""
    if not (_NAME.fullmatch(kind) and _NAME.fullmatch(key)):
        return None
    folder = trusted_cache_folder()
    secret = cache_key() if folder is not None else None
    if folder is None or secret is None or not _private_folder(folder / kind):
        return None
    return folder / kind / f"{key}.json", secret


def _prune(folder: Path) -> None:
    """Remove the oldest entries beyond :data:`MAX_ENTRIES` (by modification time)."""
    entries = list(folder.glob("*.json"))
    if len(entries) <= MAX_ENTRIES:
        return
    dated = []
    for path in entries:
        with contextlib.suppress(OSError):
            dated.append((path.lstat().st_mtime, path))
    for _, path in sorted(dated)[: len(dated) - MAX_ENTRIES]:
        with contextlib.suppress(OSError):
            path.unlink()


_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
