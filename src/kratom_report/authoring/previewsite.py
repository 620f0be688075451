"""What the preview serves, and the small HTTP server that serves only that.

The built pages are held in memory by name; nothing is read from disk by request path, so
``..``, ``%2e%2e``, absolute paths and links can never reach a file outside the build: a name
the build did not write is a 404. The live-reload script and the problems overlay are added to
each page as it is sent, so the pages on disk (and the templates' bytes in every fingerprint)
stay exactly what ``build --format web`` writes, and read the same without JavaScript.
"""

from __future__ import annotations

import errno
import html
import http.server
import ipaddress
import json
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..errors import ReportError
from ..source.htmlpolicy import csp, csp_meta

EVENTS = "/_events"
KEEPALIVE = 10.0  # seconds between comments on an idle event stream: finds closed tabs


class PreviewError(ReportError):
    """Raised when the preview cannot start serving (a port in use, an address refused)."""


@dataclass(frozen=True)
class Page:
    edition: str
    title: str
    name: str  # the file name the build wrote, and the page's path on the server
    html: bytes


@dataclass
class Site:
    """The current pages, problems and PDFs, shared by the builder and the server threads."""

    pages: dict[str, Page] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    pdfs: dict[str, Path] = field(default_factory=dict)  # page name -> PDF built for it
    pdf_note: str = ""
    seq: int = 0
    events: list[tuple[int, str, str]] = field(default_factory=list)
    watching: dict[str, int] = field(default_factory=dict)  # page name -> open event streams
    closed: bool = False
    cond: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, pages: list[Page] | None, problems: list[str]) -> list[str]:
        """A finished build: new pages (None when it failed) and its problems; tell the pages.

        Returns the names of pages whose bytes changed.
        """
        with self.cond:
            changed: list[str] = []
            if pages is not None:
                old = self.pages
                self.pages = {p.name: p for p in pages}
                changed = [p.name for p in pages if p.name not in old or
                           old[p.name].html != p.html]
                if set(old) != set(self.pages):
                    changed.append("/")
            self.problems = list(problems)
            if changed:
                self._event("reload", {"changed": changed, "pages": sorted(self.pages)})
            self._event("problems", {"problems": self.problems})
            return changed

    def publish_early(self, page: Page) -> None:
        """One page of a build still running, when an open page shows it: reload that now."""
        with self.cond:
            old = self.pages.get(page.name)
            if old is not None and old.html != page.html:
                self.pages[page.name] = page
                self._event("reload", {"changed": [page.name], "pages": sorted(self.pages)})

    def open_pages(self) -> set[str]:
        with self.cond:
            return {name for name, n in self.watching.items() if n}

    def publish_pdfs(self, pdfs: dict[str, Path], note: str) -> None:
        with self.cond:
            self.pdfs, self.pdf_note = dict(pdfs), note
            self._event("pdf", {"pdfs": {page: path.name for page, path in pdfs.items()},
                                "note": note})

    def _event(self, name: str, data: Any) -> None:
        self.seq += 1
        self.events = [*self.events[-50:], (self.seq, name, json.dumps(data))]
        self.cond.notify_all()

    def news_after(self, seen: int) -> bool:
        """Whether a stream that has seen events up to ``seen`` should wake; hold ``cond``."""
        return self.closed or self.seq > seen

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def pdf_file(self, name: str) -> Path | None:
        with self.cond:
            return next((p for p in self.pdfs.values() if p.name == name), None)


def bind(site: Site, host: str, port: int) -> PreviewServer:
    """A server bound (not yet serving) to ``host:port``; port 0 picks a free one."""
    try:
        return PreviewServer((host, port), site, loopback=_is_loopback(host),
                             names=allowed_hosts(host))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PreviewError(f"preview: port {port} is in use; choose another with --port "
                               "or leave it out to pick a free one") from None
        raise PreviewError(f"preview: cannot serve on {host}:{port}: "
                           f"{exc.strerror or exc}") from None


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(*hosts: str) -> frozenset[str]:
    """The names a request's Host header may give: loopback's and the ``--host`` values."""
    return frozenset(h.strip("[]").rstrip(".").lower() for h in (*LOOPBACK_NAMES, *hosts))


