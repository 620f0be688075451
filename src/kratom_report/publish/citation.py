"""Citation files a release folder carries: ``CITATION.cff`` (Citation File Format 1.2.0,
read by GitHub and reference managers) and ``zenodo.json`` (Zenodo's deposit metadata).

Both come from report.yaml and the changelog only: title, authors and affiliations, the
organisation, licence, version, release date, the concept DOI (``doi``) and the version's
(changelog entry ``doi``), and, with ``site.base_url``, the absolute address of every file.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml

from ..source.project import Project


def version_doi(project: Project, version: str) -> str | None:
    """The DOI the changelog entry of ``version`` gives, if any."""
    return next((e.doi for e in project.changelog.entries if e.version == version), None)


def absolute(project: Project, path: str) -> str | None:
    """``path`` (relative to the site's root) under ``site.base_url``; None without one."""
    base = project.report.site.base_url
    return f"{base.rstrip('/')}/{path.lstrip('/')}" if base else None


def citation_cff(project: Project, version: str, date: dt.date) -> bytes:
    """CITATION.cff for one version; valid for ``cffconvert --validate``."""
    r = project.report
    title = f"{r.title}: {r.subtitle}" if r.subtitle else r.title
    authors = [{"name": a.name} for a in r.authors]  # names are not split: some are bodies
    doi = version_doi(project, version) or r.doi
    url = absolute(project, f"{version}/index.html")
    cff: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": "If you cite this briefing, please cite it as below.",
        "title": title, "authors": authors, "version": version,
        "date-released": date.isoformat(), "license": r.licence}
    if doi:
        cff["doi"] = doi
    if r.doi and doi != r.doi:
        cff["identifiers"] = [{"type": "doi", "value": r.doi,
                               "description": "The concept DOI: every version"}]
    if url:
        cff["url"] = url
    if r.keywords:
        cff["keywords"] = list(r.keywords)
    preferred: dict[str, Any] = {
        "type": "report", "title": title, "authors": authors,
        "institution": {"name": r.organisation}, "version": version,
        "date-published": date.isoformat(), "year": date.year}
    if doi:
        preferred["doi"] = doi
    if url:
        preferred["url"] = url
    cff["preferred-citation"] = preferred
    return yaml.safe_dump(cff, sort_keys=False, allow_unicode=True, width=1000).encode()


def zenodo_json(project: Project, version: str, date: dt.date, files: list[str]) -> bytes:
    """zenodo.json: Zenodo deposit metadata, with each edition's file as a related
    identifier (its absolute address, so only with ``site.base_url``)."""
    r = project.report
    related = [{"identifier": url, "relation": "hasPart", "resource_type": "publication-report",
                "scheme": "url"} for name in files
               if (url := absolute(project, f"{version}/{name}"))]
    if r.doi:
        related.append({"identifier": r.doi, "relation": "isVersionOf", "scheme": "doi"})
    meta: dict[str, Any] = {
        "title": f"{r.title}: {r.subtitle}" if r.subtitle else r.title,
        "upload_type": "publication", "publication_type": "report",
        "description": r.subject or r.subtitle or r.title,
        "creators": [{"name": a.name} | ({"affiliation": a.affiliation} if a.affiliation
                                         else {}) for a in r.authors],
        "version": version, "publication_date": date.isoformat(),
        "license": r.licence.lower(), "access_right": "open",
        "keywords": list(r.keywords), "related_identifiers": related}
    if doi := version_doi(project, version):
        meta["doi"] = doi
    return (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode()
