"""What changed between two content records, edition by edition, as data (see diffview for text).

Sections are matched by id; blocks within a section by their text (so an inserted block does
not make every later block "changed"); units (paragraphs, items, rows) within a changed block by
their text again, then word by word. Citations keep their source form in records, so a
renumbering alone is never a change.

Time is bounded. difflib's matcher slows with the number of equal pairs it must consider: on
repetitive text (1,600 near-identical sentences) it takes minutes, and on long inputs with many
changes seconds. So every comparison first drops what both sides share at their start and end
(linear time), and gives the matcher the rest only when that holds at most ``MAX_TOKENS`` items
on both sides together and at most ``MAX_PAIRS`` pairs of equal items (half a second at worst on a
2-core machine). Past that a comparison is coarser: a paragraph is compared sentence by sentence,
then each run of changed sentences word by word again (within the same limits); a list of
sections, blocks or units whose differing middle is past them becomes one replacement.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Any

_NUMBER = re.compile(r"^[<>≤≥~±+−-]?[0-9][0-9,.]*%?$")
MAX_TOKENS = 4000  # words, sentences or items of both sides' differing middles; see above
MAX_PAIRS = 40_000  # pairs of equal items in them (the matcher's work grows with these)
Opcode = tuple[str, int, int, int, int]
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
             and not any(result["references"].values()) and not result["figures"])
    return {"status": "unchanged" if empty else "changed", **result}


def _sections(a: list[dict], b: list[dict]) -> dict[str, list]:
    old = {s["id"]: s for s in a}
    new = {s["id"]: s for s in b}
    common_old = [s["id"] for s in a if s["id"] in new]
    common_new = [s["id"] for s in b if s["id"] in old]
    kept = _lcs(common_old, common_new)
    where_old = {sid: i for i, sid in enumerate(common_old)}
    return {
        "added": [{"id": s["id"], "title": s["title"]} for s in b if s["id"] not in old],
        "removed": [{"id": s["id"], "title": s["title"]} for s in a if s["id"] not in new],
        "moved": [{"id": i, "title": new[i]["title"], "from": where_old[i] + 1,
                   "to": j + 1} for j, i in enumerate(common_new) if i not in kept],
        "retitled": [{"id": i, "old": old[i]["title"], "new": new[i]["title"]}
                     for i in common_new if old[i]["title"] != new[i]["title"]],
    }


def opcodes(a: list, b: list, limit: int = MAX_TOKENS) -> tuple[list[Opcode], bool]:
    """difflib's opcodes from ``a`` to ``b`` in bounded time, and whether they are exact.

    The common start and end are matched in linear time; a middle longer than ``limit`` on either
    side becomes one replacement (``False``: the caller may try a coarser unit)."""
    start, n, m = 0, len(a), len(b)
    while start < n and start < m and a[start] == b[start]:
        start += 1
    end = 0
    while end < n - start and end < m - start and a[n - 1 - end] == b[m - 1 - end]:
        end += 1
    ops: list[Opcode] = [("equal", 0, start, 0, start)] if start else []
    middle_a, middle_b = a[start:n - end], b[start:m - end]
    exact = len(middle_a) + len(middle_b) <= limit and _pairs(middle_a, middle_b) <= MAX_PAIRS
    if exact:
        matcher = difflib.SequenceMatcher(None, middle_a, middle_b, autojunk=False)
        ops += [(op, i1 + start, i2 + start, j1 + start, j2 + start)
                for op, i1, i2, j1, j2 in matcher.get_opcodes()]
    elif n - end > start or m - end > start:
        op = "delete" if m - end == start else "insert" if n - end == start else "replace"
        ops.append((op, start, n - end, start, m - end))
    if end:
        ops.append(("equal", n - end, n, m - end, m))
    return ops, exact


def _pairs(a: list, b: list) -> int:
    """How many (i, j) have ``a[i] == b[j]``, counted in linear time."""
    counts = Counter(a)
    return sum(counts[x] for x in b)


def _lcs(a: list[str], b: list[str]) -> set[str]:
    # Section ids are unique: the matcher is fast on items that never repeat, so no length limit.
    return {x for op, i1, i2, _j1, _j2 in opcodes(a, b, len(a) + len(b))[0]
            if op == "equal" for x in a[i1:i2]}


def _text(block: dict[str, Any]) -> str:
    return block["type"] + "\n" + "\n".join(u["text"] for u in block["units"])


def _blocks(section: str, a: list[dict], b: list[dict], result: dict[str, Any]) -> None:
    for op, i1, i2, j1, j2 in opcodes([_text(x) for x in a], [_text(x) for x in b])[0]:
        if op == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        # Pair blocks of the same type in order: an edited paragraph is a change, not a swap.
        paired = 0
        while paired < min(len(olds), len(news)) and \
                olds[paired]["type"] == news[paired]["type"]:
            _units(section, olds[paired], news[paired], result)
            paired += 1
        olds, news = olds[paired:], news[paired:]
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
    for op, i1, i2, j1, j2 in opcodes(old, new)[0]:
        if op == "equal":
            continue
        pairs = list(zip(range(i1, i2), range(j1, j2), strict=False))
        for i, j in pairs:
            if old[i] != new[j]:  # a coarse (bounded) comparison pairs equal units too
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
    """``[["=", "same words"], ["-", "removed"], ["+", "added"]]``, whitespace-separated words.

    Past the matcher's limits: sentences first, then words within each changed run of
    sentences (see the module)."""
    a, b = old.split(), new.split()
    ops, exact = opcodes(a, b)
    if exact:
        return _pieces(a, b, ops)
    sa, sb = sentences(old), sentences(new)
    out: list[list[str]] = []
    for op, i1, i2, j1, j2 in opcodes(sa, sb)[0]:
        wa, wb = " ".join(sa[i1:i2]).split(), " ".join(sb[j1:j2]).split()
        pieces = [["=", " ".join(wa)]] if op == "equal" else _pieces(wa, wb, opcodes(wa, wb)[0])
        for piece in pieces:
            if out and out[-1][0] == piece[0]:
                out[-1][1] += " " + piece[1]
            else:
                out.append(piece)
    return out


def _pieces(a: list[str], b: list[str], ops: list[Opcode]) -> list[list[str]]:
    out: list[list[str]] = []
    for op, i1, i2, j1, j2 in ops:
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
    found: list[dict[str, Any]] = []
    ops, exact = opcodes(a, b)
    if not exact:  # one long replacement pairs unrelated numbers: list none rather than wrong ones
        return found
    for op, i1, i2, j1, j2 in ops:
        if op != "replace":
            continue
        olds = [w.strip("(),;:.") for w in a[i1:i2] if _NUMBER.match(w.strip("(),;:."))]
        news = [w.strip("(),;:.") for w in b[j1:j2] if _NUMBER.match(w.strip("(),;:."))]
        for x, y in zip(olds, news, strict=False):
            if x != y:
                found.append({"section": section, "old": x, "new": y,
                              "sentence": _sentence_with(new, y)})
    return found


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, each with its whitespace collapsed as in a word diff."""
    return [" ".join(s.split()) for s in _SENTENCE.split(text) if s.strip()]


def _sentence_with(text: str, word: str) -> str:
    for sentence in _SENTENCE.split(text):
        if word in sentence:
            return sentence
    return text


def _list_changes(a: list[str], b: list[str]) -> dict[str, list]:
    out: dict[str, list] = {"added": [], "removed": [], "changed": []}
    for op, i1, i2, j1, j2 in opcodes(a, b)[0]:
        if op == "equal":
            continue
        pairs = list(zip(a[i1:i2], b[j1:j2], strict=False))
        out["changed"] += [{"old": x, "new": y, "words": word_diff(x, y)} for x, y in pairs
                           if x != y]
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
