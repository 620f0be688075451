"""What changed between two content records, edition by edition, as data (see diffview for text).

Sections are matched by id; blocks within a section by their text (so an inserted block does
not make every later block "changed"); units (paragraphs, items, rows) within a changed block by
their text again, then word by word. Citations keep their source form in records, so a
renumbering alone is never a change.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from .factdiff import fact_changes

_NUMBER = re.compile(r"^[<>≤≥~±+−-]?\d[\d,.]*%?$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[])")


def diff_records(old: dict[str, Any], new: dict[str, Any],
                 editions: list[str] | None = None) -> dict[str, Any]:
    """The changes from record ``old`` to ``new`` (both ``{"editions": {...}}`` documents)."""
    names = editions or sorted(set(old["editions"]) | set(new["editions"]))
    out: dict[str, Any] = {}
    for name in names:
        a, b = old["editions"].get(name), new["editions"].get(name)
        if a is None or b is None:
            out[name] = {"status": "added" if a is None else "removed"}
            continue
        out[name] = diff_edition(a, b)
    return {"old": old.get("version"), "new": new.get("version"),
            "changed": any(e["status"] != "unchanged" for e in out.values()), "editions": out}


def diff_edition(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "sections": _sections(a["sections"], b["sections"]),
        "blocks": {"added": [], "removed": []},
        "paragraphs": [],
        "numbers": [],
        "key_messages": _list_changes(a["key_messages"], b["key_messages"]),
        "references": _references(a["references"], b["references"]),
        "figures": _figures(a["figures"], b["figures"]),
        "facts": fact_changes(a.get("facts", {}), b.get("facts", {})),
    }
    old_sections = {s["id"]: s for s in a["sections"]}
    for section in b["sections"]:
        before = old_sections.get(section["id"])
        if before is not None:
            _blocks(section["id"], before["blocks"], section["blocks"], result)
    for change in result["key_messages"]["changed"]:
        result["numbers"] += _numbers(None, change["old"], change["new"])
    empty = (not any(result["sections"].values()) and not any(result["blocks"].values())
             and not result["paragraphs"] and not any(result["key_messages"].values())
             and not any(result["references"].values()) and not result["figures"]
             and not result["facts"])
    return {"status": "unchanged" if empty else "changed", **result}


def _sections(a: list[dict], b: list[dict]) -> dict[str, list]:
    old = {s["id"]: s for s in a}
    new = {s["id"]: s for s in b}
    common_old = [s["id"] for s in a if s["id"] in new]
    common_new = [s["id"] for s in b if s["id"] in old]
    kept = _lcs(common_old, common_new)
    return {
        "added": [{"id": s["id"], "title": s["title"]} for s in b if s["id"] not in old],
        "removed": [{"id": s["id"], "title": s["title"]} for s in a if s["id"] not in new],
        "moved": [{"id": i, "title": new[i]["title"], "from": common_old.index(i) + 1,
                   "to": common_new.index(i) + 1} for i in common_new if i not in kept],
        "retitled": [{"id": i, "old": old[i]["title"], "new": new[i]["title"]}
                     for i in common_new if old[i]["title"] != new[i]["title"]],
    }


def _lcs(a: list[str], b: list[str]) -> set[str]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return {x for block in matcher.get_matching_blocks() for x in a[block.a:block.a + block.size]}


def _text(block: dict[str, Any]) -> str:
    return block["type"] + "\n" + "\n".join(u["text"] for u in block["units"])


def _blocks(section: str, a: list[dict], b: list[dict], result: dict[str, Any]) -> None:
    matcher = difflib.SequenceMatcher(None, [_text(x) for x in a], [_text(x) for x in b],
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        # Pair blocks of the same type in order: an edited paragraph is a change, not a swap.
        while olds and news and olds[0]["type"] == news[0]["type"]:
            _units(section, olds.pop(0), news.pop(0), result)
        for block in olds:
            result["blocks"]["removed"].append(_block_summary(section, block))
        for block in news:
            result["blocks"]["added"].append(_block_summary(section, block))


def _block_summary(section: str, block: dict[str, Any]) -> dict[str, Any]:
    return {"section": section, "block": block["id"], "type": block["type"],
            "text": " / ".join(u["text"] for u in block["units"])}


def _units(section: str, a: dict, b: dict, result: dict[str, Any]) -> None:
    old = [u["text"] for u in a["units"]]
    new = [u["text"] for u in b["units"]]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = list(zip(range(i1, i2), range(j1, j2), strict=False))
        for i, j in pairs:
            _changed(section, b, a["units"][i], b["units"][j], result)
        for i in range(i1 + len(pairs), i2):
            _changed(section, b, a["units"][i], None, result)
        for j in range(j1 + len(pairs), j2):
            _changed(section, b, None, b["units"][j], result)


def _changed(section: str, block: dict, old: dict | None, new: dict | None,
             result: dict[str, Any]) -> None:
    unit = new or old
    assert unit is not None
    entry = {"section": section, "block": block["id"], "kind": unit["kind"],
             "old": old["text"] if old else None, "new": new["text"] if new else None,
             "words": word_diff(old["text"] if old else "", new["text"] if new else "")}
    result["paragraphs"].append(entry)
    if old and new:
        result["numbers"] += _numbers(section, old["text"], new["text"])


def word_diff(old: str, new: str) -> list[list[str]]:
    """``[["=", "same words"], ["-", "removed"], ["+", "added"]]``, whitespace-separated words."""
    a, b = old.split(), new.split()
    out: list[list[str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(["=", " ".join(a[i1:i2])])
            continue
        if i2 > i1:
            out.append(["-", " ".join(a[i1:i2])])
        if j2 > j1:
            out.append(["+", " ".join(b[j1:j2])])
    return out


def _numbers(section: str | None, old: str, new: str) -> list[dict[str, Any]]:
    """Numbers replaced one for one (``26 → 31``), each with the new sentence it stands in."""
    a, b = old.split(), new.split()
    found = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "replace":
            continue
        olds = [w.strip("(),;:.") for w in a[i1:i2] if _NUMBER.match(w.strip("(),;:."))]
        news = [w.strip("(),;:.") for w in b[j1:j2] if _NUMBER.match(w.strip("(),;:."))]
        for x, y in zip(olds, news, strict=False):
            if x != y:
                found.append({"section": section, "old": x, "new": y,
                              "sentence": _sentence_with(new, y)})
    return found


def _sentence_with(text: str, word: str) -> str:
    for sentence in _SENTENCE.split(text):
        if word in sentence:
            return sentence
    return text


def _list_changes(a: list[str], b: list[str]) -> dict[str, list]:
    out: dict[str, list] = {"added": [], "removed": [], "changed": []}
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = list(zip(a[i1:i2], b[j1:j2], strict=False))
        out["changed"] += [{"old": x, "new": y, "words": word_diff(x, y)} for x, y in pairs]
        out["removed"] += a[i1 + len(pairs):i2]
        out["added"] += b[j1 + len(pairs):j2]
    return out


def _references(a: list[dict], b: list[dict]) -> dict[str, list]:
    old = {r["key"].lower(): r for r in a}
    new = {r["key"].lower(): r for r in b}
    return {
        "added": [{"key": r["key"], "entry": r["entry"]} for k, r in new.items() if k not in old],
        "removed": [{"key": r["key"], "entry": r["entry"]} for k, r in old.items()
                    if k not in new],
        "changed": [{"key": r["key"], "old": old[k]["entry"], "new": r["entry"]}
                    for k, r in new.items() if k in old and old[k]["entry"] != r["entry"]],
    }


def _figures(a: dict[str, dict], b: dict[str, dict]) -> list[dict[str, Any]]:
    out = []
    for path in sorted(set(a) | set(b)):
        old, new = a.get(path, {}), b.get(path, {})
        for point in sorted(set(old) | set(new)):
            if old.get(point) != new.get(point):
                out.append({"data": path, "point": point, "old": old.get(point),
                            "new": new.get(point)})
    return out
