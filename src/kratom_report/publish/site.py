"""The release site: a landing page, one page per version, an Atom feed and citation files.

Plain static files with relative links, so the folder works from ``file://``, from any static
host and after being copied elsewhere. Everything it says comes from the release records
(``releases/<version>/manifest.json``) and the changelog: no clock, no network. Pages render in
the same sandboxed, autoescaping Jinja environment as the briefing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from .. import __version__
from ..compose.document import doi_link
from ..compose.i18n import N_, Words
from ..compose.pages import render_template
from ..compose.render import RenderedEdition, format_date, licence_name
from ..compose.summary import TITLES
from ..compose.templating import Templates
from ..compose.theme import theme_assets
from ..references.bibexport import export_bibtex
from ..source.project import Project
from .citation import absolute, version_doi
from .output import output_name, write_all
from .records import (
    Manifest,
    RecordError,
    load_manifest,
    load_record,
    manifest_dict,
    released_versions,
)
from .sitepages import accessibility_page, favicon, reviewed_by

if TYPE_CHECKING:
    import jinja2

CITE_FILES = {"bib": "cite.bib", "ris": "cite.ris", "json": "cite.json"}


# The links a release adds to each edition page's masthead (see with_alternates).
_DOWNLOAD = N_("Download the PDF of this edition")
_ALL_VERSIONS = N_("All editions and versions")


@dataclass(frozen=True)
class Version:
    """One released version as its record tells it, and what of it the output folder keeps."""

    version: str
    date: dt.date
    editions: list[dict[str, Any]]  # manifest rows, in report.yaml's order of editions
    changes: list[str]
    kept: bool  # its folder is in the output folder
    # What changed since the version before, per edition: {"title", "lines"}, found by
    # comparing the two content records (none for the first release, or without records).
    summaries: list[dict[str, Any]] = field(default_factory=list)
    since: str | None = None
    doi: str | None = None  # the version's DOI, else the report's concept DOI
    review: dict[str, Any] | None = None  # the record's review summary


def web_name(slug: str, edition: str, version: str) -> str:
    """The reading edition's file name, beside the PDF of the same edition."""
    return output_name(slug, edition, version, "web")


def site_files(project: Project, out: Path, version: str, web: dict[str, RenderedEdition],
               templates: Templates, env: jinja2.Environment | None = None, *,
               pending: Manifest | None = None, staged: dict[str, bytes] | None = None,
               pending_content: dict[str, Any] | None = None) -> list[tuple[Path, bytes]]:
    """Every file of the site in ``out``, with the web editions of ``version`` (just released).

    A version whose files are not in ``out`` is listed without links; so is an edition file
    the folder no longer holds. ``pending`` is the manifest of a release not yet moved into
    ``releases/`` and ``staged`` the files its folder will hold (None: it is in ``out``);
    ``pending_content`` its content record, for its change summary.
    """
    report = project.report
    versions = _versions(project, out, pending, pending_content)
    current = next((v for v in versions if v.version == version), None)
    if current is None:
        return []
    latest = versions[0]
    site = _site(project, latest)
    env = env or templates.environment()  # shared: each template compiles once
    css = Markup(templates.inline_css("web/web.css") + templates.inline_css("web/site.css"))
    theme = theme_assets(project).context()  # the web editions carry it already
    files: list[tuple[Path, bytes]] = []
    for r in web.values():
        meta = _highwire(templates, env, site, current, r)
        words = Words((r.context or {}).get("locale") or site["lang"])
        html = with_alternates(r.html, _alternates(project, current, r.edition.id), meta,
                               words)
        files.append((out / version / web_name(report.slug, r.edition.id, version),
                      html.encode()))
    kept = _kept(out, report.slug, versions, version, set(web))
    kept |= {f"{version}/{name}" for name in staged or {}}
    for v in versions:
        if v.kept:
            page = _page(project, v, versions, kept, prefix="", home="../")
            statement = accessibility_page(templates, env, site, page, css, out / v.version,
                                           (staged or {}).get("accessibility.json")
                                           if v.version == version else None)
            page["accessibility"] = "accessibility.html" if statement else None
            files.append((out / v.version / "index.html",
                          _render(templates, env, "web/site.html", site, page, css, theme)))
            files += _cite_files(out / v.version, project, v) + statement
    page = _page(project, latest, versions, kept, prefix=f"{latest.version}/", home="")
    page["latest"] = True
    page["accessibility"] = f"{latest.version}/accessibility.html" if any(
        path == out / latest.version / "accessibility.html" for path, _ in files) else None
    files.append((out / "index.html",
                  _render(templates, env, "web/site.html", site, page, css, theme)))
    files += _cite_files(out, project, latest)
    files.append((out / "favicon.ico", favicon(project)))
    feed = _feed(report.slug, versions)
    files.append((out / "feed.xml", _render(templates, env, "web/feed.xml", site, {}, css,
                                            theme, feed=feed)))
    return files


