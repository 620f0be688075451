"""Crossref's REST API as a second source of notices: ``GET {base}/works/{doi}`` and its
``message.updated-by`` list (``type``, ``label``, ``DOI``, ``updated.date-parts``, ``source``).

Asked only by ``refs --check-retractions --online``, never by ``build`` or ``check``: a build
must not depend on the network. Answers (a work's notices, or "not in Crossref") are cached as
JSON data under the user's cache folder for :data:`CACHE_SECONDS`; a cache file is validated
field by field when read and ignored when it is anything else (see docs/caches.md).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..fingerprint import json_digest
from .notices import Notice
from .refcache import cache_dir

DEFAULT_BASE = "https://api.crossref.org"
DEFAULT_TIMEOUT = 10.0
CACHE_SECONDS = 7 * 24 * 3600  # notices appear over time: a week-old answer is asked again
FORMAT = 1
MAX_ANSWER = 5_000_000  # bytes; a work's record is a few KB, with its reference list ~100 KB
_MAX_TEXT = 500  # characters kept of any field of a notice
_NATURES = {"retraction": "Retraction", "correction": "Correction",
            "expression_of_concern": "Expression of concern", "withdrawal": "Withdrawal",
            "removal": "Removal", "partial_retraction": "Partial retraction",
            "reinstatement": "Reinstatement", "erratum": "Erratum",
            "corrigendum": "Corrigendum", "addendum": "Addendum"}


@dataclass
class Answers:
    """Per DOI (normalised): its notices, or None when Crossref does not know the work;
    ``failed`` holds the DOIs that got no usable answer, with the reason."""

    notices: dict[str, list[Notice] | None] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def check_base(base: str) -> str | None:
    """Why ``base`` cannot be Crossref's API address, or None."""
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'{base}' is not an http(s) address like {DEFAULT_BASE}"
    return None


def ask_crossref(dois: Iterable[str], base: str = DEFAULT_BASE,
                 timeout: float = DEFAULT_TIMEOUT, *, mailto: str | None = None,
                 now: float | None = None) -> Answers:
    """Crossref's notices for each DOI, from the cache when fresh, else from ``base``."""
    base = base.rstrip("/")
    now = time.time() if now is None else now
    folder = cache_dir()
    answers = Answers()
    for doi in dict.fromkeys(dois):
        path = folder / "crossref" / f"{json_digest([FORMAT, base, doi])}.json" if folder \
            else None
        cached = _read_cache(path, base, doi, now) if path else _MISSING
        if cached is not _MISSING:
            answers.notices[doi] = cached
            continue
        try:
            found = _fetch(base, doi, timeout, mailto)
        except _Failed as exc:
            answers.failed[doi] = str(exc)
            continue
        answers.notices[doi] = found
        if path:
            _write_cache(path, base, doi, now, found)
    return answers


class _Failed(Exception):
    """Raised by :func:`_fetch` when no usable answer came; the message says why."""


_MISSING: Any = object()


def _fetch(base: str, doi: str, timeout: float, mailto: str | None) -> list[Notice] | None:
    url = f"{base}/works/{urllib.parse.quote(doi, safe='/')}"
    agent = f"kratom-report/{__version__}" + (f" (mailto:{mailto})" if mailto else "")
    request = urllib.request.Request(url, headers={"User-Agent": agent,
                                                   "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise _Failed(f"Crossref answered HTTP {exc.code}; try again later") from None
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
            raise _Failed(f"no answer from {base} within {timeout:g} s; try again later or "
                          "raise --timeout") from None
        raise _Failed(f"cannot reach {base} ({reason}); check the address and the "
                      "network") from None
    if len(body) > MAX_ANSWER:
        raise _Failed(f"the answer is over {MAX_ANSWER // 1_000_000} MB; not a work record")
    try:
        message = json.loads(body.decode("utf-8"))["message"]
        return notices_of(message)
    except (ValueError, KeyError, TypeError):
        raise _Failed("the answer is not a Crossref work record (JSON with a 'message' "
                      "object)") from None


def notices_of(message: Any) -> list[Notice]:
    """The notices in a work record's ``updated-by`` list; other entries are skipped."""
    if not isinstance(message, dict):
        raise TypeError("message is not an object")
    out = []
    for item in message.get("updated-by") or []:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            continue
        kind = item["type"][:_MAX_TEXT]
        label = item.get("label")
        nature = _NATURES.get(kind) or (label[:_MAX_TEXT] if isinstance(label, str) and label
                                        else kind.replace("_", " ").capitalize())
        doi = item.get("DOI")
        out.append(Notice(nature, _date((item.get("updated") or {}).get("date-parts")),
                          doi.lower()[:_MAX_TEXT] if isinstance(doi, str) else "",
                          "Crossref"))
    return out


def _date(parts: Any) -> str:
    """``[[2023, 1, 31]]`` → ``2023-01-31`` (a year or year-month as far as given)."""
    try:
        first = [int(p) for p in parts[0][:3]]
    except (TypeError, ValueError, IndexError, KeyError):
        return ""
    if not first:
        return ""
    return "-".join([f"{first[0]:04d}", *(f"{p:02d}" for p in first[1:])])


def _read_cache(path: Path, base: str, doi: str, now: float) -> Any:
    """The cached answer when the file is ours, fresh and well formed; else _MISSING."""
    try:
        if path.is_symlink() or path.stat().st_size > MAX_ANSWER:
            return _MISSING
        data = json.loads(path.read_bytes().decode("utf-8"))
        if not (isinstance(data, dict) and data.get("format") == FORMAT
                and data.get("base") == base and data.get("doi") == doi
                and isinstance(data.get("fetched"), int | float)
                and 0 <= now - data["fetched"] < CACHE_SECONDS):
            return _MISSING
        if data.get("found") is False:
            return None
        rows = data["notices"]
        if not isinstance(rows, list) or not all(
                isinstance(r, dict) and set(r) == {"nature", "date", "doi"}
                and all(isinstance(v, str) and len(v) <= _MAX_TEXT for v in r.values())
                for r in rows):
            return _MISSING
        return [Notice(r["nature"], r["date"], r["doi"], "Crossref") for r in rows]
    except (OSError, ValueError, KeyError):
        return _MISSING


def _write_cache(path: Path, base: str, doi: str, now: float,
                 found: list[Notice] | None) -> None:
    """Atomically, owner-only; a cache that cannot be written is simply not kept."""
    from ..atomic import write_all
    from ..errors import OutputError

    body = {"format": FORMAT, "base": base, "doi": doi, "fetched": int(now),
            "found": found is not None,
            "notices": [{"nature": n.nature, "date": n.date, "doi": n.doi}
                        for n in found or []]}
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_all([(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))],
                  durable=False, mode=0o600)
    except (OSError, OutputError):
        return
