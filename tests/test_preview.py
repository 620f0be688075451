"""kratom-report preview: serve web editions, reload open pages, show problems, nothing else.

A real server on a free port, real HTTP; the report is a copy of the shipped one (never edited
in place). Saves are made the way editors make them: a new file renamed over the old one.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kratom_report.authoring.preview import PreviewOptions, WebBuilder, preview
from kratom_report.build import BuildRequest, build

from conftest import REPO, save_like_an_editor

TIMEOUT = 20  # seconds; a rebuild normally arrives well within one
_VERSION = re.search(r'^version: "([^"]+)"', (REPO / "report" / "report.yaml").read_text(
    encoding="utf-8"), re.M)[1]
CLIN = f"kratom-briefing-clinician-v{_VERSION}.html"
POL = f"kratom-briefing-policymaker-v{_VERSION}.html"


class Preview:
    """``preview`` running in a thread, with what it said on stderr."""

    def __init__(self, root: Path, options: PreviewOptions) -> None:
        self.lines: list[str] = []
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.url = ""
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(root, options))
        self.thread.start()
        assert self.ready.wait(60), f"preview did not start: {self.lines} {self.errors}"
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "", parts.port or 0

    def _run(self, root: Path, options: PreviewOptions) -> None:
        def ready(url: str) -> None:
            self.url = url
            self.ready.set()
        try:
            preview(root, options, self.lines.append, stop=self.stop, on_ready=ready)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the test
            self.errors.append(exc)
            self.ready.set()

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            conn.request("GET", path)  # sent as written: no normalising of ".." or "%2e"
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def get_bytes(self, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "preview did not stop"
        assert not self.errors, self.errors


class Events:
    """One EventSource-like subscription to ``/_events``."""

    def __init__(self, host: str, port: int, page: str = "") -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        self.conn.request("GET", f"/_events?page={page}" if page else "/_events",
                          headers={"Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        assert self.resp.getheader("Content-Type") == "text/event-stream"
        assert self.resp.readline() == b"retry: 1000\n"  # subscribed from here on

    def next(self, wanted: str) -> dict:
        """The data of the next event called ``wanted`` (others are skipped)."""
        name, data = "", ""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            line = self.resp.readline().decode("utf-8")
            assert line, "the event stream ended"
            line = line.rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data = line[len("data: "):]
            elif line == "" and name:
                if name == wanted:
                    return json.loads(data)
                name, data = "", ""
        raise AssertionError(f"no {wanted} event within {TIMEOUT} s")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One preview of a copy of the shipped report, shared by the tests below, in order."""
    root = tmp_path_factory.mktemp("preview") / "briefing"
    shutil.copytree(REPO / "report", root / "report")
    server = Preview(root, PreviewOptions(debounce=0.05))
    yield root, server
    server.close()
    assert _preview_threads() == []


def _preview_threads(before: frozenset[threading.Thread] = frozenset()) -> list[str]:
    """Threads a preview starts (server, request handlers, PDF builds) that are still alive."""
    return [t.name for t in threading.enumerate() if t not in before
            and (t.name.startswith("preview-") or "process_request" in t.name)]


def page_names(server: Preview) -> list[str]:
    status, _, body = server.get("/")
    assert status == 200, body
    return [line.split('"')[1].lstrip("/") for line in body.split("<li>")[1:]]


def test_index_links_every_edition_and_pages_carry_the_reload_script(served):
    root, server = served
    assert server.host == "127.0.0.1"
    names = page_names(server)
    assert names == [CLIN,
                     POL]
    status, headers, body = server.get(f"/{names[0]}")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    # Only the preview's own script may run: its nonce is new for every response.
    nonce = headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    policy = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
              "font-src 'self' data:; base-uri 'none'; form-action 'none'; "
              f"script-src 'nonce-{nonce}'; connect-src 'self'")
    assert headers["Content-Security-Policy"] == policy
    # The page's own policy allows no script; the preview's copy allows its one script.
    assert f'<meta http-equiv="Content-Security-Policy" content="{policy}">' in body
    assert body.count("<script") == 1 and f'<script nonce="{nonce}"' in body
    assert "new EventSource(\"/_events?page=\" + encodeURIComponent(page))" in body
    assert "<aside id=\"kr-preview-problems\"" not in body  # no overlay: the build is good
    assert "How the evidence was gathered" in body


