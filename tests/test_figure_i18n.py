"""The tool's words inside figures (axis titles, legend rows, notes, dates, numbers) follow the
edition's language, in print and on screen; English figures keep their words and formats."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kratom_report.compose.figures import render_figure
from kratom_report.compose.i18n import Words
from kratom_report.compose.render import render_edition
from kratom_report.pipeline import Composer
from kratom_report.source.project import load_project

from conftest import FIXTURES

# Two series counting different things, with a gap (the note) and a four-digit value.
SERIES = """title: Exposures
as_of: "2026-04"
sources: [dea2016notice]
series:
  - {label: Calls, unit: calls per year, points: [{x: 2010, y: 26}, {x: 2015, y: 1807}]}
  - {label: Cases, unit: cases per year, points: [{x: 2011, y: 13.5}, {x: 2012, y: 682}]}
"""
# Three states listed: every other tile is "No data"; a full as_of date.
STATES = """title: States
as_of: "2026-04-30"
sources: [dea2016notice]
statuses:
  - {id: banned, label: Banned, mark: B}
  - {id: not-verified, label: Not verified, mark: "?"}
states:
  - {state: AL, status: banned}
  - {state: AR, status: banned}
  - {state: AK, status: not-verified}
"""
FIGURES = """  - type: figure
    kind: series
    data: data/series.yaml
    caption: Exposures.
    alt: Two separate series of exposures.
    source: "[@dea2016notice]"
  - type: figure
    kind: tile-map
    data: data/states.yaml
    caption: States.
    alt: A map of three states.
    source: "[@dea2016notice]"
"""
# A study by two authors, named in the evidence table by the tool's joining word.
TWO_AUTHORS = """- key: smith2020two
  type: article-journal
  author: [{family: Smith, given: A.}, {family: Jones, given: B.}]
  title: A study by two authors
  container-title: Journal of Fixtures
  issued: 2020
