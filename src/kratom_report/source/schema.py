"""Turn pydantic validation errors into located, author-friendly problems.

pydantic reports *where in the data* a value failed (its ``loc``); the loader kept *where in the
file* each value stands. This module joins the two and rewrites pydantic's wording into messages
that tell an author what to type instead.
"""

from __future__ import annotations

import copy
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import Problem, did_you_mean  # noqa: F401 - re-exported
from .loader import Loc, YamlDoc
from .models import CELL_FIELDS, TEXT_FIELDS, TEXT_LIST_FIELDS

M = TypeVar("M", bound=BaseModel)

_FRIENDLY_PATTERNS = {
    "version": 'a version like "1.2.0" (quoted, major.minor.patch, in the digits 0-9)',
    "slug": "lowercase letters, digits and hyphens",
    "id": "lowercase letters, digits and hyphens",
    "accent": 'a hex colour like "#1f5f8b"',
    "text": 'a hex colour like "#1b1f24"',
    "muted": 'a hex colour like "#505a66"',
    "state": "a two-letter code like \"AL\"",
    "date": 'a date like "2016", "2016-08" or "2016-08-31"',
    "language": 'a BCP 47 language tag like "en", "en-GB" or "th"',
}


def validate(model: type[M], doc: YamlDoc, data: Any = None, base: Loc = ()) -> tuple[M | None,
                                                                                     list[Problem]]:
    """Validate ``data`` (default: the whole document) found at ``base`` in ``doc``.

    Text fields get the text as the author wrote it (see :func:`as_written`).
    """
    data = as_written(doc, doc.data if data is None else data, base)
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        # include_input=False: reprs of user data can be huge (see library notes).
        errors = exc.errors(include_input=False, include_url=False)
        return None, _problems(model, doc, data, base, errors)


def as_written(doc: YamlDoc, data: Any, base: Loc = ()) -> Any:
    """``data`` with unquoted text fields put back as written: Yes, 1.10, 2026-01-01 stay so.

    YAML reads ``Yes`` as true and ``1.10`` as 1.1; a title or a table cell should print what
    the author typed. Only values that would print differently are replaced, so numbers that
    read the same (26, 1.5) keep their type.
    """
    if doc.written is None:
        doc.written = _written(doc)
    hits = [(loc[len(base):], text) for loc, text in doc.written.items()
            if loc[: len(base)] == base and len(loc) > len(base)]
    if not hits:
        return data
    data = copy.deepcopy(data)
    for loc, text in hits:
        parent = _value_at(data, loc[:-1])
        if isinstance(parent, dict | list):
            parent[loc[-1]] = text
    return data


def _written(doc: YamlDoc) -> dict[Loc, str]:
    """Every place in ``doc`` where a text field would lose what the author typed."""
    out: dict[Loc, str] = {}
    for loc, raw in doc.raw.items():
        name = next((p for p in reversed(loc) if isinstance(p, str)), None)
        value = _value_at(doc.data, loc)
        if value is None or name is None:
            continue
        if name in TEXT_FIELDS and not isinstance(value, str):
            out[loc] = raw
        elif name in CELL_FIELDS and (isinstance(value, bool) or not isinstance(value, int | float)
                                      or str(value) != raw):
            out[loc] = raw
    return out


def _problems(model: type[BaseModel], doc: YamlDoc, data: Any, base: Loc,
              errors: list[ErrorDetails]) -> list[Problem]:
    resolved = [(_data_loc(data, err["loc"]), err) for err in errors]
    missing = {(loc[:-1], loc[-1]) for loc, err in resolved if err["type"] == "missing"}
    extra_used: set[tuple[Loc, str]] = set()
    out: list[Problem] = []
    split = _comma_splits(doc, data, base, [loc for loc, err in resolved
                                            if err["type"] == "extra_forbidden"])
    out += [p for p, _keys in split.values()]
    split_keys = {k for _p, keys in split.values() for k in keys}
    for loc, err in resolved:
        if err["type"] == "extra_forbidden" and loc not in split_keys:
            parent, key = loc[:-1], str(loc[-1])
            allowed = _allowed_keys(model, data, parent)
            wanted = [m for (p, m) in missing if p == parent]
            hint = did_you_mean(key, wanted) or did_you_mean(key, allowed)
            for name in wanted:
                if hint == f" (did you mean '{name}'?)":
                    extra_used.add((parent, name))
            out.append(doc.problem(base + loc, f"unknown key '{key}'{hint}", key=True))
    for loc, err in resolved:
        kind = err["type"]
        if kind == "extra_forbidden":
            continue
        if kind == "missing":
            parent, key = loc[:-1], str(loc[-1])
            if (parent, key) in extra_used:
                continue
            where = _describe(parent)
            why = f": {_WHY[key]}" if key in _WHY else ""
            out.append(doc.problem(base + parent, f"missing required key '{key}'{where}{why}"))
            continue
        if loc and loc[-1] == "[key]":  # a key of a mapping by name (translations: {th: ...})
            out.append(doc.problem(base + loc[:-1], (
                f"'{loc[-2]}' is not a language tag: write a BCP 47 tag like \"fr\", "
                "\"pt-BR\" or \"th\""), key=True))
            continue
        if kind in {"union_tag_invalid"}:
            loc = loc + ("type",)
        comment = _comment_instead(doc, data, base, loc)
        if comment is not None:
            out.append(comment)
            continue
        raw = doc.raw.get(base + loc)
        out.append(doc.problem(base + loc, _message(model, data, loc, err, raw)))
    return _dedupe(out)


