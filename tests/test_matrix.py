"""Every output format of the same report keeps the same promises, checked as a matrix.

Two reports, the shipped briefing (English, no theme) and a themed Spanish fixture, are built
once in every format: the tagged PDF, the archival PDF/A-3a, the print HTML, the web edition and
the release site. Each test is one invariant, parametrised over report × format, so a failure
names the cell: ``test_tool_words[themed-es-site]`` says which promise broke where.
"""

from __future__ import annotations

import base64
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
import yaml

from conftest import FIXTURES, Builds, pdftext

PDFS = ("pdf", "pdfa")
HTMLS = ("print-html", "web", "site")
FORMATS = PDFS + HTMLS
REPORTS = ("shipped", "themed-es")

# The themed fixture's look, as written in its report.yaml and logo.
THEME_TEXT = "#241a3b"
LOGO_TITLE = "Logotipo del Grupo de Evidencia de Prueba"
LOGO_FILL = "#f2c14e"  # only the logo's circle has this colour

# The figures' own words in English: none may show in a Spanish edition.
ENGLISH_FIGURE_WORDS = ("Year", "Points are not joined", "No data", "Status as of",
                        "Values: units as in the legend")
_MONTHS_EN = ("January|February|March|April|May|June|July|August|September|October|"
              "November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
ENGLISH_DATE = re.compile(rf"\b(?:\d{{1,2}} )?(?:{_MONTHS_EN})\.? \d{{4}}\b")


@dataclass(frozen=True)
class Built:
    """One report built in every format: where each output is and what it should say."""
    name: str
    root: Path
    slug: str
    version: str
    language: str
    editions: tuple[str, ...]  # in report.yaml order
    organisation: str
    themed: bool
    dirs: dict[str, Path]

    def pdf(self, fmt: str, edition: str) -> Path:
        suffix = "-pdfa" if fmt == "pdfa" else ""
        return self.dirs[fmt] / f"{self.slug}-{edition}-v{self.version}{suffix}.pdf"

    def print_html(self, edition: str) -> Path:
        """The print HTML under whichever name this code gives it (the name has its own test)."""
        found = sorted(self.dirs["print-html"].glob(f"{self.slug}-{edition}-v{self.version}*.html"))
        assert len(found) == 1, found
        return found[0]

    def web(self, edition: str) -> Path:
        return self.dirs["web"] / f"{self.slug}-{edition}-v{self.version}.html"

    def site_edition(self, edition: str) -> Path:
        return self.dirs["site"] / self.version / f"{self.slug}-{edition}-v{self.version}.html"

    def site_pages(self) -> list[Path]:
        site = self.dirs["site"]
        return [site / "index.html", site / self.version / "index.html",
                *(self.site_edition(e) for e in self.editions)]

    def label(self, fmt: str, path: Path) -> str:
        """A page's name within its output folder, for failure messages."""
        return path.relative_to(self.dirs[fmt]).as_posix()

    def html_pages(self, fmt: str) -> list[Path]:
        if fmt == "print-html":
            return [self.print_html(e) for e in self.editions]
        if fmt == "web":
            return [self.web(e) for e in self.editions]
        return self.site_pages()

    def edition_pages(self, fmt: str) -> list[Path]:
        """The pages that carry an edition's text and figures (not the site's index pages)."""
        if fmt in PDFS:
            return [self.pdf(fmt, e) for e in self.editions]
        if fmt == "site":
            return [self.site_edition(e) for e in self.editions]
        return self.html_pages(fmt)


def _built(name: str, builds: Builds) -> Built:
    """One report's outputs from the session's shared builds (each made once per session)."""
    meta = yaml.safe_load((builds.root / "report" / "report.yaml").read_text(encoding="utf-8"))
    site = builds.release()
    # The PDFs in a release are the bytes a build writes (test_briefing holds the shipped
    # build to its release record): read from the release, each PDF is rendered once, not twice.
    released = site / str(meta["version"])
    dirs = {"pdf": released, "pdfa": released, "print-html": builds.build("--format", "html"),
            "web": builds.build("--format", "web"), "site": site}
    return Built(name=name, root=builds.root, slug=meta["slug"], version=meta["version"],
                 language=meta.get("language", "en"),
                 editions=tuple(e["id"] for e in meta["editions"]),
                 organisation=meta["organisation"], themed="theme" in meta, dirs=dirs)


@pytest.fixture(scope="module")
def built(shipped: Builds, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """Both reports in every format: the shipped one from the session's builds, the themed
    Spanish fixture built here once."""
    themed = tmp_path_factory.mktemp("matrix") / "themed-es"
    shutil.copytree(FIXTURES / "themed-es" / "report", themed / "report")
    return {"shipped": _built("shipped", shipped),
            "themed-es": _built("themed-es", Builds(themed, tmp_path_factory.mktemp("out")))}


def _cells(formats: tuple[str, ...], reports: tuple[str, ...] = REPORTS) -> list:
    return [pytest.param(r, f, id=f"{r}-{f}") for r in reports for f in formats]


# ---------------------------------------------------------------- reading outputs back

class _Text(HTMLParser):
    """The text a reader sees: every text node outside <style>, <script> and <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(_html(path))
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def _text(path: Path) -> str:
    text = pdftext(path) if path.suffix == ".pdf" else html_text(path)
    return re.sub(r"\s+", " ", text)


def _without_dark_scheme(html: str) -> str:
    """The document with every ``@media (prefers-color-scheme: dark) {…}`` block cut out."""
    out, pos = [], 0
    for m in re.finditer(r"@media[^{]*prefers-color-scheme:\s*dark[^{]*\{", html):
        if m.start() < pos:
            continue
        depth, i = 1, m.end()
        while depth and i < len(html):
            depth += {"{": 1, "}": -1}.get(html[i], 0)
            i += 1
        out.append(html[pos:m.start()])
        pos = i
    out.append(html[pos:])
    return "".join(out)


def _data_uris(html: str) -> Iterator[str]:
    """Decoded SVG ``data:`` URIs (images, backgrounds) of a page."""
    for m in re.finditer(r"data:image/svg\+xml(;base64)?,([^\"')\s]+)", html):
        raw = m.group(2)
        yield (base64.b64decode(raw).decode("utf-8", "replace") if m.group(1)
               else urllib.parse.unquote(raw))


def has_logo(html: str) -> bool:
    """The logo inline or as an SVG data: URI, known by its title or its own colour."""
    return any(marker in text.lower() for text in (html, *_data_uris(html))
               for marker in (LOGO_TITLE.lower(), LOGO_FILL))


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _sets_colour(ops: list, colour: str) -> bool:
    want = _rgb(colour)
    for operands, op in ops:
        if str(op) in ("rg", "RG", "sc", "scn", "SC", "SCN") and len(operands) == 3:
            try:
                got = [float(x) for x in operands]
            except (TypeError, ValueError):
                continue
            if all(abs(g - w) < 0.004 for g, w in zip(got, want, strict=True)):
                return True
    return False


def _xobjects_drawn(ops: list, resources: pikepdf.Dictionary, depth: int = 0
                    ) -> Iterator[pikepdf.Stream]:
    """Every form or image XObject a content stream draws, forms followed into."""
    xobjects = resources.get("/XObject", {}) if resources is not None else {}
    for operands, op in ops:
        if str(op) != "Do" or str(operands[0]) not in xobjects:
            continue
        xobj = xobjects[str(operands[0])]
        yield xobj
        if xobj.get("/Subtype") == "/Form" and depth < 8:
            inner = pikepdf.parse_content_stream(xobj)
            yield from _xobjects_drawn(inner, xobj.get("/Resources", resources), depth + 1)


def kids(elem: pikepdf.Object) -> list:
    k = elem.get("/K") if isinstance(elem, pikepdf.Dictionary) else None
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _struct(elem: pikepdf.Object) -> list[pikepdf.Dictionary]:
    return [k for k in kids(elem) if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def walk(elem: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    yield elem
    for kid in _struct(elem):
        yield from walk(kid)


def unlabelled_items(path: Path) -> list[str]:
    """List items without an /Lbl, apart from the table of contents, which rightly has none
    (no numbers or bullets: each item's body opens with its link). An item broken by a page
    break must be one item again, with its one label (publish/pdflists.py)."""
    bad = []
    with pikepdf.open(path) as pdf:
        for n, lst in enumerate(e for e in walk(pdf.Root.StructTreeRoot)
                                if str(e.get("/S")) == "/L"):
            items = [k for k in _struct(lst) if str(k.S) == "/LI"]
            bodies = [[str(c.S) for c in _struct(b) if str(b.S) == "/LBody"]
                      for li in items for b in _struct(li)]
            if items and all(b and b[0] == "/Link" for b in bodies if b):
                continue  # the table of contents
            for i, li in enumerate(items):
                kinds = [str(c.S) for c in _struct(li)]
                if "/Lbl" in kinds:
                    continue
                bad.append(f"list {n + 1} item {i + 1}: {kinds}")
    return bad


def _marked_properties(operands: list, resources: pikepdf.Dictionary) -> pikepdf.Object | None:
    if len(operands) < 2:
        return None
    props = operands[1]
    if isinstance(props, pikepdf.Name):
        return resources.get("/Properties", {}).get(str(props))
    return props


_Matrix = tuple[float, float, float, float, float, float]
MARGIN_PT = 22 / 25.4 * 72  # briefing.css: @page { margin: 22mm 20mm } (the cover has none)


def _concat(m: _Matrix, n: _Matrix) -> _Matrix:
    """``m`` then ``n``, as PDF concatenates matrices (row vectors)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s,
            e * p + f * r + t, e * q + f * s + u)


def _is_pagination(stack: list[tuple[str, pikepdf.Object | None]]) -> bool:
    return any(tag == "/Artifact" and isinstance(p, pikepdf.Dictionary)
               and str(p.get("/Type")) == "/Pagination" for tag, p in stack) and not any(
        isinstance(p, pikepdf.Dictionary) and "/MCID" in p for _t, p in stack)


def _margin_text(page: pikepdf.Page) -> Iterator[tuple[float, bool]]:
    """For each text object drawn in the top or bottom page margin (the @page margin boxes):
    its height on the page and whether it sits in pagination-artifact marked content only."""
    height = float(page.mediabox[3])
    ctm: _Matrix = (1, 0, 0, 1, 0, 0)
    saved: list[_Matrix] = []
    stack: list[tuple[str, pikepdf.Object | None]] = []
    for operands, op in pikepdf.parse_content_stream(page):
        name = str(op)
        if name == "q":
            saved.append(ctm)
        elif name == "Q" and saved:
            ctm = saved.pop()
        elif name == "cm":
            ctm = _concat(tuple(float(x) for x in operands), ctm)  # type: ignore[arg-type]
        elif name in ("BDC", "BMC"):
            props = _marked_properties(operands, page.Resources) if name == "BDC" else None
            stack.append((str(operands[0]), props))
        elif name == "EMC" and stack:
            stack.pop()
        elif name == "Tm":
            _a, _b, _c, _d, e, f = (float(x) for x in operands)
            y = e * ctm[1] + f * ctm[3] + ctm[5]
            if y > height - MARGIN_PT + 1 or y < MARGIN_PT - 1:
                yield y, _is_pagination(stack)


def running_text_problems(path: Path) -> list[str]:
    """Text in the page margins (running heads, page numbers) outside ``/Artifact`` marked
    content of ``/Type /Pagination``, or tagged as content; also pages with no such text."""
    problems = []
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages[1:], start=2):
            found = list(_margin_text(page))
            if not found:
                problems.append(f"page {number}: no running head or page number")
            wrong = [round(y) for y, ok in found if not ok]
            if wrong:
                problems.append(f"page {number}: running text at y={wrong} is not a "
                                "pagination artifact")
    return problems


# ---------------------------------------------------------------- theme

@pytest.mark.parametrize(("report", "fmt"), _cells(FORMATS, ("themed-es",)))
def test_theme_colour(built, report, fmt):
    """The theme's text colour: drawn in the PDFs, in the CSS of the HTML (light scheme)."""
    b = built[report]
    if fmt in PDFS:
        for edition in b.editions:
            with pikepdf.open(b.pdf(fmt, edition)) as pdf:
                assert any(_sets_colour(pikepdf.parse_content_stream(p), THEME_TEXT)
                           for p in pdf.pages[1:]), f"{edition}: {THEME_TEXT} never drawn"
        return
    missing = [b.label(fmt, p) for p in b.html_pages(fmt)
               if THEME_TEXT not in _without_dark_scheme(_html(p)).lower()]
    assert not missing, f"{THEME_TEXT} not in the light scheme of {missing}"


@pytest.mark.parametrize(("report", "fmt"), _cells(FORMATS, ("themed-es",)))
def test_theme_logo(built, report, fmt):
    """The theme's logo: drawn on the PDF cover, on every HTML page."""
    b = built[report]
    if fmt in PDFS:
        for edition in b.editions:
            with pikepdf.open(b.pdf(fmt, edition)) as pdf:
                cover = pdf.pages[0]
                ops = pikepdf.parse_content_stream(cover)
                forms = [x for x in _xobjects_drawn(ops, cover.Resources)
                         if x.get("/Subtype") == "/Form"]
                assert _sets_colour(ops, LOGO_FILL) or any(
                    _sets_colour(pikepdf.parse_content_stream(x), LOGO_FILL) for x in forms), \
                    f"{edition}: no logo drawn on the cover"
        return
    missing = [b.label(fmt, p) for p in b.html_pages(fmt) if not has_logo(_html(p))]
    assert not missing, f"no logo on {missing}"


# ---------------------------------------------------------------- language

def _pages_of(b: Built, fmt: str) -> list[Path]:
    if fmt in PDFS:
        return [b.pdf(fmt, e) for e in b.editions]
    return b.html_pages(fmt)


@pytest.mark.parametrize(("report", "fmt"), _cells(FORMATS))
def test_language_is_declared(built, report, fmt):
    """``lang`` on every HTML page, ``/Lang`` in every PDF: the edition's language."""
    b = built[report]
    for path in _pages_of(b, fmt):
        if fmt in PDFS:
            with pikepdf.open(path) as pdf:
                assert str(pdf.Root.get("/Lang")) == b.language, b.label(fmt, path)
        else:
            m = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", _html(path))
            assert m and m.group(1) == b.language, f"{b.label(fmt, path)}: {m and m.group(0)}"


@pytest.mark.parametrize(("report", "fmt"), _cells(FORMATS))
def test_figure_words(built, report, fmt):
    """The figures' own words (axis title, notes, legend rows) in the edition's language."""
    b = built[report]
    for path in b.edition_pages(fmt):
        text = _text(path)
        if b.language == "en":
            assert re.search(r"\bYear\b", text), f"{b.label(fmt, path)}: no 'Year' axis title"
            continue
        english = [w for w in ENGLISH_FIGURE_WORDS if re.search(rf"\b{w}\b", text)]
        assert not english, f"{b.label(fmt, path)}: English figure words {english}"
        assert re.search(r"\bAño\b", text), f"{b.label(fmt, path)}: no 'Año' axis title"


# Words the tool itself writes around an edition on screens (masthead links, how to cite).
ENGLISH_PAGE_WORDS = ("Download the PDF of this edition", "All editions and versions",
                      "Version 1.0.0")


@pytest.mark.parametrize(("report", "fmt"), _cells(HTMLS, ("themed-es",)))
def test_page_words(built, report, fmt):
    """Every page of a Spanish report, the site's own pages too, speaks Spanish."""
    b = built[report]
    for path in b.html_pages(fmt):
        text = html_text(path)
        english = [w for w in ENGLISH_PAGE_WORDS if w in text]
        assert not english, f"{b.label(fmt, path)}: English tool words {english}"


@pytest.mark.parametrize(("report", "fmt"), _cells(FORMATS))
def test_dates(built, report, fmt):
    """Timeline labels and release dates in the edition's language."""
    b = built[report]
    pages = b.html_pages(fmt) if fmt == "site" else _pages_of(b, fmt)
    for path in pages:
        text = _text(path)
        if b.language == "en":
            assert "6 December 2026" in text, b.label(fmt, path)
            if path in b.edition_pages(fmt):
                assert "31 Aug 2016" in text, f"{b.label(fmt, path)}: timeline date"
            continue
        english = sorted(set(ENGLISH_DATE.findall(text)))
        assert not english, f"{b.label(fmt, path)}: English dates {english}"
        assert "2 de diciembre de 2026" in text, b.label(fmt, path)
        if path in b.edition_pages(fmt):
            assert re.search(r"\bago(?:\.|sto)?(?: de)? 2016\b", text), \
                f"{b.label(fmt, path)}: no Spanish timeline date for 31 August 2016"


# ---------------------------------------------------------------- the site

def _edition_links(html: str, b: Built) -> list[str]:
    """Editions in the order a page links their web editions, each once."""
    found = re.findall(rf"href=\"[^\"]*{re.escape(b.slug)}-([\w-]+?)-v{re.escape(b.version)}"
                       r"\.html\"", html)
    return list(dict.fromkeys(found))


@pytest.mark.parametrize(("report", "fmt"), _cells(("site",)))
def test_edition_order(built, report, fmt):
    """The site lists the editions in report.yaml's order, not in the order of their ids."""
    b = built[report]
    for page in b.site_pages()[:2]:
        assert _edition_links(_html(page), b) == list(b.editions), b.label(fmt, page)


@pytest.mark.parametrize(("report", "fmt"), _cells(("site",)))
def test_citation_meta_on_edition_pages(built, report, fmt):
    """Highwire ``citation_*`` tags on every edition's page, so indexers find each edition."""
    b = built[report]
    wanted = {"citation_title", "citation_author", "citation_publication_date",
              "citation_pdf_url", "citation_language"}
    for edition in b.editions:
        page = b.site_edition(edition)
        tags = dict(re.findall(r"<meta name=\"(citation_\w+)\" content=\"([^\"]*)\"",
                               _html(page)))
        assert wanted <= set(tags), f"{page.name}: missing {sorted(wanted - set(tags))}"
        assert tags["citation_language"] == b.language
        assert tags["citation_pdf_url"].endswith(f"{b.slug}-{edition}-v{b.version}.pdf")


# ---------------------------------------------------------------- PDF structure

@pytest.mark.parametrize(("report", "fmt"), _cells(PDFS))
def test_list_labels(built, report, fmt):
    """Every numbered or bulleted list item is tagged with its /Lbl."""
    b = built[report]
    for edition in b.editions:
        bad = unlabelled_items(b.pdf(fmt, edition))
        assert not bad, f"{edition}: {bad[:5]}"


@pytest.mark.parametrize(("report", "fmt"), _cells(PDFS))
def test_running_heads_are_pagination_artifacts(built, report, fmt):
    """Running heads and page numbers are /Artifact of /Type /Pagination, not body text."""
    b = built[report]
    for edition in b.editions:
        bad = running_text_problems(b.pdf(fmt, edition))
        assert not bad, f"{edition}: {bad[:3]}"


# ---------------------------------------------------------------- file names

@pytest.mark.parametrize(("report", "fmt"), _cells(("print-html", "web")))
def test_html_file_names(built, report, fmt):
    """The print HTML ends in -print.html; the web edition keeps the plain .html name."""
    b = built[report]
    suffix = "-print" if fmt == "print-html" else ""
    names = sorted(p.name for p in b.dirs[fmt].glob("*.html"))
    assert names == sorted(f"{b.slug}-{e}-v{b.version}{suffix}.html" for e in b.editions)


@pytest.mark.parametrize("report", REPORTS)
def test_print_and_web_names_differ(built, report):
    """Both HTML outputs can sit in one folder: no file name is shared."""
    b = built[report]
    printed = {p.name for p in b.dirs["print-html"].glob("*.html")}
    web = {p.name for p in b.dirs["web"].glob("*.html")}
    assert printed and web and not printed & web, sorted(printed & web)
