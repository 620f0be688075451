"""Safe YAML reading that keeps a file:line:column for every key and value.

PyYAML's own constructors lose positions, silently keep the last of two duplicate keys and expand
aliases. We compose the node graph ourselves and build plain Python values from it, so every later
stage can point an author at the exact place of a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem
from .limits import over_limit
from .yamlerrors import syntax_problem

Loc = tuple[Any, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LOADER_NAME = _Loader.__name__  # part of the parsed-source cache key (parsecache.py)

# Tags a plain data file may carry; anything else (!!python/object, custom tags) is refused.
_SAFE_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


@dataclass
class YamlDoc:
    """A loaded YAML file: its data plus where each value and key stands in the file."""

    path: Path
    display: str
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    raw: dict[Loc, str] = field(default_factory=dict)  # source text of non-string scalars
    lines: list[str] = field(default_factory=list)
    written: dict[Loc, str] | None = None  # text fields as written, filled by schema.as_written

    def find(self, loc: Loc, needle: str, occurrence: int = 0) -> tuple[int | None, int | None]:
        """Position of ``needle`` inside the value at ``loc`` (e.g. a citation in Markdown);
        ``occurrence`` earlier matches are skipped."""
        line, col = self.at(loc)
        if line is None:
            return line, col
        for i in range(line - 1, len(self.lines)):
            hit = self.lines[i].find(needle, col - 1 if i == line - 1 else 0)
            while hit >= 0:
                if occurrence == 0:
                    return i + 1, hit + 1
                occurrence -= 1
                hit = self.lines[i].find(needle, hit + len(needle))
        return line, col

    def at(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Best position for ``loc``: the exact node, else its nearest located parent."""
        table = self.keys if key else self.values
        probe = tuple(loc)
        while True:
            if probe in table:
                return table[probe]
            if not key and probe in self.keys:
                return self.keys[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def problem(self, loc: Loc, message: str, *, key: bool = False, severity="error") -> Problem:
        line, col = self.at(loc, key=key)
        return Problem(self.display, line, col, message, severity)


class YamlLoadError(Exception):
    """Raised by :func:`load_yaml` when the file cannot become data; carries located problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def read_text(path: Path, display: str, max_bytes: int) -> str:
    """Read a source file as UTF-8, refusing huge or undecodable files with a located message."""
    try:
        too_big = over_limit(path.stat().st_size, max_bytes)
        if too_big:
            raise YamlLoadError([Problem(display, None, None, f"file {too_big}")])
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlLoadError([Problem(display, None, None, exc.strerror or str(exc))]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlLoadError([Problem(display, line, col, (
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"))]) from None
    return text.removeprefix("\ufeff")


def load_yaml(path: Path, display: str, *, max_bytes: int = 5_000_000) -> YamlDoc:
    """Load one YAML file into plain data with positions, or raise YamlLoadError."""
    text = read_text(path, display, max_bytes)
    return parse_yaml(text, path, display)


def parse_yaml(text: str, path: Path, display: str) -> YamlDoc:
    """Parse YAML text; aliases, unsafe tags and duplicate keys are errors, never surprises."""
    if not text.strip():
        raise YamlLoadError([Problem(display, None, None, "file is empty")])
    try:
        # Aliases are refused before anything is built: a "billion laughs" file stays cheap.
        # An alias is written "*name": text without a "*" has none, and skips this pass.
        for event in yaml.parse(text, Loader=_Loader) if "*" in text else ():
            if isinstance(event, yaml.AliasEvent):
                line, col = (m.line + 1, m.column + 1) if (m := event.start_mark) else (None, None)
                raise YamlLoadError([Problem(display, line, col, (
                    f"YAML alias '*{event.anchor}' is not allowed; write the value out in full"))])
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        raise YamlLoadError([syntax_problem(text, exc, display)]) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError([Problem(display, None, None, f"YAML error: {exc}")]) from None
    if len(nodes) != 1:
        raise YamlLoadError([Problem(display, None, None,
                                     "file holds several YAML documents; keep one per file")])
    doc = YamlDoc(path=path, display=display, data=None, lines=text.split("\n"))
    problems: list[Problem] = []
    constructor = yaml.constructor.SafeConstructor()
    doc.data = _build(nodes[0], (), doc, problems, constructor)
    if problems:
        raise YamlLoadError(problems)
    return doc


def _build(node: yaml.Node, loc: Loc, doc: YamlDoc, problems: list[Problem],
           constructor: yaml.constructor.SafeConstructor) -> Any:
    doc.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP_TAG:
            problems.append(_tag_problem(node, doc))
            return None
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(Problem(doc.display, key_node.start_mark.line + 1,
                                        key_node.start_mark.column + 1,
                                        "YAML merge key '<<' is not allowed; write keys out"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(doc.display, key_node.start_mark.line + 1,
                                        key_node.start_mark.column + 1,
                                        "mapping keys must be plain text"))
                continue
            key = key_node.value
            kpos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in out:
                first = doc.keys[loc + (key,)]
                problems.append(Problem(doc.display, *kpos, (
                    f"duplicate key '{key}' (first defined at line {first[0]})")))
                continue
            doc.keys[loc + (key,)] = kpos
            out[key] = _build(value_node, loc + (key,), doc, problems, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ_TAG:
            problems.append(_tag_problem(node, doc))
            return None
        return [_build(item, loc + (i,), doc, problems, constructor)
                for i, item in enumerate(node.value)]
    if node.tag not in _SAFE_SCALAR_TAGS:
        problems.append(_tag_problem(node, doc))
        return None
    if node.tag != "tag:yaml.org,2002:str":
        doc.raw[loc] = node.value
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        kind = node.tag.rsplit(":", 1)[-1].replace("timestamp", "date")
        problems.append(Problem(doc.display, node.start_mark.line + 1, node.start_mark.column + 1,
                                f"invalid {kind} '{node.value}': {exc}"))
        return None


def _tag_problem(node: yaml.Node, doc: YamlDoc) -> Problem:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return Problem(doc.display, node.start_mark.line + 1, node.start_mark.column + 1,
                   f"YAML tag '{tag}' is not allowed in report files")


@dataclass
class Located:
    """A validated model together with the document and place it came from."""

    model: Any
    doc: YamlDoc
    loc: Loc = ()

