"""PAdES signatures on release PDFs, and reading them back for ``verify``.

A signature is an incremental update: the bytes before it are the reproducible build, and a
reader's PDF viewer (or ``pyhanko sign validate``) shows who signed. The key is opened and
judged (passphrase, validity dates, key usage) before anything is rendered or written, so a
bad key is one error and no files. pyHanko and cryptography are imported only here.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ReportError
from ..fingerprint import digest

SIGNATURE_FIELD = "Signature1"


class SigningError(ReportError):
    """Raised when the signing key cannot be opened, is expired or not yet valid, may not
    make digital signatures, or a timestamp could not be had (exit 1, nothing written)."""


@dataclass(frozen=True)
class SigningRequest:
    """What ``release --sign`` was given: the PKCS#12 file, its passphrase, a timestamp
    authority (PAdES B-T) or none (B-B)."""

    p12: Path
    passphrase: bytes | None = None
    timestamp_url: str | None = None


@dataclass(frozen=True)
class SignerKey:
    """An opened key, checked: the pyHanko signer and what the release record says of it."""

    signer: Any  # pyhanko.sign.signers.SimpleSigner
    name: str
    fingerprint: str  # SHA-256 of the certificate (DER), lower-case hex
    timestamp_url: str | None = None


@dataclass(frozen=True)
class FoundSignature:
    """The last signature of a PDF as ``verify`` judges it."""

    intact: bool  # the signed bytes hash to what was signed and the signature checks out
    whole_file: bool  # it covers every byte of the file
    signer: str
    fingerprint: str
    trusted: bool  # it chains to the trust roots given (False when none were)
    unsigned: bytes  # the revision it signed, without the signature's incremental update


def _quiet_imports() -> None:
    # pyHanko imports cryptography's DSA module, which warns on import: not the user's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyhanko.sign.signers  # noqa: F401


def open_key(request: SigningRequest, when: dt.datetime | None = None) -> SignerKey:
    """The key of ``request.p12``, ready to sign: one SigningError naming the file otherwise.

    Validity is judged at ``when`` (default: now, the signing time pyHanko records)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    shown = str(request.p12)
    try:
        data = request.p12.read_bytes()
    except OSError as exc:
        raise SigningError(f"{shown}: cannot read the key ({exc.strerror or exc})") from None
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(data, request.passphrase)
    except (ValueError, TypeError):
        raise SigningError(f"{shown}: cannot open the key: wrong passphrase, or not a PKCS#12 "
                           "(.p12) file; give its passphrase with --passphrase-env VAR or at "
                           "the prompt") from None
    if key is None or cert is None:
        raise SigningError(f"{shown}: holds no private key with its certificate; export the "
                           "signing key and certificate together into one .p12 file")
    name = _common_name(cert)
    now = when or dt.datetime.now(dt.UTC)
    if now > cert.not_valid_after_utc:
        raise SigningError(f"{shown}: the certificate of '{name}' expired on "
                           f"{cert.not_valid_after_utc.date().isoformat()}; renew it and sign "
                           "with the new key")
    if now < cert.not_valid_before_utc:
        raise SigningError(f"{shown}: the certificate of '{name}' is not valid before "
                           f"{cert.not_valid_before_utc.date().isoformat()}")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None  # no key usage extension: the key may be used for anything
    if usage is not None and not usage.digital_signature:
        raise SigningError(f"{shown}: the certificate of '{name}' does not allow digital "
                           "signatures (its key usage lacks digitalSignature); use a signing "
                           "certificate")
    _quiet_imports()
    from pyhanko.sign.signers import SimpleSigner

    signer = SimpleSigner.load_pkcs12_data(data, other_certs=[],
                                           passphrase=request.passphrase)
    if signer is None:
        raise SigningError(f"{shown}: pyHanko could not load this key")
    if request.timestamp_url is not None:
        probe_timestamp(request.timestamp_url)
    fingerprint = digest(cert.public_bytes(Encoding.DER))
    return SignerKey(signer, name, fingerprint, request.timestamp_url)


def probe_timestamp(url: str) -> None:
    """Ask the authority for one timestamp now: an unreachable or wrong address is then one
    error before anything is rendered, not a failure after every PDF was made."""
    import asyncio

    _quiet_imports()
    from pyhanko.sign.timestamps import HTTPTimeStamper

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SigningError(f"timestamp authority {url}: not an http:// or https:// address; "
                           "give --timestamp-url the address of an RFC 3161 timestamp authority")
    try:
        asyncio.run(HTTPTimeStamper(url, timeout=_TIMEOUT).async_timestamp(
            bytes.fromhex(digest(b"")), "sha256"))
    except Exception as exc:  # pyHanko wraps network failures; the cause says which
        raise SigningError(f"timestamp authority {url}: no timestamp ({_why(exc)}); check "
                           "--timestamp-url, or sign without it (PAdES B-B: no trusted "
                           "signing time)") from None


_TIMEOUT = 10  # seconds a timestamp authority may take to answer


def _why(exc: BaseException) -> str:
    """What went wrong in a timestamp request, in a few words, from the exception's causes."""
    import socket

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "host not found"
        if isinstance(seen, TimeoutError):
            return f"no answer within {_TIMEOUT} seconds"
        seen = seen.__cause__ or seen.__context__
    return str(exc)[:200] or type(exc).__name__


