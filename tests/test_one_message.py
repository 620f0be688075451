"""One mistake, one message: nothing cascades, messages say what to do, text prints as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kratom_report.build import check
from kratom_report.errors import Problem

REPORT = "report/report.yaml"
REFS = "report/references.yaml"
INTRO = "report/sections/intro.yaml"
PRACTICE = "report/sections/practice.yaml"
TIMELINE = "report/data/timeline.yaml"

# A .bib beside references.yaml: three entries, the middle one edited by each case.
BIB = """@article{smith2020trial,
  author = {Smith, J.},
  title = {A trial},
  journal = {J Ex},
  year = {2020},
  doi = {10.5555/x.1},
}

@article{jones2021,
  author = {Jones, K.},
  title = {Another trial},
  year = {2021},
  doi = {10.5555/x.2},
}

@misc{late2022,
  title = {Late},
  url = {https://example.org},
  year = 2022,
}
"""


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def use_bib(root: Path, bib: str) -> None:
    """List extra.bib after references.yaml and cite all three of its entries."""
    (root / "report" / "extra.bib").write_text(bib, encoding="utf-8")
    edit(root, REPORT, "changelog: changelog.yaml",
         "changelog: changelog.yaml\nreferences: [references.yaml, extra.bib]")
    edit(root, INTRO, "one source [@kruegel2016synthetic]",
         "one source [@kruegel2016synthetic; @smith2020trial; @jones2021; @late2022]")


_TINY_REPORT = (Path(__file__).parent / "fixtures" / "tiny" / REPORT).read_text(encoding="utf-8")
EDITIONS = _TINY_REPORT[_TINY_REPORT.index("editions:\n"):_TINY_REPORT.index("sections:\n")]

# (case id, edits as (file, old, new), the one message)
REPORT_MISTAKES = [
    ("version-unquoted", [(REPORT, 'version: "1.0.0"', "version: 1.10")],
     'report/report.yaml:5:10: version must be a quoted string: write version: "1.10" '
     "(unquoted, YAML reads it as the number 1.1)"),
    ("accent-name", [(REPORT, 'accent: "#1f5f8b"', "accent: blue")],
     "report/report.yaml:18:13: 'accent' has invalid value 'blue' "
     '(expected a hex colour like "#1f5f8b")'),
    ("accent-comment", [(REPORT, 'accent: "#1f5f8b"', "accent: #1f5f8b")],
     "report/report.yaml:18:13: 'accent' is empty because # starts a YAML comment; quote the "
     'value: accent: "#1f5f8b"'),
    ("edition-without-id", [(REPORT, "  - id: policymaker\n    title:", "  - title:")],
     "report/report.yaml:23:5: missing required key 'id' in editions item 2"),
    ("editions-not-a-list", [(REPORT, EDITIONS, "editions: clinician\n")],
     "report/report.yaml:14:11: 'editions' must be a list, not text"),
    ("references-a-string", [(REPORT, "changelog: changelog.yaml",
                              "changelog: changelog.yaml\nreferences: references.yml")],
     "report/report.yaml:34:13: 'references' must be a list, not text; write references: "
     "[references.yml]"),
    ("references-file-missing", [(REPORT, "changelog: changelog.yaml",
                                  "changelog: changelog.yaml\nreferences: [references.yml]")],
     "report/report.yaml:34:14: reference file 'report/references.yml' not found "
     "(did you mean 'references.yaml'?)"),
    ("section-unknown", [(REPORT, "  - practice\n", "  - practise\n")],
     "report/report.yaml:32:5: section 'practise' has no file report/sections/practise.yaml "
     "(did you mean 'practice'?)"),
    ("top-level-key-misspelt", [(REPORT, "title: Tiny", "titel: Tiny")],
     "report/report.yaml:2:1: unknown key 'titel' (did you mean 'title'?)"),
    ("changelog-a-list", [(REPORT, "changelog: changelog.yaml", "changelog: [changelog.yaml]")],
     "report/report.yaml:33:12: 'changelog' must be text, not a list"),
    ("key-indented-too-far", [(REPORT, "    audience: clinicians\n",
                               "     audience: clinicians\n")],
     "report/report.yaml:17:6: wrong indentation: 'audience' is indented 5 spaces but 'title' "
     "on line 16 is indented 4; indent keys that belong together by the same number of spaces"),
]

REFERENCE_MISTAKES = [
    ("yaml-syntax-error", [(REFS, "  type: webpage\n", "  type: webpage\n   note: [x\n")],
     "report/references.yaml:58:4: wrong indentation: 'note' is indented 3 spaces but 'type' "
     "on line 57 is indented 2; indent keys that belong together by the same number of spaces"),
    ("yaml-unclosed-list", [(REFS, "  topics:\n  - safety\n  - regulation\n",
                             "  topics: [safety, regulation\n")],
     "report/references.yaml:66:11: this '[' is never closed; end the list with ']'"),
    ("duplicate-yaml-key", [(REFS, "  type: webpage\n", "  type: webpage\n  type: report\n")],
     "report/references.yaml:58:3: duplicate key 'type' (first defined at line 57)"),
    ("duplicate-reference-key", [(REFS, "    before publishing'\n",
                                  "    before publishing'\n- key: DEA2016Notice\n  type: webpage\n"
                                  "  title: A copy\n  URL: https://example.org/copy\n")],
     "report/references.yaml:74:8: duplicate reference key 'DEA2016Notice' (keys are "
     "case-insensitive; first defined in report/references.yaml:37)"),
    ("malformed-doi", [(REFS, "DOI: 10.1021/jacs.6b00360", "DOI: doi:10.1021/jacs.6b00360")],
     "report/references.yaml:29:8: malformed DOI 'doi:10.1021/jacs.6b00360' (expected "
     "10.<registrant>/<suffix>, without 'doi:' or 'https://doi.org/')"),
    ("missing-title", [(REFS, "  title: Multistate Outbreak of Salmonella Infections Linked to "
                              "Kratom (Final Update)\n", "")],
     "report/references.yaml:56:3: missing required key 'title'"),
    ("misspelt-field", [(REFS, "  title: Multistate", "  titel: Multistate")],
     "report/references.yaml:60:3: unknown key 'titel' (did you mean 'title'?)"),
]


@pytest.mark.parametrize(("edits", "message"), [pytest.param(e, m, id=i) for i, e, m in
                                                REPORT_MISTAKES + REFERENCE_MISTAKES])
def test_one_mistake_is_one_message(cli, tiny, edits, message):
    for rel, old, new in edits:
        edit(tiny, rel, old, new)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]


BIB_MISTAKES = [
    ("unclosed-brace", ("title = {Another trial},", "title = {Another {trial},"),
     "report/extra.bib:9:1: BibTeX entry 'jones2021' is not closed before the next entry, on line "
     "16: a '{' or "
     "'\"' in it has no partner; check its braces and quotes (this entry is skipped)"),
    ("comma-after-key", ("@article{jones2021,", "@article{jones2021"),
     "report/extra.bib:9:1: BibTeX entry 'jones2021': expected ',' after the key; write it as "
     "@type{jones2021, field = {...}, ...} (this entry is skipped)"),
]


@pytest.mark.parametrize(("change", "message"), [pytest.param(c, m, id=i) for i, c, m in
                                                 BIB_MISTAKES])
def test_a_broken_bibtex_entry_is_one_message(cli, tiny, change, message):
    old, new = change
    assert old in BIB
    use_bib(tiny, BIB.replace(old, new, 1))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    # The entries around the broken one still load: their citations are not "unknown".
    assert result.stderr.splitlines() == [message]


def test_a_good_bibtex_file_checks(cli, tiny):
    use_bib(tiny, BIB)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_an_unreadable_reference_file_keeps_other_citations_checked(cli, tiny):
    edit(tiny, REFS, "  type: webpage\n", "  type: webpage\n  type: report\n")
    edit(tiny, PRACTICE, "[@cdc2018salmonella]", "[@cdc2018salmonela]")
    result = cli("check", "--source", tiny)
    assert result.stderr.splitlines() == [
        "report/references.yaml:58:3: duplicate key 'type' (first defined at line 57)",
        "report/sections/practice.yaml:7:48: unknown citation key 'cdc2018salmonela'",
    ]


def test_an_invalid_report_still_checks_what_does_not_depend_on_it(cli, tiny):
    edit(tiny, REPORT, 'version: "1.0.0"', "version: 1.10")
    edit(tiny, REPORT, 'accent: "#7a3b69"', 'accent: "#aaaaaa"')
    edit(tiny, PRACTICE, "audiences: [clinician]", "audiences: [clinican]")
    edit(tiny, INTRO, "[@dea2016notice; ", "[@dea2016notise; ")
    result = cli("check", "--source", tiny)
    assert result.stderr.splitlines() == [
        'report/report.yaml:5:10: version must be a quoted string: write version: "1.10" '
        "(unquoted, YAML reads it as the number 1.1)",
        "report/report.yaml:26:13: accent '#aaaaaa' has a contrast of 2.3:1 with white; text "
        "needs at least 4.5:1 (WCAG AA): choose a darker colour",
        "report/sections/intro.yaml:11:44: unknown citation key 'dea2016notise' "
        "(did you mean 'dea2016notice'?)",
        "report/sections/practice.yaml:8:17: unknown edition 'clinican' in audiences "
        "(did you mean 'clinician'?) (editions: clinician, policymaker)",
    ]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("title: Practice\n", "title: [Practice\n",
     "report/sections/practice.yaml:2:8: this '[' is never closed; end the list with ']'"),
    ("  - type: callout\n", "  - type: calout\n",
     "report/sections/practice.yaml:5:11: unknown block type 'calout', expected one of: "
     "markdown, callout, table, evidence_table, figure (did you mean 'callout'?)"),
])
def test_a_broken_section_does_not_make_its_references_uncited(cli, tiny, old, new, message):
    # cdc2018salmonella is then cited in practice.yaml only: no "not cited" guess about it.
    edit(tiny, INTRO, "; @cdc2018salmonella, p. 2", "")
    edit(tiny, PRACTICE, old, new)
    result = cli("check", "--source", tiny)
    assert result.stderr.splitlines() == [message]


# ------------------------------------------------------------------ messages a beginner reads


@pytest.mark.parametrize(("rel", "old", "new", "message"), [
    pytest.param(INTRO, "n: 0,", "n: 1,180,",
                 "report/sections/intro.yaml:21:65: 'n: 1,180' was read as separate entries, "
                 "because a comma inside { } separates entries; quote the value: n: \"1,180\"",
                 id="comma-in-flow-mapping"),
    pytest.param(INTRO, "n: 0,", "n: 1,180,000,",
                 "report/sections/intro.yaml:21:65: 'n: 1,180,000' was read as separate "
                 "entries, because a comma inside { } separates entries; quote the value: "
                 "n: \"1,180,000\"", id="two-commas"),
    pytest.param(INTRO, "    kind: timeline\n", "   kind: timeline\n",
                 "report/sections/intro.yaml:13:4: wrong indentation: 'kind' is indented 3 "
                 "spaces but 'type' on line 12 is indented 4; indent keys that belong together "
                 "by the same number of spaces", id="key-indented-too-little"),
    pytest.param(REPORT, "  - id: policymaker\n", " - id: policymaker\n",
                 "report/report.yaml:23:2: wrong indentation: this list item is indented 1 "
                 "space but the item on line 15 is indented 2; indent the items of one list by "
                 "the same number of spaces", id="list-item-misaligned"),
    pytest.param(REPORT, "slug: tiny-briefing\n", " slug: tiny-briefing\n",
                 "report/report.yaml:4:2: wrong indentation: 'slug' is indented 1 space but "
                 "'subtitle' on line 3 is indented 0; indent keys that belong together by the "
                 "same number of spaces", id="top-level-key-indented"),
    pytest.param(REPORT, "subtitle: A fixture for the test suite", "subtitle: Kratom: a test",
                 "report/report.yaml:3:11: a ': ' inside an unquoted value starts a new key; "
                 "quote the value: subtitle: \"Kratom: a test\"", id="colon-in-value"),
    pytest.param(TIMELINE, 'as_of: "2026-04"', "as_of: 2026-02-30",
                 "report/data/timeline.yaml:2:8: invalid date '2026-02-30': day is out of "
                 "range for month", id="data-as-of-unquoted"),
    pytest.param(TIMELINE, 'as_of: "2026-04"', 'as_of: "2026-02-30"',
                 "report/data/timeline.yaml:2:8: 'as_of' has invalid date '2026-02-30': day is "
                 "out of range for month", id="data-as-of-quoted"),
    pytest.param(TIMELINE, '{date: "2016-08-31"', "{date: 2026-13-01",
                 "report/data/timeline.yaml:5:12: invalid date '2026-13-01': month must be in "
                 "1..12", id="event-date-unquoted"),
    pytest.param(TIMELINE, '{date: "2016-08-31"', '{date: "2026-13-01"',
                 "report/data/timeline.yaml:5:12: 'date' has invalid date '2026-13-01': month "
                 "must be in 1..12", id="event-date-quoted"),
    pytest.param(INTRO, "alt: A timeline of two milestones, in 2016 and 2018.", 'alt: ""',
                 "report/sections/intro.yaml:16:10: 'alt' is blank; describe what the figure "
                 "shows (screen readers read the alt text in place of the figure, and PDF/UA "
                 "requires it)", id="alt-empty"),
    pytest.param(INTRO, "alt: A timeline of two milestones, in 2016 and 2018.", "alt:",
                 "report/sections/intro.yaml:16:9: 'alt' is blank; describe what the figure "
                 "shows (screen readers read the alt text in place of the figure, and PDF/UA "
                 "requires it)", id="alt-no-value"),
    pytest.param(INTRO, "    alt: A timeline of two milestones, in 2016 and 2018.\n", "",
                 "report/sections/intro.yaml:12:5: missing required key 'alt' in blocks item 2: "
                 "describe what the figure shows (screen readers read the alt text in place of "
                 "the figure, and PDF/UA requires it)", id="alt-missing"),
])
def test_messages_say_what_happened_and_what_to_do(cli, tiny, rel, old, new, message):
    edit(tiny, rel, old, new)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]


# ------------------------------------------------------------------- text as the author wrote it


def test_unquoted_text_prints_as_written(tiny):
    edit(tiny, PRACTICE, "title: Practice\n", "title: 2026-01-01\n")
    edit(tiny, PRACTICE, "title: Practice point", "title: Yes")
    edit(tiny, PRACTICE, "caption: Options", "caption: 1.10")
    edit(tiny, PRACTICE, "header: [Option, Trade-off]", "header: [Option, 1.10]")
    edit(tiny, PRACTICE, "      - [Regulate POLICYONLY,",
         "      - [Yes, No]\n      - [on, 2026-01-01]\n      - [Regulate POLICYONLY,")
    edit(tiny, INTRO, "n: 0,", "n: 1.10,")
    edit(tiny, INTRO, "caption: Studies", "caption: No")
    html = {r.edition.id: r.html for r in check(tiny).editions}
    policy, clinician = html["policymaker"], html["clinician"]
    assert '<h2 class="section-title">2026-01-01</h2>' in policy
    assert "<caption>1.10</caption>" in policy
    assert '<th scope="col">1.10</th>' in policy
    assert "<tr><td>Yes</td><td>No</td></tr>" in policy
    assert "<tr><td>on</td><td>2026-01-01</td></tr>" in policy
    assert '<td class="num">1.10</td>' in policy
    assert "<caption>No</caption>" in policy
    assert '<p class="callout-title">Yes</p>' in clinician


def test_numbers_that_print_as_written_keep_their_type(tiny):
    """26 stays a count (printed 1,180 with a separator); only text YAML would change is kept."""
    edit(tiny, INTRO, "n: 0,", "n: 1180,")
    html = check(tiny).editions[0].html
    assert '<td class="num">1,180</td>' in html


# --------------------------------------------------------------------- citation-like slips


def test_bare_and_broken_citations_are_warnings(cli, tiny):
    edit(tiny, INTRO, "Shared paragraph citing one source [@kruegel2016synthetic].",
         "Shared [@kruegel2016synthetic] as shown by @kruegel2016synthetic. Mail a@b.org, "
         "keep `@code`, see [@dea2016notice and [@ cdc2018salmonella].")
    warnings = [
        "report/sections/intro.yaml:7:50: warning: '@kruegel2016synthetic' is not a citation "
        "without brackets; to cite it, write [@kruegel2016synthetic]",
        "report/sections/intro.yaml:7:105: warning: '[@dea2016notice and [@ cdc2018salmonella]' "
        "is not a citation; write [@key], [@a; @b] or [@key, p. 12]",
    ]
    result = cli("check", "--source", tiny)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == warnings
    strict = cli("check", "--strict", "--source", tiny)
    assert strict.exit_code == 1
    assert strict.stderr.splitlines() == warnings


@pytest.mark.parametrize(("text", "message"), [
    ("Unclosed [@kruegel2016synthetic here.",
     "report/sections/intro.yaml:7:16: warning: unclosed citation '[@kruegel2016synthetic': "
     "add the closing ']', as in [@kruegel2016synthetic]"),
    ("Spaced [@ kruegel2016synthetic] here.",
     "report/sections/intro.yaml:7:14: warning: citation '[@ kruegel2016synthetic]' has a "
     "space after '@'; write [@kruegel2016synthetic]"),
])
def test_unclosed_or_spaced_citation(cli, tiny, text, message):
    edit(tiny, INTRO, "Shared paragraph citing one source [@kruegel2016synthetic].", text)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [message]


def test_email_addresses_and_code_are_not_citations(cli, tiny):
    edit(tiny, INTRO, "Shared paragraph citing one source [@kruegel2016synthetic].",
         "Write to first.last@example.org or a@b.org, run `git log --author=@me` "
         "[@kruegel2016synthetic].")
    result = cli("check", "--strict", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


# ----------------------------------------------------------------------------------- JSON


def test_a_problem_has_the_fields_json_needs():
    located = Problem("report/report.yaml", 5, 10, "version must be a quoted string")
    assert located.as_json() == {"file": "report/report.yaml", "line": 5, "column": 10,
                                 "severity": "error",
                                 "message": "version must be a quoted string"}
    unplaced = Problem("report/sections/x.yaml", message="not listed", severity="warning")
    assert json.loads(json.dumps(unplaced.as_json())) == {
        "file": "report/sections/x.yaml", "line": None, "column": None,
        "severity": "warning", "message": "not listed"}
