"""release --sign and verify of signed PDFs: a throwaway certificate authority and signer are
made here, at test time (no key is ever committed), and pyHanko's own validator judges the
signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kratom_report.cli import main

from conftest import FIXTURES, tree_snapshot, writable_copy

PASS = "correct horse"
VERSION = "1.0.0"


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca_pem: Path
    signer: Path  # Test Signer, issued by the test CA, digital signature allowed
    fingerprint: str  # SHA-256 of Test Signer's certificate


def _name(common: str):  # noqa: ANN202 - a cryptography Name
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Organisation")])


def make_ca(common: str = "Test CA"):  # noqa: ANN201
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(_name(common))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _usage(*, digital: bool = False, cert_sign: bool = False):  # noqa: ANN202
    from cryptography import x509

    return x509.KeyUsage(digital_signature=digital, content_commitment=digital,
                         key_encipherment=not (digital or cert_sign), data_encipherment=False,
                         key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
                         encipher_only=False, decipher_only=False)


def make_p12(path: Path, ca: tuple, common: str = "Test Signer", *, digital: bool = True,
             expired: bool = False, passphrase: str = PASS) -> str:
    """A PKCS#12 file with a signer's key and certificate (issued by ``ca``); its SHA-256."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12

    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    start, end = ((now - dt.timedelta(days=400), now - dt.timedelta(days=35)) if expired
                  else (now - dt.timedelta(days=1), now + dt.timedelta(days=365)))
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(_usage(digital=digital), critical=True)
            .sign(ca_key, hashes.SHA256()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [ca_cert],
        serialization.BestAvailableEncryption(passphrase.encode())))
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    from cryptography.hazmat.primitives import serialization

    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca()
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca[1].public_bytes(serialization.Encoding.PEM))
    fingerprint = make_p12(folder / "signer.p12", ca)
    return Pki(folder, ca_pem, folder / "signer.p12", fingerprint)


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture(scope="session")
def signed(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> dict[str, Path]:
    """The tiny report released once with --sign: ``root`` (its record in releases/),
    ``out`` (the site) and ``folder`` (out/1.0.0)."""
    tmp = tmp_path_factory.mktemp("signed")
    root = tmp / "tiny"
    shutil.copytree(FIXTURES / "tiny", root, ignore=shutil.ignore_patterns("releases"))
    out = tmp / "public"
    result = run("release", "--source", root, "--out", out, "--sign", pki.signer,
                 "--passphrase-env", "KR_TEST_PASS", env={"KR_TEST_PASS": PASS})
    assert result.exit_code == 0, result.stderr
    return {"root": root, "out": out, "folder": out / VERSION}


def _pdfs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pdf"))


def test_pyhankos_validator_accepts_every_signed_pdf(signed: dict[str, Path], pki: Pki) -> None:
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    _, _, der = pem.unarmor(pki.ca_pem.read_bytes())
    pdfs = _pdfs(signed["folder"])
    assert len(pdfs) >= 4  # tagged and archival copies of each edition
    for pdf in pdfs:
        with pdf.open("rb") as f:
            [sig] = PdfFileReader(f).embedded_signatures
            status = validate_pdf_signature(
                sig, ValidationContext(trust_roots=[x509.Certificate.load(der)]))
            assert status.bottom_line, pdf.name
            assert status.coverage.name == "ENTIRE_FILE"
            assert sig.sig_object["/Reason"] == f"Release {VERSION} of Tiny evidence briefing"
            assert sig.sig_object["/Name"] == "Test Signer"
    # The command a reader runs, as the site tells them (pyhanko-cli, a test dependency).
    validate = Path(sys.executable).with_name("pyhanko")
    done = subprocess.run([str(validate), "sign", "validate", "--trust", str(pki.ca_pem),
                           "--pretty-print", str(pdfs[0])], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The signature is judged VALID." in done.stdout


def test_manifest_records_each_files_signer_and_the_unsigned_build(
        signed: dict[str, Path], pki: Pki) -> None:
    manifest = json.loads((signed["folder"] / "manifest.json").read_text())
    record = json.loads((signed["root"] / "releases" / VERSION / "manifest.json").read_text())
    assert record == manifest
    seen = 0
    for row in manifest["editions"]:
        for entry in (row, row["archival"], *row.get("summaries", [])):
            data = (signed["folder"] / entry["file"]).read_bytes()
            sig = entry["signature"]
            assert sig["signer"] == "Test Signer"
            assert sig["certificate_sha256"] == pki.fingerprint
            assert entry["sha256"] == hashlib.sha256(data).hexdigest()
            # The signature is appended: the build's bytes are a prefix of the signed file.
            prefix = data[:data.rindex(b"%%EOF", 0, data.rindex(b"/ByteRange")) + 6]
            assert hashlib.sha256(prefix).hexdigest() == sig["unsigned_sha256"]
            seen += 1
    assert seen == len(_pdfs(signed["folder"]))
    sums = (signed["folder"] / "SHA256SUMS").read_text()
    assert all(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" in sums
               for p in _pdfs(signed["folder"]))


def test_version_page_shows_the_signer_and_how_to_check(signed: dict[str, Path],
                                                        pki: Pki) -> None:
    page = (signed["folder"] / "index.html").read_text()
    assert f"Signed by Test Signer — certificate fingerprint {pki.fingerprint}" in page
    assert ("Not time-stamped (PAdES B-B): the signing time is the signer&#39;s own clock."
            in page) and "Time-stamped by" not in page
    assert "How to check this PDF" in page
    assert "kratom-report verify" in page and "pyhanko sign validate" in page


def test_verify_accepts_the_signed_pdf(signed: dict[str, Path], pki: Pki) -> None:
    pdf = signed["folder"] / "tiny-briefing-clinician-v1.0.0.pdf"
    result = run("verify", "--source", signed["root"], pdf)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{pdf}: signed by Test Signer (certificate SHA-256 "
                                    f"{pki.fingerprint}), identical to a rebuild of the "
                                    "clinician edition, version 1.0.0")
    assert run("verify", "--source", signed["root"], "--trust", pki.ca_pem,
               pdf).exit_code == 0


@pytest.fixture
def copies(signed: dict[str, Path], tmp_path: Path) -> Path:
    return writable_copy(signed["folder"], tmp_path / "copy")


NAME = "tiny-briefing-clinician-v1.0.0.pdf"


def test_verify_refuses_a_one_byte_change(signed: dict[str, Path], copies: Path) -> None:
    pdf = copies / NAME
    data = bytearray(pdf.read_bytes())
    middle = len(data) // 3
    data[middle] ^= 0x01
    pdf.write_bytes(bytes(data))
    result = run("verify", "--source", signed["root"], pdf)
    assert result.exit_code == 1
    assert result.stderr == (f"{pdf}: modified after signing (its bytes no longer match its "
                             "signature); this is not the file that was signed\n")


def test_verify_refuses_an_unsigned_copy_of_a_signed_release(signed: dict[str, Path],
                                                            copies: Path) -> None:
    pdf = copies / NAME
    data = pdf.read_bytes()
    pdf.write_bytes(data[:data.rindex(b"%%EOF", 0, data.rindex(b"/ByteRange")) + 6])
    result = run("verify", "--source", signed["root"], pdf)
    assert result.exit_code == 1
    assert result.stderr == (f"{pdf}: unsigned, but the release record of 1.0.0 "
                             "(releases/1.0.0/manifest.json) says it was signed by Test "
                             "Signer; this is not the published file: get the signed copy\n")


def test_verify_refuses_another_signer(signed: dict[str, Path], copies: Path, pki: Pki,
                                       tmp_path: Path) -> None:
    from kratom_report.publish.signing import SigningRequest, open_key, sign

    other_ca = make_ca("Other CA")
    other = make_p12(tmp_path / "other.p12", other_ca, "Mallory")
    pdf = copies / NAME
    data = pdf.read_bytes()
    unsigned = data[:data.rindex(b"%%EOF", 0, data.rindex(b"/ByteRange")) + 6]
    key = open_key(SigningRequest(tmp_path / "other.p12", PASS.encode()))
    pdf.write_bytes(sign(unsigned, key, "Release 1.0.0 of Tiny evidence briefing", "Elsewhere"))
    result = run("verify", "--source", signed["root"], pdf)
    assert result.exit_code == 1
    assert result.stderr == (f"{pdf}: signed by a different signer: Mallory (certificate "
                             f"SHA-256 {other}); the release record "
                             "(releases/1.0.0/manifest.json) names Test Signer (certificate "
                             f"SHA-256 {pki.fingerprint})\n")
    trusted = run("verify", "--source", signed["root"], "--trust", pki.ca_pem, pdf)
    assert trusted.exit_code == 1
    assert trusted.stderr == (f"{pdf}: signed by Mallory (certificate SHA-256 {other}), "
                              f"whose certificate does not chain to {pki.ca_pem}\n")


@pytest.mark.parametrize(("kind", "message"), [
    ("expired", "the certificate of 'Test Signer' expired on {end}; renew it and sign with "
                "the new key"),
    ("usage", "the certificate of 'Test Signer' does not allow digital signatures (its key "
              "usage lacks digitalSignature); use a signing certificate"),
    ("passphrase", "cannot open the key: wrong passphrase, or not a PKCS#12 (.p12) file; "
                   "give its passphrase with --passphrase-env VAR or at the prompt"),
])
def test_a_key_that_cannot_sign_is_one_error_and_nothing_is_written(
        tiny: Path, tmp_path: Path, kind: str, message: str) -> None:
    ca = make_ca()
    p12 = tmp_path / "key.p12"
    make_p12(p12, ca, digital=kind != "usage", expired=kind == "expired")
    end = (dt.datetime.now(dt.UTC) - dt.timedelta(days=35)).date().isoformat()
    out = tmp_path / "public"
    shutil.rmtree(tiny / "releases", ignore_errors=True)
    result = run("release", "--source", tiny, "--out", out, "--sign", p12,
                 "--passphrase-env", "KR_TEST_PASS",
                 env={"KR_TEST_PASS": "wrong" if kind == "passphrase" else PASS})
    assert result.exit_code == 1
    assert result.stderr == f"{p12}: {message.format(end=end)}\n"
    assert not out.exists() and not (tiny / "releases").exists()


def test_options_of_signing_need_sign(tiny: Path, tmp_path: Path) -> None:
    result = run("release", "--source", tiny, "--out", tmp_path / "o",
                 "--passphrase-env", "X")
    assert result.exit_code == 2
    assert "--passphrase-env and --timestamp-url are for --sign FILE.p12" in result.stderr


def test_releasing_a_signed_version_again_is_a_no_op(signed: dict[str, Path], pki: Pki) -> None:
    before = (signed["folder"] / "manifest.json").read_bytes()
    result = run("release", "--source", signed["root"], "--out", signed["out"], "--sign",
                 pki.signer, "--passphrase-env", "KR_TEST_PASS", env={"KR_TEST_PASS": PASS})
    assert result.exit_code == 0, result.stderr
    assert "release 1.0.0 already exists and is identical" in result.stderr
    assert (signed["folder"] / "manifest.json").read_bytes() == before


def test_releasing_an_unsigned_version_again_with_sign_is_refused(
        tmp_path: Path, pki: Pki) -> None:
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root, ignore=shutil.ignore_patterns("releases"))
    out = tmp_path / "public"
    assert run("release", "--source", root, "--out", out).exit_code == 0
    before = tree_snapshot(tmp_path)
    result = run("release", "--source", root, "--out", out, "--sign", pki.signer,
                 "--passphrase-env", "KR_TEST_PASS", env={"KR_TEST_PASS": PASS})
    assert result.exit_code == 1
    assert result.stderr == (
        f"{out / VERSION}: version {VERSION} was released unsigned, so it cannot be signed "
        "now; a release never changes. Run 'kratom-report version bump patch' (or minor, "
        "major), describe the change in the changelog, and release the new version with "
        "--sign\n")
    assert tree_snapshot(tmp_path) == before


def test_signing_a_signed_release_again_with_another_key_is_refused(
        signed: dict[str, Path], pki: Pki, tmp_path: Path) -> None:
    before = tree_snapshot(signed["out"]), tree_snapshot(signed["root"] / "releases")
    other = make_p12(tmp_path / "other.p12", make_ca("Other CA"), "Mallory")
    result = run("release", "--source", signed["root"], "--out", signed["out"], "--sign",
                 tmp_path / "other.p12", "--passphrase-env", "KR_TEST_PASS",
                 env={"KR_TEST_PASS": PASS})
    assert result.exit_code == 1
    assert result.stderr == (
        f"{signed['folder']}: version {VERSION} was released signed by Test Signer "
        f"(certificate SHA-256 {pki.fingerprint}), not by Mallory (certificate SHA-256 "
        f"{other}); a release never changes. Run 'kratom-report version bump patch' (or "
        "minor, major), describe the change in the changelog, and release the new version "
        "with --sign\n")
    assert (tree_snapshot(signed["out"]), tree_snapshot(signed["root"] / "releases")) == before


def test_the_signature_widget_is_in_the_structure_tree(signed: dict[str, Path]) -> None:
    """PDF/UA-1 7.18.1 and 7.18.4: every annotation not hidden is reached from the structure
    tree, a widget through a Form element; PDF/A forbids hiding it, so it is tagged."""
    import pikepdf

    hidden = 2 | 32  # Hidden, NoView
    for pdf_path in _pdfs(signed["folder"]):
        with pikepdf.open(pdf_path) as pdf:
            tree = pdf.Root.StructTreeRoot
            nums = tree.ParentTree.Nums
            parents = dict(zip([int(n) for n in nums[::2]], nums[1::2], strict=True))
            widgets = 0
            for page in pdf.pages:
                for annot in page.obj.get("/Annots", []):
                    assert not int(annot.get("/F", 0)) & hidden, pdf_path.name  # PDF/A
                    element = parents[int(annot.StructParent)]
                    kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                    assert annot.objgen in [k.Obj.objgen for k in kids
                                            if isinstance(k, pikepdf.Dictionary)
                                            and k.get("/Type") == "/OBJR"], pdf_path.name
                    if annot.get("/FT") == "/Sig":
                        widgets += 1
                        assert element.S == "/Form" and element.P.S == "/Document"
                        assert str(annot.TU) == str(element.Alt) == \
                            f"Release {VERSION} of Tiny evidence briefing"
            assert widgets == 1, pdf_path.name
            assert int(tree.ParentTreeNextKey) == max(parents) + 1
        done = subprocess.run([sys.executable, "-m", "pdfua", "check", str(pdf_path)],
                              capture_output=True, text=True)
        assert done.returncode == 0 and "result: PASS" in done.stdout, done.stdout[-1500:]


@dataclass(frozen=True)
class Tsa:
    url: str
    ca_pem: Path


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tsa]:
    """An RFC 3161 timestamp authority on 127.0.0.1: pyHanko's DummyTimeStamper (RSA only)
    with a timestamping certificate from its own throwaway CA, served over HTTP."""
    from asn1crypto import keys, tsp
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from pyhanko.sign.timestamps import DummyTimeStamper

    ca_key, ca_cert = make_ca("Test TSA CA")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("Test TSA")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .sign(ca_key, hashes.SHA256()))
    der = serialization.Encoding.DER
    stamper = DummyTimeStamper(
        asn1_x509.Certificate.load(cert.public_bytes(der)),
        keys.PrivateKeyInfo.load(key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption())),
        certs_to_embed=[asn1_x509.Certificate.load(ca_cert.public_bytes(der))])

    class Authority(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            request = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(request)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Authority)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ca_pem = tmp_path_factory.mktemp("tsa") / "tsa-ca.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    yield Tsa(f"http://127.0.0.1:{server.server_port}/", ca_pem)
    server.shutdown()
    thread.join()


