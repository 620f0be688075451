"""`kind: tile-map`: another country's regions from a layout file in the report, every bad
layout a located error, and `state-map` still drawing the US map exactly as before."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from kratom_report.build import check
from kratom_report.compose.figures import render_figure
from kratom_report.source.tilelayout import shipped_layout, tile_label

from conftest import FIXTURES, pdftext, tree_snapshot

OVERLAY = FIXTURES / "tilemap" / "report"
PRACTICE = "report/sections/practice.yaml"
LAYOUT = "report/layouts/malaysia.yaml"
DATA = "report/data/malaysia.yaml"
CAPTION = "Example statuses by region of Malaysia (example data, not real statuses)."
BLOCK = (
    "  - type: figure\n    kind: tile-map\n    layout: layouts/malaysia.yaml\n"
    "    data: data/malaysia.yaml\n"
    f"    caption: {CAPTION}\n"
    "    alt: A tile map of the 16 states and federal territories of Malaysia, each with an "
    "invented example status; Johor has no data.\n"
)


def _report(dest: Path, block: str = BLOCK) -> Path:
    shutil.copytree(FIXTURES / "tiny", dest)
    shutil.copytree(OVERLAY, dest / "report", dirs_exist_ok=True)
    practice = dest / PRACTICE
    practice.write_text(practice.read_text() + block)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny report with the Malaysia tile map, built once as the clinician's PDF."""
    from click.testing import CliRunner

    from kratom_report.cli import main

    root = _report(tmp_path_factory.mktemp("tilemap") / "tiny")
    result = CliRunner().invoke(main, ["build", "--source", str(root), "--out",
                                       str(root / "out"), "--edition", "clinician"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return next((root / "out").glob("*.pdf"))


def _layout_labels() -> dict[str, str]:
    text = (OVERLAY / "layouts" / "malaysia.yaml").read_text()
    return dict(re.findall(r"\{id: (\w+), label: ([^,]+),", text))


def test_every_region_label_is_printed(built):
    # A label broken at its hyphen ("Tereng-", "ganu") reads back as one word, unhyphenated.
    words = pdftext(built).replace("-", "").split()
    labels = _layout_labels()
    assert len(labels) == 16
    for label in labels.values():
        assert not tile_label(label)[0]  # each prints in small type, wrapped
        for word in label.split():
            assert word.replace("-", "") in words, (label, word)
    text = " ".join(words)
    assert "Example status A (6)" in text and "Example status B (6)" in text
    assert "Not verified (example) (3)" in text and "No data (1)" in text  # Johor
    assert f"Figure 2. {CAPTION}" in text


def test_the_layout_and_data_are_content(tmp_path):
    root = _report(tmp_path / "tiny")
    payload = check(root).editions[0].payload["data"]
    assert set(payload) == {"data/malaysia.yaml", "data/timeline.yaml", "layouts/malaysia.yaml"}
    before = check(root).editions[0].content_fingerprint
    _edit(root / LAYOUT, "{id: JHR, label: Johor, row: 5, col: 2}",
          "{id: JHR, label: Johor, row: 5, col: 3}")
    assert check(root).editions[0].content_fingerprint != before


# --------------------------------------------------------------------------- bad input


LAYOUT_MISTAKES = [
    ("{id: KDH, label: Kedah, row: 1, col: 1}", "{id: PLS, label: Kedah, row: 1, col: 1}",
     f"{LAYOUT}:8:10: region 'PLS' is listed twice (first at item 1)"),
    ("{id: KDH, label: Kedah, row: 1, col: 1}", "{id: KDH, label: Kedah, row: 0, col: 1}",
     f"{LAYOUT}:8:34: region 'KDH' is at row 0, column 1, where 'PLS' already is (item 1); "
     "give each region its own cell"),
    ("{id: SBH, label: Sabah, row: 1, col: 7}", "{id: SBH, label: Sabah, row: 1, col: 11}",
     f"{LAYOUT}:11:42: column 11 is outside the grid a page holds (columns 0 to 10)"),
    ("{id: JHR, label: Johor, row: 5, col: 2}", "{id: JHR, label: Johor, row: 12, col: 2}",
     f"{LAYOUT}:21:34: row 12 is outside the grid a page holds (rows 0 to 11)"),
    ("label: Tereng-ganu,", "label: Terengganu,",
     f"{LAYOUT}:13:22: label 'Terengganu' has a word longer than the 8 characters a tile "
     "line holds ('Terengganu'); abbreviate it or break it with a hyphen"),
    ("label: Negeri Sembilan,", "label: Negeri Sembilan Darul Khusus,",
     f"{LAYOUT}:19:22: label 'Negeri Sembilan Darul Khusus' needs 4 lines on its tile; at "
     "most 3 of 8 characters fit: shorten it"),
    ("row: 5, col: 2}", "row: -1, col: 2}",
     f"{LAYOUT}:21:34: 'row' must be 0 or more"),
    ("{id: JHR, label: Johor, row: 5, col: 2}", "{id: JHR, label: Johor, row: 5}",
     f"{LAYOUT}:21:5: missing required key 'col' in regions item 16"),
]


@pytest.mark.parametrize(("old", "new", "expected"), LAYOUT_MISTAKES,
                         ids=["duplicate-id", "overlap", "column", "row", "long-word",
                              "long-label", "negative", "missing-col"])
def test_a_bad_layout_is_a_located_error_and_nothing_is_written(cli, tmp_path, old, new,
                                                                expected):
    root = _report(tmp_path / "tiny")
    _edit(root / LAYOUT, old, new)
    out = tmp_path / "out"
    result = cli("build", "--source", root, "--out", out)
    assert result.exit_code == 1
    assert result.stderr == expected + "\n"
    assert not out.exists() or tree_snapshot(out) == {}


DATA_MISTAKES = [
    (DATA, "{id: PHG, status: example-b}", "{id: PAH, status: example-b}",
     f"{DATA}:22:10: unknown region 'PAH' in layout 'report/layouts/malaysia.yaml' (did you "
     "mean 'PHG'?)"),
    (DATA, "{id: MLK, status: example-b}", "{id: PLS, status: example-b}",
     f"{DATA}:25:10: region 'PLS' is listed twice (first at item 1)"),
    (DATA, "{id: MLK, status: example-b}", "{id: MLK, status: example-c}",
     f"{DATA}:25:23: unknown status 'example-c' (did you mean 'example-b'?) (statuses: "
     "example-a, example-b, not-verified)"),
    (DATA, "regions:\n", "states:\n  - {state: AL, status: example-a}\nregions:\n",
     f"{DATA}:12:1: a data file lists either 'regions' or 'states' (the older name for US "
     "states), not both"),
    (PRACTICE, "layout: layouts/malaysia.yaml", "layout: malaysia",
     f"{PRACTICE}:18:13: unknown layout 'malaysia': name a shipped layout (us-states) or a "
     "YAML file in report/ like layouts/regions.yaml"),
    (PRACTICE, "layout: layouts/malaysia.yaml", "layout: us-stats",
     f"{PRACTICE}:18:13: unknown layout 'us-stats' (did you mean 'us-states'?): name a "
     "shipped layout (us-states) or a YAML file in report/ like layouts/regions.yaml"),
    (PRACTICE, "layout: layouts/malaysia.yaml", "layout: layouts/malaysia-2.yaml",
     f"{PRACTICE}:18:13: layout file 'report/layouts/malaysia-2.yaml' not found"),
    (PRACTICE, "layout: layouts/malaysia.yaml", "layout: ../../malaysia.yaml",
     f"{PRACTICE}:18:13: layout file '../../malaysia.yaml' leads outside the report folder "
     "(after following links); a report reads only files inside its own folder: copy the file "
     "into report/ and name it relative to report/"),
    (PRACTICE, "layout: layouts/malaysia.yaml", "layout: us-states",
     f"{PRACTICE}:18:13: none of the regions in {DATA} is in layout 'us-states' (whose "
     "regions are AK, ME, WI, …): name the layout its regions come from"),
    (PRACTICE, "kind: tile-map", "kind: timeline",
     f"{PRACTICE}:18:5: a figure of kind 'timeline' takes no 'layout' (only a tile map has "
     "a layout)"),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), DATA_MISTAKES,
                         ids=["unknown-region", "duplicate-region", "unknown-status", "both",
                              "unknown-layout", "layout-typo", "layout-missing",
                              "layout-outside", "wrong-layout", "not-a-map"])
def test_a_bad_map_is_a_located_error(cli, tmp_path, file, old, new, expected):
    root = _report(tmp_path / "tiny")
    _edit(root / file, old, new)
    result = cli("check", "--source", root)
    assert result.exit_code == 1
    assert result.stderr == expected + "\n"


# --------------------------------------------------------------------------- state-map alias

# The grid the US map was drawn from before layouts were files: column, row per code.
_US_GRID = {
    "AK": (0, 0), "ME": (10, 0), "WI": (5, 1), "VT": (9, 1), "NH": (10, 1), "WA": (0, 2),
    "ID": (1, 2), "MT": (2, 2), "ND": (3, 2), "MN": (4, 2), "IL": (5, 2), "MI": (6, 2),
    "NY": (8, 2), "MA": (9, 2), "OR": (0, 3), "NV": (1, 3), "WY": (2, 3), "SD": (3, 3),
    "IA": (4, 3), "IN": (5, 3), "OH": (6, 3), "PA": (7, 3), "NJ": (8, 3), "CT": (9, 3),
    "RI": (10, 3), "CA": (0, 4), "UT": (1, 4), "CO": (2, 4), "NE": (3, 4), "MO": (4, 4),
    "KY": (5, 4), "WV": (6, 4), "VA": (7, 4), "MD": (8, 4), "DE": (9, 4), "AZ": (1, 5),
    "NM": (2, 5), "KS": (3, 5), "AR": (4, 5), "TN": (5, 5), "NC": (6, 5), "SC": (7, 5),
    "DC": (8, 5), "OK": (3, 6), "LA": (4, 6), "MS": (5, 6), "AL": (6, 6), "GA": (7, 6),
    "HI": (0, 7), "TX": (3, 7), "FL": (8, 7),
}
_STATUSES = [{"id": "yes", "label": "Listed", "mark": "L"},
             {"id": "no", "label": "Not listed", "mark": "N"},
             {"id": "not-verified", "label": "Not verified", "mark": "?"}]
_US = {"title": "Example", "as_of": "2026-01", "statuses": _STATUSES,
       "states": [{"state": c, "status": _STATUSES[i % 3]["id"]}
                  for i, c in enumerate(sorted(_US_GRID)[:-3])]}
# sha256 of the SVG the state map drew from _US before its grid moved into a layout file.
_US_SVG_SHA256 = "ff92eb4ef59e7177d45aba12cda6d4a14046c8fe5f9b4eb7314feb41fc1ef91a"


def test_the_shipped_us_layout_is_the_grid_the_map_always_had():
    layout = shipped_layout("us-states")
    assert {t.id: (t.col, t.row) for t in layout.tiles} == _US_GRID
    assert all(t.label == t.id for t in layout.tiles)


def test_state_map_draws_exactly_as_before_and_equals_tile_map():
    def draw(kind: str, **extra) -> str:
        return render_figure(kind, _US, title="Alt", accent="#1f5f8b", font_family="Inter",
                             **extra)

    svg = draw("state-map")
    assert hashlib.sha256(svg.encode()).hexdigest() == _US_SVG_SHA256
    assert draw("tile-map", layout=shipped_layout("us-states")) == svg


def test_a_state_map_in_a_report_checks_its_codes_against_the_layout(cli, tiny):
    (tiny / "report" / "data" / "states.yaml").write_text(
        'title: States\nas_of: "2026-01"\n'
        "statuses:\n  - {id: a, label: A, mark: A}\n"
        "states:\n  - {state: CA, status: a}\n  - {state: ZZ, status: a}\n")
    practice = tiny / PRACTICE
    practice.write_text(practice.read_text() + (
        "  - type: figure\n    kind: state-map\n    data: data/states.yaml\n"
        "    caption: States.\n    alt: Two states.\n"))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/data/states.yaml:7:13: unknown region 'ZZ' in layout "
                             "'us-states'\n")


