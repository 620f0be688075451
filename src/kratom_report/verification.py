"""Rebuild the edition a PDF claims to be and compare bytes: proof a file is what it says."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ReportError
from .fingerprint import digest


class VerifyError(ReportError):
    """Raised when the PDF cannot be read or does not say which edition and version it is."""


class SignatureError(VerifyError):
    """Raised when a PDF fails its signature checks (one line each, exit 1): modified after
    signing, unsigned where the release record says signed, signed by someone else than the
    record names, or not chaining to ``--trust``."""


@dataclass(frozen=True)
class Verification:
    path: Path
    edition: str
    version: str
    matches: bool
    expected_sha256: str
    actual_sha256: str
    # Which library subset the fonts: the file's (from its build record, when one is beside
    # it) and the rebuild's. Different subsetters give different bytes from the same sources.
    recorded_subsetter: str | None = None
    current_subsetter: str | None = None
    # The tool and renderer that made the file (its Creator and Producer), and this run's.
    made_by: tuple[str, str] = ("", "")
    rebuilt_by: tuple[str, str] = ("", "")
    # The font families embedded in the file and in the rebuild (subset tags removed).
    fonts: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    # Who signed it, when it is signed (checked: intact, whole file, the recorded signer).
    signer: str = ""
    signer_fingerprint: str = ""

    @property
    def explanation(self) -> str:
        """Why the bytes differ, when the file's metadata or build record tell; else ""."""
        if self.matches:
            return ""
        for made, now in zip(self.made_by, self.rebuilt_by, strict=True):
            if made and now and made != now:
                return (f"; the file was made by {made} and the rebuild by {now}, which may "
                        f"write other bytes: verify it with {made}")
        file_fonts, rebuilt_fonts = self.fonts
        if file_fonts and rebuilt_fonts and file_fonts != rebuilt_fonts:
            only = sorted(set(file_fonts) - set(rebuilt_fonts))
            missing = sorted(set(rebuilt_fonts) - set(file_fonts))
            return ("; the file embeds other fonts than the rebuild ("
                    + "; ".join(part for part in (
                        f"only in the file: {', '.join(only)}" if only else "",
                        f"only in the rebuild: {', '.join(missing)}" if missing else "") if part)
                    + "): it was made with other fonts installed or in the theme")
        recorded, current = self.recorded_subsetter, self.current_subsetter
        if not recorded or not current or recorded == current:
            return ""
        names = {"harfbuzz": "HarfBuzz", "fonttools": "fontTools"}
        fix = ("install HarfBuzz subsetting (Debian and Ubuntu: libharfbuzz-subset0) and verify "
               "again" if current == "fonttools" else
               "rebuild it on a machine with HarfBuzz subsetting, or verify it on one without")
        return (f"; its fonts were subset with {names.get(recorded, recorded)} (its build record "
                f"says so) and the rebuild's with {names.get(current, current)}, which gives "
                f"different bytes: {fix}")