_WHY = {"alt": "describe what the figure shows (screen readers read the alt text in place of "
               "the figure, and PDF/UA requires it)"}


def _comment_instead(doc: YamlDoc, data: Any, base: Loc, loc: Loc) -> Problem | None:
    """``accent: #2e6b3a`` is empty to YAML: the ``#`` starts a comment."""
    if not loc or not isinstance(loc[-1], str) or _value_at(data, loc) is not None:
        return None
    where = doc.keys.get(base + loc)
    if where is None:
        return None
    text = doc.lines[where[0] - 1] if where[0] - 1 < len(doc.lines) else ""
    colon = text.find(":", where[1] - 1)
    hash_at = text.find("#", colon) if colon >= 0 else -1
    if hash_at < 0 or text[colon + 1 : hash_at].strip():
        return None
    written = text[hash_at:].rstrip()
    return Problem(doc.display, where[0], hash_at + 1, (
        f"'{loc[-1]}' is empty because # starts a YAML comment; quote the value: "
        f"{loc[-1]}: \"{written}\""))


def _comma_splits(doc: YamlDoc, data: Any, base: Loc,
                  extras: list[Loc]) -> dict[Loc, tuple[Problem, list[Loc]]]:
    """``{n: 1,180}``: YAML splits at the comma, giving n: 1 and an empty key '180'."""
    out: dict[Loc, tuple[Problem, list[Loc]]] = {}
    for loc in extras:
        parent = _value_at(data, loc[:-1])
        if not isinstance(parent, dict) or parent.get(loc[-1], 0) is not None:
            continue
        keys = list(parent)
        i = keys.index(loc[-1])
        start = i
        while start > 0 and parent[keys[start - 1]] is None and _after_comma(doc, base, loc,
                                                                             keys[start - 1]):
            start -= 1
        if start == 0 or not _after_comma(doc, base, loc, keys[start]):
            continue
        owner = loc[:-1] + (keys[start - 1],)
        value_at = doc.values.get(base + owner)
        key_at = doc.keys.get(base + loc)
        if value_at is None or key_at is None or value_at[0] != key_at[0]:
            continue
        line = doc.lines[key_at[0] - 1]
        joined = line[value_at[1] - 1 : key_at[1] - 1 + len(str(loc[-1]))]
        first = str(owner[-1])
        entry = out.get(owner)
        keys_used = (entry[1] if entry else []) + [loc]
        message = (f"'{first}: {joined}' was read as separate entries, because a comma inside "
                   f"{{ }} separates entries; quote the value: {first}: \"{joined}\"")
        out[owner] = (Problem(doc.display, value_at[0], value_at[1], message), keys_used)
    return out


def _after_comma(doc: YamlDoc, base: Loc, loc: Loc, key: Any) -> bool:
    """Whether the key sibling to ``loc`` follows a comma on its line (a flow mapping)."""
    at = doc.keys.get(base + loc[:-1] + (key,))
    if at is None:
        return False
    line = doc.lines[at[0] - 1] if at[0] - 1 < len(doc.lines) else ""
    return line[: at[1] - 1].rstrip().endswith(",")


def _describe(parent: Loc) -> str:
    if not parent:
        return ""
    names = [p for p in parent if isinstance(p, str)]
    idx = [p for p in parent if isinstance(p, int)]
    if names and idx and isinstance(parent[-1], int):
        return f" in {names[-1]} item {parent[-1] + 1}"
    return f" in '{names[-1]}'" if names else ""


def _data_loc(data: Any, loc: tuple) -> Loc:
    """Drop union-member and tag names pydantic puts into ``loc`` but the data does not have."""
    out: list[Any] = []
    cur = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(cur, dict) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif last and isinstance(cur, dict):
            out.append(part)  # a missing key: keep it so the message can name it
        # else: a union member or discriminator tag ('markdown', 'str', 'list[...]'): skip
    return tuple(out)


def _value_at(data: Any, loc: Loc) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _message(model: type[BaseModel], data: Any, loc: Loc, err: ErrorDetails,
             raw: str | None) -> str:
    field = str(next((p for p in reversed(loc) if isinstance(p, str)), "value"))
    value = _value_at(data, loc)
    ctx = err.get("ctx") or {}
    return (_authoring_slip(field, value, loc, err["type"], ctx, raw)
            or _choice_message(field, value, err["type"], ctx)
            or _kind_message(field, value, err, ctx))


