"""A diff for people: terminal text (coloured only on a terminal) or one self-contained page."""

from __future__ import annotations

import html
from typing import Any

from ..errors import printable
from ..source.htmlpolicy import with_csp
from .factdiff import fact_lines

_RED, _GREEN, _BOLD, _OFF = "\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m"
KIND_WORDS = {"source": "new source cited", "number": "number changed",
              "certainty": "certainty changed",
              "recommendation": "recommendation or key message changed",
              "wording": "wording only"}


def kinds_text(kinds: list[str]) -> str:
    return ", ".join(KIND_WORDS.get(k, k) for k in kinds)


def as_text(diff: dict[str, Any], *, colour: bool = False) -> str:
    """One block per edition; changed words as ``[-old-]{+new+}`` (or red/green on a terminal).

    Every text from the records is made printable first (``errors.printable``): a record's
    escape sequence or line break never reaches the terminal raw.
    """
    diff = _printable(diff)
    def words(parts: list[list[str]]) -> str:
        out = []
        for op, text in parts:
            if op == "=":
                out.append(text)
            elif colour:
                out.append(f"{_RED if op == '-' else _GREEN}{text}{_OFF}")
            else:
                out.append(f"[-{text}-]" if op == "-" else f"{{+{text}+}}")
        return " ".join(out)

    def head(text: str) -> str:
        return f"{_BOLD}{text}{_OFF}" if colour else text

    lines = [f"changes from {diff['old']} to {diff['new']}"]
    for name, e in diff["editions"].items():
        lines.append("")
        if e["status"] != "changed":
            lines.append(head(f"{name}: {e['status']}"))
            continue
        lines.append(head(f"{name}:"))
        lines += _section_lines(e["sections"])
        for kind in ("added", "removed"):
            for b in e["blocks"][kind]:
                lines.append(f"  block {kind}: {b['block']} ({b['type']}): {_cut(b['text'])}")
        lines += [f"  block changed: {b['block']} in {b['title']}: {kinds_text(b['kinds'])}"
                  for b in e["blocks"].get("changed", [])]
        for p in e["paragraphs"]:
            what = ("added" if p["old"] is None else "removed" if p["new"] is None
                    else "changed")
            lines.append(f"  {p['kind']} {what} in {p['block']}: {words(p['words'])}")
        for n in e["numbers"]:
            where = f" in {n['section']}" if n["section"] else " in the key messages"
            lines.append(f"  number{where}: {n['old']} → {n['new']}: {_cut(n['sentence'])}")
        km = e["key_messages"]
        lines += [f"  key message added: {m}" for m in km["added"]]
        lines += [f"  key message removed: {m}" for m in km["removed"]]
        lines += [f"  key message changed: {words(c['words'])}" for c in km["changed"]]
        for kind in ("added", "removed"):
            lines += [f"  reference {kind}: {r['key']}: {_cut(r['entry'])}"
                      for r in e["references"][kind]]
        lines += [f"  reference changed: {r['key']}: {_cut(r['new'])}"
                  for r in e["references"]["changed"]]
        lines += [f"  figure data {f['data']}: {f['point']}: {f['old'] or '(none)'} → "
                  f"{f['new'] or '(none)'}" for f in e["figures"]]
        lines += fact_lines(e.get("facts", []))
    if not diff["changed"]:
        lines.append("")
        lines.append("no changes")
    return "\n".join(lines) + "\n"


def _printable(value: Any) -> Any:
    """``value`` with every string in it made safe for a terminal."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_printable(v) for v in value]
    if isinstance(value, dict):
        return {printable(str(k)): _printable(v) for k, v in value.items()}
    return value


def _section_lines(s: dict[str, list]) -> list[str]:
    out = [f"  section added: {x['id']} ({x['title']})" for x in s["added"]]
    out += [f"  section removed: {x['id']} ({x['title']})" for x in s["removed"]]
    out += [f"  section moved: {x['id']} (position {x['from']} → {x['to']})" for x in s["moved"]]
    out += [f"  section retitled: {x['id']}: {x['old']} → {x['new']}" for x in s["retitled"]]
    return out


def _cut(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CSS = """
body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a;background:#fff}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
del{background:#fde2e1;color:#8a1c13;text-decoration:line-through}
ins{background:#dff3e3;color:#14532d;text-decoration:none}
li{margin:.4rem 0}.where{color:#4d4d4d;font-size:.9rem}
@media (prefers-color-scheme: dark){body{background:#15171a;color:#e8e8e8}
del{background:#4a1d1a;color:#ffd7d3}ins{background:#163a22;color:#d3f5dc}.where{color:#b5b5b5}}
"""


def as_html(diff: dict[str, Any], title: str = "") -> str:
    """One self-contained page (no scripts, no external files), readable in light and dark."""
    e_ = html.escape
    diff = _printable(diff)

    def words(parts: list[list[str]]) -> str:
        tags = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
        return " ".join(tags[op].format(e_(text)) for op, text in parts)

    body = [f"<h1>{e_(title + ': ' if title else '')}changes from {e_(str(diff['old']))} to "
            f"{e_(str(diff['new']))}</h1>"]
    for name, e in diff["editions"].items():
        body.append(f"<h2>{e_(name)}</h2>")
        if e["status"] != "changed":
            body.append(f"<p>{e_(e['status'])}</p>")
            continue
        items = [e_(line.strip()) for line in _section_lines(e["sections"])]
        for kind in ("added", "removed"):
            items += [f"block {kind}: <span class=where>{e_(b['block'])}</span> "
                      f"{e_(b['text'])}" for b in e["blocks"][kind]]
        items += [f"block changed: <span class=where>{e_(b['block'])}</span> in "
                  f"{e_(b['title'])}: {e_(kinds_text(b['kinds']))}"
                  for b in e["blocks"].get("changed", [])]
        items += [f"<span class=where>{e_(p['block'])} ({e_(p['kind'])})</span><br>"
                  f"{words(p['words'])}" for p in e["paragraphs"]]
        items += [f"number: <del>{e_(n['old'])}</del> → <ins>{e_(n['new'])}</ins> "
                  f"<span class=where>{e_(n['sentence'])}</span>" for n in e["numbers"]]
        km = e["key_messages"]
        items += [f"key message added: <ins>{e_(m)}</ins>" for m in km["added"]]
        items += [f"key message removed: <del>{e_(m)}</del>" for m in km["removed"]]
        items += [f"key message changed: {words(c['words'])}" for c in km["changed"]]
        items += [f"reference added: <ins>{e_(r['entry'])}</ins>"
                  for r in e["references"]["added"]]
        items += [f"reference removed: <del>{e_(r['entry'])}</del>"
                  for r in e["references"]["removed"]]
        items += [f"reference changed: {e_(r['key'])}" for r in e["references"]["changed"]]
        items += [f"figure data <span class=where>{e_(f['data'])}</span>: {e_(f['point'])}: "
                  f"<del>{e_(str(f['old']))}</del> → <ins>{e_(str(f['new']))}</ins>"
                  for f in e["figures"]]
        body.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
    if not diff["changed"]:
        body.append("<p>No changes.</p>")
    return with_csp(f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                    f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                    f"<title>Changes from {e_(str(diff['old']))} to "
                    f"{e_(str(diff['new']))}</title>\n"
                    f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n" + "\n".join(body)
                    + "\n</main>\n</body>\n</html>\n")
