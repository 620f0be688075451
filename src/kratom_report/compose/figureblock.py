"""A figure block as the templates see it: the art (drawn SVG, or an image made elsewhere),
its number, caption and source line, and what it adds to the edition's content fingerprint.

Figures are numbered here, in reading order, so the print and the screen editions print the
same "Figure N." (print numbers with a CSS counter over the same figures).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..source.loader import Loc, YamlDoc
from ..source.models import FigureBlock
from ..source.project import AUTO, auto_source_keys
from ..source.tilelayout import DEFAULT_LAYOUT
from .figures.image import ImagePayload, image_markup


def figure_block(ctx: Any, doc: YamlDoc, loc: Loc, block: FigureBlock, t: Any,
                 font_family: str) -> dict[str, Any]:
    """The template context of one figure; ``ctx`` is the edition's rendering context."""
    ctx.figures_seen += 1
    numbered = ctx.project.report.theme.numbering.figures  # the theme may turn numbers off
    common = {"type": "figure", "kind": block.kind, "caption": t("caption", block.caption),
              "alt": ctx.printer.plain(block.alt), "id": f"fig-{loc[1] + 1}",
              "number": ctx.figures_seen if numbered else None,
              "as_of": None, "caveat": None, "checked": None}
    if block.kind == "image":
        image = ctx.project.figures.images[block.file]
        ctx.data_used[block.file] = ImagePayload(media_type=image.mime,
                                                 sha256=image.sha256)
        prefix = f"fig-{doc.path.stem}-{loc[1] + 1}-"  # a section id may start with a digit
        return {**common, **ctx.source(t, block.source),
                "svg": Markup(image_markup(image, block.alt, prefix, block.width))}
    return {**common, **_drawn(ctx, doc, loc, block, t, font_family)}


def _drawn(ctx: Any, doc: YamlDoc, loc: Loc, block: FigureBlock, t: Any,
           font_family: str) -> dict[str, Any]:
    from .figures import render_figure

    data = ctx.project.data[block.data]
    ctx.data_used[block.data] = data.model
    layout = None
    if block.kind in ("tile-map", "state-map"):
        layout = ctx.project.figures.layouts[block.layout or DEFAULT_LAYOUT]
        if layout.model is not None:  # the report's own layout is content, like its data
            ctx.data_used[layout.name] = layout.model
    text = block.source
    if text == AUTO:
        keys = auto_source_keys(data.model)
        text = "[@" + "; @".join(keys) + "]" if keys else None
    # Labels drawn in the figure are plain text: facts print, notes show in drafts only.
    raw = _plain(ctx.printer, data.model.model_dump(mode="json", by_alias=True,
                                                    exclude_none=True))
    try:
        svg = render_figure(block.kind, raw, title=ctx.printer.plain(block.alt),
                            accent=ctx.edition.accent, font_family=font_family, layout=layout,
                            words=ctx.words)
    except ValueError as exc:
        ctx.problems.append(doc.problem(loc + ("data",), f"figure: {exc}"))
        svg = ""
    checked = data.model.checked
    return {"svg": Markup(svg), **ctx.source(t, text), "as_of": ctx.words.as_of(data.model.as_of),
            "caveat": ctx.printer.plain(data.model.caveat) if data.model.caveat else None,
            "checked": ctx.words.date(checked) if checked else None}


def _plain(printer: Any, value: Any) -> Any:
    """Every text of a figure's data with its facts printed (dates and numbers unchanged)."""
    if isinstance(value, str):
        return printer.plain(value)
    if isinstance(value, dict):
        return {k: _plain(printer, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(printer, v) for v in value]
    return value