def _authoring_slip(field: str, value: Any, loc: Loc, kind: str, ctx: dict[str, Any],
                    raw: str | None) -> str | None:
    """Mistakes authors make often, each explained in its own words (checked first)."""
    if field == "alt" and (value is None or (isinstance(value, str) and not value.strip())):
        return f"'alt' is blank; {_WHY['alt']}"
    if kind == "list_type" and field in TEXT_LIST_FIELDS and isinstance(value, str):
        return f"'{field}' must be a list, not text; write {field}: [{value}]"
    if kind == "value_error" and str(ctx.get("error", "")).startswith("invalid date"):
        return f"'{field}' has {ctx['error']}"
    if field == "version" and kind == "string_type" and isinstance(value, int | float):
        written = raw or value
        return (f"version must be a quoted string: write version: \"{written}\" "
                f"(unquoted, YAML reads it as the number {value})")
    if not loc and kind in {"model_type", "dict_type", "model_attributes_type"}:
        return f"the file must hold a mapping (key: value lines), not {_type_name(value)}"
    return None


def _choice_message(field: str, value: Any, kind: str, ctx: dict[str, Any]) -> str | None:
    """A value outside a fixed set (block types, literals, patterns), with a "did you mean"."""
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return (f"unknown block type '{tag}', expected one of: {expected}"
                f"{did_you_mean(str(tag), expected.split(', '))}")
    if kind == "union_tag_not_found":
        return "block has no 'type' (expected one of: markdown, callout, table, " \
               "evidence_table, figure)"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        options = [o.strip() for o in expected.replace(" or ", ", ").split(",")]
        return (f"'{field}' has invalid value {_short(value)}, expected one of: "
                f"{', '.join(options)}{did_you_mean(value, options)}")
    if kind == "string_pattern_mismatch":
        want = _FRIENDLY_PATTERNS.get(field, f"text matching {ctx.get('pattern')}")
        return f"'{field}' has invalid value {_short(value)} (expected {want})"
    return None


def _kind_message(field: str, value: Any, err: ErrorDetails, ctx: dict[str, Any]) -> str:
    """The plain message for each remaining kind of pydantic error."""
    kind = err["type"]
    if kind in _WANTED:
        hint = "; quote it" if kind == "string_type" and isinstance(value, int | float) else ""
        return f"'{field}' must be {_WANTED[kind]}, not {_type_name(value)}{hint}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"'{field}' has invalid date {_short(value)} (expected YYYY-MM-DD)"
    if kind in {"too_short", "too_long"}:
        if isinstance(value, list) and not value:
            return f"'{field}' must not be empty"
        return f"'{field}' is too short" if kind == "too_short" else f"'{field}' is too long"
    if kind == "string_too_long":  # only ids have a length limit: they become file names
        return (f"'{field}' is {len(value)} characters long, over the limit of "
                f"{ctx.get('max_length')} (it becomes part of file names); shorten it")
    if kind == "greater_than":
        return f"'{field}' must be greater than {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"'{field}' must be {ctx.get('ge')} or more"
    if kind == "value_error":
        return f"'{field}': {str(ctx.get('error', err['msg']))}"
    return f"'{field}': {err['msg']}"


_WANTED = {"string_type": "text", "int_type": "a whole number", "float_type": "a number",
           "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
           "model_attributes_type": "a mapping", "bool_type": "true or false"}


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "...'"


def _type_name(value: Any) -> str:
    if value is None:
        return "empty"
    return {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _allowed_keys(model: type[BaseModel], data: Any, parent: Loc) -> list[str]:
    """Field names (as written in YAML) of the model that validates the mapping at ``parent``."""
    tp: Any = model
    cur = data
    for part in parent:
        tp = _step(tp, part, cur)
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            cur = None
        if tp is None:
            return []
    tp = _pick_model(tp, cur)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or name for name, f in tp.model_fields.items()]
    return []


def _step(tp: Any, part: Any, cur: Any) -> Any:
    tp = _pick_model(tp, cur)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, f in tp.model_fields.items():
            if (f.alias or name) == part:
                return f.annotation
        return None
    origin = typing.get_origin(tp)
    if origin in (list, tuple) and isinstance(part, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None


def _pick_model(tp: Any, cur: Any) -> Any:
    """Unwrap Annotated/Optional/unions to the member that fits ``cur``."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if isinstance(cur, dict) and models:
                tag = cur.get("type")
                for m in models:
                    t = m.model_fields.get("type")
                    if t is not None and tag in typing.get_args(t.annotation):
                        return m
                return models[0]
            lists = [m for m in members if typing.get_origin(m) is list]
            if isinstance(cur, list) and lists:
                return lists[0]
            return members[0] if members else None
        return tp


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
