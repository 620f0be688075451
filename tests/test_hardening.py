"""Faults never crash, leak or lose work: interrupts, full disks, races, hostile templates."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading

import pytest

from kratom_report import atomic
from kratom_report.errors import OutputError

from conftest import tree_snapshot, writable_copy

CLIN = "tiny-briefing-clinician-v1.0.0.pdf"


def test_interrupt_exits_130_and_changes_nothing(cli, tiny, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "old.pdf").write_bytes(b"old")
    before = tree_snapshot(out)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("kratom_report.publish.workers.Workers.submit", interrupted)
    result = cli("build", "--source", tiny, "--out", out)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "interrupted; no output was changed"
    assert tree_snapshot(out) == before


def test_real_sigint_during_a_build(tiny, tmp_path):
    """Ctrl-C while PDFs render: exit 130, and nothing (not even a temp file) is written."""
    import threading

    out = tmp_path / "dist"
    # As from a terminal: a test runner's worker may ignore SIGINT, and a child inherits that
    # (a build started in the background is meant to ignore Ctrl-C; only watch overrides it).
    proc = subprocess.Popen([sys.executable, "-m", "kratom_report", "build", "--source",
                             str(tiny), "--out", str(out), "--jobs", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[bytes] = []
    rendering = threading.Event()

    def read() -> None:  # every line is kept, so the assertion can show them all
        for line in proc.stderr:
            lines.append(line)
            if b"rendering" in line:
                rendering.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert rendering.wait(timeout=120), b"".join(lines).decode()
    running = proc.poll() is None
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    err = b"".join(lines).decode()
    assert running, f"the build ended before it could be interrupted:\n{err}"
    assert proc.returncode == 130, err
    assert err.endswith("interrupted; no output was changed\n")
    leftovers = [p.name for p in out.iterdir() if p.suffix != ".pdf"] if out.exists() else []
    assert [p for p in leftovers if p.endswith(".tmp")] == []
    assert not (out / CLIN).exists()


def test_disk_full_is_reported_and_leaves_the_folder_as_it_was(cli, tiny, tiny_built, tmp_path,
                                                               monkeypatch):
    out = writable_copy(tiny_built.build(), tmp_path / "dist")
    before = tree_snapshot(out)
    real_fdopen = os.fdopen

    class FullFile:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: FullFile(real_fdopen(fd, mode)))
    result = cli("build", "--source", tiny, "--out", out, "--force")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"{out / CLIN}: No space left on device"
    assert tree_snapshot(out) == before


def test_output_folder_problems(cli, tiny, tmp_path, monkeypatch):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = cli("build", "--source", tiny, "--out", not_a_folder)
    assert result.exit_code == 1
    assert result.stderr == f"{not_a_folder}: exists and is not a folder\n"
    assert not_a_folder.read_text() == "x"

    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(atomic, "_writable", lambda folder: False)
    result = cli("build", "--source", tiny, "--out", locked)
    assert result.exit_code == 1
    assert result.stderr == f"{locked}: permission denied (folder is not writable)\n"
    assert list(locked.iterdir()) == []


def test_output_path_that_is_a_folder(cli, tiny, tmp_path):
    out = tmp_path / "dist"
    (out / CLIN).mkdir(parents=True)
    result = cli("build", "--source", tiny, "--out", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (f"{out / CLIN}: is a folder; remove it or choose "
                                              "another --out")


def test_concurrent_writers_never_mix(tmp_path):
    target = tmp_path / "same.pdf"
    versions = [bytes([i]) * 2_000_000 for i in range(2)]
    errors: list[Exception] = []

    def writer(data: bytes) -> None:
        try:
            for _ in range(10):
                atomic.write_all([(target, data)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_bytes() in versions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.pdf"]


def test_write_failure_raises_output_error(tmp_path, monkeypatch):
    def boom(src, dst):
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OutputError) as err:
        atomic.write_all([(tmp_path / "a.pdf", b"x")])
    assert str(err.value) == f"{tmp_path / 'a.pdf'}: Read-only file system"
    assert list(tmp_path.iterdir()) == []


def test_template_syntax_error_is_located(cli, tiny):
    (tiny / "templates").mkdir()
    (tiny / "templates" / "cover.html").write_text("<section>\n{% if doc.draft %}\n</section>\n")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("templates/cover.html:3: template syntax error: Unexpected end of "
                             "template. Jinja was looking for the following tags: 'elif' or "
                             "'else' or 'endif'. The innermost block that needs to be closed "
                             "is 'if'.\n")


def test_template_undefined_variable_is_located(cli, tiny):
    (tiny / "templates").mkdir()
    (tiny / "templates" / "cover.html").write_text("<section>\n<p>{{ doc.nonexistent }}</p>\n"
                                                   "</section>\n")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("templates/cover.html:2: template error: 'dict object' has no "
                             "attribute 'nonexistent'\n")


def test_unexpected_errors_are_one_line_unless_debug(cli, tiny, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("kratom_report.source.project.load_project", crash)
    monkeypatch.setenv("KRATOM_REPORT_NO_CACHE", "1")  # a remembered check loads nothing
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("internal error: RuntimeError: boom (run again with --debug for "
                             "details)\n")
    debug = cli("check", "--source", tiny, "--debug")
    assert debug.exit_code == 1 and "Traceback" in debug.stderr
