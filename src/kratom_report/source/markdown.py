"""The syntax authors write: CommonMark through markdown-it-py with ``[@key]`` citations.

Parsing lives here, below every stage that reads author text (citation checks, reference use,
statistics, rendering); turning the tokens into HTML is the compose stage's job.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

_KEY = r"[A-Za-z0-9_][A-Za-z0-9_:.#$%&+?<>~/-]*"
CITATION_KEY = _KEY  # what a reference key must be to be cited
_ITEM = re.compile(rf"^\s*@({_KEY})\s*(?:,\s*(.+?))?\s*$")


@dataclass(frozen=True)
class Cite:
    """One cited key with an optional locator such as ``p. 12``."""

    key: str
    locator: str | None = None


def parse_citation(body: str) -> list[Cite] | None:
    """``@a; @b, p. 3`` → cites, or None when the bracket is not a citation."""
    items = []
    for part in body.split(";"):
        m = _ITEM.match(part)
        if not m:
            return None
        items.append(Cite(m.group(1), m.group(2)))
    return items or None


def _citation_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith("[@", pos):
        return False
    end = src.find("]", pos)
    if end < 0:
        return False
    cites = parse_citation(src[pos + 1 : end])
    if cites is None:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"cites": cites, "raw": src[pos : end + 1]}
    state.pos = end + 1
    return True


# ``{{fact:ID}}`` prints a fact; ``{{note: text}}`` is an editorial note (drafts only). One
# pattern each, used by the Markdown rule below and by :func:`brace_marks` for plain text.
FACT = re.compile(r"\{\{\s*fact\s*:\s*([^{}\s]*)\s*\}\}")
NOTE = re.compile(r"\{\{\s*note\s*:(.*?)\}\}", re.S)
# Upper-case markers authors leave in text count as notes too (whole words only).
MARKER = re.compile(r"(?<![\w-])(?:TODO|FIXME|TK)(?![\w-])")


def _brace_rule(state: StateInline, silent: bool) -> bool:
    """``{{fact:ID}}`` and ``{{note: text}}`` as tokens (never inside code spans)."""
    src, pos = state.src, state.pos
    if not src.startswith("{{", pos):
        return False
    m = FACT.match(src, pos) or NOTE.match(src, pos)
    if m is None:
        return False
    if not silent:
        fact = m.re is FACT
        token = state.push("fact" if fact else "editorial_note", "", 0)
        token.meta = ({"id": m.group(1), "raw": m.group(0)} if fact else
                      {"text": " ".join(m.group(1).split()), "raw": m.group(0)})
    state.pos = m.end()
    return True


def brace_marks(text: str) -> list[re.Match[str]]:
    """The ``{{fact:…}}`` and ``{{note:…}}`` in a plain text (not Markdown), in order."""
    found = list(FACT.finditer(text)) + list(NOTE.finditer(text))
    return sorted(found, key=lambda m: m.start())


@dataclass(frozen=True)
class Slip:
    """Text that looks like a citation but is not one; ``needle`` finds it in the source."""

    needle: str
    message: str
    occurrence: int = 0  # how many times ``needle`` stands in the text before this slip


_BARE = re.compile(rf"(?<![\w.+\-\[@/\\])@({_KEY})")
_ESCAPED = re.compile(rf"\\@({_KEY})")
_TRAILING = ".:#$%&+?<>~/-"
MAX_SLIPS = 50  # citation-like slips listed per text; locating each reads the text again


def scan_citations(md: MarkdownIt, text: str, tokens: list | None = None
                   ) -> tuple[list[Cite], list[Slip]]:
    """The cites of ``text`` and its citation-like slips, from one parse (``tokens``, if
    given, are ``md.parse(text)`` already: checking a project parses each text once).

    A slip is a bare ``@key``, an unclosed ``[@key`` or ``[@ key]``: meant as a citation,
    printed as text. Only plain text is looked at (not code), and an ``@`` after a letter
    (an email address) is not a citation. At most ``MAX_SLIPS`` are listed, then one slip
    that counts the rest: time stays linear in the text however many there are."""
    cites: list[Cite] = []
    slips: list[Slip] = []
    if "@" not in text:  # every citation and every slip has one: most texts have none
        return cites, slips
    escaped = {m.group(1).rstrip(_TRAILING) for m in _ESCAPED.finditer(text)}

    def walk(tokens) -> None:
        for t in tokens:
            if t.type == "citation":
                cites.extend(t.meta["cites"])
            elif t.type == "text":
                slips.extend(_slips_in(t.content, escaped))
            if t.children:
                walk(t.children)

    walk(md.parse(text, {}) if tokens is None else tokens)
    if len(slips) > MAX_SLIPS:
        more = len(slips) - MAX_SLIPS
        slips = slips[:MAX_SLIPS] + [Slip(slips[MAX_SLIPS].needle, (
            f"{more} more citation-like slips in this text are not listed; fix the ones above "
            "and check again"))]
    return cites, _placed(slips, text) if slips else slips


def _placed(slips: list[Slip], source: str) -> list[Slip]:
    """Count the needle's earlier occurrences, so ``[@a] and @a`` points at the second ``@a``."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\[@[^\]\n]*\]", source)
             if parse_citation(m.group(0)[1:-1])]
    span_starts = [a for a, _b in spans]

    def in_citation(p: int) -> bool:
        i = bisect_right(span_starts, p) - 1
        return i >= 0 and p < spans[i][1]

    taken: dict[str, int] = {}
    found: dict[str, tuple[list[int], list[int]]] = {}  # needle → (starts, free starts)
    out = []
    for slip in slips:
        if slip.needle not in found:
            every = [m.start() for m in re.finditer(re.escape(slip.needle), source)]
            found[slip.needle] = (every, [p for p in every if not in_citation(p)])
        starts, free = found[slip.needle]
        k = taken.get(slip.needle, 0)
        taken[slip.needle] = k + 1
        if k < len(free):
            slip = Slip(slip.needle, slip.message, starts.index(free[k]))
        out.append(slip)
    return out


