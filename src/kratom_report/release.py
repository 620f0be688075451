"""Releases: immutable, checksummed folders of every edition of one version, and the site
(web editions, landing and version pages, feed) that makes them linkable."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .assemble import assembled
from .atomic import discard_folder, place_folder, refuse_links, stage_folder
from .build import build_fingerprint, edition_count
from .compose.render import RenderedEdition, release_of
from .errors import OutputError, ProblemsError, ReportError, relpath
from .fingerprint import digest
from .pipeline import ARCHIVAL, Composer, Plan, Product, plan, produce
from .pipeline import TAGGED as VARIANT
from .publish.gates import evidence_gate, review_gate
from .publish.output import ensure_folder, write_all
from .publish.records import (
    Manifest,
    Signature,
    build_fingerprints,
    content_document,
    load_manifest,
    manifest_dict,
    record_problems,
    unsigned_sums,
)
from .publish.signing import SignerKey, SigningRequest, open_key, sign
from .publish.site import site_files, write_site
from .publish.workers import Progress, Workers
from .references.retractions import report_problems
from .source.project import Project, load_project

# Every release keeps, beside each tagged edition, an archival copy: PDF/A-3a with the
# edition's sources attached (pipeline.ARCHIVAL).


class ReleaseError(ReportError):
    """Raised when a release is refused: a draft version, a version already released with
    different content, or ``--sign`` for a version released unsigned or signed by another
    certificate (exit 1, nothing written)."""


@dataclass(frozen=True)
class ReleaseResult:
    folder: Path
    created: bool
    manifest: dict


def release(root: Path, out: Path, jobs: int | None = None, progress: Progress | None = None,
            *, assemble: Sequence[Path] = (), signing: SigningRequest | None = None
            ) -> ReleaseResult:
    """Build every edition of a released version into ``out/<version>/``, once and for good.

    With ``assemble``, the PDFs are not rendered here but taken from those folders (see
    :mod:`.assemble`); every other step is the same, so the release is the same bytes.
    With ``signing``, every PDF is signed (an incremental update) before anything is placed.
    """
    # The PDF workers fork first: they import the PDF engine while the sources load and the
    # editions compose, as build's do. None when the PDFs are assembled.
    count = 0 if assemble else min(edition_count(root), jobs or os.cpu_count() or 1)
    with Workers(count, progress) as pool:
        return _release(root, out, pool, progress or (lambda _msg: None), assemble, signing)


# long: the release's steps in order, each one line, read best as one
def _release(root: Path, out: Path, pool: Workers, say: Progress, assemble: Sequence[Path],
             signing: SigningRequest | None) -> ReleaseResult:
    project = load_project(root)
    rel = release_of(project)
    changelog = relpath(project.report_dir / project.report.changelog, root)
    if rel.date is None:  # a draft: the type checker learns the date is set below
        raise ReleaseError(f"{changelog}: version {rel.version} is a draft; give its changelog "
                           "entry a date and at least one change before releasing")
    key = open_key(signing) if signing is not None else None  # a bad key: before any work
    # A damaged record of any version is named first: it would otherwise surface as a
    # confusing "released with different content", or break the site half-way.
    refused = record_problems(root) + report_problems(project, release=True)
    if refused:  # before anything is rendered
        raise ProblemsError(refused)
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
    contents = {r.edition.id: r.content_fingerprint for r in editions}
    existing, rebuilt = _same_release(rel.version, fingerprints, contents, out, root, key)
    content = content_document(rel.version, rel.date.isoformat(),
                               {r.edition.id: r.record() for r in editions})
    folders = Folders(target, record, existing)
    if target.is_dir() and target in existing and record in existing:
        return _identical(project, out, folders, content, composer, editions, say)
    if target.exists() and target not in existing + list(rebuilt):
        raise OutputError(target, "exists but is not a release folder; move it away first")
    made = next(iter(rebuilt.values()), None)  # as recorded by another tool or templates
    accepted = evidence_gate(project) if made is None else manifest_dict(made).get(
        "accepted_overdue")
    review = review_gate(project, rel.version) if made is None else manifest_dict(made).get(
        "review")  # a new release only meets the gates; one made stays as it was

    say(f"{'rebuilding' if made else 'releasing'} version {rel.version} "
        f"({rel.date.isoformat()})")
    if pieces is not None:
        say(f"assembling {len(pieces)} PDFs built in {', '.join(str(f) for f in assemble)}")
    products = _products(planned, composer, editions, say, pool, pieces)
    if made is not None:
        _same_bytes(rel.version, rebuilt, products)
        say(f"release {rel.version} was made by another tool or template version; this one "
            "builds the recorded bytes, so the record stays as released")
        fingerprints = build_fingerprints(made)
        existing.extend(rebuilt)  # Folders sees them too
        if target in existing and record in existing:
            return _identical(project, out, folders, content, composer, editions, say)
    described = _described(project, rel.version, rel.date, products)  # the unsigned files
    products, signed = _signed(project, rel.version, products, key, say)
    files, manifest, sums = _release_files(project, rel.version, rel.date.isoformat(),
                                           editions, products, fingerprints, signed)
    files |= described
    if accepted:  # why evidence due for review went out anyway: on record, never printed
        manifest["accepted_overdue"] = accepted
    if review is not None:
        manifest["review"] = review
    web = {p.target.edition: p.edition for p in products if p.target.fmt == "web"}
    _write_release(project, out, folders, files, manifest, sums, content, web, composer)
    return ReleaseResult(target, True, manifest)


def _identical(project: Project, out: Path, where: Folders, content: bytes, composer: Composer,
               editions: list[RenderedEdition], say: Progress) -> ReleaseResult:
    """A release that exists in both places as this tree makes it: its site is rewritten, its
    content record added if an older release lacks one, and nothing else changes."""
    root, version = project.root, where.target.name
    added = _add_missing_content(where.record, content)
    say(f"release {version} already exists and is identical; "
        + (f"added its content record {relpath(added, root)}" if added else "nothing to do")
        + "; site rewritten")
    _site(project, out, version, composer, editions)
    return ReleaseResult(where.target, False,
                         manifest_dict(load_manifest(out, version, folder=())))


def _same_bytes(version: str, rebuilt: dict[Path, Manifest], products: list[Product]) -> None:
    """Refuse unless every PDF built now is, byte for byte, the one each record lists
    (before any signature): the sources are the same, the tool or its templates are not."""
    made = {p.target.name: digest(p.data) for p in products if p.target.fmt == "pdf"}
    for path, manifest in rebuilt.items():
        for name, sha in unsigned_sums(manifest).items():
            if made.get(name) != sha:
                raise ReleaseError(
                    f"{path}: version {version} was released from these sources, but this "
                    f"tool builds other bytes for {name} (the tool or its templates changed "
                    "since); a release never changes. Publish it with the tool version that "
                    "made it, or run 'kratom-report version bump patch' (or minor, major), "
                    "describe the change in the changelog, and release the new version")


@dataclass(frozen=True)
class Folders:
    """Where a release goes: ``DIR/<version>``, ``releases/<version>``, and which exist."""

    target: Path
    record: Path
    existing: list[Path]


def _products(planned: Plan, composer: Composer, editions: list[RenderedEdition],
              say: Progress, pool: Workers, pieces: list[Product] | None) -> list[Product]:
    """Every PDF and web edition of the release: the PDFs rendered here (each measured for
    the accessibility statement by its worker, the largest jobs sent first), or the
    assembled ``pieces`` with only the web editions made here."""
    if pieces is not None:
        return pieces + produce(planned, composer, pool, say, composed=editions,
                                wanted=lambda t, _r: t.fmt == "web")
    return produce(planned, composer, pool, say, composed=editions, checks=True)


def _described(project: Project, version: str, date: dt.date, products: list[Product]
               ) -> dict[str, bytes]:
    """The release folder's CITATION.cff, zenodo.json and accessibility.json (each PDF's
    checks as its worker measured them; an assembled PDF's are measured here)."""
    from .publish.accessibility import statement
    from .publish.citation import citation_cff, zenodo_json

    pdfs = {p.target.name: p.data for p in products if p.target.fmt == "pdf"}
    measured = {p.target.name: p.checks for p in products if p.checks is not None}
    web = [p.target.name for p in products if p.target.fmt == "web"]
    editions = [p.target.name for p in products if p.target.fmt == "pdf"
                and p.target.variant == VARIANT and not p.target.summary]
    return {"CITATION.cff": citation_cff(project, version, date),
            "zenodo.json": zenodo_json(project, version, date, sorted(editions)),
            "accessibility.json": (json.dumps(statement(version, pdfs, web, measured),
                                              indent=2, ensure_ascii=False) + "\n").encode()}


