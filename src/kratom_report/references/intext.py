"""Author-date citations: "(Smith et al., 2016a)" in the text and the list in the style's order.

citeproc-py sorts the list and renders each citation, but it neither adds year suffixes nor
disambiguates names. We add the suffixes the way citeproc-js does: works whose citations would
read alike get "a", "b", … after the year, in the list's order, in the text and in the list.
Adding names or given names to tell works apart (APA, Chicago) is not done: where that would
be the style's first resort, the year suffix still tells the works apart.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .bibliography import citation_layout, format_bibliography, style_order_and_citations
from .csldata import to_csl_item


@dataclass(frozen=True)
class AuthorDateList:
    """The cited works of one edition as an author-date style lists and cites them.

    ``keys`` are lower-case keys in the list's order, ``entries`` the matching HTML entries,
    ``labels`` each work's citation without brackets ("Smith et al., 2016a").
    """

    keys: tuple[str, ...]
    entries: tuple[Markup, ...]
    labels: Mapping[str, Markup]
    prefix: str
    suffix: str
    delimiter: str

    def position(self, key: str) -> int:
        """1-based place of a work in the list (its entry's anchor is ``ref-<position>``)."""
        return self.keys.index(key.lower()) + 1


def author_date_list(refs: list[dict[str, Any]], style: str,
                     base_dir: Path | None = None) -> AuthorDateList:
    """Sort, add year suffixes and format; ValueError as format_bibliography raises it."""
    prefix, suffix, delimiter, add_suffixes = citation_layout(style, base_dir)
    if not refs:
        return AuthorDateList((), (), {}, prefix, suffix, delimiter)
    refs = [dict(ref) for ref in refs]
    ids = [to_csl_item(ref)["id"] for ref in refs]
    order, texts = style_order_and_citations([to_csl_item(r) for r in refs], style, base_dir)
    if add_suffixes:
        suffixes = year_suffixes(order, texts)
        if suffixes:
            for ref, key in zip(refs, ids, strict=True):
                if key in suffixes:
                    ref["year-suffix"] = suffixes[key]
            order, texts = style_order_and_citations([to_csl_item(r) for r in refs], style,
                                                     base_dir)
    by_id = dict(zip(ids, refs, strict=True))
    entries = format_bibliography([by_id[key] for key in order], style, base_dir)
    # citeproc-py's output, with every value escaped before it formatted them: safe markup.
    labels = {key: Markup(text) for key, text in texts.items()}
    return AuthorDateList(tuple(order), tuple(entries), labels, prefix, suffix, delimiter)


def year_suffixes(order: list[str], texts: Mapping[str, str]) -> dict[str, str]:
    """"a", "b", … for works whose citations read alike, in the list's order."""
    alike: dict[str, list[str]] = {}
    for key in order:  # as read: "<i>et al.</i>" and "et al." cite alike
        alike.setdefault(re.sub(r"<[^>]+>", "", texts[key]), []).append(key)
    out: dict[str, str] = {}
    for keys in alike.values():
        if len(keys) > 1:
            out.update({key: _letters(i) for i, key in enumerate(keys)})
    return out


def _letters(index: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "aa" (as citeproc-js continues)."""
    letters = string.ascii_lowercase
    return letters[index] if index < 26 else letters[index // 26 - 1] + letters[index % 26]
