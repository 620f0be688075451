"""The content record of an edition: what a reader sees, as canonical data a diff can compare.

A record holds the edition's payload (the exact data its content fingerprint hashes, so the
fingerprint can be checked from the record alone) and a reader's view derived from it: sections
and blocks with their plain text cut into units (paragraphs, list items, headings, table rows),
key messages, figure data points and the formatted reference list. The view is derived only from
the payload and the formatted entries, so a hand-edited record is caught on load.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..source.markdown import make_markdown
from .editions import content_fingerprint

FORMAT = 1
Unit = dict[str, str]  # {"kind": "paragraph"|"item"|"heading"|"row"|"title"|..., "text": ...}


def edition_record(payload: dict[str, Any], entries: list[str]) -> dict[str, Any]:
    """One edition's record; ``entries`` are its formatted references in citation order."""
    md = make_markdown()
    edition = payload["edition"]
    refs = payload["references"]
    facts = {"facts": {k: {"text": f["text"], "checked": f["checked"]}
                       for k, f in payload["facts"].items()}} if payload.get("facts") else {}
    return {
        **facts,
        "title": edition.get("title"),
        "content_fingerprint": content_fingerprint(payload),
        "key_messages": [plain_text(md, m) for m in edition.get("key_messages", [])],
        "sections": [{
            "id": s["id"], "title": s["title"], "kind": s["kind"],
            "blocks": [{"id": f"{s['id']}/{i}", "type": b["type"],
                        "units": list(block_units(md, b))} for i, b in enumerate(s["blocks"])],
        } for s in payload["sections"]],
        "figures": {path: figure_points(data) for path, data in payload["data"].items()},
        "references": [{"key": r.get("key"), "n": i + 1, "entry": e}
                       for i, (r, e) in enumerate(zip(refs, entries, strict=True))],
        "payload": payload,
    }


def derived_view(record: dict[str, Any]) -> dict[str, Any]:
    """The record as it must be for its payload: recomputed, to catch hand edits."""
    entries = [r["entry"] for r in record.get("references", [])]
    return edition_record(record["payload"], entries)


def block_units(md: Any, block: dict[str, Any]) -> Iterator[Unit]:
    """The units a reader sees in one block, in reading order."""
    kind = block["type"]
    if kind == "markdown":
        yield from _markdown_units(md, block["text"])
    elif kind == "callout":
        if block.get("title"):
            yield {"kind": "title", "text": plain_text(md, block["title"])}
        yield from _markdown_units(md, block["text"])
    elif kind == "table":
        yield {"kind": "caption", "text": plain_text(md, block["caption"])}
        yield {"kind": "header", "text": " | ".join(str(c) for c in block["header"])}
        for row in block["rows"]:
            yield {"kind": "row", "text": " | ".join(plain_text(md, str(c))
                                                     for c in row)}
    elif kind == "evidence_table":
        yield {"kind": "caption", "text": plain_text(md, block["caption"])}
        for row in block["rows"]:
            cells = [row.get(k) for k in ("study", "design", "n", "population", "finding",
                                          "certainty")]
            yield {"kind": "row", "text": " | ".join("" if c is None else
                                                     plain_text(md, str(c))
                                                     for c in cells)}
    else:
        for name in ("caption", "alt"):
            if block.get(name):
                yield {"kind": name, "text": plain_text(md, str(block[name]))}
    if block.get("source"):
        yield {"kind": "source", "text": plain_text(md, str(block["source"]))}


def figure_points(data: dict[str, Any]) -> dict[str, str]:
    """A figure's data as ``point → value`` strings, so a diff can say which point changed."""
    points: dict[str, str] = {}
    if "sha256" in data:  # an image figure's file: any change to its bytes is one change
        return {"image": data["sha256"]}
    for region in data.get("regions") or []:  # a tile map's data, or a report's own layout
        points[f"region {region['id']}"] = (str(region["status"]) if "status" in region else
                                            f"{region['label']} at row {region['row']}, "
                                            f"column {region['col']}")
    if "as_of" not in data and "regions" in data:
        return points
    for event in data.get("events") or []:
        points[f"event {event['date']}: {event['label']}"] = "present"
    for series in data.get("series") or []:
        for p in series["points"]:
            points[f"{series['label']} at {p['x']}"] = f"{p['y']} {series['unit']}"
    for state in data.get("states") or []:
        points[f"state {state['state']}"] = str(state["status"])
    points["as_of"] = str(data.get("as_of"))
    return points


def _markdown_units(md: Any, text: str) -> Iterator[Unit]:
    tokens = md.parse(text, {})
    depth = 0
    for i, token in enumerate(tokens):
        if token.type == "list_item_open":
            depth += 1
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "inline" and i > 0:
            opener = tokens[i - 1].type
            kind = ("heading" if opener == "heading_open" else
                    "item" if depth else "cell" if opener in ("th_open", "td_open")
                    else "paragraph")
            yield {"kind": kind, "text": inline_text(token.children or [])}


def plain_text(md: Any, text: str) -> str:
    """Inline author text as the record holds it (what change marks are matched against)."""
    tokens = md.parseInline(text, {})
    return " ".join(inline_text(t.children or []) for t in tokens if t.type == "inline")


def inline_text(children: list[Any]) -> str:
    """Plain text of an inline run; citations keep their source form so renumbering is no change."""
    out = []
    for child in children:
        if child.type in ("citation", "fact", "editorial_note"):
            out.append(child.meta["raw"])  # a fact's value is compared as a fact
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "image":
            out.append(f"[image: {child.content}]")
    return " ".join("".join(out).split())
