"""kratom-report watch: rebuild on every saved change, keep the last good output on errors."""

from __future__ import annotations

import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kratom_report.authoring.watch import Cycle, snapshot, watch
from kratom_report.build import BuildRequest
from kratom_report.errors import UnknownEdition

from conftest import REPO, save_like_an_editor

TIMEOUT = 15  # seconds; a cycle normally arrives well within one


class Watcher:
    """``watch`` running in a thread; each finished cycle arrives on a queue."""

    def __init__(self, root: Path, request: BuildRequest, debounce: float = 0.1) -> None:
        self.debounce = debounce
        self.cycles: queue.Queue[Cycle] = queue.Queue()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(root, request), daemon=True)
        self.thread.start()

    def _run(self, root: Path, request: BuildRequest) -> None:
        try:
            watch(root, request, stop=self.stop, on_cycle=self.cycles.put, poll=0.05,
                  debounce=self.debounce)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the test
            self.errors.append(exc)

    def next(self) -> Cycle:
        try:
            return self.cycles.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no build within {TIMEOUT} s (errors: {self.errors})") from None

    def close(self) -> None:
        self.stop.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "watch did not stop"
        assert not self.errors, self.errors


@pytest.fixture
def watching(tiny, tmp_path):
    out = tmp_path / "out"
    watcher = Watcher(tiny, BuildRequest(fmt="html", out=out))
    yield tiny, out, watcher
    watcher.close()


def test_rebuilds_after_a_save_and_keeps_the_last_good_output_on_errors(watching):
    root, out, watcher = watching
    html = out / "tiny-briefing-clinician-v1.0.0-print.html"
    intro = root / "report" / "sections" / "intro.yaml"

    first = watcher.next()
    assert first.ok and first.number == 1
    assert first.lines()[0].startswith("built clinician, policymaker in ")
    assert "Shared paragraph" in html.read_text(encoding="utf-8")

    save_like_an_editor(intro, "Shared paragraph", "Freshly saved paragraph")
    second = watcher.next()
    assert second.ok, second.lines()
    assert second.changed == (str(intro),)
    assert "Freshly saved paragraph" in html.read_text(encoding="utf-8")
    assert second.lines()[0].startswith("rebuilt clinician, policymaker in ")
    good = html.read_bytes()

    save_like_an_editor(intro, "title: Introduction", "tittle: Introduction")
    third = watcher.next()
    assert not third.ok
    assert third.lines() == [
        "report/sections/intro.yaml:2:1: unknown key 'tittle' (did you mean 'title'?)",
        "not rebuilt: 1 problem; the last good output is kept",
    ]
    assert html.read_bytes() == good

    save_like_an_editor(intro, "tittle: Introduction", "title: Introduction")
    fourth = watcher.next()
    assert fourth.ok, fourth.lines()
    # Content is back to what was built last: both editions are up to date already.
    assert fourth.lines()[0].startswith("rebuilt nothing in ")
    assert fourth.lines()[0].endswith(" s (clinician, policymaker unchanged)")


def test_a_change_to_one_edition_rebuilds_only_that_one(watching):
    root, out, watcher = watching
    assert watcher.next().ok
    save_like_an_editor(root / "report" / "sections" / "practice.yaml",
                        "Clinician-only advice", "Revised clinician-only advice")
    cycle = watcher.next()
    assert cycle.lines()[0].endswith(" s (policymaker unchanged)")
    assert cycle.lines()[0].startswith("rebuilt clinician in ")


def test_several_quick_saves_build_once(tiny, tmp_path):
    root, out = tiny, tmp_path / "out"
    watcher = Watcher(root, BuildRequest(fmt="html", out=out), debounce=0.5)
    assert watcher.next().ok
    intro = root / "report" / "sections" / "intro.yaml"
    for n in range(3):
        save_like_an_editor(intro, "Shared paragraph" if n == 0 else f"Edit {n - 1}",
                            f"Edit {n}")
        time.sleep(0.02)
    cycle = watcher.next()
    assert cycle.ok and cycle.number == 2
    html = out / "tiny-briefing-clinician-v1.0.0-print.html"
    assert "Edit 2" in html.read_text(encoding="utf-8")
    # One more save, to another file: had the burst built twice, this would be the fourth.
    practice = root / "report" / "sections" / "practice.yaml"
    save_like_an_editor(practice, "Clinician-only advice", "Clinician-only guidance")
    after = watcher.next()
    assert (after.number, after.changed) == (3, (str(practice),))
    watcher.close()


def test_unknown_edition_stops_at_once(tiny, tmp_path):
    with pytest.raises(UnknownEdition, match="unknown edition 'clinican'"):
        watch(tiny, BuildRequest(editions=("clinican",), fmt="html", out=tmp_path / "out"),
              stop=threading.Event())
    assert not (tmp_path / "out").exists()


def test_snapshot_sees_templates_and_outside_reference_files_but_not_hidden_or_output(tiny,
                                                                                      tmp_path):
    (tiny / "templates").mkdir()
    (tiny / "templates" / "cover.html").write_text("x", encoding="utf-8")
    (tiny / "report" / ".intro.yaml.swp").write_text("x", encoding="utf-8")
    (tiny / "report" / "dist").mkdir()
    (tiny / "report" / "dist" / "a.html").write_text("x", encoding="utf-8")
    shared = tmp_path / "shared.bib"
    shared.write_text("", encoding="utf-8")
    seen = snapshot(tiny, [shared], tiny / "report" / "dist")
    names = sorted(Path(p).relative_to(tmp_path).as_posix() for p in seen)
    assert names == ["shared.bib", "tiny/report/changelog.yaml", "tiny/report/data/timeline.yaml",
                     "tiny/report/references.yaml", "tiny/report/report.yaml",
                     "tiny/report/sections/intro.yaml", "tiny/report/sections/practice.yaml",
                     "tiny/templates/cover.html"]


