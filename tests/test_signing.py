"""release --sign and verify of signed PDFs: a throwaway certificate authority and signer are
made here, at test time (no key is ever committed), and pyHanko's own validator judges the
signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kratom_report.cli import main

from conftest import FIXTURES, writable_copy

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