def test_pages_are_what_build_format_web_writes_plus_the_script_only(served, tmp_path):
    root, server = served
    built = build(root, BuildRequest(fmt="web", out=tmp_path / "web"))
    for b in built:
        _, _, body = server.get(f"/{b.path.name}")
        written = b.path.read_text(encoding="utf-8")
        start = body.index('<style id="kr-preview-style">')
        end = body.index("</script>", start) + len("</script>\n")
        nonce = body.split("'nonce-")[1].split("'")[0]
        preview_only = f"; script-src 'nonce-{nonce}'; connect-src 'self'\">"
        assert body[:start] + body[end:] == written.replace(
            "form-action 'none'\">", "form-action 'none'" + preview_only, 1)


def test_a_save_sends_reload_and_the_page_has_the_new_text(served):
    root, server = served
    events = Events(server.host, server.port)
    try:
        save_like_an_editor(root / "report" / "sections" / "about.yaml",
                            "## How the evidence was gathered", "## How we gathered the evidence")
        data = events.next("reload")
    finally:
        events.close()
    assert data["changed"] == [CLIN,
                               POL]
    _, _, body = server.get("/" + CLIN)
    assert "How we gathered the evidence" in body
    assert "How the evidence was gathered" not in body
    assert any(line.startswith("rebuilt clinician, policymaker in ") for line in server.lines)


def test_a_broken_file_shows_the_overlay_over_the_last_good_page(served):
    root, server = served
    about = root / "report" / "sections" / "about.yaml"
    events = Events(server.host, server.port)
    try:
        save_like_an_editor(about, "title: About this briefing", "tittle: <About & this>")
        data = events.next("problems")
        message = "report/sections/about.yaml:2:1: unknown key 'tittle' (did you mean 'title'?)"
        assert data == {"problems": [message]}
        status, _, body = server.get("/" + CLIN)
        assert status == 200
        assert "How we gathered the evidence" in body  # the last good page stays
        overlay = body[body.index('<aside id="kr-preview-problems"'):]
        assert overlay.startswith('<aside id="kr-preview-problems" role="alert">Not rebuilt; '
                                  "this page shows the last good build.<pre>"
                                  "report/sections/about.yaml:2:1: unknown key &#x27;tittle&#x27; "
                                  "(did you mean &#x27;title&#x27;?)</pre></aside>")
        assert server.lines[-2:] == [message, "not rebuilt: 1 problem; the page keeps the last "
                                     "good build"]

        # The same key with markup in it: the message is escaped in the page.
        save_like_an_editor(about, "tittle: <About & this>", "<b>itle: x")
        data = events.next("problems")
        assert data["problems"][0].startswith(
            "report/sections/about.yaml:2:1: unknown key '<b>itle'")
        _, _, body = server.get("/" + CLIN)
        assert "unknown key &#x27;&lt;b&gt;itle&#x27;" in body
        assert "<b>itle" not in body

        save_like_an_editor(about, "<b>itle: x", "title: About this briefing")
        assert events.next("problems") == {"problems": []}
    finally:
        events.close()
    _, _, body = server.get("/" + CLIN)
    assert "<aside id=\"kr-preview-problems\"" not in body  # the overlay is gone
    assert server.lines[-1].startswith("rebuilt nothing in ")


def test_an_open_page_is_rendered_and_reloaded_before_the_other_editions(served):
    root, server = served
    policy = POL
    events = Events(server.host, server.port, page=policy)
    try:
        save_like_an_editor(root / "report" / "sections" / "about.yaml",
                            "## How we gathered the evidence", "## How the evidence was found")
        first = events.next("reload")
        second = events.next("reload")
    finally:
        events.close()
    assert first["changed"] == [policy]
    assert second["changed"] == [CLIN]
    _, _, body = server.get(f"/{policy}")
    assert "How the evidence was found" in body