def host_allowed(header: str, names: frozenset[str]) -> bool:
    """Whether a Host header names this server: one of ``names``, or an IP address.

    DNS rebinding needs a name the attacker controls (``evil.example`` pointed at us); an
    address in the Host header cannot come from another site's page, so it is safe to serve.
    A missing header (HTTP/1.0 tools) is served too: browsers always send one.
    """
    value = header.strip()
    if not value:
        return True
    host = value[1:value.find("]")] if value.startswith("[") else value.rsplit(":", 1)[0] \
        if value.count(":") == 1 else value
    host = host.rstrip(".").lower()
    if host in names:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PreviewServer(http.server.ThreadingHTTPServer):
    """Threads are joined on close, so a stopped preview leaves nothing running."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], site: Site, *, loopback: bool,
                 names: frozenset[str] = frozenset(LOOPBACK_NAMES)) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.site = site
        self.loopback = loopback
        self.names = names  # Host header values served (see host_allowed)
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host  # AF_UNIX only; never here
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    timeout = 2  # an idle connection cannot hold up the server's close
    server_version = "kratom-report-preview"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # stderr carries the build messages, not one line per request

    def do_GET(self) -> None:  # noqa: N802 - the base's name
        self._respond(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        path = self.path.partition("?")[0]
        site = self.server.site
        if not self._host_ok():
            return self._send(403, "text/plain", b"unexpected Host header\n", body)
        if path == EVENTS and body:
            return self._events(site, parse_qs(self.path.partition("?")[2]).get("page", [""])[0])
        with site.cond:
            pages = list(site.pages.values())
            page = site.pages.get(path[1:]) if path.startswith("/") else None
            problems, pdfs, note = list(site.problems), dict(site.pdfs), site.pdf_note
        nonce = secrets.token_urlsafe(12)
        if page is not None:
            doc = inject(page.html.decode("utf-8"), page.name, problems, pdfs, note, nonce)
            return self._send(200, "text/html; charset=utf-8", doc.encode("utf-8"), body, nonce)
        if path == "/":
            if len(pages) == 1 and not problems:
                return self._redirect(pages[0].name)
            doc = inject(index_page(pages), "/", problems, pdfs, note, nonce)
            return self._send(200, "text/html; charset=utf-8", doc.encode("utf-8"), body, nonce)
        pdf = site.pdf_file(path[1:]) if path.startswith("/") else None
        data = _read_plain_file(pdf) if pdf is not None else None
        if data is not None:
            return self._send(200, "application/pdf", data, body)
        return self._send(404, "text/plain", b"not found\n", body)

    def _host_ok(self) -> bool:
        """Only the names the server was started for, on any address it listens on: a web
        page elsewhere cannot rebind a name of its own to us and read the draft."""
        return host_allowed(self.headers.get("Host") or "", self.server.names)

    def _send(self, status: int, kind: str, data: bytes, body: bool, nonce: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", csp(nonce or None))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _redirect(self, name: str) -> None:
        self.send_response(302)
        self.send_header("Location", f"/{name}")
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _events(self, site: Site, page: str) -> None:
        """Server-sent events until the preview stops or the page goes away."""
        with site.cond:
            seen = site.seq  # before the reply: a page that sees it is subscribed
            site.watching[page] = site.watching.get(page, 0) + 1
        try:
            self._stream(site, seen)
        finally:
            with site.cond:
                site.watching[page] -= 1

    def _stream(self, site: Site, seen: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while True:
                with site.cond:
                    site.cond.wait_for(partial(site.news_after, seen), KEEPALIVE)
                    if site.closed:
                        return
                    fresh = [e for e in site.events if e[0] > seen]
                    seen = site.seq
                chunk = "".join(f"event: {name}\ndata: {data}\n\n" for _, name, data in fresh)
                self.wfile.write(chunk.encode("utf-8") if fresh else b": keepalive\n\n")
        except OSError:
            return  # the page was closed or reloaded


def _read_plain_file(path: Path) -> bytes | None:
    """The bytes of a regular file the build wrote; never through a symbolic link."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def index_page(pages: list[Page]) -> str:
    """The page at ``/``: a link to each edition (or, before any good build, nothing)."""
    items = "".join(f'<li><a href="/{html.escape(p.name)}">{html.escape(p.title)}</a> '
                    f"({html.escape(p.edition)})</li>" for p in pages)
    listing = f"<ul>{items}</ul>" if pages else "<p>No edition has been built yet.</p>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Preview</title></head><body><h1>Preview</h1>"
            f"{listing}</body></html>\n")