def test_a_regions_sources_are_checked_and_cited_by_source_auto(cli, tmp_path):
    root = _report(tmp_path / "tiny", BLOCK + "    source: auto\n")
    _edit(root / DATA, "{id: PLS, status: example-a}",
          "{id: PLS, status: example-a, sources: [dea2016notice]}")
    _edit(root / DATA, "{id: MLK, status: example-b}",
          "{id: MLK, status: example-b, sources: [nosuch2020]}")
    result = cli("check", "--source", root)
    assert result.exit_code == 1
    assert result.stderr == f"{DATA}:25:44: unknown citation key 'nosuch2020'\n"
    _edit(root / DATA, "[nosuch2020]", "[cdc2018salmonella]")
    html = check(root).editions[0].html
    line = re.findall(r'<span class="figure-source">(.*?)</span>', html)[-1]
    assert line.startswith("Sources: ") and len(re.findall(r'href="#ref-\d+"', line)) == 2


def test_every_shipped_layout_passes_the_checks_a_report_layout_gets(tmp_path):
    from kratom_report.source.loader import YamlDoc
    from kratom_report.source.tilelayout import load_layout, shipped_names

    problems: list = []
    where = (YamlDoc(tmp_path / "x.yaml", "x.yaml", {}), ())
    assert shipped_names() == ["us-states"]
    for name in shipped_names():
        layout = load_layout(tmp_path, name, where, problems, 5_000_000)
        assert layout is not None and layout.shipped and layout.model is None
    assert problems == []