class CountingBuilder(WebBuilder):
    """A WebBuilder that records which editions it actually rendered."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rendered: list[str] = []

    def _render(self, project, edition_id, templates):
        self.rendered.append(edition_id)
        return super()._render(project, edition_id, templates)


def test_an_edit_to_one_edition_re_renders_only_that_one_and_matches_a_fresh_build(tmp_path):
    root = tmp_path / "briefing"
    shutil.copytree(REPO / "report", root / "report")
    builder = CountingBuilder(root, (), tmp_path / "out")
    builder.build()
    assert builder.rendered == ["clinician", "policymaker"]

    builder.rendered.clear()
    save_like_an_editor(root / "report" / "sections" / "clinical-management.yaml",
                        "The points below draw on case series",
                        "The points below draw on published case series")
    pages, changed = builder.build()
    assert builder.rendered == ["clinician"]
    assert changed == [CLIN]

    builder.rendered.clear()
    save_like_an_editor(root / "report" / "references.yaml", "Kruegel", "Kruegelmann")
    pages, changed = builder.build()
    assert builder.rendered == ["clinician", "policymaker"]  # shared input: both again

    fresh = build(root, BuildRequest(fmt="web", out=tmp_path / "fresh"))
    assert [p.html for p in pages] == [b.path.read_bytes() for b in fresh]
    assert b"Kruegelmann" in pages[0].html
    assert b"The points below draw on published case series" in pages[0].html


@pytest.mark.parametrize("path", [
    "/../report/report.yaml", "/%2e%2e/report/report.yaml", "/%2E%2E%2Freport%2Freport.yaml",
    "//etc/passwd", "/etc/passwd", "http://127.0.0.1/../report/report.yaml",
    "/report/report.yaml", "/.build", f"/{CLIN}/..", "/" + CLIN.replace(".html", ".pdf"),
])
def test_nothing_outside_the_build_is_served(served, path):
    root, server = served
    status, _, body = server.get(path)
    assert (status, body) == (404, "not found\n")


def test_a_page_served_to_another_host_name_is_refused(served):
    """A page elsewhere that rebinds its own name to 127.0.0.1 cannot read the preview."""
    root, server = served
    conn = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
    conn.request("GET", "/", headers={"Host": f"attacker.example:{server.port}"})
    assert conn.getresponse().status == 403
    conn.close()


def test_pdf_builds_in_the_background_and_the_page_links_it(tiny, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "out"
    before = frozenset(threading.enumerate())
    server = Preview(tiny, PreviewOptions(editions=("clinician",), pdf=True, out=out))
    try:
        status, headers, _ = server.get("/")
        assert (status, headers["Location"]) == (302, "/tiny-briefing-clinician-v1.0.0.html")
        events = Events(server.host, server.port)
        try:
            data = events.next("pdf")
            if not data["pdfs"]:  # the "updating" notice came first
                data = events.next("pdf")
        finally:
            events.close()
        assert data == {"pdfs": {"tiny-briefing-clinician-v1.0.0.html":
                                 "tiny-briefing-clinician-v1.0.0.pdf"}, "note": "PDF ready:"}
        _, _, body = server.get("/tiny-briefing-clinician-v1.0.0.html")
        assert ('<nav id="kr-preview-pdf">PDF ready: <a href="/tiny-briefing-clinician-v1.0.0.pdf">'
                "PDF</a></nav>") in body
        status, headers, pdf = server.get_bytes("/tiny-briefing-clinician-v1.0.0.pdf")
        assert (status, headers["Content-Type"]) == (200, "application/pdf")
        assert pdf == (out / "tiny-briefing-clinician-v1.0.0.pdf").read_bytes()
        text = "".join(page.extract_text() for page in PdfReader(out / pdf_name(out)).pages)
        assert "Shared paragraph" in text
        # Only what the build wrote: the policymaker edition was not asked for.
        assert server.get("/tiny-briefing-policymaker-v1.0.0.pdf")[0] == 404
    finally:
        server.close()
    assert _preview_threads(before) == []


def test_a_first_build_that_fails_lists_its_problems_until_a_save_fixes_them(tiny):
    intro = tiny / "report" / "sections" / "intro.yaml"
    save_like_an_editor(intro, "title: Introduction", "tittle: Introduction")
    server = Preview(tiny, PreviewOptions(debounce=0.05))
    try:
        message = "report/sections/intro.yaml:2:1: unknown key 'tittle' (did you mean 'title'?)"
        assert server.lines[:2] == [message, "not built: 1 problem; the page lists them until a "
                                    "save fixes them"]
        status, _, body = server.get("/")
        assert status == 200
        assert "No edition has been built yet." in body
        assert "unknown key &#x27;tittle&#x27;" in body
        assert server.get("/tiny-briefing-clinician-v1.0.0.html")[0] == 404
        events = Events(server.host, server.port, page="/")
        try:
            save_like_an_editor(intro, "tittle: Introduction", "title: Introduction")
            data = events.next("reload")
        finally:
            events.close()
        assert "/" in data["changed"]
        assert data["pages"] == ["tiny-briefing-clinician-v1.0.0.html",
                                 "tiny-briefing-policymaker-v1.0.0.html"]
        status, _, body = server.get("/tiny-briefing-clinician-v1.0.0.html")
        assert status == 200 and "Shared paragraph" in body
    finally:
        server.close()


def test_open_opens_the_preview_in_a_browser(tiny, monkeypatch):
    import webbrowser

    opened = threading.Event()
    urls: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: (urls.append(url), opened.set()))
    server = Preview(tiny, PreviewOptions(open_browser=True))
    try:
        assert opened.wait(TIMEOUT)
        assert urls == [server.url]
    finally:
        server.close()


def pdf_name(out: Path) -> str:
    (pdf,) = [p.name for p in out.glob("*.pdf")]
    return pdf


def test_a_port_in_use_is_one_message_and_exit_1(cli, tiny):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("preview", "--port", port, "--source", tiny)
    assert result.exit_code == 1
    assert result.output == (f"preview: port {port} is in use; choose another with --port or "
                             "leave it out to pick a free one\n")


def test_an_out_that_is_a_file_is_one_message_and_exit_1(cli, tiny, tmp_path):
    target = tmp_path / "pages"
    target.write_text("mine", encoding="utf-8")
    result = cli("preview", "--out", target, "--source", tiny)
    assert result.exit_code == 1
    assert result.output == f"{target}: exists and is not a folder\n"
    assert target.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("port", ["0", "65536", "eighty"])
def test_a_port_out_of_range_is_a_usage_error(cli, tiny, port):
    result = cli("preview", "--port", port, "--source", tiny)
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in result.output


def test_unknown_edition_stops_before_serving_and_writes_nothing(cli, tiny, tmp_path):
    result = cli("preview", "--edition", "clinican", "--out", tmp_path / "pages", "--source",
                 tiny)
    assert result.exit_code == 2
    assert result.output == ("Error: unknown edition 'clinican' (did you mean 'clinician'?) "
                             "(editions: clinician, policymaker)\n")
    assert not (tmp_path / "pages").exists()


def _start(args: list[str], tmp: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """``kratom-report preview`` as a process; returns once it prints its URL."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "kratom_report", "preview", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("preview: http://"):
            return proc, lines
    proc.kill()
    raise AssertionError(f"preview did not start: {lines}")


