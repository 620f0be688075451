"""Releases: immutable, checksummed folders of every edition of one version, and the site
(web editions, landing and version pages, feed) that makes them linkable."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assemble import assembled
from .atomic import refuse_links
from .atomic import write_folder as _write_folder
from .build import build_fingerprint
from .compose.render import RenderedEdition, release_of
from .errors import OutputError, ReportError, relpath
from .fingerprint import digest
from .pipeline import ARCHIVAL, Composer, Plan, Product, plan, produce
from .pipeline import TAGGED as VARIANT
from .publish.output import ensure_folder, write_all
from .publish.records import content_document
from .publish.site import write_site
from .publish.workers import Progress, Workers
from .source.project import Project, load_project

# Every release keeps, beside each tagged edition, an archival copy: PDF/A-3a with the
# edition's sources attached (pipeline.ARCHIVAL).


class ReleaseError(ReportError):
    """Raised when a release is refused: a draft version, or a version already released with
    different content (exit 1, nothing written)."""


@dataclass(frozen=True)
class ReleaseResult:
    folder: Path
    created: bool
    manifest: dict


def release(root: Path, out: Path, jobs: int | None = None, progress: Progress | None = None,
            *, assemble: Sequence[Path] = ()) -> ReleaseResult:
    """Build every edition of a released version into ``out/<version>/``, once and for good.

    With ``assemble``, the PDFs are not rendered here but taken from those folders (see
    :mod:`.assemble`); every other step is the same, so the release is the same bytes.
    """
    say = progress or (lambda _msg: None)
    project = load_project(root)
    rel = release_of(project)
    changelog = relpath(project.report_dir / project.report.changelog, root)
    if rel.date is None:  # a draft: the type checker learns the date is set below
        raise ReleaseError(f"{changelog}: version {rel.version} is a draft; give its changelog "
                           "entry a date and at least one change before releasing")
    composer = Composer.for_project(project)
    editions = list(composer.editions(e.id for e in project.report.editions))
    # Every edition in both variants, from the one composed edition; the site's web editions
    # come from it too.
    planned = plan(project, formats=["pdf", "web"], variants=[VARIANT, ARCHIVAL])
    pieces = assembled(planned, editions, composer.templates, assemble) if assemble else None
    fingerprints = {r.edition.id: build_fingerprint(r, composer.templates, "pdf", VARIANT)
                    for r in editions}
    # A summary's bytes are part of the release too: a changed summary is a changed release.
    fingerprints |= {f"{r.edition.id}/{s.kind}": build_fingerprint(
        r, composer.templates, "pdf", VARIANT, s.html) for r in editions for s in r.summaries}
    target, record = out / rel.version, root / "releases" / rel.version
    refuse_links([out, target, record.parent, record], folders=True)
    existing = _same_release(rel.version, fingerprints, [target, record])
    content = content_document(rel.version, rel.date.isoformat(),
                               {r.edition.id: r.record() for r in editions})
    if target.is_dir() and target in existing and record in existing:
        added = _add_missing_content(record, content)
        say(f"release {rel.version} already exists and is identical; "
            + (f"added its content record {relpath(added, root)}" if added else "nothing to do")
            + "; site rewritten")
        _site(project, out, rel.version, composer, editions)
        return ReleaseResult(target, False, json.loads((target / "manifest.json").read_text()))
    if target.exists() and target not in existing:
        raise OutputError(target, "exists but is not a release folder; move it away first")

    say(f"releasing version {rel.version} ({rel.date.isoformat()})")
    if pieces is not None:
        say(f"assembling {len(pieces)} PDFs built in {', '.join(str(f) for f in assemble)}")
    products = _products(planned, composer, editions, say, jobs, pieces)
    files, manifest, sums = _release_files(project, rel.version, rel.date.isoformat(),
                                           editions, products, fingerprints)
    _write_release(target, record, existing, files, manifest, sums, content)
    web = {p.target.edition: p.edition for p in products if p.target.fmt == "web"}
    write_site(project, out, rel.version, web, composer.templates,
               composer.templates.environment())
    return ReleaseResult(target, True, manifest)


def _products(planned: Plan, composer: Composer, editions: list[RenderedEdition],
              say: Progress, jobs: int | None, pieces: list[Product] | None) -> list[Product]:
    """Every PDF and web edition of the release: the PDFs rendered here, or the assembled
    ``pieces`` with only the web editions made here."""
    if pieces is None:
        with Workers(min(len(editions), jobs or os.cpu_count() or 1), say) as pool:
            return produce(planned, composer, pool, say, composed=editions)
    with Workers(0) as pool:  # nothing is sent to it: no PDF is rendered here
        return pieces + produce(planned, composer, pool, say, composed=editions,
                                wanted=lambda t, _r: t.fmt == "web")


def _write_release(target: Path, record: Path, existing: list[Path], files: dict[str, bytes],
                   manifest: dict[str, Any], sums: bytes, content: bytes) -> None:
    """The release folder and the committed record, each unless it exists already."""
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    records = {"manifest.json": manifest_bytes, "SHA256SUMS": sums, "content.json": content}
    if target not in existing:
        ensure_folder(target.parent)
        _write_folder(target, {**files, **records})
    if record not in existing:
        ensure_folder(record.parent)
        _write_folder(record, records)
    else:
        _add_missing_content(record, content)


def _same_release(version: str, fingerprints: dict[str, str], folders: list[Path]
                  ) -> list[Path]:
    """The folders that already hold this release; refused if any holds other content."""
    existing = [folder for folder in folders if (folder / "manifest.json").is_file()]
    for folder in existing:
        if _fingerprints(folder) != fingerprints:
            raise ReleaseError(
                f"{folder}: version {version} was already released with different content; "
                "a release never changes. Run 'kratom-report version bump patch' (or minor, "
                "major), describe the change in the changelog, and release the new version")
    return existing


def _release_files(project: Project, version: str, date: str, editions: list[RenderedEdition],
                   products: list[Product], fingerprints: dict[str, str]
                   ) -> tuple[dict[str, bytes], dict[str, Any], bytes]:
    """Every PDF of the release by file name, the manifest (editions by id) and SHA256SUMS."""
    made = {(p.target.edition, p.target.fmt, p.target.variant, p.target.summary): p
            for p in products}
    rows: list[dict[str, Any]] = []
    files: dict[str, bytes] = {}
    for r in sorted(editions, key=lambda e: e.edition.id):
        pdf = made[(r.edition.id, "pdf", VARIANT, "")]
        copy = made[(r.edition.id, "pdf", ARCHIVAL, "")]
        files[pdf.target.name], files[copy.target.name] = pdf.data, copy.data
        rows.append({"edition": r.edition.id, "file": pdf.target.name, "version": version,
                     "date": date, "pages": pdf.pages, "bytes": len(pdf.data),
                     "sha256": digest(pdf.data),
                     "content_fingerprint": r.content_fingerprint,
                     "build_fingerprint": fingerprints[r.edition.id],
                     "archival": {"file": copy.target.name, "bytes": len(copy.data),
                                  "sha256": digest(copy.data)}})
        summaries = [made[(r.edition.id, "pdf", VARIANT, s.kind)] for s in r.summaries]
        files |= {p.target.name: p.data for p in summaries}
        if summaries:  # a release without summaries keeps the manifest it always had
            rows[-1]["summaries"] = [{
                "kind": p.target.summary, "file": p.target.name, "pages": p.pages,
                "bytes": len(p.data), "sha256": digest(p.data),
                "build_fingerprint": fingerprints[f"{r.edition.id}/{p.target.summary}"]}
                for p in summaries]
    manifest = {"slug": project.report.slug, "title": project.report.title,
                "version": version, "date": date, "editions": rows}
    sums = "".join(f"{sha}  {file}\n" for row in rows for sha, file in (
        (row["sha256"], row["file"]), (row["archival"]["sha256"], row["archival"]["file"]),
        *((s["sha256"], s["file"]) for s in row.get("summaries", [])))).encode()
    return files, manifest, sums


def _site(project: Project, out: Path, version: str, composer: Composer,
          editions: list[RenderedEdition]) -> None:
    """The web editions and the release site, from the very editions the PDFs were made of."""
    env = composer.templates.environment()  # one for every page: each template compiles once
    web = {r.edition.id: composer.web(r, env) for r in editions}
    write_site(project, out, version, web, composer.templates, env)


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
        return {row["edition"]: row["build_fingerprint"] for row in manifest["editions"]} | {
            f"{row['edition']}/{s['kind']}": s["build_fingerprint"]
            for row in manifest["editions"] for s in row.get("summaries", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
