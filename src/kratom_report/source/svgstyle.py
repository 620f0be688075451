"""The ``<style>`` of an SVG figure: plain rules only, each scoped to the figure it came with.

Inline in a web page, an SVG's ``<style>`` applies to the whole page: ``.st0 { fill: #fff }``
from one export would repaint another figure (drawing programs reuse such names), and a rule
for ``body`` would restyle the page. So a figure's style may hold only ``selector {
declarations }`` rules (no at-rules, no CSS escapes that could hide a ``url()``), and every
selector is prefixed with the figure's own id before the figure is embedded.
"""

from __future__ import annotations

from collections.abc import Callable

import tinycss2


def style_problem(css: str) -> str | None:
    """Why the text of a ``<style>`` element is refused, or None."""
    if "\\" in css:
        return "has a CSS escape (\\) in a style; write the style without escapes"
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "error":
            return f"has a style that cannot be read ({rule.message}); export the SVG again"
        if rule.type == "at-rule":
            if rule.lower_at_keyword == "import":
                return "has an @import in a style; a figure may not load other files: remove it"
            return (f"has an @{rule.at_keyword} rule in a style; a figure's style may hold "
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