def _slips_in(content: str, escaped: set[str]) -> list[Slip]:
    """Slips in one run of plain text, in the order they stand (``escaped``: names written
    with a backslash before the ``@`` in the source, meant as text)."""
    if "@" not in content:  # what every pattern below needs
        return []
    found: list[tuple[int, Slip]] = []
    covered: list[tuple[int, int]] = []  # in order and apart, so one bisect finds the candidate
    for m in re.finditer(r"\[@", content):
        if covered and m.start() <= covered[-1][1]:
            continue
        end = content.find("]", m.end())
        body = content[m.end() : end if end >= 0 else len(content)]
        key = re.match(rf"\s*({_KEY})", body)
        name = key.group(1).rstrip(_TRAILING) if key else ""
        covered.append((m.start(), end if end >= 0 else len(content)))
        if end < 0:
            found.append((m.start(), Slip(f"[@{body[: key.end()] if key else ''}", (
                f"unclosed citation '[@{name}': add the closing ']', as in [@{name or 'key'}]"))))
        elif body[:1].isspace() and key and name:
            found.append((m.start(), Slip(content[m.start() : m.end() + key.end()], (
                f"citation '[@{body}]' has a space after '@'; write [@{name}]"))))
        else:
            found.append((m.start(), Slip(content[m.start() : end + 1], (
                f"'[@{body}]' is not a citation; write [@key], [@a; @b] or [@key, p. 12]"))))
    starts = [a for a, _b in covered]
    for m in _BARE.finditer(content):
        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and m.start() <= covered[i][1]:
            continue
        name = m.group(1).rstrip(_TRAILING)
        if name and name not in escaped:
            found.append((m.start(), Slip(f"@{name}", (
                f"'@{name}' is not a citation without brackets; to cite it, write [@{name}]"))))
    return [slip for _start, slip in sorted(found, key=lambda pair: pair[0])]


def make_markdown() -> MarkdownIt:
    """CommonMark with raw HTML off, citations on, headings demoted below section titles."""
    # markdown-it stops parsing (and drops the rest) at maxNesting token levels; lists cost three
    # levels each. Room for far more than MAX_DEPTH, so nothing is dropped before we refuse it.
    md = MarkdownIt("commonmark", {"html": False, "typographer": False, "maxNesting": 100})
    md.enable("table")
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.inline.ruler.before("link", "fact", _brace_rule)

    def render_citation(self, tokens, idx, options, env: dict) -> str:
        meta = tokens[idx].meta
        return env["kr"].cite(meta["cites"], meta["raw"])

    def render_image(self, tokens, idx, options, env: dict) -> str:
        token = tokens[idx]
        alt = self.renderInlineAsText(token.children or [], options, env)
        return env["kr"].image(token.attrGet("src") or "", alt)

    def demote(state) -> None:
        for token in state.tokens:
            if token.type in ("heading_open", "heading_close"):
                level = int(token.tag[1])
                token.tag = f"h{min(6, max(3, level + 1))}"

    def render_fact(self, tokens, idx, options, env: dict) -> str:
        return env["kr"].fact(tokens[idx].meta["id"])

    def render_note(self, tokens, idx, options, env: dict) -> str:
        return env["kr"].note(tokens[idx].meta["text"])

    md.add_render_rule("citation", render_citation)
    md.add_render_rule("fact", render_fact)
    md.add_render_rule("editorial_note", render_note)
    md.add_render_rule("image", render_image)
    md.core.ruler.push("demote_headings", demote)
    return md


def citations_in(md: MarkdownIt, text: str, tokens: list | None = None) -> list[Cite]:
    """Every cite in ``text`` in reading order, without rendering it (``tokens``, if given,
    are ``md.parse(text)`` already)."""
    out: list[Cite] = []

    def walk(tokens) -> None:
        for t in tokens:
            if t.type == "citation":
                out.extend(t.meta["cites"])
            if t.children:
                walk(t.children)

    walk(md.parse(text, {}) if tokens is None else tokens)
    return out


MAX_DEPTH = 8  # lists and quotes inside each other that a printed page can still show


def nesting_depth(md: MarkdownIt, text: str, tokens: list | None = None) -> int:
    """How deep lists and block quotes sit inside each other in ``text`` (0 for plain prose)."""
    depth = deepest = 0
    for token in md.parse(text, {}) if tokens is None else tokens:
        if token.type in ("bullet_list_open", "ordered_list_open", "blockquote_open"):
            depth += 1
            deepest = max(deepest, depth)
        elif token.type in ("bullet_list_close", "ordered_list_close", "blockquote_close"):
            depth -= 1
        if token.level >= md.options["maxNesting"] - 1:
            return max(deepest, md.options["maxNesting"])
    return deepest
