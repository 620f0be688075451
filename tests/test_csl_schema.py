"""What the tool hands to reference managers and archives: CSL-JSON valid against the official
schema (tests/schemas/csl/, MIT), BibTeX that re-imports to the same references, and ISBNs
counted as identifiers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pikepdf
import pytest
import yaml

from kratom_report import Report
from kratom_report.build import check
from kratom_report.references.csldata import OWN_FIELDS, to_csl_item
from kratom_report.references.csljson import csljson_to_refs, export_csljson
from kratom_report.references.files import load_reference_file

from conftest import REPO

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "csl" / "csl-data.json")
                    .read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
NOTES = OWN_FIELDS - {"key"}


def schema_errors(items: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(items)]


def loaded(path: Path) -> tuple[list[dict], list]:
    refs, problems = [], []
    for located, errs in load_reference_file(path.parent, path, 5_000_000):
        problems += errs
        if located is not None:
            refs.append(located.model.model_dump(by_alias=True, exclude_none=True, mode="json"))
            problems += getattr(located, "warnings", [])
    return refs, problems


@pytest.fixture(scope="module")
def shipped_refs() -> list[dict]:
    refs, problems = loaded(REPO / "report" / "references.yaml")
    assert problems == [] and len(refs) > 100
    return refs


# ------------------------------------------------------------------------------- CSL-JSON


def test_exported_csljson_is_valid_and_keeps_our_fields_under_custom(shipped_refs):
    items = json.loads(Report(REPO).export_references("csljson"))
    assert schema_errors(items) == []
    assert [i["id"] for i in items] == [r["key"] for r in shipped_refs]
    assert all("date-parts" in i["issued"] for i in items if "issued" in i)
    assert not (NOTES | {"key"}) & set().union(*items)
    first = items[0]
    assert first["custom"]["confidence"] == "high"
    assert first["custom"]["topics"] == ["pharmacology"]
    assert first["custom"]["verified_by"].startswith("search: pages corpus")


def test_the_schema_refuses_our_fields_at_the_top_level(shipped_refs):
    """The check above can fail: an item as our YAML holds it is not CSL-JSON."""
    errors = schema_errors([{**shipped_refs[0], "id": "x"}])
    assert "[0]: Additional properties are not allowed ('confidence', 'key', 'study_design', " \
        "'topics', 'verified_by' were unexpected)" in errors
    assert "[0, 'issued']: 2016 is not valid under any of the given schemas" in errors


def test_a_csljson_export_imports_back_whole(shipped_refs):
    back = csljson_to_refs(json.loads(export_csljson(shipped_refs)))
    assert [to_csl_item(r) for r in back] == [to_csl_item(r) for r in shipped_refs]
    assert [{k: r[k] for k in NOTES if k in r} for r in back] == \
        [{k: r[k] for k in NOTES if r.get(k) not in (None, [])} for r in shipped_refs]


def test_without_notes_the_export_is_bibliographic_only(shipped_refs):
    items = json.loads(export_csljson(shipped_refs, notes=False))
    assert schema_errors(items) == []
    assert not any("custom" in i for i in items)
    assert "search: pages corpus" not in json.dumps(items)


def test_archival_pdf_attaches_valid_csljson_without_research_notes(tiny_built):
    folder = tiny_built.build("--pdf-variant", "pdf/a-3a")
    with pikepdf.open(folder / "tiny-briefing-clinician-v1.0.0-pdfa.pdf") as pdf:
        files = {k: v.get_file().read_bytes() for k, v in pdf.attachments.items()}
    items = json.loads(files["clinician-references.json"])
    assert schema_errors(items) == []
    assert [i["id"] for i in items] == ["kruegel2016synthetic", "dea2016notice",
                                        "cdc2018salmonella"]
    assert not any("custom" in i for i in items)
    # The fingerprinted content record keeps the references as the author wrote them, so
    # leaving the notes out of the references attachment changed no content fingerprint.
    content = json.loads(files["clinician-content.json"])
    assert content["references"][0]["key"] == "kruegel2016synthetic"


def test_a_custom_field_of_the_wrong_shape_is_refused_with_its_position(tiny, cli):
    (tiny / "report" / "more.json").write_text(json.dumps([
        {"id": "book2020", "type": "book", "title": "A book", "ISBN": "978-0-00-000000-0",
         "custom": {"topics": "safety"}}], indent=2), encoding="utf-8")
    report = tiny / "report" / "report.yaml"
    data = yaml.safe_load(report.read_text(encoding="utf-8"))
    data["references"] = ["references.yaml", "more.json"]
    report.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == \
        "report/more.json:3:12: 'topics' must be a list, not text; write topics: [safety]\n"


# ------------------------------------------------------------------------------- BibTeX


def test_bibtex_export_protects_capitals_and_reimports_the_same_references(shipped_refs,
                                                                           tmp_path):
    text = Report(REPO).export_references("bibtex")
    assert "title = {Synthetic and receptor signaling explorations of the {Mitragyna} " \
        "alkaloids: {Mitragynine} as an atypical" in text
    path = tmp_path / "references.bib"
    path.write_text(text, encoding="utf-8")
    back, problems = loaded(path)
    assert problems == []
    assert back == shipped_refs  # the tool's own fields included, values and types alike


def test_a_round_tripped_bib_file_keeps_every_content_fingerprint(tmp_path):
    root = tmp_path / "shipped"
    shutil.copytree(REPO / "report", root / "report")
    before = {r.edition.id: r.content_fingerprint for r in check(root).editions}
    (root / "report" / "references.bib").write_text(Report(root).export_references("bibtex"),
                                                     encoding="utf-8")
    (root / "report" / "references.yaml").unlink()
    report = root / "report" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace(
        "references:\n  - references.yaml", "references:\n  - references.bib"), encoding="utf-8")
    result = check(root)
    assert {r.edition.id: r.content_fingerprint for r in result.editions} == before
    assert [w.message for w in result.warnings if "reference" in w.message] == []


# ------------------------------------------------------------------------------- ISBN


def _with_book(tiny: Path, book: dict) -> None:
    """The tiny report with one Zotero CSL-JSON export of a book, cited in its introduction."""
    (tiny / "report" / "zotero.json").write_text(json.dumps([book], indent="\t"),
                                                 encoding="utf-8")
    report = tiny / "report" / "report.yaml"
    data = yaml.safe_load(report.read_text(encoding="utf-8"))
    data["references"] = ["references.yaml", "zotero.json"]
    report.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    intro = tiny / "report" / "sections" / "intro.yaml"
    intro.write_text(intro.read_text(encoding="utf-8").replace(
        "one source [@kruegel2016synthetic]", "one source [@kruegel2016synthetic; @dupre2019]"),
        encoding="utf-8")


BOOK = {"id": "dupre2019", "type": "book", "title": "Withdrawal: a fictional handbook",
        "author": [{"family": "Dupré", "given": "Anne"}], "publisher": "Example Press",
        "issued": {"date-parts": [["2019"]]}, "ISBN": "978-0-00-000000-0"}


def test_a_book_with_an_isbn_alone_passes_strict_check(tiny, cli):
    _with_book(tiny, BOOK)
    result = cli("check", "--source", tiny, "--strict")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr


def test_a_book_without_any_identifier_still_warns(tiny, cli):
    _with_book(tiny, {k: v for k, v in BOOK.items() if k != "ISBN"})
    result = cli("check", "--source", tiny, "--strict")
    assert result.exit_code == 1
    assert result.stderr == "report/zotero.json:3:10: warning: reference 'dupre2019' has no " \
        "DOI, URL, PMID or ISBN; add one, or an identifier_note saying why none is confirmed\n"
