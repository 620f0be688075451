"""Retracted and corrected sources: the Retraction Watch CSV, check, release and Crossref.

The CSV rows below use the database's real column layout (as Crossref publishes it, with the
trailing empty column of the current export) and test DOIs under Crossref's example prefix
10.5555, cited by a copy of the tiny fixture.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kratom_report.references.retractions import csv_date, normalise_doi

from conftest import FIXTURES

HEADER = ("Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
          "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
          "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes,")
ROWS = [
    # A retraction, the cited DOI written with the resolver prefix and in upper case.
    "1001,A test work that was retracted,(HSC) Medicine;,Test Institute;,Journal of Tests,"
    "Test Publisher,United States,A. Example,https://example.org/rw/1001,Research Article;,"
    "1/31/2023 0:00,10.5555/test.notice.1,0,3/2/2020 0:00,"
    "https://doi.org/10.5555/TEST.RETRACTED.1,0,Retraction,+Falsification/Fabrication of Data;,"
    "No,,",
    # An expression of concern with an ISO date, no notice DOI and a quoted comma.
    '1002,"A test work, under concern",(HSC) Medicine;,Test Institute;,Journal of Tests,'
    "Test Publisher,United States,B. Example,,Research Article;,2022-06-15,unavailable,0,"
    '1/5/2021 0:00,10.5555/test.concern.2,0,Expression of concern,+Concerns/Issues About Data;,'
    'No,"Notes, with a comma",',
    # A correction, the DOI written with doi:.
    "1003,A test work corrected,(HSC) Medicine;,Test Institute;,Journal of Tests,Test Publisher,"
    "United States,C. Example,,Research Article;,12/1/2021 0:00,10.5555/test.erratum.3,0,"
    "5/25/2019 0:00,doi:10.5555/Test.Corrected.3,0,Correction,+Error in Text;,No,,",
    # A retraction of a work nobody cites: never listed.
    "1004,An uncited work,(HSC) Medicine;,Test Institute;,Journal of Tests,Test Publisher,"
    "United States,D. Example,,Research Article;,1/1/2020 0:00,10.5555/test.notice.4,0,"
    "1/1/2019 0:00,10.5555/test.uncited.4,0,Retraction,+Plagiarism;,No,,",
]
REFERENCES = """
- key: retracted2020
  type: article-journal
  author: [{family: Example, given: A.}]
  title: A test work that was retracted
  container-title: Journal of Tests
  issued: 2020
  DOI: 10.5555/test.retracted.1
- key: concern2021
  type: article-journal
  author: [{family: Example, given: B.}]
  title: A test work under an expression of concern
  container-title: Journal of Tests
  issued: 2021
  DOI: 10.5555/TEST.Concern.2
- key: corrected2019
  type: article-journal
  author: [{family: Example, given: C.}]
  title: A test work that was corrected
  container-title: Journal of Tests
  issued: 2019
  DOI: 10.5555/Test.Corrected.3
