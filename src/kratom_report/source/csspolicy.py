"""The one CSS policy: what a stylesheet may load, and what an SVG's ``<style>`` may hold.

Every ``url()``, ``src()``, ``image-set()`` and ``@import`` in any CSS the tool reads (the
built-in and a report's own template stylesheets, the theme stylesheet, an SVG's ``<style>`` and
its style attributes, the ``@font-face`` rules whose fonts are checked, a template's ``<style>``
and ``style=``) is found here, by tinycss2's tokenizer, so ``URL(…)``, ``\\75 rl(…)``,
``u\\rl(…)`` and ``@IMPORT`` are the same thing everywhere. Callers decide what to do with each
reference (inline it, refuse it) and splice the result into the original text, so everything
else stays as written. What no stylesheet may hold at all, whatever it is for, is said once,
in :func:`refused`: an ``@import``, an image function (``image-set()`` and its kin load
files given as plain strings, which no ``url()`` rule would see), a remote URL, and a
``</style`` that would end the page's ``<style>`` element and start markup.

The ``<style>`` of an SVG figure: plain rules only, each scoped to the figure it came with.

Inline in a web page, an SVG's ``<style>`` applies to the whole page: ``.st0 { fill: #fff }``
from one export would repaint another figure (drawing programs reuse such names), and a rule
for ``body`` would restyle the page. So an SVG image's style may hold only ``selector {
declarations }`` rules (no at-rules, no CSS escapes that could hide a ``url()``), and every
selector is prefixed with the figure's own id before the figure is embedded.
"""

from __future__ import annotations

import base64
import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import tinycss2


def style_problem(css: str) -> str | None:
    """Why the text of a ``<style>`` element is refused, or None."""
    if "\\" in css:
        return "has a CSS escape (\\) in a style; write the style without escapes"
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "error":
            return f"has a style that cannot be read ({rule.message}); export the SVG again"
        if rule.type == "at-rule":
            if rule.lower_at_keyword == "import":  # also found by css_refs; said plainly here
                return "has an @import in a style; an SVG image may not load other files: remove it"
            return (f"has an @{rule.at_keyword} rule in a style; an SVG image's style may hold "
                    "plain rules only: remove it")
    return None


def scoped_css(css: str, scope: str, rename_id: Callable[[str], str],
               rename_urls: Callable[[str], str]) -> str:
    """The rules with each selector under ``#scope`` and ids renamed (checked CSS only)."""
    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        selectors = []
        for selector in _split(rule.prelude):
            text = "".join(f"#{rename_id(t.value)}" if t.type == "hash" and t.is_identifier
                           else t.serialize() for t in selector).strip()
            # "svg .a" names the figure's root, which the scope already is.
            rest = text[3:] if text.startswith("svg") and not text[3:4].isalnum() else None
            selectors.append(f"#{scope}{rest}" if rest is not None else f"#{scope} {text}")
        body = rename_urls(tinycss2.serialize(rule.content))
        out.append(f"{', '.join(selectors)} {{{body}}}")
    return "\n".join(out)


def _split(prelude: list) -> list[list]:
    """Selectors separated by top-level commas."""
    parts: list[list] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if "".join(t.serialize() for t in p).strip()]


_NEWLINE = re.compile(r"\r\n|[\r\n\f]")  # what CSS counts as one line break
# Functions that load images named by plain strings ("a.png" 1x), so no url() rule sees them.
IMAGE_FUNCTIONS = frozenset({"image-set", "-webkit-image-set", "image", "cross-fade",
                             "-webkit-cross-fade"})
_END_STYLE = re.compile(r"</style", re.I)


@dataclass(frozen=True)
class CssRef:
    """One reference in CSS: ``url``/``src`` (a file it loads), ``import`` (a stylesheet) or
    ``image`` (an image function such as ``image-set()``; ``target`` is its name).

    ``target`` is the URL as CSS reads it (escapes resolved); ``start``/``end`` are offsets
    of the whole ``url(…)`` (or ``@import`` keyword) in the original text, for splicing.
    """

    kind: Literal["url", "import", "image"]
    target: str
    line: int
    column: int
    start: int
    end: int

    @property
    def local(self) -> bool:
        """A data: URL or a fragment (``#id``): nothing is loaded from anywhere."""
        return self.target.strip().lower().startswith(("data:", "#"))


def css_refs(css: str) -> list[CssRef]:
    """Every ``url()``, ``src()`` and ``@import`` in ``css``, in order, nested ones included."""
    starts = [0] + [m.end() for m in _NEWLINE.finditer(css)]
    refs: list[CssRef] = []
    _walk(tinycss2.parse_component_value_list(css), css, starts, refs)
    return refs


def _walk(tokens: Iterable[Any], css: str, starts: list[int], refs: list[CssRef]) -> None:
    for token in tokens:
        kind = token.type
        if kind == "at-keyword" and token.lower_value == "import":
            at = _offset(starts, token)
            refs.append(CssRef("import", _import_target(css, at), token.source_line,
                               token.source_column, at, at + len("@import")))
        elif kind == "url" or (kind == "function" and token.lower_name in ("url", "src")):
            at = _offset(starts, token)
            refs.append(CssRef("url", _target(token), token.source_line, token.source_column,
                               at, _end(css, at)))
        elif kind == "function" and token.lower_name in IMAGE_FUNCTIONS:
            at = _offset(starts, token)
            refs.append(CssRef("image", token.lower_name, token.source_line,
                               token.source_column, at, _end(css, at)))
            continue  # refused whole: what it holds is not looked at
        if kind == "function" and token.lower_name not in ("url", "src"):
            _walk(token.arguments, css, starts, refs)
        elif kind in ("() block", "[] block", "{} block"):
            _walk(token.content, css, starts, refs)