def read_identity(path: Path) -> tuple[str, str, bool, str]:
    """(edition, version, archival, summary kind or "") from the metadata every build writes
    into the PDF."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            # WeasyPrint writes custom <meta> names lower-cased, without hyphens.
            info = {str(k).lstrip("/").lower(): str(v) for k, v in pdf.docinfo.items()}
            archival = "/EmbeddedFiles" in pdf.Root.get("/Names", {})
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        raise VerifyError(f"{path}: the PDF is encrypted; this tool never encrypts what it "
                          "builds, so this file is not one of its editions") from None
    except (OSError, pikepdf.PdfError, ValueError, TypeError, KeyError) as exc:
        detail = str(exc).removeprefix(f"{path}: ")
        raise VerifyError(f"{path}: not a readable PDF ({detail})") from None
    if not pages:  # every edition has a cover at least; a rebuild would read its size
        raise VerifyError(f"{path}: not a PDF this tool built: it has no pages")
    edition, version = info.get("briefingedition"), info.get("briefingversion")
    if not edition or not version:
        raise VerifyError(f"{path}: this PDF does not name its edition and version; "
                          "it was not built by this tool")
    return edition, version, archival, info.get("briefingsummary", "")


def verify(root: Path, path: Path, trust: Path | None = None) -> Verification:
    """Check the signature (if any, or if the release record says there is one), then
    rebuild from the tree at ``root`` with the options the file was built with and compare
    with the signed revision."""
    from .pipeline import ARCHIVAL, TAGGED, Composer, plan, produce
    from .publish.workers import Workers
    from .source.project import load_project

    edition, version, archival, summary = read_identity(path)
    actual = path.read_bytes()
    unsigned, signer = _checked_signature(root, path, actual, (edition, version, archival,
                                                                summary), trust)
    project = load_project(root)
    if project.report.version != version:
        raise VerifyError(f"{path}: is version {version}, but the sources are at version "
                          f"{project.report.version}; check out the sources of {version}")
    known = [e.id for e in project.report.editions]
    if edition not in known:
        raise VerifyError(f"{path}: edition '{edition}' is not defined in the sources")
    # The very plan a build of that one file makes: same composition, same PDF pass.
    planned = plan(project, editions=[edition], variants=[ARCHIVAL if archival else TAGGED],
                   paper=_paper(path))
    # A fresh worker process, as a build uses: a render in a process that rendered before
    # need not give the same bytes.
    with Workers(1) as workers:
        [made] = produce(planned, Composer.for_project(project), workers, lambda _m: None,
                         wanted=lambda t, _r: t.summary == summary)
    expected_sha, actual_sha = digest(made.data), digest(unsigned)
    return Verification(path, edition, version, expected_sha == actual_sha, expected_sha,
                        actual_sha, _recorded_subsetter(path, actual_sha), workers.subsetter,
                        *_described(unsigned, made.data), *signer)


def _checked_signature(root: Path, path: Path, data: bytes,
                       identity: tuple[str, str, bool, str], trust: Path | None
                       ) -> tuple[bytes, tuple[str, str]]:
    """The signed revision of ``data`` (all of it when unsigned) and (signer, certificate
    fingerprint); SignatureError with one line for the first check that fails."""
    from .publish.signing import load_trust, read_signature

    roots = load_trust(trust) if trust is not None else None
    found = read_signature(data, roots)
    recorded, record = _recorded_signature(root, identity)
    version = identity[1]
    if found is None:
        if recorded is not None:
            raise SignatureError(f"{path}: unsigned, but the release record of {version} "
                                 f"({record}) says it was signed by {recorded.signer}; this "
                                 "is not the published file: get the signed copy")
        return data, ("", "")
    if not found.intact or not found.whole_file:
        why = "its bytes no longer match its signature" if not found.intact else \
            "bytes were added after its signature"
        raise SignatureError(f"{path}: modified after signing ({why}); this is not the "
                             "file that was signed")
    shown = f"{found.signer} (certificate SHA-256 {found.fingerprint})"
    if trust is not None:
        if not found.trusted:
            raise SignatureError(f"{path}: signed by {shown}, whose certificate does not "
                                 f"chain to {trust}")
    elif recorded is None:
        raise SignatureError(f"{path}: signed by {shown}, but " + (
            f"the release record {record} says it was not signed" if record else
            f"there is no release record of {version} to check the signer against")
            + "; name the certificate authority to trust with --trust CA.pem")
    elif recorded.certificate_sha256 != found.fingerprint:
        raise SignatureError(f"{path}: signed by a different signer: {shown}; the release "
                             f"record ({record}) names {recorded.signer} (certificate SHA-256 "
                             f"{recorded.certificate_sha256})")
    return found.unsigned, (found.signer, found.fingerprint)


def _recorded_signature(root: Path, identity: tuple[str, str, bool, str]
                        ) -> tuple[Any, str]:
    """The signature ``releases/<version>/manifest.json`` records for this file (None when
    unsigned) and the record's name ("" when the version has no record)."""
    from .publish.records import load_manifest, released_versions

    edition, version, archival, summary = identity
    if version not in released_versions(root):
        return None, ""
    manifest = load_manifest(root, version)
    shown = f"releases/{version}/manifest.json"
    row = next((r for r in manifest.editions if r.edition == edition), None)
    if row is None:
        return None, shown
    if summary:
        copy = next((s for s in row.summaries or () if s.kind == summary), None)
        return (copy.signature if copy else None), shown
    if archival:
        return (row.archival.signature if row.archival else None), shown
    return row.signature, shown


def _described(actual: bytes, rebuilt: bytes) -> tuple[tuple[str, str], tuple[str, str],
                                                        tuple[tuple[str, ...], tuple[str, ...]]]:
    """(made by, rebuilt by, (file fonts, rebuilt fonts)): what may explain a difference."""
    (made, file_fonts), (now, rebuilt_fonts) = _made_by(actual), _made_by(rebuilt)
    return made, now, (file_fonts, rebuilt_fonts)


def _made_by(data: bytes) -> tuple[tuple[str, str], tuple[str, ...]]:
    """A PDF's Creator (this tool and its version) and Producer (the renderer and its), and
    the fonts it embeds, without their subset tags."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        info = pdf.docinfo
        fonts: set[str] = set()
        for page in pdf.pages:
            resources: Any = page.obj.get("/Resources", pikepdf.Dictionary())
            for font in resources.get("/Font", pikepdf.Dictionary()).values():
                fonts.add(str(font.get("/BaseFont", "")).lstrip("/").split("+")[-1])
        return ((str(info.get("/Creator", "")), str(info.get("/Producer", ""))),
                tuple(sorted(f for f in fonts if f)))


def _recorded_subsetter(path: Path, sha256: str) -> str | None:
    """The font subsetter named by the build record beside the file (``build`` writes one),
    when the record is this file's."""
    from .build import record_path

    try:
        record = json.loads(record_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("sha256") != sha256:
        return None
    value = record.get("font_subsetter")
    return value if isinstance(value, str) else None


def _paper(path: Path) -> str:
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            width = float(pdf.pages[0].mediabox[2])
    except (IndexError, KeyError, TypeError, ValueError, pikepdf.PdfError):
        raise VerifyError(f"{path}: not a PDF this tool built: its first page has no readable "
                          "size") from None
    return "letter" if abs(width - 612) < 2 else "a4"