def write_site(project: Project, out: Path, version: str, web: dict[str, RenderedEdition],
               templates: Templates, env: jinja2.Environment | None = None) -> list[Path]:
    """Write the site file by file, each atomically: a page never appears half-written."""
    files = site_files(project, out, version, web, templates, env)
    write_all(files, durable=False)  # rewritten by every release run
    return [path for path, _ in files]


def with_alternates(html: str, links: list[tuple[str, str, str]], meta: str = "",
                    words: Words | None = None) -> str:
    """The web edition with ``meta`` (its citation tags), ``<link rel="alternate">`` to its PDF
    and to the other editions, and a visible link to the PDF in its masthead (in the edition's
    language): printing from a browser is second best."""
    words = words or Words()
    head = meta + "".join(f'<link rel="alternate" type="{escape(t)}" href="{escape(h)}" '
                          f'title="{escape(title)}">\n' for t, h, title in links)
    pdf = next((h for t, h, _ in links if t == "application/pdf"), None)
    html = html.replace("</head>", head + "</head>", 1)
    if pdf:
        html = html.replace("</header>", f'<p class="download"><a href="{escape(pdf)}">'
                                         f"{escape(words.gettext(_DOWNLOAD))}</a> · "
                                         '<a href="index.html">'
                                         f"{escape(words.gettext(_ALL_VERSIONS))}</a>"
                                         "</p>\n</header>", 1)
    return html


def _highwire(templates: Templates, env: jinja2.Environment, site: dict[str, Any],
               v: Version, r: RenderedEdition) -> str:
    """An edition page's Highwire tags, as the version page has them, but in the edition's
    language and with ``citation_pdf_url`` naming the edition's own PDF (beside the page)."""
    row = next((row for row in v.editions if row["edition"] == r.edition.id), None)
    lang = (r.context or {}).get("doc", {}).get("lang") or site["lang"]
    here = f"{v.version}/{web_name(site['slug'], r.edition.id, v.version)}"
    page = {"version": v.version, "date_highwire": v.date.strftime("%Y/%m/%d"),
            "pdf_url": (site["base"] + f"{v.version}/{row['file']}" if site["base"]
                        else row["file"]) if row else None,
            "canonical": site["base"] + here if site["base"] else None,
            "doi": v.doi, "icon": "../favicon.ico"}
    return render_template(templates, "web/highwire.html",
                           {"site": {**site, "lang": lang}, "page": page, "locale": lang}, env,
                           page=False)


def _alternates(project: Project, v: Version, edition: str) -> list[tuple[str, str, str]]:
    titles = {e.id: e.title for e in project.report.editions}
    links = []
    for row in v.editions:
        title = titles.get(row["edition"], row["edition"])
        if row["edition"] == edition:
            links.append(("application/pdf", row["file"], f"{title} (PDF)"))
        else:
            links.append(("text/html", web_name(project.report.slug, row["edition"],
                                                v.version), f"{title} (read online)"))
    return links


def _versions(project: Project, out: Path, pending: Manifest | None = None,
              pending_content: dict[str, Any] | None = None) -> list[Version]:
    """Every recorded release, newest first, from ``releases/<version>/manifest.json`` (and
    ``pending``, a release being written)."""
    titles = {e.id: e.title for e in project.report.editions}
    changes = {e.version: [*e.changes, *(f"{titles.get(k, k)}: {c}" for k, cs in
                                          e.by_edition.items() for c in cs)]
               for e in project.changelog.entries}
    found = []
    known = released_versions(project.root)
    if pending is not None and pending.version not in known:
        known = sorted([*known, pending.version], key=lambda v: tuple(map(int, v.split("."))))
    for version in reversed(known):
        # checked: plain file names, one schema
        manifest = pending if pending is not None and pending.version == version else \
            load_manifest(project.root, version)
        keys = ("edition", "file", "pages", "bytes", "sha256", "archival", "signature")
        record = manifest_dict(manifest)
        rows = [{k: row[k] for k in keys if k in row} | {"summaries": row.get("summaries", [])}
                for row in record["editions"]]
        date = manifest.date
        found.append(Version(version, date, _in_report_order(project, rows),
                             changes.get(version, []), (out / version).is_dir() or
                             manifest is pending,
                             doi=version_doi(project, version) or project.report.doi,
                             review=record.get("review")))
    older: list[Version | None] = [*found[1:], None]
    content = {pending.version: pending_content} if pending and pending_content else {}
    return [v if o is None else replace(v, since=o.version, summaries=_summaries(
        project, o.version, v.version, content)) for v, o in zip(found, older, strict=True)]


