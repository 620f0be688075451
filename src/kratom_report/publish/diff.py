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

from .factdiff import fact_changes, with_values

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
    a, b = with_values(a, b)
    result: dict[str, Any] = {
        "sections": _sections(a["sections"], b["sections"]),
        "blocks": {"added": [], "removed": [], "changed": []},
        "paragraphs": [],
        "numbers": [],
        "key_messages": _list_changes(a["key_messages"], b["key_messages"]),
        "references": _references(a["references"], b["references"]),
        "figures": _figures(a["figures"], b["figures"]),
        "facts": fact_changes(a.get("facts", {}), b.get("facts", {})),
    }
    old_sections = {s["id"]: s for s in a["sections"]}
    cited_before = {r["key"].lower() for r in a["references"] if r.get("key")}
    for section in b["sections"]:
        before = old_sections.get(section["id"])
        if before is not None:
            _blocks(section, before["blocks"], cited_before, result)
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


def _blocks(section: dict, a: list[dict], cited_before: set[str],
            result: dict[str, Any]) -> None:
    b = section["blocks"]
    for op, i1, i2, j1, j2 in opcodes([_text(x) for x in a], [_text(x) for x in b])[0]:
        if op == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        # Pair blocks of the same type in order: an edited paragraph is a change, not a swap.
        paired = 0
        while paired < min(len(olds), len(news)) and \
                olds[paired]["type"] == news[paired]["type"]:
            old, new = olds[paired], news[paired]
            _units(section["id"], old, new, result)
            result["blocks"]["changed"].append({
                "section": section["id"], "title": section["title"], "block": new["id"],
                "type": new["type"], "kinds": classify(section, old, new, cited_before)})
            paired += 1
        olds, news = olds[paired:], news[paired:]
        for block in olds:
            result["blocks"]["removed"].append(
                _block_summary(section, block, classify(section, block, None, cited_before)))
        for block in news:
            result["blocks"]["added"].append(
                _block_summary(section, block, classify(section, None, block, cited_before)))


def _block_summary(section: dict, block: dict[str, Any], kinds: list[str]) -> dict[str, Any]:
    return {"section": section["id"], "title": section["title"], "block": block["id"],
            "type": block["type"], "kinds": kinds,
            "text": " / ".join(u["text"] for u in block["units"])}


# What a changed block changed, for readers, in this order; "wording" only when nothing else.
KINDS = ("source", "number", "certainty", "recommendation", "wording")
_CITATION = re.compile(r"\[(@[^\[\]]*)\]")
_KEY = re.compile(r"@([\w][\w:.#$%&+?<>~/-]*)")
_CERTAINTY = re.compile(r"\b(very[ -]low|low|moderate|high)[ -](?:certainty|quality)\b"
                        r"|\bcertainty\b[^.;]{0,40}?\b(very[ -]low|low|moderate|high)\b", re.I)


def classify(section: dict, old: dict | None, new: dict | None,
             cited_before: set[str]) -> list[str]:
    """The kinds of change between two versions of a block (either may be None: added or
    removed): a source it cites that it did not (for a new block: that the old edition did
    not), a number, a certainty rating, a recommendation (guidance, policy, a callout)."""
    before, after = _plain(old), _plain(new)
    kinds = []
    sources = _keys(after) - _keys(before) - (cited_before if old is None else set())
    if sources:
        kinds.append("source")
    if Counter(numbers_in(_CITATION.sub("", before))) != \
            Counter(numbers_in(_CITATION.sub("", after))):
        kinds.append("number")
    if _certainties(old) != _certainties(new):
        kinds.append("certainty")
    if section.get("kind") in ("guidance", "policy") or (new or old or {}).get("type") == \
            "callout":
        kinds.append("recommendation")
    return kinds or ["wording"]


def _plain(block: dict | None) -> str:
    return "\n".join(u["text"] for u in block["units"]) if block else ""


def _keys(text: str) -> set[str]:
    return {k.lower().rstrip(".") for c in _CITATION.findall(text) for k in _KEY.findall(c)}


def _certainties(block: dict | None) -> list[str]:
    """Certainty ratings in reading order: an evidence table's column, or words in text."""
    if block is None:
        return []
    if block["type"] == "evidence_table":
        return [u["text"].rsplit(" | ", 1)[-1].strip().lower() for u in block["units"]
                if u["kind"] == "row"]
    return [(m.group(1) or m.group(2)).lower().replace("-", " ")
            for m in _CERTAINTY.finditer(_plain(block))]


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
    """Numbers that changed (``26 → 31``), each with the new sentence it stands in.

    Sentences are aligned first; within an aligned pair the k-th number of the old sentence
    is paired with the k-th of the new (when a number was added or dropped, the numbers that
    stayed anchor the pairing), and only pairs that differ are reported. A word-by-word diff
    paired whatever numbers fell in one edited stretch, across sentences.
    (Facts, ``{{fact:ID}}``, read as one value on both sides: see factdiff.with_values.)
    """
    found = []
    for before, after in _aligned(split_sentences(old), split_sentences(new)):
        found += [{"section": section, "old": x, "new": y, "sentence": after}
                  for x, y in number_pairs(before, after) if x != y]
    return found


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s.strip()]


def numbers_in(text: str) -> list[str]:
    """The numbers of a text in reading order, as written (``2.4%``, ``1,200``)."""
    words = (w.strip("(),;:.[]") for w in text.split())
    return [w for w in words if _NUMBER.match(w)]


def number_pairs(old: str, new: str) -> list[tuple[str, str]]:
    """The numbers of two versions of one sentence, paired by position."""
    a, b = numbers_in(old), numbers_in(new)
    if len(a) == len(b):
        return list(zip(a, b, strict=True))
    pairs = []
    for op, i1, i2, j1, j2 in opcodes(a, b)[0]:
        if op == "replace" and i2 - i1 == j2 - j1:
            pairs += list(zip(a[i1:i2], b[j1:j2], strict=True))
    return pairs


def _aligned(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    """Pairs of an old sentence and the new sentence it became (unchanged ones left out).

    A one-for-one replacement is a pair; in a replacement of unequal length each old
    sentence pairs with the most similar new one still free (in order), if any is similar.
    """
    pairs = []
    for op, i1, i2, j1, j2 in opcodes(a, b)[0]:
        if op != "replace":
            continue
        if i2 - i1 == j2 - j1:
            pairs += list(zip(a[i1:i2], b[j1:j2], strict=True))
            continue
        start = j1
        for sentence in a[i1:i2]:
            scored = [(_similarity(sentence, b[j]), j) for j in range(start, j2)]
            best = max(scored, default=(0.0, -1))
            if best[0] >= _SIMILAR:
                pairs.append((sentence, b[best[1]]))
                start = best[1] + 1
    return pairs


_SIMILAR = 0.5  # share of words in common for two sentences to be one sentence edited


def _similarity(x: str, y: str) -> float:
    """Share of words two sentences have in common (bounded: see :func:`opcodes`)."""
    a, b = x.split(), y.split()
    ops, exact = opcodes(a, b)
    if not exact or not (a or b):
        return 0.0
    same = sum(i2 - i1 for op, i1, i2, _j1, _j2 in ops if op == "equal")
    return 2.0 * same / (len(a) + len(b))


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, each with its whitespace collapsed as in a word diff."""
    return [" ".join(s.split()) for s in _SENTENCE.split(text) if s.strip()]


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