"""
STUDY = ('      - {study: "[@smith2020two]", design: Cohort, n: 12, population: Adults, '
         "finding: None, certainty: low}\n")
# Every word the tool writes itself into figures and the evidence table, in English, and
# the English month abbreviations and digit grouping.
ENGLISH = ["Year", "No data", "Points are not joined", "Values: units as in the legend",
           "Status as of", "Data as of", "Aug", "Sep", "1,807", "Smith and Jones"]


def _report(root: Path, lang: str) -> Path:
    """The tiny report with a series and a tile map, its policymaker edition in ``lang``."""
    shutil.copytree(FIXTURES / "tiny", root)
    report = root / "report"
    (report / "data" / "series.yaml").write_text(SERIES, encoding="utf-8")
    (report / "data" / "states.yaml").write_text(STATES, encoding="utf-8")
    timeline = report / "data" / "timeline.yaml"
    timeline.write_text(timeline.read_text(encoding="utf-8")
                        + '  - {date: "2017-09", label: A month}\n', encoding="utf-8")
    refs = report / "references.yaml"
    refs.write_text(refs.read_text(encoding="utf-8") + TWO_AUTHORS, encoding="utf-8")
    intro = report / "sections" / "intro.yaml"
    text = intro.read_text(encoding="utf-8").replace(
        "  - type: evidence_table\n", FIGURES + "  - type: evidence_table\n", 1)
    intro.write_text(text.replace("certainty: low}\n", "certainty: low}\n" + STUDY, 1),
                     encoding="utf-8")
    yaml_path = report / "report.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace(
        "    paper: letter\n", f"    paper: letter\n    language: {lang}\n"), encoding="utf-8")
    return root


def _figures(html: str) -> str:
    """Every figure's art and caption, and the evidence table: where the tool's words stand."""
    found = re.findall(r"<figure .*?</figure>", html, flags=re.S)
    assert len(found) == 3, len(found)
    tables = re.findall(r'<table class="data-table evidence.*?</table>', html, flags=re.S)
    assert len(tables) == 1, len(tables)
    return "\n".join(found + tables)


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, str]:
    """The figures of the Spanish print and web editions, the French print one, and English."""
    out: dict[str, str] = {}
    for lang in ("es", "fr"):
        project = load_project(_report(tmp_path_factory.mktemp(lang) / "tiny", lang))
        out[lang] = _figures(render_edition(project, "policymaker").html)
        if lang == "es":
            composer = Composer.for_project(project)
            web = composer.web(composer.edition("policymaker"))
            out["es-web"] = _figures(web.html)
            out["en"] = _figures(render_edition(project, "clinician").html)
    return out


@pytest.mark.parametrize("view", ["es", "es-web"])
def test_spanish_figures_speak_spanish(editions, view):
    figures = editions[view]
    for word in ["Año", "Sin datos (48)", "Banned (2)",
                 "Los puntos no se unen entre años sin valor notificado",
                 "Valores: unidades según la leyenda",
                 "Situación a fecha de 30 de abril de 2026",
                 "Datos a fecha de abril de 2026.",
                 ">31 ago 2016<", ">sept 2017<", ">2018<", ">1.807<", ">13,5<",
                 "Smith y Jones (2020)", "Kruegel et al. (2016)"]:
        assert word in figures, word
    for english in ENGLISH:
        assert english not in figures, english


def test_french_figures_speak_french(editions):
    figures = editions["fr"]
    for word in ["Année", "Aucune donnée (48)", "Les points ne sont pas reliés",
                 "Valeurs : unités indiquées dans la légende",
                 "Situation à jour : 30 avril 2026", "Données à jour : avril 2026.",
                 ">31 août 2016<", ">sept. 2017<", ">1\u202f807<", ">13,5<",
                 "Smith et Jones (2020)", "Kruegel et al. (2016)"]:
        assert word in figures, word
    for english in ENGLISH:
        assert english not in figures, english


def test_english_edition_of_the_same_report_keeps_its_words(editions):
    figures = editions["en"]
    for word in ["Year", "No data (48)", "Points are not joined across years",
                 "Values: units as in the legend", "Status as of 2026-04-30",
                 "Data as of 2026-04.", ">31 Aug 2016<", ">Sep 2017<", ">1,807<", ">13.5<",
                 "Smith and Jones (2020)", "Kruegel et al. (2016)"]:
        assert word in figures, word


def test_a_new_year_is_bold_whatever_the_date_looks_like():
    data = {"events": [{"date": "2016-08", "label": "a"}, {"date": "2016-09", "label": "b"},
                       {"date": "2017", "label": "c"}]}
    for lang, first in [("en", "Aug 2016"), ("th", "ส.ค. 2016")]:
        svg = render_figure("timeline", data, title="t", accent="#1f5f8b", words=Words(lang))
        bold = re.findall(r'font-weight="bold">([^<]+)<', svg)
        assert bold == [first, "2017"], bold


@pytest.mark.parametrize(("lang", "lines"), [
    ("fr", ["Les points ne sont pas reliés entre des années sans valeur déclarée ; aucune "
            "valeur n'est indiquée pour", "ces années."]),
    ("th", ["จุดข้อมูลไม่ได้เชื่อมต่อกันข้ามปีที่ไม่มีการรายงานค่า "
            "และไม่แสดงค่าของปีเหล่านั้น"]),
    ("en", ["Points are not joined across years with no reported value; no value is shown "
            "for those years."]),
])
def test_the_gap_note_wraps_inside_the_figure(lang, lines):
    data = {"series": [{"label": "a", "points": [{"x": 2010, "y": 1}, {"x": 2015, "y": 2}]}]}
    svg = render_figure("series", data, title="t", accent="#1f5f8b", words=Words(lang))
    note = re.findall(r'<text x="56" y="([\d.]+)" font-size="10" fill="#4d4d4d">([^<]+)<', svg)
    assert note == [(str(328 + 16 * i), line) for i, line in enumerate(lines)]
    # the figure grows by the second line, so nothing below is cut off
    assert f'viewBox="0 0 640 {336 + 16 * (len(lines) - 1)}"' in svg