def _signed(project: Project, version: str, products: list[Product], key: SignerKey | None,
            say: Progress) -> tuple[list[Product], dict[str, dict[str, str]]]:
    """Every PDF signed with ``key`` (none: as made), and what the manifest records of each
    signature by file name: signer, certificate fingerprint, the unsigned build's SHA-256."""
    if key is None:
        return products, {}
    say(f"signing as {key.name} (certificate SHA-256 {key.fingerprint})")
    reason = f"Release {version} of {project.report.title}"
    out, signed = [], {}
    for p in products:
        if p.target.fmt != "pdf":
            out.append(p)
            continue
        out.append(replace(p, data=sign(p.data, key, reason, project.report.organisation)))
        signed[p.target.name] = {"signer": key.name, "certificate_sha256": key.fingerprint,
                                 "unsigned_sha256": digest(p.data)} | (
            {"timestamp_authority": key.timestamp_url} if key.timestamp_url else {})
    return out, signed


def _write_release(project: Project, out: Path, where: Folders, files: dict[str, bytes],
                   manifest: dict[str, Any], sums: bytes, content: bytes,
                   web: dict[str, RenderedEdition], composer: Composer) -> None:
    """Every file of the release staged in hidden folders beside its place, then the release
    folder and, last, the committed record moved in by one rename each: a failed or killed
    run leaves neither looking complete. The site's pages outside the folder follow."""
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    records = {"manifest.json": manifest_bytes, "SHA256SUMS": sums, "content.json": content}
    version, target, record = manifest["version"], where.target, where.record
    staged = target not in where.existing
    site = site_files(project, out, version, web, composer.templates,
                      composer.templates.environment(), pending=Manifest.model_validate_json(
                          manifest_bytes), staged={**files, **records} if staged else None,
                      pending_content=json.loads(content))
    inside = {path.relative_to(target).as_posix(): data for path, data in site
              if staged and path.is_relative_to(target)}
    later = [(path, data) for path, data in site if not (staged and path.is_relative_to(target))]
    folders: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        if staged:
            ensure_folder(target.parent)
            folders.append((stage_folder(target, {**files, **records, **inside}), target))
        if record not in where.existing:
            ensure_folder(record.parent)
            folders.append((stage_folder(record, records), record))
        for tmp, final in folders:
            place_folder(tmp, final)
            placed.append(final)
    except BaseException:
        for final in placed:  # the record could not follow: take the release back out
            discard_folder(final)
        raise
    finally:
        for tmp, _ in folders:
            discard_folder(tmp)
    if record in where.existing:
        _add_missing_content(record, content)
    write_all(later, durable=False)  # rewritten by every release run