def _common_name(cert: Any) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def sign(data: bytes, key: SignerKey, reason: str, location: str) -> bytes:
    """``data`` with a PAdES signature appended as an incremental update (B-T with a
    timestamp authority): ``data`` stays, byte for byte, the start of the result."""
    _quiet_imports()
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    fields.append_signature_field(writer, fields.SigFieldSpec(SIGNATURE_FIELD))
    _tag_field(writer, reason)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, reason=reason, location=location, name=key.name,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
    stamper = timestamps.HTTPTimeStamper(key.timestamp_url, timeout=_TIMEOUT) \
        if key.timestamp_url else None
    try:
        out = signers.PdfSigner(meta, key.signer, timestamper=stamper).sign_pdf(
            writer, in_place=False)
    except Exception as exc:  # pyHanko wraps network and signing failures in many types
        where = f"the timestamp authority {key.timestamp_url}" if stamper else "pyHanko"
        raise SigningError(f"signing failed at {where}: {str(exc)[:200]}") from None
    signed: bytes = out.getvalue()
    assert signed.startswith(data), "pyHanko rewrote the signed revision"
    return signed


def _tag_field(writer: Any, description: str) -> None:
    """Put the (invisible) signature widget in the structure tree, as PDF/UA-1 asks of every
    annotation (7.18.1, 7.18.4: a widget sits in a Form element), with ``description`` as
    its alternative text. Hiding it instead would break PDF/A, which forbids hidden
    annotations; it is done in the signature's own update, so the signature covers it."""
    from pyhanko.pdf_utils import generic

    catalog = writer.root
    if "/StructTreeRoot" not in catalog:
        return  # an untagged PDF: nothing to keep consistent
    form = catalog["/AcroForm"]["/Fields"]
    widget_ref = next(form.raw_get(i) for i in range(len(form))
                      if form[i].get("/T") == SIGNATURE_FIELD)
    widget = widget_ref.get_object()
    page_ref = widget.raw_get("/P")
    tree = catalog["/StructTreeRoot"]
    kids = tree.raw_get("/K")
    document_ref = kids if isinstance(kids, generic.IndirectObject) else \
        tree["/K"].raw_get(0)
    numbers = tree["/ParentTree"]["/Nums"]
    key = max(int(numbers[i]) for i in range(0, len(numbers), 2)) + 1 if len(numbers) else 0
    name = generic.NameObject
    element_ref = writer.add_object(generic.DictionaryObject({
        name("/Type"): name("/StructElem"), name("/S"): name("/Form"),
        name("/P"): document_ref, name("/Pg"): page_ref,
        name("/Alt"): generic.TextStringObject(description),
        name("/K"): generic.DictionaryObject({
            name("/Type"): name("/OBJR"), name("/Obj"): widget_ref, name("/Pg"): page_ref})}))
    document = document_ref.get_object()
    children = document.get("/K")
    if not isinstance(children, generic.ArrayObject):
        children = generic.ArrayObject([] if children is None else [document.raw_get("/K")])
    children.append(element_ref)
    document[name("/K")] = children
    numbers.extend([generic.NumberObject(key), element_ref])
    tree[name("/ParentTreeNextKey")] = generic.NumberObject(key + 1)
    widget[name("/StructParent")] = generic.NumberObject(key)
    widget[name("/TU")] = generic.TextStringObject(description)
    for changed in (document, numbers, tree, widget):
        writer.update_container(changed)


def read_signature(data: bytes, trust: list[bytes] | None = None) -> FoundSignature | None:
    """The last signature of a PDF, validated by pyHanko (None when it has none).

    ``trust`` are CA certificates (PEM or DER) the signer must chain to."""
    _quiet_imports()
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    found = reader.embedded_signatures
    if not found:
        return None
    embedded = found[-1]
    context = ValidationContext(trust_roots=[_certificate(c) for c in trust or []])
    status = validate_pdf_signature(embedded, context)
    cert = status.signing_cert
    names = [v for k, v in cert.subject.native.items() if k == "common_name"]
    start = reader.xrefs.get_startxref_for_revision(embedded.signed_revision - 1) \
        if embedded.signed_revision > 0 else 0
    return FoundSignature(
        bool(status.intact and status.valid),
        status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        str(names[0]) if names else cert.subject.human_friendly,
        digest(cert.dump()), bool(status.trusted),
        _revision_end(data, start))


def _revision_end(data: bytes, startxref: int) -> bytes:
    """The file up to the end of the revision whose cross-reference starts at ``startxref``:
    its ``%%EOF`` and the line break after it."""
    end = data.find(b"%%EOF", startxref)
    if end < 0:
        return b""
    match = re.compile(rb"%%EOF\r?\n?").match(data, end)
    return data[:match.end()] if match else data[:end + 5]


def _certificate(data: bytes) -> Any:
    from asn1crypto import pem, x509

    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def load_trust(path: Path) -> list[bytes]:
    """The CA certificates of a PEM (or DER) file for ``verify --trust``."""
    from asn1crypto import pem

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read ({exc.strerror or exc})") from None
    blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) \
        else [data]
    try:
        for block in blocks:
            _certificate(block).native  # noqa: B018 - parses it fully, or raises
    except ValueError:
        raise SigningError(f"{path}: not a certificate in PEM or DER form") from None
    return blocks
