"""Release records on disk: ``releases/<version>/manifest.json`` and ``content.json`` (and the
copies in a release folder), read through one reader.

A record may come from a stranger's pull request, so :func:`read_record` is the only way one
is read: never through a symbolic link (the file, its version folder or ``releases/``), never
more than a bounded size, and always checked against its schema (:class:`Manifest`; a content
record's payload must hash to its recorded content fingerprint, the one in the manifest, and
give the reader's view it records). A manifest's file names must be plain PDF names in the
release folder, so a tampered ``file: ../../etc/passwd`` never becomes a link. Each refusal
names the file that is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import __version__
from ..cachetrust import read_entry, write_entry
from ..compose.record import FORMAT, derived_view
from ..errors import Problem, ReportError, printable
from ..fingerprint import canonical_json, digest, json_digest

WORKTREE = "worktree"
_SEMVER = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")
# A record is data the tool wrote: far smaller than these, whatever the report.
MAX_BYTES = {"manifest.json": 1_000_000, "content.json": 64_000_000, "SHA256SUMS": 1_000_000}
_RESTORE = "restore it from version control"


class RecordError(ReportError):
    """Raised for an unknown version, or a release record that is missing, a link, too large,
    not valid against its schema, damaged or edited."""


_Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
# A plain file name in the release folder: no folder part, no leading dot, nothing but these.
_PdfName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.pdf$")]
_Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")]
_Version = Annotated[str, Field(pattern=r"^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}$")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Signature(_Record):
    """Who signed a file (``release --sign``): the certificate's common name, its SHA-256
    fingerprint, and the SHA-256 of the file before signing (the reproducible build)."""

    signer: str = Field(max_length=1000)
    certificate_sha256: _Hex64
    unsigned_sha256: _Hex64
    # The RFC 3161 authority that time-stamped the signature (PAdES B-T); none: B-B.
    timestamp_authority: str | None = Field(default=None, max_length=2000)


class ArchivalCopy(_Record):
    file: _PdfName
    bytes: int = Field(ge=0)
    sha256: _Hex64
    signature: Signature | None = None  # unsigned releases, and all before 0.5.0, have none


class SummaryCopy(_Record):
    """A one-page or three-page summary of an edition, as ``release`` records it."""

    kind: Literal["one-page", "three-page"]
    file: _PdfName
    pages: int = Field(ge=0)
    bytes: int = Field(ge=0)
    sha256: _Hex64
    build_fingerprint: _Hex64
    signature: Signature | None = None


class ManifestRow(_Record):
    edition: _Id
    file: _PdfName
    version: _Version
    date: dt.date
    pages: int = Field(ge=0)
    bytes: int = Field(ge=0)
    sha256: _Hex64
    content_fingerprint: _Hex64
    build_fingerprint: _Hex64
    archival: ArchivalCopy | None = None  # releases before 0.3.0 have none
    summaries: list[SummaryCopy] | None = Field(default=None, max_length=10)  # before 0.5.0
    signature: Signature | None = None


class Accepted(_Record):
    """Evidence due for review that a release accepted, with why (``accepted_overdue``)."""

    fact: str | None = Field(default=None, max_length=200)
    data: str | None = Field(default=None, max_length=500)
    due: dt.date
    reason: str = Field(max_length=5000)


class Approval(_Record):
    by: str = Field(max_length=500)
    role: str | None = Field(default=None, max_length=500)
    date: dt.date | None = None  # records made before approvals were dated have none


class ReviewSummary(_Record):
    """The review round of a release: imports that added comments, comments, resolved,
    and who approved the version."""

    rounds: int = Field(ge=0)
    comments: int = Field(ge=0)
    resolved: int = Field(ge=0)
    approvals: list[Approval] = Field(max_length=1000)


class Manifest(_Record):
    """``manifest.json``: what ``release`` wrote, field for field (dates as ISO strings)."""

    slug: str = Field(max_length=500)
    title: str = Field(max_length=2000)
    version: _Version
    date: dt.date
    editions: list[ManifestRow] = Field(max_length=1000)
    accepted_overdue: list[Accepted] | None = Field(default=None, max_length=10_000)
    review: ReviewSummary | None = None  # releases whose report asks for review sign-off


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    format: int
    version: str
    date: str | None
    editions: dict[str, dict[str, Any]]


def read_record(base: Path, parts: tuple[str, ...], display: str) -> bytes:
    """The bytes of ``base/parts…``, never through a link below ``base``, never over its size
    limit (:data:`MAX_BYTES`); RecordError naming ``display`` otherwise."""
    path = base
    for part in parts[:-1]:
        path = path / part
        if path.is_symlink():
            raise RecordError(f"{display}: {path.name}/ is a symbolic link; release records "
                              f"are read only from the folder itself: {_RESTORE}")
    path = path / parts[-1]
    limit = MAX_BYTES[parts[-1]]
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except FileNotFoundError:
        raise RecordError(f"{display}: missing; {_RESTORE}") from None
    except OSError as exc:
        if path.is_symlink():
            raise RecordError(f"{display}: is a symbolic link; a release record is read "
                              f"only from a plain file: {_RESTORE}") from None
        raise RecordError(f"{display}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise RecordError(f"{display}: not a regular file; {_RESTORE}")
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, min(1 << 20, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise RecordError(f"{display}: larger than {limit // 1_000_000} MB, far more than a "
                          f"release record holds; {_RESTORE}")
    return data


def load_manifest(base: Path, version: str, display: str | None = None,
                  folder: tuple[str, ...] = ("releases",)) -> Manifest:
    """``<base>/releases/<version>/manifest.json`` (or ``<base>/<version>/…`` with
    ``folder=()``), valid and for ``version``."""
    display = display or "/".join((*folder, version, "manifest.json"))
    data = read_record(base, (*folder, version, "manifest.json"), display)
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError as exc:
        raise RecordError(f"{display}: not a valid release manifest ({_first_error(exc)}); "
                          f"{_RESTORE}") from None
    if manifest.version != version:
        raise RecordError(f"{display}: records version '{printable(manifest.version)}' in the "
                          f"folder of {version}; {_RESTORE}")
    return manifest


def _first_error(exc: ValidationError) -> str:
    """The first schema error as ``where: what`` (never the input: it may be huge or hostile)."""
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
    what = first["msg"]
    if first["loc"] and first["loc"][-1] == "file":
        what = "must be a plain PDF file name in the release folder"
    more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
    return f"{where.lstrip('.') or 'top level'}: {what}{more}"


def build_fingerprints(manifest: Manifest) -> dict[str, str]:
    """The recorded build fingerprints: by edition id, and ``<edition>/<kind>`` for summaries."""
    return {row.edition: row.build_fingerprint for row in manifest.editions} | {
        f"{row.edition}/{s.kind}": s.build_fingerprint
        for row in manifest.editions for s in row.summaries or ()}


def unsigned_sums(manifest: Manifest) -> dict[str, str]:
    """Each released PDF's SHA-256 as it was built, before any signature: what a rebuild
    from the same sources must give, by file name."""
    copies: list[Any] = []
    for row in manifest.editions:
        copies += [row, *([row.archival] if row.archival else []), *(row.summaries or ())]
    return {c.file: c.signature.unsigned_sha256 if c.signature else c.sha256 for c in copies}


def manifest_dict(manifest: Manifest) -> dict[str, Any]:
    """The manifest as the JSON data ``release`` wrote (absent optional parts left out)."""
    return manifest.model_dump(mode="json", exclude_none=True)


def content_document(version: str, date: str | None, records: dict[str, Any]) -> bytes:
    """The bytes of ``content.json``: canonical (sorted keys), so a record never churns."""
    doc = {"format": FORMAT, "version": version, "date": date, "editions": records}
    return canonical_json(doc) + b"\n"


def released_versions(root: Path) -> list[str]:
    """Versions with a release record in ``releases/``, oldest first (a link is listed, and
    refused when read)."""
    folder = root / "releases"
    found = [p.name for p in folder.iterdir() if _SEMVER.fullmatch(p.name) and
             os.path.lexists(p / "manifest.json")] if folder.is_dir() else []
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def latest_release(root: Path) -> str:
    versions = released_versions(root)
    if not versions:
        raise RecordError("releases/: no released version is recorded yet, so there is "
                          "nothing to compare with; name two versions, or release one first")
    return versions[-1]


def load_record(root: Path, version: str) -> dict[str, Any]:
    """A release's content record, checked against its fingerprints."""
    known = released_versions(root)
    if version not in known:
        listed = ", ".join(known) or "none"
        raise RecordError(f"unknown version '{printable(version)}': not a recorded release "
                          f"(releases: {listed}; or use '{WORKTREE}')")
    manifest = load_manifest(root, version)
    display = f"releases/{version}/content.json"
    if not os.path.lexists(root / "releases" / version / "content.json"):
        raise RecordError(f"{display}: missing; this release was recorded before content "
                          "records existed. Check out its sources and run 'kratom-report "
                          "release' again: it adds the record and changes nothing else")
    data = read_record(root, ("releases", version, "content.json"), display)
    expected = {row.edition: row.content_fingerprint for row in manifest.editions}
    try:
        raw = json.loads(data.decode("utf-8"))
        doc = _Content.model_validate(raw)
        if doc.format != FORMAT or doc.version != version:
            raise ValueError("format or version does not match")
        for name, record in doc.editions.items():
            if expected.get(name) != record["content_fingerprint"] or \
                    derived_view(record) != record:
                raise ValueError(f"edition '{printable(name[:40])}'")
    except ValidationError as exc:
        raise RecordError(f"{display}: not a valid content record ({_first_error(exc)}); "
                          f"{_RESTORE}") from None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise RecordError(f"{display}: damaged or edited by hand ({_short(exc)}): its content "
                          "does not match the fingerprints in manifest.json; "
                          f"{_RESTORE}") from None
    return raw