"""


@pytest.fixture
def cited(tmp_path: Path) -> Path:
    """The tiny report citing three test works, and the CSV at report/retraction_watch.csv."""
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    cite_the_test_works(root, root / "report" / "retraction_watch.csv")
    return root


def cite_the_test_works(root: Path, csv: Path) -> None:
    """Make the tiny report at ``root`` cite the three test works; write the CSV at ``csv``."""
    refs = root / "report" / "references.yaml"
    refs.write_text(refs.read_text() + REFERENCES)
    intro = root / "report" / "sections" / "intro.yaml"
    intro.write_text(intro.read_text().replace(
        "[@kruegel2016synthetic].\n",
        "[@kruegel2016synthetic; @retracted2020; @concern2021; @corrected2019].\n", 1))
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_text(HEADER + "\r\n" + "\r\n".join(ROWS) + "\r\n")


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _with_retractions(root: Path) -> None:
    yaml = root / "report" / "report.yaml"
    yaml.write_text(yaml.read_text() + "retractions: retraction_watch.csv\n")


def test_dois_and_dates_are_read_as_the_database_writes_them() -> None:
    assert normalise_doi(" https://doi.org/10.5555/ABC ") == "10.5555/abc"
    assert normalise_doi("http://dx.doi.org/10.5555/x") == "10.5555/x"
    assert normalise_doi("doi: 10.5555/X") == "10.5555/x"
    assert csv_date("1/31/2023 0:00") == "2023-01-31"
    assert csv_date("12/1/2021") == "2021-12-01"
    assert csv_date("2022-06-15") == "2022-06-15"
    assert csv_date("2022-06-15T00:00:00Z") == "2022-06-15"
    assert csv_date("13/45/2020 0:00") == "13/45/2020 0:00"  # kept as written


def test_the_csv_lists_every_cited_work_with_a_notice(cited: Path, cli) -> None:
    csv = cited / "report" / "retraction_watch.csv"
    result = cli("refs", "--source", cited, "--check-retractions", csv)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "retracted2020\t10.5555/test.retracted.1\tRetraction\t2023-01-31\t"
        "10.5555/test.notice.1\tRetraction Watch\n"
        "concern2021\t10.5555/TEST.Concern.2\tExpression of concern\t2022-06-15\t"
        "no notice DOI\tRetraction Watch\n"
        "corrected2019\t10.5555/Test.Corrected.3\tCorrection\t2021-12-01\t"
        "10.5555/test.erratum.3\tRetraction Watch\n")
    assert result.stderr == ("3 of 4 cited DOIs have notices in report/retraction_watch.csv; "
                             "1 retracted without a retraction_note (release refuses them)\n")


def test_the_csv_listing_as_json(cited: Path, cli) -> None:
    _with_retractions(cited)  # the file report.yaml names is the default
    result = cli("refs", "--source", cited, "--check-retractions", "--format", "json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert [f["key"] for f in found] == ["retracted2020", "concern2021", "corrected2019"]
    assert found[0] == {"key": "retracted2020", "doi": "10.5555/test.retracted.1",
                        "retracted": True, "retraction_note": None,
                        "notices": [{"nature": "Retraction", "date": "2023-01-31",
                                     "doi": "10.5555/test.notice.1",
                                     "source": "Retraction Watch"}]}
    assert [f["retracted"] for f in found] == [True, False, False]


def test_a_csv_without_the_columns_is_refused(cited: Path, tmp_path: Path, cli) -> None:
    bad = tmp_path / "other.csv"
    bad.write_text(HEADER.replace("OriginalPaperDOI", "PaperDOI") + "\n" + ROWS[0] + "\n")
    result = cli("refs", "--source", cited, "--check-retractions", bad)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{bad}: not a Retraction Watch CSV: column OriginalPaperDOI missing (expected the "
        "file Crossref publishes, with a header row naming OriginalPaperDOI, RetractionNature, "
        "RetractionDate and RetractionDOI)\n")


def test_nothing_to_read_is_a_usage_error(cited: Path, cli) -> None:
    result = cli("refs", "--source", cited, "--check-retractions")
    assert result.exit_code == 2
    assert "Error: no Retraction Watch CSV to read: name one (refs --check-retractions " \
           "FILE.csv), set 'retractions:' in report.yaml, or add --online" in result.stderr
    result = cli("refs", "--source", cited, "--online")
    assert result.exit_code == 2
    assert "Error: --online is for --check-retractions" in result.stderr
    result = cli("refs", "--source", cited, "--check-retractions", "--online",
                 "--crossref-url", "file:///etc")
    assert result.exit_code == 2
    assert "'file:///etc' is not an http(s) address like https://api.crossref.org" \
        in result.stderr


def test_check_warns_at_each_reference(cited: Path, cli) -> None:
    _with_retractions(cited)
    refs = cited / "report" / "references.yaml"
    result = cli("check", "--source", cited)
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "retraction" in line]
    retracted = _line_of(refs, "DOI: 10.5555/test.retracted.1")
    concern = _line_of(refs, "DOI: 10.5555/TEST.Concern.2")
    assert lines == [
        f"report/references.yaml:{retracted}:8: warning: reference 'retracted2020' (DOI "
        "10.5555/test.retracted.1) is retracted according to report/retraction_watch.csv: "
        "Retraction 2023-01-31 (notice 10.5555/test.notice.1); stop citing it, or add a "
        "retraction_note saying why it is still cited",
        f"report/references.yaml:{concern}:8: warning: reference 'concern2021' (DOI "
        "10.5555/TEST.Concern.2) has a notice in report/retraction_watch.csv: Expression of "
        "concern 2022-06-15; check what it changes, then add a retraction_note to record that",
        f"report/references.yaml:{_line_of(refs, 'DOI: 10.5555/Test.Corrected')}:8: warning: "
        "reference 'corrected2019' (DOI 10.5555/Test.Corrected.3) has a "
        "notice in report/retraction_watch.csv: Correction 2021-12-01 (notice "
        "10.5555/test.erratum.3); check what it changes, then add a retraction_note to "
        "record that"]
    assert cli("check", "--source", cited, "--strict").exit_code == 1


def test_a_missing_retractions_file_is_located(cited: Path, cli) -> None:
    yaml = cited / "report" / "report.yaml"
    yaml.write_text(yaml.read_text() + "retractions: missing.csv\n")
    result = cli("check", "--source", cited)
    assert result.exit_code == 1
    assert result.stderr == (
        f"report/report.yaml:{_line_of(yaml, 'retractions:')}:14: retractions file "
        "'missing.csv' not found (relative to report/); download the Retraction Watch CSV "
        "from Crossref there, or remove 'retractions:'\n")


def test_release_refuses_a_cited_retracted_work_without_a_note(cited: Path, tmp_path: Path,
                                                                cli) -> None:
    _with_retractions(cited)
    out = tmp_path / "out"
    result = cli("release", "--source", cited, "--out", out)
    assert result.exit_code == 1
    line = _line_of(cited / "report" / "references.yaml", "DOI: 10.5555/test.retracted.1")
    # Only the retraction: a correction or an expression of concern is no reason to refuse.
    assert result.stderr == (
        f"report/references.yaml:{line}:8: reference 'retracted2020' (DOI "
        "10.5555/test.retracted.1) is retracted according to report/retraction_watch.csv: "
        "Retraction 2023-01-31 (notice 10.5555/test.notice.1); stop citing it, or add a "
        "retraction_note saying why it is still cited\n")
    assert not out.exists()
    assert not (cited / "releases").exists()


def test_release_accepts_a_retracted_work_with_a_note(cited: Path, tmp_path: Path,
                                                     cli) -> None:
    _with_retractions(cited)
    refs = cited / "report" / "references.yaml"
    refs.write_text(refs.read_text().replace(
        "  DOI: 10.5555/test.retracted.1\n",
        "  DOI: 10.5555/test.retracted.1\n  retraction_note: cited as the retracted study the "
        "review discusses\n"))
    check = cli("check", "--source", cited)
    assert "retracted2020" not in check.stderr  # the note answers the warning too
    result = cli("release", "--source", cited, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "1.0.0" / "manifest.json").is_file()
    listing = cli("refs", "--source", cited, "--check-retractions", "--format", "json")
    assert json.loads(listing.stdout)[0]["retraction_note"] == (
        "cited as the retracted study the review discusses")


# --- Crossref, against a local server answering in its JSON shape -------------------------

WORKS = {
    "/works/10.5555/test.retracted.1": {"status": "ok", "message-type": "work", "message": {
        "DOI": "10.5555/test.retracted.1", "title": ["A test work that was retracted"],
        "updated-by": [
            {"DOI": "10.5555/test.correction.1", "type": "correction", "label": "Correction",
             "source": "retraction-watch", "record-id": 17,
             "updated": {"date-parts": [[2021, 3, 6]], "date-time": "2021-03-06T00:00:00Z",
                         "timestamp": 1614988800000}},
            {"DOI": "10.5555/test.notice.1", "type": "retraction", "label": "Retraction",
             "source": "publisher",
             "updated": {"date-parts": [[2023, 1, 31]], "date-time": "2023-01-31T00:00:00Z",
                         "timestamp": 1675123200000}}]}},
    "/works/10.5555/test.concern.2": {"status": "ok", "message-type": "work", "message": {
        "DOI": "10.5555/test.concern.2", "updated-by": [
            {"DOI": "10.5555/test.eoc.2", "type": "expression_of_concern",
             "label": "Expression of concern", "source": "publisher",
             "updated": {"date-parts": [[2022, 6]]}}]}},
    "/works/10.5555/test.corrected.3": {"status": "ok", "message-type": "work",
                                         "message": {"DOI": "10.5555/test.corrected.3"}},
}


class _Crossref(BaseHTTPRequestHandler):
    hits: list[str] = []
    slow: set[str] = set()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        if self.path in self.slow:
            time.sleep(1.5)
            return  # the client gave up: nothing to answer
        body = WORKS.get(self.path.lower())
        if body is None:
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"Resource not found.")
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def crossref(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[_Crossref]]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    handler = type("Handler", (_Crossref,), {"hits": [], "slow": set()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_online_lists_crossref_notices_and_caches_them(cited: Path, crossref, cli) -> None:
    args = ("refs", "--source", cited, "--check-retractions", "--online",
            "--crossref-url", crossref.url + "/")
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "retracted2020\t10.5555/test.retracted.1\tCorrection\t2021-03-06\t"
        "10.5555/test.correction.1\tCrossref\n"
        "retracted2020\t10.5555/test.retracted.1\tRetraction\t2023-01-31\t"
        "10.5555/test.notice.1\tCrossref\n"
        "concern2021\t10.5555/TEST.Concern.2\tExpression of concern\t2022-06\t"
        "10.5555/test.eoc.2\tCrossref\n")
    assert result.stderr == (
        f"2 of 4 cited DOIs have notices in {crossref.url}; 1 retracted without a "
        "retraction_note (release refuses them)\n"
        "kruegel2016synthetic: not in Crossref (registered elsewhere, or a mistyped DOI)\n")
    assert sorted(crossref.hits) == ["/works/10.1021/jacs.6b00360",
                                     "/works/10.5555/test.concern.2",
                                     "/works/10.5555/test.corrected.3",
                                     "/works/10.5555/test.retracted.1"]
    again = cli(*args)  # answered from the cache, 404 included
    assert (again.exit_code, again.stdout, again.stderr) == (0, result.stdout, result.stderr)
    assert len(crossref.hits) == 4


def test_a_damaged_cache_is_asked_again(cited: Path, crossref, cli, tmp_path: Path) -> None:
    args = ("refs", "--source", cited, "--check-retractions", "--online",
            "--crossref-url", crossref.url)
    first = cli(*args)
    for path in (tmp_path / "cache" / "kratom-report" / "crossref").iterdir():
        data = json.loads(path.read_text())
        if data["notices"]:
            data["notices"][0]["nature"] = ["not", "text"]
            path.write_text(json.dumps(data))
    second = cli(*args)
    assert second.stdout == first.stdout
    assert len(crossref.hits) == 6  # the two damaged entries only


def test_online_timeout_is_located_and_the_rest_is_listed(cited: Path, crossref, cli) -> None:
    crossref.slow.add("/works/10.5555/test.concern.2")
    result = cli("refs", "--source", cited, "--check-retractions", "--online",
                 "--crossref-url", crossref.url, "--timeout", "0.3")
    assert result.exit_code == 1
    assert "retracted2020\t10.5555/test.retracted.1\tRetraction\t2023-01-31" in result.stdout
    line = _line_of(cited / "report" / "references.yaml", "DOI: 10.5555/TEST.Concern.2")
    assert result.stderr.splitlines()[-1] == (
        f"report/references.yaml:{line}:8: reference 'concern2021': Crossref lookup of "
        f"10.5555/test.concern.2 failed: no answer from {crossref.url} within 0.3 s; try "
        "again later or raise --timeout")


def test_csv_and_crossref_together_keep_one_line_per_notice(cited: Path, crossref,
                                                            cli) -> None:
    _with_retractions(cited)
    result = cli("refs", "--source", cited, "--check-retractions", "--online",
                 "--crossref-url", crossref.url, "--format", "json")
    assert result.exit_code == 0, result.stderr
    first = json.loads(result.stdout)[0]
    assert [(n["nature"], n["date"], n["source"]) for n in first["notices"]] == [
        ("Correction", "2021-03-06", "Crossref"),
        ("Retraction", "2023-01-31", "Retraction Watch")]  # the same notice, listed once