def _offset(starts: list[int], token: Any) -> int:
    return starts[token.source_line - 1] + token.source_column - 1


def _target(token: Any) -> str:
    if token.type == "url":
        return str(token.value)
    strings = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
    return str(strings[0].value) if strings and strings[0].type in ("string", "ident", "url") \
        else tinycss2.serialize(token.arguments).strip()


def _end(css: str, at: int) -> int:
    """Where the ``url(…)`` token starting at ``at`` ends: where the token after it starts.

    Tokenizing the rest of the file for every ``url()`` made a font-heavy stylesheet
    quadratic, so a growing window is read: once a second token starts inside the window
    (not an "end of input" error the cut made), the first one is complete and ends exactly
    where it would in the whole text.
    """
    size = 256
    while True:
        window = css[at:at + size]
        whole = at + size >= len(css)
        tokens = tinycss2.parse_component_value_list(window)
        if len(tokens) >= 2 and (whole or not any(
                t.type == "error" and t.kind.startswith("eof") for t in tokens[:2])):
            starts = [0] + [m.end() for m in _NEWLINE.finditer(window)]
            return at + _offset(starts, tokens[1])
        if whole:
            return len(css)
        size *= 4


def _import_target(css: str, at: int) -> str:
    tokens = tinycss2.parse_component_value_list(css[at + len("@import"):].split(";", 1)[0])
    for token in tokens:
        if token.type in ("string", "url"):
            return str(token.value)
        if token.type == "function" and token.lower_name == "url":
            return _target(token)
    return ""


def rewrite_urls(css: str, refs: list[CssRef], new: Callable[[CssRef], str | None]) -> str:
    """``css`` with each ``url()`` in ``refs`` for which ``new`` gives text replaced by it."""
    out, last = [], 0
    for ref in refs:
        replacement = new(ref) if ref.kind == "url" else None
        if replacement is not None:
            out += [css[last:ref.start], replacement]
            last = ref.end
    return "".join(out) + css[last:]


def outside_refs(css: str) -> list[CssRef]:
    """The references that load something (not data:, not ``#id``): a figure may have none."""
    return [ref for ref in css_refs(css) if ref.kind == "import" or not ref.local]


def remote(target: str) -> bool:
    """A URL with a scheme or host: never read, whatever the stylesheet."""
    parts = urlsplit(target)
    return bool(parts.scheme or parts.netloc or target.startswith("//"))


def refused(css: str, *, remote_urls: bool = True, refs: list[CssRef] | None = None
            ) -> list[tuple[int, int, str]]:
    """(line, column, what was found and why) for what no stylesheet may hold.

    The one rule for every stylesheet whose text reaches a page (template stylesheets, the
    theme's, a template's ``<style>`` and ``style=``): nothing is fetched, and the text cannot
    end the ``<style>`` element it is put in. ``remote_urls=False`` leaves remote ``url()``
    to a caller that refuses them in its own words. ``refs``: ``css_refs(css)``, if the
    caller has them already (tokenizing a stylesheet with inlined fonts is not free).
    """
    starts = [0] + [m.end() for m in _NEWLINE.finditer(css)]
    found = []
    for m in _END_STYLE.finditer(css):
        line = bisect.bisect_right(starts, m.start())
        found.append((line, m.start() - starts[line - 1] + 1,
                      f"'{m.group(0)}' in a stylesheet would end the page's <style> element "
                      "and start markup; remove it"))
    for ref in css_refs(css) if refs is None else refs:
        if ref.kind == "image":
            found.append((ref.line, ref.column, f"{ref.target}() is not allowed in a "
                          "stylesheet: it loads images no rule checks; use url() with a file "
                          "beside the stylesheet"))
        elif ref.kind == "import":
            found.append((ref.line, ref.column, "@import is not allowed in a stylesheet: web "
                          "output fetches nothing; put the rules in this file"))
        elif remote_urls and not ref.local and remote(ref.target):
            found.append((ref.line, ref.column, f"url({ref.target}) is remote: web output "
                          "fetches nothing; use a file inside templates/ or a data: URL"))
    return sorted(found)


def inline_urls(css: str, read: Callable[[str], tuple[str, bytes] | str], *, name: str,
                inside: str) -> tuple[str, list[tuple[CssRef, str]]]:
    """``css`` with every ``url()`` that loads a file replaced by a data: URI of it.

    ``read`` gets the path a URL names and gives (MIME type, bytes) or why it may not be
    read. An ``@import`` and a remote URL are refused here, for every stylesheet alike;
    returns the new text and each refused reference with its reason.
    """
    problems: list[tuple[CssRef, str]] = []

    def new(ref: CssRef) -> str | None:
        if ref.local:
            return None
        found = (f"is not a file inside {inside} (remote and other URLs are refused)"
                 if remote(ref.target) else read(unquote(urlsplit(ref.target).path)))
        if isinstance(found, str):
            problems.append((ref, f"url({ref.target}) {found}"))
            return None
        mime, data = found
        return f'url("data:{mime};base64,{base64.b64encode(data).decode("ascii")}")'

    refs = css_refs(css)
    problems += [(ref, f"@import is refused in {name}; put the rules in this file")
                 for ref in refs if ref.kind == "import"]
    # kind "image": refused whatever the caller's rule for files is
    problems += [(CssRef("image", "", line, column, -1, -1), why)
                 for line, column, why in refused(css, remote_urls=False, refs=refs)
                 if not why.startswith("@import")]
    out = rewrite_urls(css, refs, new)
    return out, sorted(problems, key=lambda p: (p[0].line, p[0].column))