def test_release_with_a_timestamp_authority_makes_b_t_signatures(
        tsa: Tsa, pki: Pki, tmp_path: Path) -> None:
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root, ignore=shutil.ignore_patterns("releases"))
    out = tmp_path / "public"
    result = run("release", "--source", root, "--out", out, "--sign", pki.signer,
                 "--passphrase-env", "KR_TEST_PASS", "--timestamp-url", tsa.url,
                 env={"KR_TEST_PASS": PASS})
    assert result.exit_code == 0, result.stderr
    roots = {name: ValidationContext(trust_roots=[x509.Certificate.load(
        pem.unarmor(path.read_bytes())[2])]) for name, path in
        (("signer", pki.ca_pem), ("tsa", tsa.ca_pem))}
    pdfs = _pdfs(out / VERSION)
    assert len(pdfs) >= 4
    for pdf in pdfs:
        with pdf.open("rb") as f:
            [sig] = PdfFileReader(f).embedded_signatures
            status = validate_pdf_signature(sig, roots["signer"],
                                            ts_validation_context=roots["tsa"])
            assert status.bottom_line, pdf.name
            stamp = status.timestamp_validity
            assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
            assert abs(stamp.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=30)
    manifest = json.loads((out / VERSION / "manifest.json").read_text())
    rows = [r for row in manifest["editions"] for r in (row, row["archival"],
                                                         *row.get("summaries", []))]
    assert {r["signature"]["timestamp_authority"] for r in rows} == {tsa.url}
    page = (out / VERSION / "index.html").read_text()
    assert f"Time-stamped by {tsa.url} when it was signed (PAdES B-T)." in page
    assert "Not time-stamped" not in page
    assert run("verify", "--source", root, pdfs[0]).exit_code == 0


def test_an_unreachable_timestamp_authority_is_one_error_and_nothing_is_written(
        tiny: Path, tmp_path: Path, pki: Pki) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    shutil.rmtree(tiny / "releases", ignore_errors=True)
    before = tree_snapshot(tiny)
    out = tmp_path / "public"
    result = run("release", "--source", tiny, "--out", out, "--sign", pki.signer,
                 "--passphrase-env", "KR_TEST_PASS", "--timestamp-url", url,
                 env={"KR_TEST_PASS": PASS})
    assert result.exit_code == 1
    assert result.stderr == (f"timestamp authority {url}: no timestamp (connection refused); "
                             "check --timestamp-url, or sign without it (PAdES B-B: no "
                             "trusted signing time)\n")
    assert not out.exists() and tree_snapshot(tiny) == before
