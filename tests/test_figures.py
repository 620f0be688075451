"""Tests for kratom_report.compose.figures: SVG structure, data, accessibility, WeasyPrint."""

from __future__ import annotations

import copy
import logging
import re
import xml.etree.ElementTree as ET

import pytest
import weasyprint

from kratom_report.compose.figures import render_figure

SVG_NS = "{http://www.w3.org/2000/svg}"
PREFIX_RE = re.compile(
    r'^<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 640 \d+" width="100%">'
)
ACCENT = "#1f5f8b"

# Generic fixture data (deliberately unrelated to any report topic).
TIMELINE = {
    "as_of": "2024-05",
    "sources": ["example2020"],
    "title": "Project milestones",
    "events": [
        {"date": "2021-03-15", "label": "Pilot launched in two regions", "source": "[@a]"},
        {"date": "2019", "label": "Working group formed", "source": "[@b]"},
        {"date": "2020-07", "label": "Draft standard published for comment", "source": "[@c]"},
        {"date": "2023-11-02", "label": "Standard adopted", "source": "[@d]"},
    ],
}
SERIES = {
    "as_of": "2024",
    "sources": ["example2021"],
    "title": "Library visits",
    "series": [
        {
            "label": "Branch visits",
            "unit": "thousands per year",
            "source": "[@e]",
            "points": [{"x": 2015, "y": 120}, {"x": 2016, "y": 135}, {"x": 2017, "y": 150}],
        },
        {
            "label": "Online sessions",
            "unit": "thousands per year",
            "source": "[@f]",
            "points": [{"x": 2014, "y": 10}, {"x": 2019, "y": 95}],
        },
    ],
}
STATUSES = [
    {"id": "full", "label": "Full programme", "mark": "F"},
    {"id": "partial", "label": "Partial programme", "mark": "P"},
    {"id": "pilot", "label": "Pilot only", "mark": "L"},
    {"id": "planned", "label": "Planned", "mark": "D"},
    {"id": "none", "label": "No programme found", "mark": "N"},
    {"id": "not-verified", "label": "Not verified", "mark": "?"},
]
# fmt: off
ALL_CODES = [
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA",
    "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS",
    "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA",
    "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY",
]
# fmt: on


def state_map(codes: list[str] = ALL_CODES) -> dict:
    """A state-map fixture cycling through every status."""
    return {
        "as_of": "2024-05",
        "sources": ["example2022"],
        "title": "Programme coverage",
        "statuses": copy.deepcopy(STATUSES),
        "states": [
            {"state": code, "status": STATUSES[i % len(STATUSES)]["id"]}
            for i, code in enumerate(codes)
        ],
        "caveat": "Illustrative only.",
    }


FIXTURES = {"timeline": TIMELINE, "series": SERIES, "state-map": state_map()}