_STYLE = (
    "#kr-preview-problems{position:fixed;inset:auto 1rem 1rem 1rem;z-index:2147483647;"
    "max-height:60vh;overflow:auto;background:#fff4f4;color:#5c0000;border:2px solid #b00020;"
    "border-radius:6px;padding:.75rem 1rem;font:14px/1.4 system-ui,sans-serif;"
    "box-shadow:0 4px 16px rgba(0,0,0,.25)}"
    "#kr-preview-problems pre{white-space:pre-wrap;margin:.5rem 0 0;"
    "font:13px/1.4 ui-monospace,monospace}"
    "#kr-preview-pdf{position:fixed;top:.5rem;right:.5rem;z-index:2147483646;"
    "background:#f4f4f4;color:#222;border:1px solid #999;border-radius:4px;"
    "padding:.25rem .5rem;font:13px system-ui,sans-serif}"
)

_SCRIPT = """(function () {
  var me = document.currentScript, page = me.getAttribute("data-page");
  var source = new EventSource("/_events?page=" + encodeURIComponent(page));
  source.onopen = function () { document.documentElement.setAttribute("data-preview", "live"); };
  function box(id, tag) {
    var el = document.getElementById(id);
    if (!el) { el = document.createElement(tag); el.id = id; document.body.appendChild(el); }
    return el;
  }
  source.addEventListener("reload", function (e) {
    var d = JSON.parse(e.data);
    if (page === "/" || d.changed.indexOf(page) >= 0) { location.reload(); }
    else if (d.pages.indexOf(page) < 0) { location.href = "/"; }
  });
  source.addEventListener("problems", function (e) {
    var d = JSON.parse(e.data), el = document.getElementById("kr-preview-problems");
    if (!d.problems.length) { if (el) { el.remove(); } return; }
    el = box("kr-preview-problems", "aside");
    el.setAttribute("role", "alert");
    el.textContent = "Not rebuilt; this page shows the last good build.";
    var pre = document.createElement("pre");
    pre.textContent = d.problems.join("\\n");
    el.appendChild(pre);
  });
  source.addEventListener("pdf", function (e) {
    var d = JSON.parse(e.data), el = box("kr-preview-pdf", "nav");
    el.textContent = d.note + " ";
    if (d.pdfs[page]) {
      var a = document.createElement("a");
      a.href = "/" + d.pdfs[page]; a.textContent = "PDF";
      el.appendChild(a);
    }
  });
})();"""


def inject(doc: str, page: str, problems: list[str], pdfs: dict[str, Path], note: str,
           nonce: str) -> str:
    """``doc`` with the overlay (when the last build failed), PDF link and reload script."""
    parts = [f'<style id="kr-preview-style">{_STYLE}</style>']
    if pdfs or note:
        link = (f' <a href="/{html.escape(pdfs[page].name)}">PDF</a>' if page in pdfs else "")
        parts.append(f'<nav id="kr-preview-pdf">{html.escape(note)}{link}</nav>')
    if problems:
        lines = html.escape("\n".join(problems))
        parts.append('<aside id="kr-preview-problems" role="alert">Not rebuilt; this page '
                     f"shows the last good build.<pre>{lines}</pre></aside>")
    parts.append(f'<script nonce="{nonce}" data-page="{html.escape(page)}">{_SCRIPT}</script>')
    extra = "\n".join(parts) + "\n"
    # The page's own policy allows no script: in the preview only, it allows this one.
    doc = doc.replace(csp_meta(), csp_meta(nonce), 1)
    at = doc.rfind("</body>")
    return doc + extra if at < 0 else doc[:at] + extra + doc[at:]
