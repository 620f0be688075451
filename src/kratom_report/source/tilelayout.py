"""Tile map layouts: which regions a map has, the label on each tile and its grid cell.

A layout is shipped (``us-states``, in layouts/ beside this module) or a YAML file in the
report (``regions: [{id, label, row, col}]``). Both are checked the same way: one region per
id, one region per cell, every cell inside the grid a page holds, and every label short
enough to print on its tile. A data file's regions are then checked against the layout.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, did_you_mean, relpath
from .loader import Located, YamlDoc, YamlLoadError
from .models import DataFile, LayoutFile, LayoutTile
from .parsecache import ParsedDocs, load_cached
from .paths import located_inside
from .schema import validate

SHIPPED = Path(__file__).parent / "layouts"
DEFAULT_LAYOUT = "us-states"
# The grid a column holds at the tile size the US map has always had (54-unit pitch in a
# 640-unit figure, 840 units tall at most with its legend).
MAX_COLS, MAX_ROWS = 11, 12
# Label lines: up to 4 characters print large (like "TX"); longer labels wrap in small type.
SHORT_LABEL = 4
LINE_CHARS, MAX_LINES = 8, 3


@dataclass(frozen=True)
class TileLayout:
    """A checked layout; ``model`` is kept for a report's own file (its content is data)."""

    name: str  # as the figure names it: "us-states" or "layouts/regions.yaml"
    title: str
    tiles: tuple[LayoutTile, ...]
    shipped: bool
    model: LayoutFile | None = None

    @property
    def described(self) -> str:
        return f"layout '{self.name}'" if self.shipped else f"layout 'report/{self.name}'"


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def tile_label(label: str) -> tuple[bool, list[str]]:
    """(large, lines): how a label prints on its tile; ValueError when it cannot fit."""
    text = " ".join(label.split())
    if len(text) <= SHORT_LABEL:
        return True, [text]
    # A hyphen is where a long word may break: "Tereng-ganu".
    long_word = next((w for w in re.split(r"\s+|(?<=-)", text) if len(w) > LINE_CHARS), None)
    if long_word is not None:
        raise ValueError(f"label '{text}' has a word longer than the {LINE_CHARS} characters "
                         f"a tile line holds ('{long_word}'); abbreviate it or break it with a "
                         "hyphen")
    lines = textwrap.wrap(text, width=LINE_CHARS, break_long_words=False)
    if len(lines) > MAX_LINES:
        raise ValueError(f"label '{text}' needs {len(lines)} lines on its tile; at most "
                         f"{MAX_LINES} of {LINE_CHARS} characters fit: shorten it")
    return False, lines


def shipped_layout(name: str = DEFAULT_LAYOUT) -> TileLayout:
    """A shipped layout, for figures drawn without a report (its files are checked by tests)."""
    doc = load_cached(SHIPPED / f"{name}.yaml", f"{name} layout (built-in)")
    model = LayoutFile.model_validate(doc.data)
    return TileLayout(name, model.title or name, tuple(model.regions), True)


def load_layout(root: Path, name: str, where: tuple[YamlDoc, tuple], problems: list[Problem],
                max_bytes: int, docs: ParsedDocs | None = None) -> TileLayout | None:
    """The layout a figure names, checked; None (with a located problem) when it is unusable."""
    doc, loc = where
    shipped = shipped_names()
    if name in shipped:
        path, display = SHIPPED / f"{name}.yaml", f"{name} layout (built-in)"
    elif name.endswith((".yaml", ".yml")):
        path = root / "report" / name
        if located_inside(root / "report", path, doc, loc, problems, what="layout file",
                          value=name) is None:
            return None
        if not path.is_file():
            problems.append(doc.problem(loc, f"layout file 'report/{name}' not found"))
            return None
        display = relpath(path, root)
    else:
        problems.append(doc.problem(loc, (
            f"unknown layout '{name}'{did_you_mean(name, shipped)}: name a shipped layout "
            f"({', '.join(shipped)}) or a YAML file in report/ like layouts/regions.yaml")))
        return None
    try:
        layout_doc = load_cached(path, display, max_bytes=max_bytes, docs=docs)
    except YamlLoadError as exc:
        problems += exc.problems
        return None
    model, errs = validate(LayoutFile, layout_doc)
    problems += errs
    if model is None or not _layout_ok(model, layout_doc, problems):
        return None
    return TileLayout(name, model.title or name, tuple(model.regions), name in shipped,
                      None if name in shipped else model)