def render(kind: str, data: dict, title: str = "Alt text") -> str:
    return render_figure(kind, data, title=title, accent=ACCENT)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    values = []
    for i in (0, 2, 4):
        c = int(colour[i : i + 2], 16) / 255
        values.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * values[0] + 0.7152 * values[1] + 0.0722 * values[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("kind", sorted(FIXTURES))
def test_svg_prefix_and_title_first_child(kind: str) -> None:
    svg = render(kind, FIXTURES[kind], title='Shows <a> & "b"')
    assert PREFIX_RE.match(svg), svg[:200]
    assert svg.split(">", 1)[1].startswith("<title>Shows &lt;a&gt; &amp; &quot;b&quot;</title>")
    root = parse(svg)
    first = list(root)[0]
    assert first.tag == f"{SVG_NS}title"
    assert first.text == 'Shows <a> & "b"'


@pytest.mark.parametrize("kind", sorted(FIXTURES))
def test_deterministic(kind: str) -> None:
    first = render(kind, FIXTURES[kind])
    second = render(kind, copy.deepcopy(FIXTURES[kind]))
    assert first == second


@pytest.mark.parametrize("kind", sorted(FIXTURES))
def test_text_is_at_least_minimum_print_size(kind: str) -> None:
    root = parse(render(kind, FIXTURES[kind]))
    group = root.find(f"{SVG_NS}g")
    assert group is not None and float(group.get("font-size")) >= 10
    for text in root.iter(f"{SVG_NS}text"):
        assert float(text.get("font-size", group.get("font-size"))) >= 10


def test_font_family_is_applied_and_escaped() -> None:
    svg = render_figure(
        "timeline", TIMELINE, title="t", accent=ACCENT, font_family='"Source Sans 3", serif'
    )
    root = parse(svg)
    assert root.find(f"{SVG_NS}g").get("font-family") == '"Source Sans 3", serif'


def test_unknown_kind_message_exact() -> None:
    with pytest.raises(ValueError) as info:
        render("pie", {})
    assert str(info.value) == (
        "unknown figure kind 'pie' (expected one of: series, state-map, tile-map, timeline)"
    )


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("timeline", {"events": []}, "non-empty 'events'"),
        ("timeline", {}, "non-empty 'events'"),
        ("timeline", {"events": [{"label": "x"}]}, "missing 'date'"),
        ("timeline", {"events": [{"date": "2020-13", "label": "x"}]}, "not a valid date"),
        ("timeline", {"events": [{"date": "20/1/2020", "label": "x"}]}, "YYYY"),
        ("timeline", {"events": [{"date": "2020"}]}, "missing 'label'"),
        ("series", {"series": []}, "non-empty 'series'"),
        ("series", {"series": [{"label": "a", "points": []}]}, "non-empty 'points'"),
        ("series", {"series": [{"label": "a", "points": [{"x": 1}]}]}, "needs 'x' and 'y'"),
        ("series", {"series": [{"label": "a", "points": [{"x": 1, "y": "9"}]}]}, "number"),
        ("state-map", {"statuses": STATUSES}, "non-empty 'states'"),
        ("state-map", {"states": [{"state": "AL", "status": "full"}]}, "non-empty 'statuses'"),
        (
            "state-map",
            {"statuses": STATUSES, "states": [{"state": "AL", "status": "nope"}]},
            "status 'nope' is not defined",
        ),
        (
            "state-map",
            {"statuses": STATUSES, "states": [{"state": "ZZ", "status": "full"}]},
            "'ZZ' is not a US state",
        ),
        (
            "state-map",
            {
                "statuses": STATUSES,
                "states": [{"state": "AL", "status": "full"}, {"state": "AL", "status": "none"}],
            },
            "more than once",
        ),
    ],
)
def test_missing_or_bad_data_raises(kind: str, data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render(kind, data)


def test_bad_accent_rejected() -> None:
    with pytest.raises(ValueError, match="hex colour"):
        render_figure("timeline", TIMELINE, title="t", accent="red")


# --------------------------------------------------------------------------- escaping


def test_escaping_in_all_labels() -> None:
    nasty = 'A <b> & "c" </svg>'
    timeline = {"events": [{"date": "2020", "label": nasty}]}
    series = {"series": [{"label": nasty, "unit": "<u>", "points": [{"x": 2020, "y": 1}]}]}
    smap = {
        "statuses": [{"id": "s", "label": nasty, "mark": "&"}],
        "states": [{"state": "AL", "status": "s"}],
        "as_of": "<2024>",
    }
    for kind, data in (("timeline", timeline), ("series", series), ("state-map", smap)):
        svg = render(kind, data, title=nasty)
        assert "<b>" not in svg and "</svg>" not in svg[:-6]
        root = parse(svg)  # well-formed XML
        texts = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
        assert "A <b> &" in texts
    smap_texts = [t.text for t in parse(render("state-map", smap)).iter(f"{SVG_NS}text")]
    assert "&" in smap_texts
    assert "Status as of <2024>" in smap_texts


# --------------------------------------------------------------------------- timeline


def test_timeline_sorted_with_date_precision() -> None:
    root = parse(render("timeline", TIMELINE))
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    dates = [t for t in texts if re.search(r"\d{4}$", t or "")]
    assert dates == ["2019", "Jul 2020", "15 Mar 2021", "2 Nov 2023"]
    labels = [t for t in texts if t not in dates]
    assert labels == [
        "Working group formed",
        "Draft standard published for comment",
        "Pilot launched in two regions",
        "Standard adopted",
    ]
    assert len(root.findall(f".//{SVG_NS}circle[@class='event']")) == 4


def test_timeline_many_events_do_not_overlap() -> None:
    events = [
        {"date": f"{2000 + i}", "label": "Long event description " * (1 + i % 4)} for i in range(14)
    ]
    root = parse(render("timeline", {"events": events}))
    dots = [float(c.get("cy")) for c in root.iter(f"{SVG_NS}circle")]
    assert len(dots) == 14
    assert all(b - a >= 14 for a, b in zip(dots, dots[1:], strict=False))
    height = float(root.get("viewBox").split()[3])
    assert max(float(t.get("y")) for t in root.iter(f"{SVG_NS}text")) < height


# --------------------------------------------------------------------------- series


def test_series_plots_exactly_the_data_points() -> None:
    svg = render("series", SERIES)
    assert svg.count('class="pt"') == 5
    root = parse(svg)
    labels = [t.text for t in root.iter(f"{SVG_NS}text")]
    for value in ("120", "135", "150", "10", "95"):
        assert value in labels
    assert "Branch visits — thousands per year" in labels
    assert "Online sessions — thousands per year" in labels
    assert "0" in labels  # y axis starts at zero


def test_series_never_joins_series_nor_draws_across_a_missing_year() -> None:
    root = parse(render("series", SERIES))
    colours = {}
    for line in root.iter(f"{SVG_NS}line"):
        stroke = line.get("stroke")
        if line.get("stroke-width") == "2" and float(line.get("x1")) > 60:
            colours.setdefault(stroke, []).append(line)
    # 2 segments between consecutive years; none across 2014 -> 2019, no bridge between series
    assert sorted(len(v) for v in colours.values()) == [2]
    assert "Points are not joined across years with no reported value" in \
        render("series", SERIES)


def test_series_without_gaps_has_no_gap_note() -> None:
    data = {"series": [{"label": "a", "points": [{"x": 2001, "y": 1}, {"x": 2002, "y": 2}]}]}
    svg = render("series", data)
    assert "stroke-dasharray" not in svg
    assert "not joined" not in svg


def test_series_has_axis_titles_with_units() -> None:
    labels = [t.text for t in parse(render("series", {"series": [
        {"label": "a", "unit": "calls per year", "points": [{"x": 2001, "y": 1}]},
        {"label": "b", "unit": "calls per year", "points": [{"x": 2003, "y": 2}]}]})).iter(
        f"{SVG_NS}text")]
    assert "Year" in labels and "calls per year" in labels


def test_series_markers_differ_per_series() -> None:
    root = parse(render("series", SERIES))
    circles = root.findall(f".//{SVG_NS}circle[@class='pt']")
    squares = root.findall(f".//{SVG_NS}rect[@class='pt']")
    assert (len(circles), len(squares)) == (3, 2)


# --------------------------------------------------------------------------- state map


def test_state_map_has_51_tiles_with_marks() -> None:
    svg = render("state-map", state_map())
    root = parse(svg)
    tiles = root.findall(f".//{SVG_NS}g[@class='tile']")
    assert len(tiles) == 51
    assert "missing" not in svg
    codes = {t.findall(f"{SVG_NS}text")[0].text for t in tiles}
    assert codes == set(ALL_CODES)
    marks = [t.find(f"{SVG_NS}text[@class='mark']").text for t in tiles]
    assert set(marks) == {s["mark"] for s in STATUSES}
    legend = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert "Full programme (9)" in legend and "Not verified (8)" in legend
    assert "Status as of 2024-05" in legend


def test_state_map_missing_states_are_outlined() -> None:
    svg = render("state-map", state_map(ALL_CODES[:-3]))
    root = parse(svg)
    missing = root.findall(f".//{SVG_NS}g[@class='tile missing']")
    assert {g.find(f"{SVG_NS}text").text for g in missing} == set(ALL_CODES[-3:])
    assert "No data (3)" in [t.text for t in root.iter(f"{SVG_NS}text")]


def test_state_map_hatches_unverified_with_deterministic_id() -> None:
    svg = render("state-map", state_map())
    ids = re.findall(r'<pattern id="([^"]+)"', svg)
    assert len(ids) == 1
    assert svg.count(f'fill="url(#{ids[0]})"') == 8 + 1  # 8 tiles + legend swatch
    other = state_map()
    other["as_of"] = "2025"
    assert re.findall(r'<pattern id="([^"]+)"', render("state-map", other)) != ids
    # Labels starting with "Not verified" are hatched too, whatever the id.
    renamed = state_map()
    renamed["statuses"][-1] = {"id": "unknown", "label": "Not verified yet", "mark": "?"}
    for item in renamed["states"]:
        if item["status"] == "not-verified":
            item["status"] = "unknown"
    assert "<pattern" in render("state-map", renamed)


def test_state_map_text_contrast_meets_wcag_aa() -> None:
    root = parse(render("state-map", state_map()))
    for tile in root.findall(f".//{SVG_NS}g[@class='tile']"):
        fill = tile.find(f"{SVG_NS}rect").get("fill")
        for text in tile.findall(f"{SVG_NS}text"):
            assert contrast(fill, text.get("fill")) >= 4.5, (fill, text.get("fill"))


def test_state_map_palette_differs_in_lightness() -> None:
    root = parse(render("state-map", state_map()))
    fills = {
        tile.find(f"{SVG_NS}rect").get("fill")
        for tile in root.findall(f".//{SVG_NS}g[@class='tile']")
    }
    lum = sorted(luminance(f) for f in fills)
    assert len(lum) == 6
    assert all(b / a > 1.3 for a, b in zip(lum, lum[1:], strict=False))


# --------------------------------------------------------------------------- WeasyPrint


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_weasyprint_renders_inline_svgs_without_warnings() -> None:
    figures = "".join(
        f"<figure>{render(kind, data, title=f'{kind} alt <&>')}</figure>"
        for kind, data in sorted(FIXTURES.items())
    )
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Doc</title>'
        "<style>@page { size: A4; margin: 25mm } figure { width: 160mm; margin: 0 }</style>"
        f"</head><body>{figures}</body></html>"
    )
    logger = logging.getLogger("weasyprint")
    handler = _Capture()
    logger.addHandler(handler)
    try:
        pdf = weasyprint.HTML(string=html).write_pdf(pdf_tags=True, uncompressed_pdf=True)
    finally:
        logger.removeHandler(handler)
    assert pdf.startswith(b"%PDF")
    assert [r.getMessage() for r in handler.records] == []
    for kind in FIXTURES:
        assert f"/Alt ({kind} alt <&>)".encode() in pdf


def test_a_figure_too_tall_for_a_page_is_refused_not_cut() -> None:
    events = [{"date": str(1950 + i), "label": f"Event {i}"} for i in range(60)]
    with pytest.raises(ValueError, match=r"^the timeline is too tall to print on one page "
                                         r"\(\d+ of at most 840 units\); split its data into "
                                         r"two figures$"):
        render("timeline", {"title": "t", "as_of": "2020", "events": events})