def record_problems(root: Path) -> list[Problem]:
    """Every release record that cannot be read, is not valid or does not check out, as one
    problem each at the file that is wrong (for ``check``)."""
    problems = []
    for version in released_versions(root):
        try:
            key = _checked_key(root, version)
            if key is not None and read_entry(CHECKED, key) == "ok":
                continue  # these very bytes checked out before, by this very code
            load_manifest(root, version)
            if os.path.lexists(root / "releases" / version / "content.json"):
                load_record(root, version)
            if key is not None:
                write_entry(CHECKED, key, "ok")
        except RecordError as exc:
            where, _, message = str(exc).partition(": ")
            problems.append(Problem(where, message=message))
    return problems


CHECKED = "records-checked"  # cache entries: release records found whole and consistent


def _checked_key(root: Path, version: str) -> str | None:
    """What a record's verdict depends on: the bytes of its manifest and content record (read
    by the one reader), the tool version and the code that checks them; None when a file
    cannot be read (the full check then says why)."""
    from ..compose import record

    files: list[str | None] = []
    for name in ("manifest.json", "content.json"):
        if name == "content.json" and \
                not os.path.lexists(root / "releases" / version / "content.json"):
            files.append(None)
            continue
        try:
            files.append(digest(read_record(root, ("releases", version, name), name)))
        except RecordError:
            return None
    code = [digest(Path(m).read_bytes()) for m in (__file__, record.__file__ or "")]
    return json_digest(["records-checked-1", __version__, version, files, code])


def _short(exc: BaseException) -> str:
    text = printable(str(exc))
    return text if len(text) < 80 else text[:77] + "..."
