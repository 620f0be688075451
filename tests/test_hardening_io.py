"""Reads, writes and records stay where they belong (issue 26, third hardening pass).

Each class has cases of its own: the preview's Host check on any address, the preview's
hashing (containment and size), release records (one reader: no links, a size bound, a
schema, plain file names; escaped on the terminal; a damaged manifest named), a release that
fails late leaving nothing, caches that are never trusted blindly, and the second set's links.
Where a case is about reading, an audit hook proves the outside file was never opened.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kratom_report import cachetrust
from kratom_report.authoring import preview as preview_mod
from kratom_report.authoring.previewsite import Page, Site, bind
from kratom_report.compose.record import derived_view, edition_record
from kratom_report.errors import printable
from kratom_report.references import refcache
from kratom_report.source.project import load_project

from conftest import FIXTURES, REPO

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event in ("open", "os.listdir", "os.scandir") and args and \
            isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Every path opened or listed while the test runs (an audit hook: nothing escapes it)."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("dist", ".build"))
    return dest


# ---------------------------------------------------------------- preview: the Host header


def _serve(host: str) -> tuple[object, int]:
    site = Site()
    site.publish([Page("clinician", "Draft", "draft.html", b"<p>SECRET DRAFT</p>")], [])
    server = bind(site, host, 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    return (server, thread), server.server_address[1]


def _get(port: int, host_header: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.putrequest("GET", "/draft.html", skip_host=True)
    conn.putheader("Host", host_header)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


@pytest.mark.parametrize("forged", ["evil.example", "attacker.test:8080", "localhost.evil.example"])
def test_preview_on_every_address_refuses_a_foreign_host(forged: str) -> None:
    (server, thread), port = _serve("0.0.0.0")
    try:
        status, body = _get(port, forged)
        assert (status, body) == (403, b"unexpected Host header\n")
        assert b"SECRET" not in body
        for good in (f"localhost:{port}", f"127.0.0.1:{port}", "[::1]", "192.0.2.7:80"):
            assert _get(port, good)[0] == 200, good
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        thread.join()
        server.server_close()  # type: ignore[attr-defined]


def test_preview_serves_the_host_name_it_was_started_for_and_no_other() -> None:
    site = Site()
    site.publish([Page("clinician", "Draft", "draft.html", b"<p>SECRET DRAFT</p>")], [])
    server = bind(site, "127.0.0.1", 0)
    server.names |= {"mybox.lan"}  # as --host mybox.lan gives (it cannot bind in a test)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    port = server.server_address[1]
    try:
        assert _get(port, f"MyBox.lan.:{port}")[0] == 200
        assert _get(port, f"rebound.mybox.lan:{port}") == (403, b"unexpected Host header\n")
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


# ---------------------------------------------------------------- preview: change hashing


def test_preview_never_reads_a_style_linked_outside_or_a_huge_one_in_full(
        tmp_path: Path, opened: list[str]) -> None:
    root = _copy(FIXTURES / "tiny", tmp_path / "tiny")
    outside = tmp_path / "secret.csl"
    outside.write_text("<style>secret</style>")
    (root / "report" / "linked.csl").symlink_to(outside)
    text = (root / "report" / "report.yaml").read_text()
    (root / "report" / "report.yaml").write_text(text + "max_file_mb: 1\n")
    huge = root / "report" / "huge.csl"
    huge.write_bytes(b"<style>" + b"x" * 3_000_000 + b"</style>")
    project = load_project(root)
    builder = preview_mod.WebBuilder(root, (), tmp_path / "out")
    opened.clear()
    builder._keep_bib_if_same(project)
    first = builder._bib_key
    assert str(outside) not in opened and str(huge) not in opened
    outside.write_text("<style>changed</style>")  # never read, so never noticed
    builder._keep_bib_if_same(project)
    assert builder._bib_key == first


def test_preview_shared_inputs_skip_links_out_and_fifos(tmp_path: Path,
                                                        opened: list[str]) -> None:
    from kratom_report.authoring.kept import shared_inputs

    root = _copy(FIXTURES / "tiny", tmp_path / "tiny")
    outside = tmp_path / "outside.yaml"
    outside.write_text("private: true\n")
    (root / "report" / "data" / "leak.yaml").symlink_to(outside)
    os.mkfifo(root / "report" / "data" / "pipe.yaml")  # reading it would hang the preview
    project = load_project(root)
    opened.clear()
    shared_inputs(project, "", None)
    assert str(outside) not in opened
    assert not [p for p in opened if p.endswith("pipe.yaml")]


# ---------------------------------------------------------------- release records


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """The shipped report with its release records, writable."""
    root = tmp_path / "shipped"
    root.mkdir()
    shutil.copytree(REPO / "report", root / "report")
    shutil.copytree(REPO / "releases", root / "releases")
    return root


def _tamper(root: Path, version: str, edit) -> None:
    """Change a release's content and make record and manifest agree again (as a pull
    request that edits both could)."""
    folder = root / "releases" / version
    doc = json.loads((folder / "content.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    for name, record in doc["editions"].items():
        payload = record["payload"]
        edit(payload)
        fresh = edition_record(payload, [r["entry"] for r in record["references"]])
        assert derived_view(fresh) == fresh
        doc["editions"][name] = fresh
        for row in manifest["editions"]:
            if row["edition"] == name:
                row["content_fingerprint"] = fresh["content_fingerprint"]
    (folder / "content.json").write_text(json.dumps(doc))
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("hostile", ["\x1b]0;pwned\x07", "\u202eevil\u2066", "\x9b31m\r"])
def test_diff_prints_control_characters_from_a_record_escaped(recorded: Path, cli,
                                                              hostile: str) -> None:
    def edit(payload: dict) -> None:
        payload["edition"]["key_messages"][0] += hostile

    _tamper(recorded, "1.1.1", edit)
    for fmt in ("text", "json", "html"):
        result = cli("diff", "1.1.0", "1.1.1", "--source", recorded, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert not any(ch in result.output for ch in hostile if not ch.isprintable()), fmt
    text = cli("diff", "1.1.0", "1.1.1", "--source", recorded).output
    assert printable(hostile.rstrip()) in text  # a trailing \r is white space to the diff


def _manifest(root: Path, version: str = "1.1.1") -> Path:
    return root / "releases" / version / "manifest.json"


@pytest.mark.parametrize("bad_file", ["../../../etc/passwd", "/etc/passwd", "sub/x.pdf",
                                      "javascript:alert(1).pdf", ".hidden.pdf"])
def test_a_manifest_file_name_that_is_not_plain_is_refused_by_check(recorded: Path, cli,
                                                                    bad_file: str) -> None:
    data = json.loads(_manifest(recorded).read_text())
    data["editions"][0]["file"] = bad_file
    _manifest(recorded).write_text(json.dumps(data))
    result = cli("check", "--source", recorded)
    assert result.exit_code == 1
    assert result.output == (
        "releases/1.1.1/manifest.json: not a valid release manifest (editions[0].file: must be "
        "a plain PDF file name in the release folder); restore it from version control\n")


def test_records_through_links_or_too_large_are_refused(recorded: Path, cli, tmp_path: Path,
                                                        opened: list[str]) -> None:
    outside = tmp_path / "elsewhere.json"
    shutil.copyfile(_manifest(recorded), outside)
    _manifest(recorded).unlink()
    _manifest(recorded).symlink_to(outside)
    opened.clear()
    result = cli("diff", "1.1.0", "1.1.1", "--source", recorded)
    assert (result.exit_code, result.output) == (1, (
        "releases/1.1.1/manifest.json: is a symbolic link; a release record is read only "
        "from a plain file: restore it from version control\n"))
    assert str(outside) not in opened
    _manifest(recorded).unlink()
    shutil.copyfile(outside, _manifest(recorded))
    content = recorded / "releases" / "1.1.0" / "content.json"
    with content.open("ab") as fh:
        fh.truncate(64_000_001)
    result = cli("diff", "1.1.0", "1.1.1", "--source", recorded)
    assert (result.exit_code, result.output) == (1, (
        "releases/1.1.0/content.json: larger than 64 MB, far more than a release record "
        "holds; restore it from version control\n"))


def test_a_damaged_manifest_is_named_by_check_diff_and_release(recorded: Path, cli,
                                                               tmp_path: Path) -> None:
    _manifest(recorded, "1.1.0").write_text('{"slug": "x", "editions": [}')
    expected = ("releases/1.1.0/manifest.json: not a valid release manifest (top level: "
                "Invalid JSON: expected value at line 1 column 28); restore it from version "
                "control\n")
    for args in (("check",), ("diff", "1.1.0", "1.1.1")):
        result = cli(*args, "--source", recorded)
        assert (result.exit_code, result.output) == (1, expected), args
    data = json.loads(_manifest(recorded).read_text())
    data["editions"][0]["sha256"] = "not hex"
    _manifest(recorded).write_text(json.dumps(data))
    result = cli("release", "--source", recorded, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "releases/1.1.1/manifest.json: not a valid release manifest (editions[0].sha256: "
        "String should match pattern '^[0-9a-f]{64}$'); restore it from version control")
    assert "already released" not in result.output and not (tmp_path / "out").exists()


# ---------------------------------------------------------------- a release that fails late


@pytest.mark.parametrize("late", ["stage record", "place record"])
def test_a_release_that_fails_late_leaves_nothing_and_the_next_one_succeeds(
        tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch, late: str) -> None:
    from kratom_report import atomic, release
    from kratom_report.errors import OutputError

    root = _copy(FIXTURES / "tiny", tmp_path / "tiny")
    out = tmp_path / "public"
    name = late.split()[0] + "_folder"
    real = getattr(atomic, name)

    def failing(tmp_or_target: Path, arg: object) -> object:
        if "releases" in str(arg if late == "place record" else tmp_or_target):
            raise OutputError(tmp_or_target, "disk full (injected)")
        return real(tmp_or_target, arg)

    monkeypatch.setattr(release, name, failing)
    result = cli("release", "--source", root, "--out", out, "--jobs", "1")
    assert result.exit_code == 1 and "disk full (injected)" in result.output
    assert not (out / "1.0.0").exists() and not (root / "releases" / "1.0.0").exists()
    assert sorted(p.name for p in out.iterdir()) == []  # no staged folder left behind
    assert sorted(p.name for p in (root / "releases").iterdir()) == []
    monkeypatch.undo()
    result = cli("release", "--source", root, "--out", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert (out / "1.0.0" / "manifest.json").is_file()
    assert (out / "1.0.0" / "index.html").is_file()
    assert (root / "releases" / "1.0.0" / "content.json").is_file()


# ---------------------------------------------------------------- caches


def test_a_planted_compiled_template_is_never_run(tiny: Path, cli, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import marshal

    from jinja2.bccache import bc_magic

    from kratom_report import __version__
    from kratom_report.compose.templating import Templates

    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    marker = tmp_path / "ran"
    code = compile(f"open({str(marker)!r}, 'w').write('planted')", "<planted>", "exec")
    folder = cache / "kratom-report" / "templates" / \
        f"{__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    folder.mkdir(parents=True)
    for i in range(64):  # under every name: whichever the tool might look up
        (folder / f"{i:064x}.cache").write_bytes(b"kratom-report-template-1\n" + bc_magic
                                                 + b"0\n" + marshal.dumps(code))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert Templates.for_root(tiny).environment().bytecode_cache is None
    assert sorted(p.name for p in folder.iterdir()) == [f"{i:064x}.cache" for i in range(64)]


def _refs() -> list[dict]:
    import yaml

    return yaml.safe_load((REPO / "report" / "references.yaml").read_text())["references"][:3]


@pytest.mark.parametrize("forger", ["another key", "no mac"])
def test_a_forged_reference_cache_entry_is_never_printed(cache_home: Path, forger: str) -> None:
    from kratom_report.references.bibliography import format_bibliography

    refs = _refs()
    expected = [str(e) for e in format_bibliography(refs, "american-medical-association")]
    [path] = cache_home.glob("references-*.json")
    stored = json.loads(path.read_text())
    forged = "Forged A. <i>Retracted claims</i>. 2024."
    attacker = b"k" * 32  # the key of the run that wrote a restored cache: not this user's
    for key in stored["entries"]:
        tag = refcache.mac(attacker, stored["context"], key, forged) if forger == "another key" \
            else None
        stored["entries"][key] = [forged, tag]
    path.write_text(json.dumps(stored))
    got = [str(e) for e in format_bibliography(refs, "american-medical-association")]
    assert got == expected and not any("Forged" in e for e in got)
    rewritten = json.loads(path.read_text())  # the forged entries were replaced
    assert not any(v[0] == forged for v in rewritten["entries"].values())
    assert (cache_home.parent.parent / "state" / "kratom-report" / "cache-key").stat().st_mode \
        & 0o777 == 0o600


@pytest.mark.parametrize("how", ["symlink", "world-writable", "key readable by others"])
def test_an_untrusted_cache_folder_is_not_used(cache_home: Path, tmp_path: Path, how: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from kratom_report.references.bibliography import format_bibliography

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache_home.parent.mkdir(parents=True)
    where = cache_home
    if how == "symlink":
        cache_home.symlink_to(elsewhere)
        reason = "is a symbolic link"
    elif how == "world-writable":
        cache_home.mkdir(mode=0o700)
        os.chmod(cache_home, 0o777)
        reason = "can be written by group or others"
    else:
        assert cachetrust.cache_key() is not None
        where = cachetrust.key_path()
        os.chmod(where, 0o644)
        reason = "can be read or written by others"
    for _ in range(2):
        entries = [str(e) for e in format_bibliography(_refs(), "american-medical-association")]
        assert len(entries) == 3
    assert list(elsewhere.iterdir()) == []
    assert not list(cache_home.glob("references-*.json"))
    assert capsys.readouterr().err == (
        f"warning: cache {where} {reason}; not using it (the run goes on without a cache; fix "
        "its permissions or remove it)\n")  # once, however often the cache is asked for


# ---------------------------------------------------------------- the second set's links


def test_a_sections_or_report_folder_linked_outside_is_refused_unread(
        tmp_path: Path, cli, opened: list[str]) -> None:
    root = _copy(FIXTURES / "tiny", tmp_path / "a")
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.move(root / "report" / "sections", outside / "sections")
    (root / "report" / "sections").symlink_to(outside / "sections")
    opened.clear()
    result = cli("check", "--source", root)
    assert (result.exit_code, result.output) == (1, (
        "report/report.yaml:31:3: folder 'report/sections' leads outside the report folder "
        "(after following links); a report reads only files inside its own folder: copy the "
        "file into report/ and name it relative to report/\n"))
    assert not [p for p in opened if p.startswith(str(outside))]
    other = _copy(FIXTURES / "tiny", tmp_path / "b")
    shutil.move(other / "report", outside / "report")
    (other / "report").symlink_to(outside / "report")
    opened.clear()
    result = cli("check", "--source", other)
    assert (result.exit_code, result.output) == (1, (
        "report/: folder 'report' leads outside the report folder (after following links); a "
        "report reads only files inside its own folder: copy the file into report/ and name "
        "it relative to report/\n"))
    assert not [p for p in opened if p.startswith(str(outside))]


@pytest.mark.parametrize("absolute", [True, False])
def test_an_outside_changelog_is_reported_at_report_yaml_and_bump_names_it(
        tmp_path: Path, cli, opened: list[str], absolute: bool) -> None:
    root = _copy(FIXTURES / "tiny", tmp_path / "a")
    outside = tmp_path / "cl.yaml"
    shutil.copyfile(root / "report" / "changelog.yaml", outside)
    name = str(outside) if absolute else "../../cl.yaml"
    yaml_file = root / "report" / "report.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("changelog: changelog.yaml",
                                                       f"changelog: {name}"))
    before = yaml_file.read_bytes(), outside.read_bytes()
    refusal = (f"changelog '{name}' leads outside the report folder (after following links); "
               "a report reads only files inside its own folder: copy the file into report/ "
               "and name it relative to report/")
    opened.clear()
    result = cli("check", "--source", root)
    assert (result.exit_code, result.output) == (1, f"report/report.yaml:33:12: {refusal}\n")
    result = cli("version", "bump", "patch", "--source", root)
    assert (result.exit_code, result.output) == (
        1, f"report/report.yaml: {refusal}; nothing was changed\n")
    assert str(outside) not in opened
    assert (yaml_file.read_bytes(), outside.read_bytes()) == before


def test_version_bump_through_a_linked_report_folder_names_the_link(tmp_path: Path, cli,
                                                                    opened: list[str]) -> None:
    root = _copy(FIXTURES / "tiny", tmp_path / "a")
    outside = tmp_path / "real-report"
    shutil.move(root / "report", outside)
    (root / "report").symlink_to(outside)
    before = (outside / "report.yaml").read_bytes()
    opened.clear()
    result = cli("version", "bump", "minor", "--source", root)
    assert (result.exit_code, result.output) == (1, (
        "report/: is a symbolic link leading outside the report folder; refusing to write "
        "through it, so nothing was changed\n"))
    assert str(outside / "report.yaml") not in opened
    assert (outside / "report.yaml").read_bytes() == before