def _layout_ok(model: LayoutFile, doc: YamlDoc, problems: list[Problem]) -> bool:
    """One region per id and per cell, inside the grid, with a label that fits its tile."""
    before = len(problems)
    ids: dict[str, int] = {}
    cells: dict[tuple[int, int], int] = {}
    for i, tile in enumerate(model.regions):
        if tile.id in ids:
            problems.append(doc.problem(("regions", i, "id"), (
                f"region '{tile.id}' is listed twice (first at item {ids[tile.id] + 1})")))
            continue
        ids[tile.id] = i
        for key, value, most in (("row", tile.row, MAX_ROWS), ("col", tile.col, MAX_COLS)):
            if value >= most:
                word = "row" if key == "row" else "column"
                problems.append(doc.problem(("regions", i, key), (
                    f"{word} {value} is outside the grid a page holds ({word}s 0 to "
                    f"{most - 1})")))
        cell = (tile.row, tile.col)
        if cell in cells:
            other = model.regions[cells[cell]]
            problems.append(doc.problem(("regions", i, "row"), (
                f"region '{tile.id}' is at row {tile.row}, column {tile.col}, where "
                f"'{other.id}' already is (item {cells[cell] + 1}); give each region its "
                "own cell")))
        cells.setdefault(cell, i)
        try:
            tile_label(tile.label)
        except ValueError as exc:
            problems.append(doc.problem(("regions", i, "label"), str(exc)))
    return len(problems) == before


def check_regions(data: Located, layout: TileLayout, where: tuple[YamlDoc, tuple],
                  problems: list[Problem]) -> None:
    """Every region a data file lists is in the layout, once; unlisted ones print as no data.

    When none is, the figure names the wrong layout: one message there, not one per region.
    """
    model: DataFile = data.model
    doc = data.doc
    if model.regions is not None and model.states is not None:
        problems.append(doc.problem(("regions",), (
            "a data file lists either 'regions' or 'states' (the older name for US states), "
            "not both"), key=True))
        return
    ids = [t.id for t in layout.tiles]
    known = set(ids)
    items = model.region_items()
    if len(items) > 1 and not any(rid in known for _key, rid, _item in items):
        fig_doc, loc = where
        sample = ", ".join(ids[:3])
        problems.append(fig_doc.problem(loc, (
            f"none of the regions in {doc.display} is in {layout.described} (whose regions "
            f"are {sample}, …): name the layout its regions come from")))
        return
    seen: dict[str, int] = {}
    for i, (key, rid, _item) in enumerate(items):
        field = "id" if key == "regions" else "state"
        if rid not in known:
            problems.append(doc.problem((key, i, field), (
                f"unknown region '{rid}' in {layout.described}{did_you_mean(rid, ids)}")))
        elif rid in seen:
            problems.append(doc.problem((key, i, field), (
                f"region '{rid}' is listed twice (first at item {seen[rid] + 1})")))
        else:
            seen[rid] = i


def check_statuses(model: DataFile, doc: YamlDoc, problems: list[Problem]) -> None:
    """Every region names a status the legend defines."""
    ids = [s.id for s in model.statuses or []]
    if not ids:
        problems.append(doc.problem((), "a tile map needs a 'statuses' legend"
                                    if model.regions is not None else
                                    "a state map needs a 'statuses' legend"))
    for i, (key, _id, st) in enumerate(model.region_items()):
        if st.status not in ids:
            problems.append(doc.problem((key, i, "status"), (
                f"unknown status '{st.status}'{did_you_mean(st.status, ids)} "
                f"(statuses: {', '.join(ids)})")))
