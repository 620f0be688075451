"""A page estimate without running the layout engine (so ``editions`` stays fast)."""

from __future__ import annotations

import math
import re

from .render import RenderedEdition

_WORDS_PER_PAGE = 520
_FIXED_PAGES = 3  # cover, key messages, contents


def estimate_pages(rendered: RenderedEdition) -> int:
    """Calibrated against real builds: words, figures, table rows and references."""
    html = rendered.html
    figures = html.count('<figure class="figure')
    rows = len(re.findall(r"<tr>", html))
    refs = len(rendered.cited)
    sections = html.count('<section class="section')
    body_pages = rendered.words / _WORDS_PER_PAGE + figures * 0.35 + rows * 0.03
    # Each section starts a page: on average half a page is left blank at each end.
    body_pages += sections * 0.45
    ref_pages = refs / 22
    return _FIXED_PAGES + math.ceil(body_pages + ref_pages + 1)
