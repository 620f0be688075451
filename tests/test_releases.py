"""Editions, versions and releases: reproducible bytes, immutable releases, verifiable files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pikepdf

from conftest import pdfinfo, pdftext, tree_snapshot

CLIN = "tiny-briefing-clinician-v1.0.0.pdf"
POL = "tiny-briefing-policymaker-v1.0.0.pdf"


def _build_in_process(root, out, seed: str, fake_time: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    cmd = [sys.executable, "-m", "kratom_report", "build", "--source", str(root), "--out",
           str(out), "--jobs", "1"]
    subprocess.run(["faketime", fake_time, *cmd], check=True, env=env, capture_output=True)


def test_builds_are_byte_reproducible_across_processes_seeds_and_clocks(tiny, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _build_in_process(tiny, a, "1", "2001-02-03 04:05:06")
    _build_in_process(tiny, b, "4242", "2031-12-30 23:59:59")
    assert (a / CLIN).read_bytes() == (b / CLIN).read_bytes()
    assert (a / POL).read_bytes() == (b / POL).read_bytes()


def test_clinician_only_change_leaves_policymaker_bytes_identical(cli, tiny, tiny_built,
                                                                    tmp_path):
    first, second = tiny_built.build(), tmp_path / "second"
    practice = tiny / "report" / "sections" / "practice.yaml"
    practice.write_text(practice.read_text().replace("Clinician-only advice",
                                                     "Clinician-only guidance"))
    cli("build", "--source", tiny, "--out", second)
    assert (first / CLIN).read_bytes() != (second / CLIN).read_bytes()
    assert (first / POL).read_bytes() == (second / POL).read_bytes()


def test_every_page_after_the_cover_shows_edition_version_and_date(tiny_built):
    pages = pdftext(tiny_built.build() / CLIN).split("\f")
    pages = [p for p in pages if p.strip()]
    assert "Version" in pages[0] and "1.0.0" in pages[0]
    for text in pages[1:]:
        assert "Clinician edition · Version 1.0.0 · 25 November 2026" in text
        assert "DRAFT" not in text


def test_pdf_metadata(tiny_built):
    info = pdfinfo(tiny_built.build() / CLIN)
    assert info["Title"] == "Tiny evidence briefing — Clinician edition"
    assert info["Author"] == "Test Author"
    assert info["Subject"] == "Test fixture (Clinician edition, version 1.0.0)"
    assert "version 1.0.0" in info["Keywords"]
    assert info["CreationDate"] == "Wed Nov 25 00:00:00 2026 UTC"
    assert info["Tagged"] == "yes"


def test_draft_is_stamped_on_every_page_and_embeds_no_date(cli, tiny, tmp_path):
    result = cli("version", "bump", "minor", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "1.0.0 -> 1.1.0\n"
    result = cli("build", "--source", tiny, "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    # A draft never takes the name its release will have.
    assert not (tmp_path / "tiny-briefing-clinician-v1.1.0.pdf").exists()
    path = tmp_path / "tiny-briefing-clinician-v1.1.0-draft.pdf"
    pages = [p for p in pdftext(path).split("\f") if p.strip()]
    assert all("DRAFT — NOT FOR DISTRIBUTION" in p for p in pages)
    assert "Clinician edition · Version 1.1.0 · Draft" in pages[1]
    assert "CreationDate" not in pdfinfo(path)


def test_version_bump_keeps_comments(cli, tiny):
    report = tiny / "report" / "report.yaml"
    assert "# A tiny report that exercises every block type" in report.read_text()
    cli("version", "bump", "patch", "--source", tiny)
    text = report.read_text()
    assert "# A tiny report that exercises every block type" in text
    assert 'version: "1.0.1"' in text
    changelog = (tiny / "report" / "changelog.yaml").read_text()
    assert changelog.index('version: "1.0.1"') < changelog.index('version: "1.0.0"')


def test_unchanged_editions_are_skipped_unless_forced(cli, tiny, tmp_path):
    cli("build", "--source", tiny, "--out", tmp_path)
    stamp = (tmp_path / CLIN).stat().st_mtime_ns
    result = cli("build", "--source", tiny, "--out", tmp_path)
    assert "clinician: unchanged since the last build, skipped (--force rebuilds)" in \
        result.stderr
    assert (tmp_path / CLIN).stat().st_mtime_ns == stamp
    result = cli("build", "--source", tiny, "--out", tmp_path, "--force")
    assert "skipped" not in result.stderr
    assert (tmp_path / CLIN).stat().st_mtime_ns != stamp


def test_release_writes_checksummed_folder_and_repository_record(cli, tiny, tiny_built,
                                                                 tmp_path):
    out = tmp_path / "rel"
    result = cli("release", "--source", tiny, "--out", out, "--jobs", "2")
    assert result.exit_code == 0, result.stderr
    folder = out / "1.0.0"
    # One pipeline: a release's PDFs and archival copies are the bytes build writes.
    built, copies = tiny_built.build(), tiny_built.build("--pdf-variant", "pdf/a-3a")
    for name in (CLIN, POL):
        assert (folder / name).read_bytes() == (built / name).read_bytes(), name
        pdfa = name.replace(".pdf", "-pdfa.pdf")
        assert (folder / pdfa).read_bytes() == (copies / pdfa).read_bytes(), pdfa
    web = [name.replace(".pdf", ".html") for name in (CLIN, POL)]  # and the release site
    archival = [name.replace(".pdf", "-pdfa.pdf") for name in (CLIN, POL)]
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        "SHA256SUMS", "content.json", "manifest.json", CLIN, POL, *archival, *web,
        "index.html", "cite.bib", "cite.ris", "cite.json", "CITATION.cff", "zenodo.json",
        "accessibility.json", "accessibility.html"])
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, check=True,
                             capture_output=True, text=True).stdout
    assert sorted(line.split(":")[0] for line in checked.splitlines()) == sorted(
        [CLIN, POL, *archival])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [e["edition"] for e in manifest["editions"]] == ["clinician", "policymaker"]
    row = manifest["editions"][0]
    assert set(row) == {"edition", "file", "version", "date", "pages", "bytes", "sha256",
                        "content_fingerprint", "build_fingerprint", "archival"}
    assert row["archival"]["file"] == archival[0]
    assert row["archival"]["bytes"] == (folder / archival[0]).stat().st_size
    with pikepdf.open(folder / archival[0]) as pdf:  # PDF/A-3a, with its sources attached
        assert pdf.open_metadata().get("pdfaid:part") == "3"
        assert sorted(pdf.attachments) == ["clinician-content.json", "clinician-references.json"]
    assert row["date"] == "2026-11-25" and row["version"] == "1.0.0"
    record = tiny / "releases" / "1.0.0"
    assert sorted(p.name for p in record.iterdir()) == ["SHA256SUMS", "content.json",
                                                        "manifest.json"]
    assert (record / "manifest.json").read_bytes() == (folder / "manifest.json").read_bytes()
    assert (record / "content.json").read_bytes() == (folder / "content.json").read_bytes()

    before = tree_snapshot(out)
    again = cli("release", "--source", tiny, "--out", out)
    assert again.exit_code == 0
    assert "release 1.0.0 already exists and is identical; nothing to do" in again.stderr
    assert tree_snapshot(out) == before

    practice = tiny / "report" / "sections" / "practice.yaml"
    practice.write_text(practice.read_text().replace("advice", "guidance"))
    changed = cli("release", "--source", tiny, "--out", out)
    assert changed.exit_code == 1
    assert changed.stderr == (
        f"{folder}: version 1.0.0 was already released with different content; a release "
        "never changes. Run 'kratom-report version bump patch' (or minor, major), describe "
        "the change in the changelog, and release the new version\n")
    assert tree_snapshot(out) == before


def test_release_refuses_drafts(cli, tiny, tmp_path):
    cli("version", "bump", "patch", "--source", tiny)
    result = cli("release", "--source", tiny, "--out", tmp_path / "rel")
    assert result.exit_code == 1
    assert result.stderr == ("report/changelog.yaml: version 1.0.1 is a draft; give its "
                             "changelog entry a date and at least one change before releasing\n")
    assert not (tmp_path / "rel").exists()


def test_verify(cli, tiny, tiny_built, tmp_path):
    built = tiny_built.build()
    ok = cli("verify", "--source", tiny, built / POL)
    assert ok.exit_code == 0
    assert ok.stdout.startswith(f"{built / POL}: identical to a rebuild of the policymaker "
                                "edition, version 1.0.0 (sha256 ")
    practice = tiny / "report" / "sections" / "practice.yaml"
    practice.write_text(practice.read_text().replace("POLICYONLY", "POLICY-ONLY"))
    bad = cli("verify", "--source", tiny, built / POL)
    assert bad.exit_code == 1
    assert bad.stderr.startswith(f"{built / POL}: differs from a rebuild of the policymaker "
                                 "edition, version 1.0.0")
    other = tmp_path / "other.pdf"
    other.write_bytes(b"not a pdf")
    result = cli("verify", "--source", tiny, other)
    assert result.exit_code == 1 and result.stderr.startswith(f"{other}: not a readable PDF")


def test_verify_names_the_tool_and_fonts_that_made_a_differing_file(cli, tiny, tiny_built,
                                                                    tmp_path):
    """A PDF made by another version of the tool, or with other fonts, differs for that
    reason: verify says so."""
    import pikepdf

    from kratom_report import __version__

    old = tmp_path / POL
    with pikepdf.open(tiny_built.build() / POL) as pdf:
        pdf.docinfo["/Creator"] = "kratom-report 0.0.1"
        pdf.save(old, deterministic_id=True)
    result = cli("verify", "--source", tiny, old)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"; the file was made by kratom-report 0.0.1 and the rebuild by kratom-report "
        f"{__version__}, which may write other bytes: verify it with kratom-report 0.0.1\n")
    # The same tool, but a font the machine had: the fonts are named.
    other = tmp_path / "fonts" / POL
    other.parent.mkdir()
    with pikepdf.open(tiny_built.build() / POL) as pdf:
        for page in pdf.pages:
            for font in page.obj.Resources.Font.values():
                if str(font.BaseFont).endswith("+Inter-Bold"):
                    font.BaseFont = pikepdf.Name("/ABCDEF+Lato-Semi-Bold")
        pdf.save(other, deterministic_id=True)
    result = cli("verify", "--source", tiny, other)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "; the file embeds other fonts than the rebuild (only in the file: Lato-Semi-Bold; only "
        "in the rebuild: Inter-Bold): it was made with other fonts installed or in the theme\n")
    # The same sources and tool: a differing file gets no invented reason.
    practice = tiny / "report" / "sections" / "practice.yaml"
    practice.write_text(practice.read_text().replace("POLICYONLY", "POLICY-ONLY"))
    bad = cli("verify", "--source", tiny, tiny_built.build() / POL)
    assert bad.exit_code == 1 and bad.stderr.rstrip().endswith(")")


def test_archival_variant_attaches_own_sources_and_is_reproducible(cli, tiny, tiny_built,
                                                                    tmp_path):
    import pikepdf

    a, b = tiny_built.build("--pdf-variant", "pdf/a-3a"), tmp_path / "b"
    result = cli("build", "--source", tiny, "--out", b, "--pdf-variant", "pdf/a-3a", "--force")
    assert result.exit_code == 0, result.stderr
    name = "tiny-briefing-clinician-v1.0.0-pdfa.pdf"
    assert (a / name).read_bytes() == (b / name).read_bytes()
    with pikepdf.open(a / name) as pdf:
        files = {k: v.get_file().read_bytes() for k, v in pdf.attachments.items()}
    assert sorted(files) == ["clinician-content.json", "clinician-references.json"]
    content = files["clinician-content.json"].decode()
    assert "CLINICIANONLY" in content and "POLICYONLY" not in content
    refs = json.loads(files["clinician-references.json"])
    assert [r["id"] for r in refs] == ["kruegel2016synthetic", "dea2016notice",
                                        "cdc2018salmonella"]
    assert "pdf/a-3a" not in pdftext(a / name)


def test_a_change_rebuilds_only_the_edition_it_touches(cli, tiny, tmp_path):
    cli("build", "--source", tiny, "--out", tmp_path)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.pdf")}
    practice = tiny / "report" / "sections" / "practice.yaml"
    practice.write_text(practice.read_text().replace("Clinician-only advice",
                                                     "Clinician-only guidance"))
    result = cli("build", "--source", tiny, "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "policymaker: unchanged since the last build, skipped (--force rebuilds)" in \
        result.stderr
    assert "clinician: unchanged" not in result.stderr
    assert (tmp_path / POL).stat().st_mtime_ns == stamps[POL]
    assert (tmp_path / CLIN).stat().st_mtime_ns != stamps[CLIN]
    assert "Clinician-only guidance" in pdftext(tmp_path / CLIN)


def test_a_release_made_before_a_template_change_is_kept_when_its_bytes_rebuild(
        cli, tiny, tmp_path):
    """A file added to the report's templates changes every build fingerprint but no byte:
    publishing the released version again (a clean checkout in CI) keeps its record."""
    out = tmp_path / "rel"
    assert cli("release", "--source", tiny, "--out", out).exit_code == 0
    record = tiny / "releases" / "1.0.0"
    recorded = tree_snapshot(record)
    (tiny / "templates").mkdir()
    (tiny / "templates" / "notes.txt").write_text("Ideas for the next cover.\n")
    fresh = tmp_path / "public"
    result = cli("release", "--source", tiny, "--out", fresh)
    assert result.exit_code == 0, result.stderr
    assert ("release 1.0.0 was made by another tool or template version; this one builds "
            "the recorded bytes, so the record stays as released\n") in result.stderr
    assert tree_snapshot(record) == recorded
    for name in ("manifest.json", "SHA256SUMS", "content.json"):
        assert (fresh / "1.0.0" / name).read_bytes() == (record / name).read_bytes(), name
    for name in (CLIN, POL):
        assert (fresh / "1.0.0" / name).read_bytes() == (out / "1.0.0" / name).read_bytes()
    before = tree_snapshot(fresh / "1.0.0")
    again = cli("release", "--source", tiny, "--out", fresh)
    assert again.exit_code == 0, again.stderr
    assert ("release 1.0.0 already exists and is identical; nothing to do; site rewritten\n"
            in again.stderr)
    assert tree_snapshot(fresh / "1.0.0") == before and tree_snapshot(record) == recorded


def test_a_template_change_that_changes_a_released_pdf_is_refused(cli, tiny, tmp_path):
    from kratom_report.compose.templating import PACKAGE_TEMPLATES

    out = tmp_path / "rel"
    assert cli("release", "--source", tiny, "--out", out).exit_code == 0
    record = tiny / "releases" / "1.0.0"
    recorded = tree_snapshot(record)
    cover = (PACKAGE_TEMPLATES / "cover.html").read_text()
    (tiny / "templates").mkdir()
    (tiny / "templates" / "cover.html").write_text(cover.replace("</section>",
                                                                 "<p>New line</p></section>", 1))
    fresh = tmp_path / "public"
    result = cli("release", "--source", tiny, "--out", fresh)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"{record}: version 1.0.0 was released from these sources, but this tool "
        f"builds other bytes for {CLIN} (the tool or its templates changed since); a release "
        "never changes. Publish it with the tool version that made it, or run 'kratom-report "
        "version bump patch' (or minor, major), describe the change in the changelog, and "
        "release the new version\n")
    assert not fresh.exists() or not (fresh / "1.0.0").exists()
    assert tree_snapshot(record) == recorded
