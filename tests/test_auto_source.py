"""`source: auto`: a figure cites every reference its data file names, per item included."""

from __future__ import annotations

import re

from kratom_report.build import check


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_auto_cites_the_data_files_keys_and_its_items(tiny):
    intro = tiny / "report" / "sections" / "intro.yaml"
    _edit(intro, '    source: "[@dea2016notice]"\n', "    source: auto\n")
    html = check(tiny).editions[0].html
    line = re.search(r'<span class="figure-source">(.*?)</span>', html).group(1)
    numbers = re.findall(r'href="#ref-(\d+)"', line)
    assert line.startswith("Sources: ") and len(numbers) == 2  # dea2016notice, cdc2018salmonella


def test_a_state_entrys_sources_are_checked_and_cited(cli, tiny):
    (tiny / "report" / "data" / "states.yaml").write_text(
        'title: States\nas_of: "2026-01"\nsources: []\n'
        "statuses:\n  - {id: a, label: A, mark: A}\n"
        "states:\n  - {state: CA, status: a, sources: [dea2016notice]}\n"
        "  - {state: NY, status: a, sources: [nosuch2020]}\n")
    practice = tiny / "report" / "sections" / "practice.yaml"
    practice.write_text(practice.read_text() + (
        "  - type: figure\n    kind: state-map\n    data: data/states.yaml\n"
        "    caption: States.\n    alt: Two states.\n    source: auto\n"))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/data/states.yaml:8:38: unknown citation key 'nosuch2020'\n")
    _edit(tiny / "report" / "data" / "states.yaml", "[nosuch2020]", "[cdc2018salmonella]")
    assert cli("check", "--source", tiny, "--strict").exit_code == 0