def _children(pid: int) -> list[int]:
    """Every live process whose parent is ``pid`` or whose command line names our temp folder."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def _pdf_builders(folder: Path) -> list[int]:
    """Live processes building PDFs into ``folder`` (the preview's background builds)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"build" in cmd and any(str(folder).encode() in c for c in cmd):
                found.append(int(entry.name))
    return found


def test_host_prints_a_warning_and_sigterm_exits_130_leaving_nothing(tiny, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # No --port: the preview binds a free one itself and says which, so no other process can
    # take the port between our choosing it and the preview binding it.
    proc, lines = _start(["--host", "0.0.0.0", "--pdf", "--source", str(tiny)], tmp)
    try:
        assert lines[0].startswith("built clinician, policymaker in ")
        assert lines[-2] == ("preview: warning: serving on 0.0.0.0: the preview is reachable "
                             "from other machines")
        said = re.fullmatch(r"preview: http://0\.0\.0\.0:(\d+)/ \(watching report/ and "
                            r"templates/ in (.+); Ctrl-C stops\)", lines[-1])
        assert said and said[2] == str(tiny), lines[-1]
        port = int(said[1])
        assert 0 < port < 65536
        (folder,) = list(tmp.iterdir())  # the temporary output folder
        deadline = time.monotonic() + TIMEOUT
        while not _pdf_builders(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _pdf_builders(folder), "the background PDF build did not start"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "stopped preview"
    assert _pdf_builders(folder) == []
    assert _children(proc.pid) == []
    assert list(tmp.iterdir()) == []  # the temporary folder is gone
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def test_loopback_is_the_default_and_sigint_exits_130(tiny, tmp_path):
    proc, lines = _start(["--source", str(tiny)], tmp_path)
    try:
        assert not any("warning" in line for line in lines)
        url = lines[-1].split()[1]
        assert url.startswith("http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "stopped preview"
    assert [p.name for p in tmp_path.iterdir()] == ["tiny"]  # the temporary folder is gone


def test_in_a_real_browser_the_page_reloads_and_shows_then_drops_the_overlay(tiny):
    """Headless Chromium runs the injected script: reload on a save, the overlay on a mistake."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    server = Preview(tiny, PreviewOptions(editions=("clinician",), debounce=0.05))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        wait = WebDriverWait(driver, TIMEOUT)
        driver.get(server.url)  # redirected to the only edition
        assert driver.current_url.endswith("/tiny-briefing-clinician-v1.0.0.html")
        wait.until(subscribed)
        driver.execute_script("window.notReloaded = true;")
        intro = tiny / "report" / "sections" / "intro.yaml"
        save_like_an_editor(intro, "Shared paragraph", "Paragraph seen in the browser")
        wait.until(lambda d: "Paragraph seen in the browser" in d.page_source)
        assert driver.execute_script("return window.notReloaded === undefined")
        wait.until(subscribed)

        save_like_an_editor(intro, "title: Introduction", "tittle: Introduction")
        overlay = wait.until(lambda d: d.find_elements("id", "kr-preview-problems"))[0]
        assert "report/sections/intro.yaml:2:1: unknown key 'tittle' (did you mean " \
               "'title'?)" in overlay.text
        assert "Paragraph seen in the browser" in driver.page_source  # the last good page

        save_like_an_editor(intro, "tittle: Introduction", "title: Introduction")
        wait.until(lambda d: not d.find_elements("id", "kr-preview-problems"))
    finally:
        driver.quit()
        server.close()


def subscribed(driver) -> bool:
    """The page's event stream is open (the script marks the page when it is)."""
    return driver.execute_script(
        "return document.documentElement.getAttribute('data-preview') === 'live'")


def _comment(cid: str, source: str, text: str, status: str = "open", **more) -> dict:
    return {"id": cid, "reviewer": "Dr A. Lee", "date": "2026-12-07", "edition": "clinician",
            "source": source, "kind": "note", "quote": None, "comment": text,
            "status": status, "round": 1, **more}


def _write_reviews(root: Path, comments: list[dict]) -> None:
    import yaml

    folder = root / "report" / "reviews"
    folder.mkdir(exist_ok=True)
    tmp = folder / ".1.0.0.yaml.swp"
    tmp.write_text(yaml.safe_dump({"version": "1.0.0", "rounds": 1, "comments": comments,
                                   "approvals": []}), encoding="utf-8")
    os.replace(tmp, folder / "1.0.0.yaml")


class _Positioned:
    """The text of each element carrying ``data-src`` and the review notes inside it."""

    def __init__(self, page: str) -> None:
        from html.parser import HTMLParser

        self.text: dict[str, str] = {}
        self.notes: dict[str, list[str]] = {}
        stack: list[tuple[str, str | None, bool]] = []  # (tag, data-src, inside a note)
        found = self
        void = {"meta", "link", "img", "br", "hr", "input", "col", "wbr", "source"}

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                if tag in void:
                    return
                a = dict(attrs)
                note = "kr-review-note" in (a.get("class") or "")
                stack.append((tag, a.get("data-src"), note))
                if note:
                    for _, src, _ in stack:
                        if src:
                            found.notes.setdefault(src, []).append("")

            def handle_endtag(self, tag):
                while stack and stack.pop()[0] != tag:
                    pass

            def handle_data(self, data):
                in_note = any(n for _, _, n in stack)
                for _, src, _ in stack:
                    if src and in_note:
                        found.notes[src][-1] += data
                    elif src:
                        found.text[src] = found.text.get(src, "") + data

        Parser().feed(page)


def test_open_review_comments_show_beside_their_text_and_go_when_resolved(tiny, tmp_path):
    """Issue 31: comments of reviews/<version>.yaml as margin notes, escaped, in the preview
    only; resolving them takes them away and the page is build's again."""
    from kratom_report.authoring.reviews import set_status

    page = "tiny-briefing-clinician-v1.0.0.html"
    server = Preview(tiny, PreviewOptions(editions=("clinician",), debounce=0.05))
    events = Events(server.host, server.port, page=page)
    try:
        _, headers, before = server.get(f"/{page}")
        assert "kr-review" not in before and "data-src" not in before
        _write_reviews(tiny, [
            _comment("c1", "report/sections/intro.yaml:7:7", "Is there a newer source?"),
            _comment("c2", "report/sections/intro.yaml:11:7", "Already answered.",
                     status="resolved"),
            _comment("c3", "report/sections/intro.yaml:11:7",
                     'Say which two. <script>alert("x")</script> & more', reviewer="<b>Eve</b>"),
            _comment("c4", "report/sections/intro.yaml:21:18", "Is n really 0?"),
            _comment("c5", "report/report.yaml:22:10", "Drop this message.", kind="strike-out",
                     quote="Refer when needed."),
            _comment("c6", "report/sections/intro.yaml:99:1", "Where did this go?"),
            _comment("c7", "report/sections/intro.yaml:99:1", "Another edition's.",
                     edition="policymaker"),
        ])
        assert events.next("reload")["changed"] == [page]
        status, after_headers, body = server.get(f"/{page}")
        assert status == 200
        found = _Positioned(body)
        intro = "report/sections/intro.yaml"
        assert found.text[f"{intro}:7:7"].startswith("Shared paragraph citing one source")
        assert found.notes[f"{intro}:7:7"] == ["Dr A. Lee 2026-12-07Is there a newer source?c1"]
        assert found.text[f"{intro}:11:7"].startswith("A second paragraph with two sources")
        assert found.notes[f"{intro}:11:7"] == [
            '<b>Eve</b> 2026-12-07Say which two. <script>alert("x")</script> & morec3']
        assert found.text[f"{intro}:21:18"].startswith("Kruegel")  # the table row
        assert found.notes[f"{intro}:21:18"] == ["Dr A. Lee 2026-12-07Is n really 0?c4"]
        assert found.text["report/report.yaml:22:10"] == "Refer when needed."
        assert found.notes["report/report.yaml:22:10"] == [
            "Dr A. Lee 2026-12-07Drop this message. Refer when needed.c5"]
        assert "Already answered." not in body  # resolved: hidden
        assert "Another edition&#x27;s." not in body  # astray, and of another edition
        # The bar counts what this page shows and lists what it cannot place.
        bar = body[body.index('<aside id="kr-review-bar"'):]
        bar = bar[:bar.index("</aside>")]
        assert "5 open review comments" in bar
        assert "1 of them is not beside any text of this page" in bar
        assert f"{intro}:99:1: " in bar and "Where did this go?" in bar
        # Reviewers' text stays text; the only script is the preview's, under the same policy.
        assert body.count("<script") == 1
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in body
        assert "&lt;b&gt;Eve&lt;/b&gt;" in body
        assert after_headers["Content-Security-Policy"].split("'nonce-")[0] == \
            headers["Content-Security-Policy"].split("'nonce-")[0]

        set_status(tiny, "c7", "resolved")  # not on this page: no reload of its own
        for cid in ("c1", "c3", "c4", "c5", "c6"):
            set_status(tiny, cid, "resolved")
            events.next("reload")
        _, _, body = server.get(f"/{page}")
    finally:
        events.close()
        server.close()
    # None open: the page is build's web edition again, plus the reload script only.
    built = build(tiny, BuildRequest(fmt="web", editions=("clinician",), out=tmp_path / "web"))
    start = body.index('<style id="kr-preview-style">')
    end = body.index("</script>", start) + len("</script>\n")
    nonce = body.split("'nonce-")[1].split("'")[0]
    assert body[:start] + body[end:] == built[0].path.read_text(encoding="utf-8").replace(
        "form-action 'none'\">",
        f"form-action 'none'; script-src 'nonce-{nonce}'; connect-src 'self'\">", 1)


def test_a_rebuild_parses_only_the_edited_text_and_keeps_the_templates_until_one_changes(
        tiny, tmp_path, monkeypatch):
    """Issue 33: what a rebuild keeps (Markdown tokens of unchanged texts, compiled templates
    and inlined stylesheets) is what doing it again would give, and a change is picked up."""
    from kratom_report.compose.templating import PACKAGE_TEMPLATES, Templates
    from kratom_report.source.texts import MARKDOWN

    parsed: list[str] = []
    inlined: list[str] = []
    real_parse, real_inline = MARKDOWN.parse, Templates._inline
    monkeypatch.setattr(MARKDOWN, "parse", lambda text, env=None: (
        parsed.append(text), real_parse(text, env))[1])
    monkeypatch.setattr(Templates, "_inline", lambda self, source, **kw: (
        inlined.append(source.name), real_inline(self, source, **kw))[1])
    builder = WebBuilder(tiny, ("clinician",), tmp_path / "out")
    builder.build()
    assert "Refer when needed." in parsed and "web.css" in inlined
    parsed.clear()
    inlined.clear()

    intro = tiny / "report" / "sections" / "intro.yaml"
    save_like_an_editor(intro, "Shared paragraph citing", "Shared paragraph, edited, citing")
    pages, changed = builder.build()
    assert parsed == ["Shared paragraph, edited, citing one source [@kruegel2016synthetic].\n\n"
                      "## A subheading\n\nA second paragraph with two sources "
                      "[@dea2016notice; @cdc2018salmonella, p. 2].\n"]
    assert inlined == []
    assert changed == ["tiny-briefing-clinician-v1.0.0.html"]

    # A stylesheet of the report's own replaces the kept templates at once.
    (tiny / "templates" / "web").mkdir(parents=True)
    css = (PACKAGE_TEMPLATES / "web" / "web.css").read_text(encoding="utf-8")
    (tiny / "templates" / "web" / "web.css").write_text(css + "\n.kr-own-rule { color: red }\n",
                                                        encoding="utf-8")
    pages, changed = builder.build()
    assert changed == ["tiny-briefing-clinician-v1.0.0.html"]
    assert b".kr-own-rule { color: red }" in pages[0].html
    fresh = build(tiny, BuildRequest(fmt="web", editions=("clinician",), out=tmp_path / "web"))
    assert pages[0].html == fresh[0].path.read_bytes()
