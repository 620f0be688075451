"""Releases: immutable, checksummed folders of every edition of one version, and the site
(web editions, landing and version pages, feed) that makes them linkable."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_folder as _write_folder
from .build import build_fingerprint, render_html
from .compose.render import RenderedEdition, release_of
from .compose.templating import Templates
from .errors import OutputError, ReportError, relpath
from .publish.output import ensure_folder, output_name, write_all
from .publish.records import content_document
from .publish.workers import Progress, Workers, render_pdfs
from .source.project import Project, load_project

VARIANT = "pdf/ua-1"
# Every release also keeps an archival copy: PDF/A-3a with the edition's sources attached.
ARCHIVAL = "pdf/a-3a"


class ReleaseError(ReportError):
    """Raised when a release is refused: a draft version, or a version already released with
    different content (exit 1, nothing written)."""


@dataclass(frozen=True)
class ReleaseResult:
    folder: Path
    created: bool
    manifest: dict


def release(root: Path, out: Path, jobs: int | None = None, progress: Progress | None = None
            ) -> ReleaseResult:
    """Build every edition of a released version into ``out/<version>/``, once and for good."""
    say = progress or (lambda _msg: None)
    project = load_project(root)
    rel = release_of(project)
    changelog = relpath(project.report_dir / project.report.changelog, root)
    if rel.draft:
        raise ReleaseError(f"{changelog}: version {rel.version} is a draft; give its changelog "
                           "entry a date and at least one change before releasing")
    ids = [e.id for e in project.report.editions]
    editions = render_html(project, ids, None)
    templates = Templates.for_root(project.root)
    fingerprints = {r.edition.id: build_fingerprint(r, templates, "pdf", VARIANT)
                    for r in editions}
    target = out / rel.version
    record = root / "releases" / rel.version
    for folder in (out, target, record.parent, record):
        if folder.is_symlink():
            raise OutputError(folder, "is a symbolic link; refusing to write through it "
                                      "(remove the link)")
    existing = [folder for folder in (target, record) if (folder / "manifest.json").is_file()]
    for folder in existing:
        if _fingerprints(folder) != fingerprints:
            raise ReleaseError(
                f"{folder}: version {rel.version} was already released with different content; "
                "a release never changes. Run 'kratom-report version bump patch' (or minor, "
                "major), describe the change in the changelog, and release the new version")
    content = content_document(rel.version, rel.date.isoformat(),
                               {r.edition.id: r.record() for r in editions})
    if target.is_dir() and target in existing and record in existing:
        added = _add_missing_content(record, content)
        say(f"release {rel.version} already exists and is identical; "
            + (f"added its content record {relpath(added, root)}" if added else "nothing to do")
            + "; site rewritten")
        _site(project, out, rel.version, templates, editions)
        return ReleaseResult(target, False, json.loads((target / "manifest.json").read_text()))
    if target.exists() and target not in existing:
        raise OutputError(target, "exists but is not a release folder; move it away first")

    say(f"releasing version {rel.version} ({rel.date.isoformat()})")
    with Workers(min(len(editions), jobs or os.cpu_count() or 1)) as pool:
        pdfs = render_pdfs(project.root, editions, VARIANT, jobs, say, pool)
        archival = render_pdfs(project.root, editions, ARCHIVAL, jobs, say, pool)
    rows, files = [], {}
    for r in sorted(editions, key=lambda e: e.edition.id):
        data, pages = pdfs[r.edition.id]
        name = output_name(project.report.slug, r.edition.id, rel.version, "pdf", VARIANT)
        copy = archival[r.edition.id][0]
        copy_name = output_name(project.report.slug, r.edition.id, rel.version, "pdf", ARCHIVAL)
        files[name], files[copy_name] = data, copy
        rows.append({"edition": r.edition.id, "file": name, "version": rel.version,
                     "date": rel.date.isoformat(), "pages": pages, "bytes": len(data),
                     "sha256": hashlib.sha256(data).hexdigest(),
                     "content_fingerprint": r.content_fingerprint,
                     "build_fingerprint": fingerprints[r.edition.id],
                     "archival": {"file": copy_name, "bytes": len(copy),
                                  "sha256": hashlib.sha256(copy).hexdigest()}})
    manifest = {"slug": project.report.slug, "title": project.report.title,
                "version": rel.version, "date": rel.date.isoformat(), "editions": rows}
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    sums = "".join(f"{sha}  {file}\n" for row in rows for sha, file in (
        (row["sha256"], row["file"]), (row["archival"]["sha256"], row["archival"]["file"]))
    ).encode()
    records = {"manifest.json": manifest_bytes, "SHA256SUMS": sums, "content.json": content}
    if target not in existing:
        ensure_folder(out)
        _write_folder(target, {**files, **records})
    if record not in existing:
        ensure_folder(record.parent)
        _write_folder(record, records)
    else:
        _add_missing_content(record, content)
    _site(project, out, rel.version, templates, editions)
    return ReleaseResult(target, True, manifest)


def _site(project: Project, out: Path, version: str, templates: Templates,
          editions: list[RenderedEdition]) -> None:
    """The web editions and the release site, from the very editions the PDFs were made of."""
    from .compose.web import web_from
    from .publish.site import write_site

    env = templates.environment()  # one for every page: each template compiles once
    web = {r.edition.id: web_from(r, templates, env) for r in editions}
    write_site(project, out, version, web, templates, env)


def _add_missing_content(record: Path, content: bytes) -> Path | None:
    """Give a release recorded before content records existed its ``content.json``, once."""
    path = record / "content.json"
    if path.exists() or path.is_symlink():
        return None
    write_all([(path, content)])
    return path


def _fingerprints(folder: Path) -> dict[str, str]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return {row["edition"]: row["build_fingerprint"] for row in manifest["editions"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
