"""The files figures name besides data files: images made elsewhere and tile map layouts.

Each figure kind takes its own keys (``file`` and ``width`` for an image, ``data`` for drawn
figures, ``layout`` for tile maps); a key a kind does not use is an error, not ignored. An
image must be an SVG, PNG or JPEG inside report/, within ``max_file_mb``, whose bytes are what
its name says; an SVG must also pass :mod:`.svgsafe`. Problems are located where the author
can fix them: the figure's key, or the line and column inside the SVG.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, relpath
from ..fingerprint import digest
from .limits import over_limit
from .loader import Located, YamlDoc
from .models import FigureBlock
from .parsecache import ParsedDocs
from .paths import located_inside
from .pixels import pixel_problem
from .svgsafe import SvgRefused, clean_svg
from .tilelayout import DEFAULT_LAYOUT, TileLayout, check_regions, load_layout

MAP_KINDS = ("tile-map", "state-map")
_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
          ".jpeg": "image/jpeg"}
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}
_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/svg+xml": "SVG"}


@dataclass(frozen=True)
class ImageFile:
    """An image's checked bytes; ``sha256`` goes into the content fingerprint."""

    path: str  # as the figure names it, relative to report/
    mime: str
    raw: bytes = field(repr=False)
    sha256: str
    pixels: tuple[int, int] | None = None  # a PNG's or JPEG's width and height


@dataclass
class FigureFiles:
    images: dict[str, ImageFile] = field(default_factory=dict)  # by path as written
    layouts: dict[str, TileLayout] = field(default_factory=dict)  # by name as written


def figure_keys_ok(block: FigureBlock, doc: YamlDoc, loc: tuple, problems: list[Problem]) -> bool:
    """Whether the figure has the keys its kind needs and none it does not use."""
    before = len(problems)
    image = block.kind == "image"
    needed = "file" if image else "data"
    if getattr(block, needed) is None:
        why = (": the SVG, PNG or JPEG to show, relative to report/ (like images/chart.svg)"
               if image else "")
        problems.append(doc.problem(loc, (
            f"missing required key '{needed}' in blocks item {loc[-1] + 1}{why}")))
    unused = {"data": "an image shows its 'file'", "layout": "an image is not a map"} if image \
        else {"file": "it is drawn from its 'data' file; use kind: image to show a file",
              "width": "a drawn figure fills the column"}
    if block.kind not in MAP_KINDS and not image:
        unused["layout"] = "only a tile map has a layout"
    for key, why in unused.items():
        if getattr(block, key) is not None:
            problems.append(doc.problem(loc + (key,), (
                f"a figure of kind '{block.kind}' takes no '{key}' ({why})"), key=True))
    if image and block.source == "auto":
        problems.append(doc.problem(loc + ("source",), (
            "'source: auto' cites what a data file lists, and an image has none; cite its "
            "sources instead, like source: \"[@key]\"")))
    return len(problems) == before


def load_figure_files(root: Path, sections: list[Located], data: dict[str, Located],
                      problems: list[Problem], max_bytes: int,
                      docs: ParsedDocs | None = None) -> FigureFiles:
    """Every image and layout the figures name, checked once each, and each map's regions."""
    out = FigureFiles()
    failed: set[str] = set()
    checked: set[tuple[str, str]] = set()
    for located in sections:
        for b, block in enumerate(located.model.blocks):
            if not isinstance(block, FigureBlock):
                continue
            loc = ("blocks", b)
            file = block.file if block.kind == "image" else None
            if file is not None and file not in out.images and file not in failed:
                image = load_image(root, file, (located.doc, loc + ("file",)), problems,
                                   max_bytes)
                if image is None:
                    failed.add(file)
                else:
                    out.images[file] = image
            if block.kind in MAP_KINDS:
                name = block.layout or DEFAULT_LAYOUT
                if name not in out.layouts and ("layout", name) not in checked:
                    checked.add(("layout", name))
                    layout = load_layout(root, name, (located.doc, loc + ("layout",)),
                                         problems, max_bytes, docs)
                    if layout is not None:
                        out.layouts[name] = layout
                located_data = data.get(block.data or "")
                if (name in out.layouts and located_data is not None
                        and (block.data or "", name) not in checked):
                    checked.add((block.data or "", name))
                    check_regions(located_data, out.layouts[name],
                                  (located.doc, loc + ("layout" if block.layout else "kind",)),
                                  problems)
    return out


def load_image(root: Path, file: str, where: tuple[YamlDoc, tuple], problems: list[Problem],
               max_bytes: int) -> ImageFile | None:
    """An image inside report/ whose bytes are what its name says; None after a problem."""
    doc, loc = where
    report_dir = (root / "report").resolve()
    path = root / "report" / file
    lexical = Path(file)
    if lexical.is_absolute() or ".." in lexical.parts:
        problems.append(doc.problem(loc, (
            f"image file '{file}' must be a path inside report/ (like images/chart.svg); a "
            "report reads only files inside its own folder")))
        return None
    if located_inside(report_dir, path, doc, loc, problems, what="image file",
                      value=file) is None:
        return None
    mime = _TYPES.get(path.suffix.lower())
    if mime is None:
        problems.append(doc.problem(loc, (
            f"image file '{file}' is not an SVG, PNG or JPEG (by its name); export it as one "
            "of those (.svg, .png, .jpg)")))
        return None
    if not path.is_file():
        problems.append(doc.problem(loc, f"image file 'report/{file}' not found"))
        return None
    too_big = over_limit(path.stat().st_size, max_bytes)
    if too_big:
        problems.append(doc.problem(loc, f"image file 'report/{file}' {too_big}"))
        return None
    raw = path.read_bytes()
    if mime == "image/svg+xml":
        try:
            clean_svg(raw, title="", id_prefix="")
        except SvgRefused as exc:
            problems.append(Problem(relpath(path, root), exc.line, exc.column,
                                    f"SVG image {exc.message}"))
            return None
    else:
        reason = _raster_problem(raw, mime)
        if reason is not None:
            problems.append(doc.problem(loc, f"image file 'report/{file}' {reason}"))
            return None
    return ImageFile(file, mime, raw, digest(raw),
                     None if mime == "image/svg+xml" else _pixels(raw))


def _raster_problem(raw: bytes, mime: str) -> str | None:
    """Why the bytes are not the format the name says, or cannot be read to the end."""
    name = _NAMES[mime]
    actual = next((m for m, sigs in _MAGIC.items() if raw.startswith(sigs)), None)
    if actual is None and raw.lstrip()[:5].lower() in (b"<?xml", b"<svg "):
        actual = "image/svg+xml"
    if actual != mime:
        what = f"is a {_NAMES[actual]} file" if actual else f"is not a {name} file"
        return (f"{what} (its first bytes say so), though its name says {name}; export it "
                f"again as {name}, or rename it")
    too_many = pixel_problem(raw)
    if too_many:
        return too_many
    from PIL import Image, UnidentifiedImageError

    # verify(), not load(): the PDF engine, once imported, makes Pillow accept truncated files.
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        text = str(exc).split(" <_io.")[0].strip()[:120] or type(exc).__name__
        return f"cannot be read as a {name} image ({text}); is the file damaged?"
    if mime == "image/jpeg" and b"\xff\xd9" not in raw[-4096:]:
        return f"cannot be read as a {name} image (it stops before its end); is the file damaged?"
    return None


def _pixels(raw: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(raw)) as image:
        return image.size
