"""The parsed-source cache: a YAML file parsed clean before is read back instead of parsed.

A ``check`` on every save parses every report file again although one changed; here a clean
parse is kept as JSON data (never pickle, never code) in the trusted cache folder
(:mod:`..cachetrust`: a private folder, every entry authenticated with the per-user key), under
the SHA-256 of the text itself, the tool version, the PyYAML version and loader and the
loader's source. So a stale entry cannot be found, and a planted or edited one does not check
out. Only clean parses are stored: every problem, and its file:line:column, comes from a real
parse. ``KRATOM_REPORT_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import yaml

from .. import __version__
from ..cachetrust import read_entry, write_entry
from ..fingerprint import canonical_json, digest
from . import loader
from .loader import YamlDoc, read_text


def load_cached(path: Path, display: str, *, max_bytes: int = 5_000_000,
                docs: ParsedDocs | None = None) -> YamlDoc:
    """:func:`.loader.load_yaml` through the cache (and ``docs``, see :func:`parse_cached`)."""
    return parse_cached(read_text(path, display, max_bytes), path, display, docs)


def parse_cached(text: str, path: Path, display: str, docs: ParsedDocs | None = None
                 ) -> YamlDoc:
    """:func:`.loader.parse_yaml`, or the same document from the cache when this very text
    was parsed clean before (by this tool version and loader). With ``docs``, the document a
    load before this one kept for the same file and text is used as it is."""
    if docs is not None and (kept := docs.get(path, display, text)) is not None:
        return kept
    key = _entry_key(text)
    doc = _from_payload(read_entry(PARSED, key), path, display, text)
    if doc is None:
        doc = loader.parse_yaml(text, path, display)  # looked up here: benchmarks count it
        payload = _payload(doc)
        if payload is not None:
            write_entry(PARSED, key, payload)
    if docs is not None:
        docs.keep(path, display, text, doc)
    return doc


class ParsedDocs:
    """Clean parses kept in memory by a session that loads the same report again and again
    (the preview), owned by that session and handed to each load.

    A save changes one file of twenty; reading the others back from the cache on disk costs
    more than keeping them (JSON decoding, rebuilding the position tables). A document is
    found only by its file's path, shown name and whole text, so an edited file is parsed (or
    read from the disk cache) again. Only clean parses are kept: a file with an error raises
    before it could be, so its messages always come from a real parse. :meth:`new_load`
    (called by ``load_project``) drops every document the load before did not use, so the
    documents of files that changed or vanished do not pile up.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[str, YamlDoc]] = {}
        self._used: dict[tuple[str, str], tuple[str, YamlDoc]] = {}

    def new_load(self) -> None:
        self._last, self._used = self._used, {}

    def get(self, path: Path, display: str, text: str) -> YamlDoc | None:
        where = (str(path), display)
        found = self._used.get(where) or self._last.get(where)
        if found is None or found[0] != text:
            return None
        self._used[where] = found
        return found[1]

    def keep(self, path: Path, display: str, text: str, doc: YamlDoc) -> None:
        self._used[(str(path), display)] = (text, doc)

    def __len__(self) -> int:
        """Documents held: those of the last load and of this one so far, each file once."""
        return len(self._last.keys() | self._used.keys())


PARSED = "parsed-yaml"  # the cache's kind: its folder in the cache folder


@functools.cache
def _context() -> str:
    return digest(canonical_json(["parsed-yaml-1", __version__, yaml.__version__,
                                  loader.LOADER_NAME, digest(Path(loader.__file__).read_bytes()),
                                  digest(Path(__file__).read_bytes())]))


def _entry_key(text: str) -> str:
    return digest(_context().encode() + b"\0" + text.encode("utf-8", "surrogatepass"))


def _payload(doc: YamlDoc) -> str | None:
    """The document as JSON text, or None for a value JSON cannot carry exactly."""
    try:
        return json.dumps({"data": _encode(doc.data),
                           "values": [[list(k), *v] for k, v in doc.values.items()],
                           "keys": [[list(k), *v] for k, v in doc.keys.items()],
                           "raw": [[list(k), v] for k, v in doc.raw.items()]},
                          allow_nan=False)  # ASCII: a lone surrogate cannot break the MAC
    except (TypeError, ValueError, RecursionError):
        return None


def _from_payload(payload: str | None, path: Path, display: str, text: str) -> YamlDoc | None:
    if payload is None:
        return None
    try:
        stored = json.loads(payload)
        return YamlDoc(path=path, display=display, data=_decode(stored["data"]),
                       values={tuple(k): (line, col) for k, line, col in stored["values"]},
                       keys={tuple(k): (line, col) for k, line, col in stored["keys"]},
                       raw={tuple(k): v for k, v in stored["raw"]}, lines=text.split("\n"))
    except (ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None


def _encode(value: Any) -> Any:
    """Plain JSON for text, integers, booleans and null; a list tagged by its first item for
    everything else, so a stored list can never be mistaken for a value of another kind."""
    if value is None or isinstance(value, str | int):  # bool is an int
        return value
    if isinstance(value, float):
        return ["f", repr(value)]
    if isinstance(value, dt.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    if isinstance(value, list):
        return ["l", *(_encode(v) for v in value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return ["m", *(x for k, v in value.items() for x in (k, _encode(v)))]
    raise TypeError(type(value).__name__)


def _decode(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    tag, rest = value[0], value[1:]
    if tag == "l":
        return [_decode(v) for v in rest]
    if tag == "m":
        return {rest[i]: _decode(rest[i + 1]) for i in range(0, len(rest), 2)}
    if tag == "f":
        return float(rest[0])
    if tag == "t":
        return dt.datetime.fromisoformat(rest[0])
    if tag == "d":
        return dt.date.fromisoformat(rest[0])
    raise ValueError(f"unknown tag {tag!r}")
