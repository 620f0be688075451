"""An on-disk cache of formatted bibliography entries, so ``check`` and ``build`` skip the CSL
processor (its import and about a millisecond per entry) when the references did not change.

Why it cannot change the output: an entry is stored under the SHA-256 of its CSL data, and the
file holding it is named by a context hash of everything else that shapes the text — the style
file's bytes, the citeproc-py version, the tool version and the source of our own
post-processing modules (so editing the formatting code invalidates it without a version bump).
It is used only for styles whose entries are formatted independently of each other: a style
that still prints the citation number, substitutes a repeated author or adds year suffixes
depends on the other entries, and is formatted every run.

Where: ``$XDG_CACHE_HOME/kratom-report`` (default ``~/.cache/kratom-report``), never the report
folder (``check`` writes nothing there, and ``build`` fingerprints it). Set
``KRATOM_REPORT_NO_CACHE=1`` to turn it off. Writes go through the one atomic writer
(``atomic.write_all``); a file that is unreadable, of another shape or another context is
ignored and replaced on the next write.

Why a planted entry is never printed: the folder and every entry are held to
:mod:`..cachetrust` (a private folder; an HMAC with a per-user key kept outside the cache on
each entry). An entry without a valid MAC is ignored and formatted again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import __version__
from ..cachetrust import DISABLE_ENV as DISABLE_ENV  # re-exported: the switch's one name
from ..cachetrust import cache_disabled as cache_disabled
from ..cachetrust import cache_key, trusted_cache_folder
from ..fingerprint import Hasher, json_digest, mac, mac_ok

FORMAT = 3  # 2: each entry is [fragment, HMAC]; 3: per-style title case, "et al.." and quotes
MAX_ENTRIES = 4096  # older entries (edited references) are dropped beyond this
MAX_FILE_BYTES = 32_000_000  # a larger file is not ours: ignored
_BIBLIOGRAPHY = re.compile(rb"<bibliography\b.*?</bibliography\s*>", re.S)
_MACRO = re.compile(rb"<macro\b.*?</macro\s*>", re.S)
_NUMBER_TEXT = re.compile(rb"""<text\s[^<>]*?\bvariable\s*=\s*(["'])citation-number\1[^<>]*/>""")
_YEAR_SUFFIX = re.compile(rb"""disambiguate-add-year-suffix\s*=\s*(["'])true\1""")
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Every tag an entry can hold: citeproc-py's HTML formatter's, the rich-text tags we pass
# through, and our DOI/URL links. Anything else means the file is not ours.
_TAG = re.compile(r"<[^<>]*>")
_ALLOWED_TAG = re.compile(r'</?(?:i|b|l|u|sup|sub|a|span)>|<span class="nocase">'
                          r'|<span style="font-variant:small-caps;">|<a href="https?://[^"<>\s]+">')
# The modules whose code shapes an entry's text after citeproc-py.
_FORMATTERS = ("bibliography.py", "titlecase.py", "csldata.py")


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off or its folder is not to be trusted."""
    return trusted_cache_folder()


def entries_independent(style_bytes: bytes) -> bool:
    """Whether citeproc-py formats each entry of this style without looking at the others.

    The bibliography's own ``<text variable="citation-number">`` is removed before formatting
    (the template prints the number), so only a citation number elsewhere (a macro, a
    condition), ``subsequent-author-substitute`` or year-suffix disambiguation make one
    entry's text depend on its neighbours.

    Read from the bytes with patterns rather than an XML parser (its import is ~10 ms of a run
    with a warm cache); every doubt (a comment, another quoting, a
    prefix) leaves "citation-number" in view and answers False, which only costs speed.
    """
    bibliography = _BIBLIOGRAPHY.findall(style_bytes)
    if len(bibliography) != 1 or b"subsequent-author-substitute" in style_bytes or \
            _YEAR_SUFFIX.search(style_bytes):
        return False
    scopes = [_NUMBER_TEXT.sub(b"", bibliography[0]), *_MACRO.findall(style_bytes)]
    return not any(b"citation-number" in scope for scope in scopes)


def context_key(style_bytes: bytes, citeproc_version: str) -> str:
    """Everything except the entry's data that shapes its formatted text, as one hash."""
    h = Hasher(json.dumps([FORMAT, __version__, citeproc_version]).encode())
    h.add(b"\0style\0" + style_bytes)
    here = Path(__file__).parent
    for name in _FORMATTERS:
        h.add(b"\0" + name.encode() + b"\0" + (here / name).read_bytes())
    return h.hexdigest()


def item_key(item: Mapping[str, Any]) -> str:
    """The SHA-256 of one reference's data, independent of key order."""
    return json_digest(item)


class EntryCache:
    """The stored entries of one context; ``load`` never raises, ``save`` never fails a run."""

    def __init__(self, folder: Path, context: str, key: bytes) -> None:
        self.path = folder / f"references-{context[:32]}.json"
        self.context = context
        self.key = key
        self.entries: dict[str, str] = {}
        self.dirty = False

    @classmethod
    def open(cls, context: str) -> EntryCache | None:
        folder = cache_dir()
        key = cache_key() if folder is not None else None
        if folder is None or key is None:
            return None
        cache = cls(folder, context, key)
        cache.entries = cache._read()
        return cache

    def _read(self) -> dict[str, str]:
        """The stored entries whose MAC checks out; {} for a missing, corrupt or foreign file."""
        try:
            if self.path.is_symlink() or self.path.stat().st_size > MAX_FILE_BYTES:
                return {}
            data = json.loads(self.path.read_bytes().decode("utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or \
                data.get("context") != self.context or not isinstance(data.get("entries"), dict):
            return {}
        kept = {}
        for k, v in data["entries"].items():
            if isinstance(k, str) and _HEX64.fullmatch(k) and isinstance(v, list) and \
                    len(v) == 2 and isinstance(v[0], str) and \
                    mac_ok(self.key, v[1], self.context, k, v[0]) and plausible(v[0]):
                kept[k] = v[0]
            else:
                self.dirty = True  # rewritten without it at the next save
        return kept

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def put(self, key: str, fragment: str) -> None:
        self.entries.pop(key, None)  # re-inserted last: most recently used survive pruning
        self.entries[key] = fragment
        self.dirty = True

    def save(self) -> None:
        """Write atomically; a cache that cannot be written is simply not kept."""
        if not self.dirty:
            return
        entries = {k: [v, mac(self.key, self.context, k, v)]
                   for k, v in list(self.entries.items())[-MAX_ENTRIES:]}
        body = {"format": FORMAT, "context": self.context, "entries": entries}
        from ..atomic import write_all  # only when writing: a warm run never needs it
        from ..errors import OutputError

        try:
            write_all([(self.path, json.dumps(body, ensure_ascii=False).encode("utf-8"))],
                      durable=False, mode=0o600)
        except (OSError, OutputError):
            return
        self.dirty = False


def plausible(fragment: str) -> bool:
    """Whether a stored entry holds only the markup formatting can produce (no script, no
    other element, no attribute of ours missing), so a planted file cannot add markup."""
    tags = _TAG.findall(fragment)
    return fragment.count("<") == len(tags) and fragment.count(">") == len(tags) and \
        all(_ALLOWED_TAG.fullmatch(tag) for tag in tags)