def _summaries(project: Project, old: str, new: str,
               pending: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each edition's classified change summary from release ``old`` to ``new``, in the
    report's language, in report.yaml's order; none when either has no content record
    (``pending``: the records of a release not yet moved into ``releases/``)."""
    from ..compose.marks import change_summary, summary_lines
    from .diff import diff_records

    try:
        diff = diff_records(load_record(project.root, old),
                            pending.get(new) or load_record(project.root, new))
    except RecordError:
        return []
    words = Words(project.report.language)
    titles = {e.id: e.title for e in project.report.editions}
    order = {e.id: i for i, e in enumerate(project.report.editions)}
    out = []
    for edition in sorted(diff["editions"], key=lambda e: (order.get(e, len(order)), e)):
        lines = summary_lines(change_summary(diff["editions"][edition]), words)
        if lines:
            out.append({"title": titles.get(edition, edition), "lines": lines})
    return out


def _in_report_order(project: Project, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Manifest rows (sorted by id, as the record keeps them) in report.yaml's order of
    editions, the order readers meet everywhere else; an edition report.yaml no longer lists
    follows the others, in the record's order."""
    order = {e.id: i for i, e in enumerate(project.report.editions)}
    return sorted(rows, key=lambda row: order.get(row["edition"], len(order)))


def _kept(out: Path, slug: str, versions: list[Version], version: str,
          writing: set[str]) -> set[str]:
    """Paths (relative to ``out``) of edition files the folder holds or is about to hold."""
    kept = {f"{version}/{web_name(slug, edition, version)}" for edition in writing}
    for v in versions:
        names = ["SHA256SUMS", "manifest.json"]
        names += [n for row in v.editions
                  for n in (row["file"], web_name(slug, row["edition"], v.version),
                            (row.get("archival") or {}).get("file"),
                            *(s["file"] for s in row.get("summaries") or []))
                  if isinstance(n, str)]
        kept |= {f"{v.version}/{n}" for n in names if (out / v.version / n).is_file()}
    return kept


def _site(project: Project, latest: Version) -> dict[str, Any]:
    r = project.report
    return {"lang": r.language, "rtl": Words(r.language).rtl, "title": r.title,
            "subtitle": r.subtitle,
            "full_title": f"{r.title}: {r.subtitle}" if r.subtitle else r.title,
            "summary": r.subject or r.subtitle or r.title,
            "authors": [a.name for a in r.authors], "organisation": r.organisation,
            "licence": licence_name(r.licence), "contact": r.contact, "slug": r.slug,
            "latest": latest.version, "generator": f"kratom-report {__version__}",
            "base": absolute(project, "") or "", "doi": r.doi}


def _page(project: Project, v: Version, versions: list[Version], kept: set[str], *,
          prefix: str, home: str) -> dict[str, Any]:
    """A version page's context; ``prefix`` leads from the page to the version's folder and
    ``home`` from the page to the site's root."""
    slug, lang = project.report.slug, project.report.language
    known = {e.id: e for e in project.report.editions}
    editions = []
    for row in v.editions:
        ed = known.get(row["edition"])
        web = web_name(slug, row["edition"], v.version)
        editions.append({
            "id": row["edition"], "title": ed.title if ed else row["edition"],
            "audience": ed.audience if ed else None, "file": row["file"],
            "pdf": prefix + row["file"] if f"{v.version}/{row['file']}" in kept else None,
            "web": prefix + web if f"{v.version}/{web}" in kept else None,
            "pages": row["pages"], "size": _size(row["bytes"]), "sha256": row["sha256"],
            "archival": _archival(row.get("archival"), v.version, kept, prefix),
            "summaries": [{"title": TITLES.get(s["kind"], s["kind"]), "pages": s["pages"],
                           "href": prefix + s["file"], "size": _size(s["bytes"]),
                           "sha256": s["sha256"]} for s in row.get("summaries") or []
                          if f"{v.version}/{s['file']}" in kept]})
    return {"version": v.version, "latest": False, "date_text": format_date(v.date, lang),
            "date_highwire": v.date.strftime("%Y/%m/%d"), "editions": editions,
            "changes": v.changes, "summaries": v.summaries, "since": v.since,
            "home": home + "index.html", "feed": home + "feed.xml",
            "pdf_url": next((absolute(project, f"{v.version}/{e['file']}") or e["pdf"]
                             for e in editions if e["pdf"]), None),
            "canonical": absolute(project, f"{v.version}/index.html" if home else "index.html"),
            "icon": home + "favicon.ico", "doi": v.doi, "doi_link": doi_link(v.doi),
            "reviewed": reviewed_by(project, v.review),
            "sums": prefix + "SHA256SUMS" if f"{v.version}/SHA256SUMS" in kept else None,
            "manifest": prefix + "manifest.json" if f"{v.version}/manifest.json" in kept
            else None,
            "signed": next((row["signature"] for row in v.editions if "signature" in row), None),
            "how_to_cite": cite_text(project, v, Words(lang)), "cite": dict(CITE_FILES),
            "versions": [{"version": o.version, "date_text": format_date(o.date, lang),
                          "href": (home + o.version + "/index.html") if o.kept else None}
                         for o in versions]}


def _archival(copy: Any, version: str, kept: set[str], prefix: str) -> dict[str, str] | None:
    """The archival PDF/A copy a release record lists (releases before 0.3.0 have none)."""
    if not isinstance(copy, dict) or f"{version}/{copy.get('file')}" not in kept:
        return None
    return {"href": prefix + copy["file"], "size": _size(copy["bytes"]), "sha256": copy["sha256"]}


def _render(templates: Templates, env: jinja2.Environment, name: str, site: dict[str, Any],
            page: dict[str, Any], css: Markup, theme: dict[str, Any],
            feed: dict[str, Any] | None = None) -> bytes:
    context = {"site": site, "page": page, "css": css, "theme": theme, "feed": feed or {},
               "locale": site.get("lang")}  # the tool's words in the report's language
    return render_template(templates, name, context, env,
                           page=name.endswith(".html")).encode("utf-8")


def _feed(slug: str, versions: list[Version]) -> dict[str, Any]:
    """Atom ids are tag: URIs of the slug, a release date and the version: stable forever."""
    first = versions[-1]
    entries = []
    for v in versions:
        items = "".join(f"<li>{escape(c)}</li>" for c in v.changes)
        if v.summaries:  # per edition, what comparison with the version before found
            items = (f"<ul>{items}</ul>" if items else "") + "".join(
                f"<h3>{escape(s['title'])}</h3><ul>"
                + "".join(f"<li>{escape(line)}</li>" for line in s["lines"]) + "</ul>"
                for s in v.summaries)
        entries.append({"id": f"tag:{slug},{v.date.isoformat()}:{v.version}",
                        "version": v.version, "updated": f"{v.date.isoformat()}T00:00:00Z",
                        "href": f"{v.version}/index.html" if v.kept else None,
                        "summary": " ".join(v.changes) or f"Version {v.version}.",
                        "content": items if v.summaries else
                        f"<ul>{items}</ul>" if items else ""})
    return {"id": f"tag:{slug},{first.date.isoformat()}:releases",
            "updated": entries[0]["updated"], "entries": entries}


def cite_text(project: Project, v: Version, words: Words) -> str:
    """How to cite one version of the briefing as a whole (every edition shares it), in the
    report.s language; the template links the DOI after it."""
    r = project.report
    title = f"{r.title}: {r.subtitle}" if r.subtitle else r.title
    version = words.gettext("Version %(version)s") % {"version": v.version}
    return (f"{', '.join(a.name for a in r.authors)}. {title}. {version}. "
            f"{r.organisation}; {v.date.year}.")


def _csl_item(project: Project, v: Version) -> dict[str, Any]:
    r = project.report
    return {"id": f"{r.slug}-{v.version}", "key": f"{r.slug}-{v.version}", "type": "report",
            "title": f"{r.title}: {r.subtitle}" if r.subtitle else r.title,
            "author": [{"literal": a.name} for a in r.authors],
            "issued": {"date-parts": [[v.date.year, v.date.month, v.date.day]]},
            "publisher": r.organisation, "genre": "Evidence briefing", "version": v.version,
            "note": f"Version {v.version}",
            "language": r.language} | ({"DOI": v.doi} if v.doi else {})


def _cite_files(folder: Path, project: Project, v: Version) -> list[tuple[Path, bytes]]:
    """BibTeX, RIS and CSL-JSON for the briefing itself, for reference managers."""
    item = _csl_item(project, v)
    ris = ["TY  - RPRT", f"TI  - {item['title']}"]
    ris += [f"AU  - {a['literal']}" for a in item["author"]]
    ris += [f"PY  - {v.date.year}", f"DA  - {v.date.strftime('%Y/%m/%d')}",
            f"PB  - {item['publisher']}", f"M3  - {item['genre']}", f"ET  - {v.version}",
            f"LA  - {item['language']}", "ER  - "]
    csl = {k: val for k, val in item.items() if k != "key"}
    return [(folder / CITE_FILES["bib"], export_bibtex([item]).encode("utf-8")),
            (folder / CITE_FILES["ris"], ("\r\n".join(_ris_line(x) for x in ris)
                                          + "\r\n").encode("utf-8")),
            (folder / CITE_FILES["json"],
             (json.dumps([csl], indent=2, ensure_ascii=False) + "\n").encode("utf-8"))]


def _ris_line(line: str) -> str:
    """A RIS field is one line: a line break in a title would start a bogus tag."""
    tag, value = line[:6], line[6:]
    return tag + " ".join(value.split())


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{round(n / 1000)} KB"