def _same_release(version: str, fingerprints: dict[str, str], contents: dict[str, str],
                  out: Path, root: Path, key: SignerKey | None = None
                  ) -> tuple[list[Path], dict[Path, Manifest]]:
    """The folders that already hold this release as built now, and those that hold it from
    the same sources (``contents``: content fingerprints) built by another tool or template
    version, with their manifests (the bytes decide: :func:`_same_bytes`). Refused if any
    holds other content, or ``key`` would sign a release made unsigned or signed by another
    certificate; a damaged manifest is named as such."""
    existing: list[Path] = []
    rebuilt: dict[Path, Manifest] = {}
    for base, folder, shown in ((out, (), f"{out}/{version}/manifest.json"),
                                (root, ("releases",), f"releases/{version}/manifest.json")):
        path = base.joinpath(*folder, version)
        if not os.path.lexists(path / "manifest.json"):
            continue
        manifest = load_manifest(base, version, shown, folder)
        same_sources = {row.edition: row.content_fingerprint
                        for row in manifest.editions} == contents
        if build_fingerprints(manifest) != fingerprints and not same_sources:
            raise ReleaseError(
                f"{path}: version {version} was already released with different content; "
                "a release never changes. Run 'kratom-report version bump patch' (or minor, "
                "major), describe the change in the changelog, and release the new version")
        if key is not None:
            _refuse_signing_again(path, manifest.editions[0].signature, key)
        if build_fingerprints(manifest) == fingerprints:
            existing.append(path)
        else:
            rebuilt[path] = manifest
    return existing, rebuilt