def _watch_then_signal(cmd: list[str], target: Path, sig: int) -> tuple[int, str, str]:
    """Start ``cmd``, wait until it says it is watching, send ``sig``; (code, stdout, stderr).

    "watching ..." is printed once the first build is written and the stop signals are
    handled, so the signal arrives in the loop and not during start-up.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = _lines_until(proc, "watching ")
        assert target.exists(), said
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, stdout, "".join(said) + stderr


def _lines_until(proc: subprocess.Popen[str], start: str) -> list[str]:
    """Lines of ``proc``'s stderr up to the first that starts with ``start``."""
    said: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            said.append(line)
            if line.startswith(start):
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(TIMEOUT), f"no line starting {start!r} within {TIMEOUT} s: {said}"
    return said


def test_ctrl_c_exits_130_and_leaves_the_output(tiny, tmp_path):
    out = tmp_path / "out"
    target = out / "tiny-briefing-policymaker-v1.0.0-print.html"
    code, stdout, stderr = _watch_then_signal(
        [sys.executable, "-m", "kratom_report", "watch", "--format", "html", "--out", str(out),
         "--source", str(tiny)], target, signal.SIGINT)
    assert code == 130, stderr
    lines = stderr.splitlines()
    assert lines[0].startswith("built clinician, policymaker in ")
    assert lines[1] == f"watching report/ and templates/ in {tiny}; Ctrl-C stops"
    assert lines[-1] == "stopped watching"
    assert stdout == ""
    assert target.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_when_started_by_a_script_that_ignores_sigint(tiny, tmp_path, sig):
    """`kratom-report watch &` in a script starts with SIGINT ignored; it must still stop."""
    out = tmp_path / "out"
    script = (f"trap '' INT; exec {shlex.quote(sys.executable)} -m kratom_report watch "
              f"--format html --out {shlex.quote(str(out))} --source {shlex.quote(str(tiny))}")
    code, _, stderr = _watch_then_signal(["sh", "-c", script],
                                         out / "tiny-briefing-policymaker-v1.0.0-print.html", sig)
    assert code == 130, stderr
    assert stderr.splitlines()[-1] == "stopped watching"


def test_a_reference_file_outside_report_is_watched_too(tiny, tmp_path):
    """Only report/ and templates/ get file events; a listed file elsewhere is checked often."""
    shared = tiny / "shared"
    shared.mkdir()
    refs = shared / "refs.yaml"
    os.replace(tiny / "report" / "references.yaml", refs)
    report_yaml = tiny / "report" / "report.yaml"
    report_yaml.write_text(report_yaml.read_text(encoding="utf-8")
                           + "references: [../shared/refs.yaml]\n", encoding="utf-8")
    out = tmp_path / "out"
    watcher = Watcher(tiny, BuildRequest(fmt="html", out=out))
    try:
        assert watcher.next().ok
        save_like_an_editor(refs, "family: Kruegel", "family: Kruegelmann")
        cycle = watcher.next()
        assert cycle.ok, cycle.lines()
        assert [os.path.normpath(p) for p in cycle.changed] == [str(refs)]
        assert "Kruegelmann" in (out / "tiny-briefing-clinician-v1.0.0-print.html").read_text(
            encoding="utf-8")
    finally:
        watcher.close()


def test_a_templates_folder_made_after_the_start_is_watched(tiny, tmp_path):
    out = tmp_path / "out"
    watcher = Watcher(tiny, BuildRequest(fmt="html", out=out))
    try:
        assert watcher.next().ok
        (tiny / "templates").mkdir()
        css = (REPO / "src" / "kratom_report" / "templates" / "briefing.css").read_text(
            encoding="utf-8")
        # A first file: its build shows the new folder was picked up (by its listing, perhaps)
        # before the save below, which then has to be seen as an event inside the folder.
        (tiny / "templates" / "briefing.css").write_text(css, encoding="utf-8")
        assert watcher.next().ok
        save_like_an_editor(tiny / "templates" / "briefing.css", css, css + "\n/* own */\n")
        cycle = watcher.next()
        assert cycle.ok, cycle.lines()
        assert str(tiny / "templates" / "briefing.css") in cycle.changed
        assert "/* own */" in (out / "tiny-briefing-clinician-v1.0.0-print.html").read_text(
            encoding="utf-8")
    finally:
        watcher.close()


def test_a_report_folder_replaced_as_a_whole_is_still_watched(tiny, tmp_path):
    """Renaming report/ away and putting a copy back (as some tools do) keeps watching it."""
    out = tmp_path / "out"
    watcher = Watcher(tiny, BuildRequest(fmt="html", out=out))
    try:
        assert watcher.next().ok
        shutil.move(tiny / "report", tmp_path / "moved")
        shutil.copytree(tmp_path / "moved", tiny / "report")
        for _ in range(3):  # the replacement itself may build more than once
            if watcher.next().ok:
                break
        # A marker save: once its build arrives, every build the replacement started is done
        # and the listing is the new folder's, so the save below is a change of its own.
        practice = tiny / "report" / "sections" / "practice.yaml"
        save_like_an_editor(practice, "Clinician-only advice", "Clinician-only guidance")
        while str(practice) not in watcher.next().changed:
            pass
        save_like_an_editor(tiny / "report" / "sections" / "intro.yaml", "Shared paragraph",
                            "Paragraph saved into the new folder")
        cycle = watcher.next()
        assert cycle.ok, cycle.lines()
        assert "Paragraph saved into the new folder" in (
            out / "tiny-briefing-clinician-v1.0.0-print.html").read_text(encoding="utf-8")
    finally:
        watcher.close()