def _refuse_signing_again(path: Path, recorded: Signature | None, key: SignerKey) -> None:
    """A release's files never change: signing one made unsigned, or signed with another
    certificate, would change every PDF."""
    version = path.name
    again = ("a release never changes. Run 'kratom-report version bump patch' (or minor, "
             "major), describe the change in the changelog, and release the new version with "
             "--sign")
    if recorded is None:
        raise ReleaseError(f"{path}: version {version} was released unsigned, so it cannot be "
                           f"signed now; {again}")
    if recorded.certificate_sha256 != key.fingerprint:
        raise ReleaseError(f"{path}: version {version} was released signed by "
                           f"{recorded.signer} (certificate SHA-256 "
                           f"{recorded.certificate_sha256}), not by {key.name} (certificate "
                           f"SHA-256 {key.fingerprint}); {again}")


def _release_files(project: Project, version: str, date: str, editions: list[RenderedEdition],
                   products: list[Product], fingerprints: dict[str, str],
                   signed: dict[str, dict[str, str]]
                   ) -> tuple[dict[str, bytes], dict[str, Any], bytes]:
    """Every PDF of the release by file name, the manifest (editions by id) and SHA256SUMS;
    a signed file's row carries its ``signature`` (an unsigned release's rows as before)."""
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
                                  "sha256": digest(copy.data)}
                     | _signature(signed, copy.target.name)}
                    | _signature(signed, pdf.target.name))
        summaries = [made[(r.edition.id, "pdf", VARIANT, s.kind)] for s in r.summaries]
        files |= {p.target.name: p.data for p in summaries}
        if summaries:  # a release without summaries keeps the manifest it always had
            rows[-1]["summaries"] = [{
                "kind": p.target.summary, "file": p.target.name, "pages": p.pages,
                "bytes": len(p.data), "sha256": digest(p.data),
                "build_fingerprint": fingerprints[f"{r.edition.id}/{p.target.summary}"]}
                | _signature(signed, p.target.name) for p in summaries]
    manifest = {"slug": project.report.slug, "title": project.report.title,
                "version": version, "date": date, "editions": rows}
    sums = "".join(f"{sha}  {file}\n" for row in rows for sha, file in (
        (row["sha256"], row["file"]), (row["archival"]["sha256"], row["archival"]["file"]),
        *((s["sha256"], s["file"]) for s in row.get("summaries", [])))).encode()
    return files, manifest, sums


def _signature(signed: dict[str, dict[str, str]], name: str) -> dict[str, Any]:
    return {"signature": signed[name]} if name in signed else {}


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
