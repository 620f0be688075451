"""Commands that make files: build, release, verify, watch and preview."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .._api import Report
from .app import (
    EXIT_INTERRUPTED,
    EXIT_PROBLEM,
    common,
    echo,
    human_size,
    jobs_option,
    main,
    progress,
)


@main.command()
@click.option("--edition", "editions", multiple=True, metavar="ID",
              help="Edition to build (repeatable; default: every edition).")
@click.option("--all", "all_editions", is_flag=True, help="Build every edition (the default).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html", "web"]), default="pdf",
              show_default=True, help="PDF; html, the self-contained print HTML; or web, the "
                                      "reading edition for screens.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Output folder.")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default=None,
              help="Paper size for every edition (default: per edition, then report.yaml).")
@click.option("--pdf-variant", "variant", type=click.Choice(["pdf/ua-1", "pdf/a-3a"]),
              default="pdf/ua-1", show_default=True,
              help="Tagged PDF/UA, or tagged archival PDF/A-3 with its sources attached.")
@jobs_option
@click.option("--force", is_flag=True, help="Rebuild editions even when nothing changed.")
@click.option("--review", is_flag=True,
              help="Review copies (<slug>-<edition>-v<version>-review.pdf): source positions "
                   "in the margin, numbered lines; never part of a release.")
@click.option("--mark-changes", "mark_changes", is_flag=False, flag_value="", default=None,
              metavar="[VERSION]",
              help="Bar in the margin beside what changed since VERSION (default: the latest "
                   "release); files are named ...-changes-since-VERSION.")
@common
def build(root: Path, editions: tuple[str, ...], all_editions: bool, fmt: str, out: Path,
          paper: str | None, variant: str, jobs: int, force: bool,
          mark_changes: str | None, review: bool) -> None:
    """Build editions into OUT as <slug>-<edition>-v<version>.pdf (-print.html for the print
    HTML, .html for the web edition).

    A draft's files carry -draft (<slug>-<edition>-v<version>-draft.pdf).

    \b
    Examples:
      kratom-report build
      kratom-report build --edition clinician --format html --out preview/
      kratom-report build --format web --out site/    # pages for phones and desktops
      kratom-report build --mark-changes 1.0.0     # margin bars beside what changed
      kratom-report build --review --edition clinician   # a copy for reviewers
    """
    if review and (fmt != "pdf" or mark_changes is not None or variant != "pdf/ua-1"):
        raise click.UsageError("--review makes PDFs of its own; it cannot be combined with "
                               "--format, --pdf-variant or --mark-changes")
    outputs = Report(root, progress).build(
        () if all_editions else editions, (fmt,), out, variant, paper=paper, jobs=jobs,
        force=force, mark_changes=mark_changes, review=review)
    for built in outputs:
        pages = f"{built.pages} pages" if built.pages is not None else "html"
        click.echo(f"{built.path}\t{pages}\t{human_size(built.size)}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Releases go to OUT/<version>/.")
@click.option("--assemble", "assemble", multiple=True, metavar="DIR",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Take the PDFs from DIR, built there by 'build' (repeatable), instead of "
                   "rendering them; each is checked against this tree.")
@click.option("--sign", "sign", metavar="FILE.p12", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign every PDF with the key and certificate in FILE.p12 (PAdES).")
@click.option("--passphrase-env", "passphrase_env", metavar="VAR", default=None,
              help="Read the passphrase of FILE.p12 from the environment variable VAR "
                   "(default: ask for it).")
@click.option("--timestamp-url", "timestamp_url", metavar="URL", default=None,
              help="Timestamp every signature at this RFC 3161 authority (PAdES B-T).")
@jobs_option
@common
def release(root: Path, out: Path, assemble: tuple[Path, ...], sign: Path | None,
            passphrase_env: str | None, timestamp_url: str | None, jobs: int) -> None:
    """Check, refuse drafts, build every edition and write OUT/<version>/ with checksums.

    With --assemble, the PDFs come from folders that other machines built (one folder may
    hold several editions and both variants). Each runner builds, for each of its editions:

    \b
      kratom-report build --edition ID --out DIR
      kratom-report build --edition ID --pdf-variant pdf/a-3a --out DIR

    A piece is refused, with its name, when it is missing, was built from other sources
    (its build fingerprint is not this tree's) or was changed after it was built; then
    nothing is written. The web editions and the site are made here, as without --assemble.

    With --sign, every PDF gets a PAdES signature as an incremental update, so the bytes
    before it stay the reproducible build; the manifest records each file's signer and
    certificate fingerprint. The passphrase never goes on the command line.

    \b
    Examples (after giving the changelog entry a date):
      kratom-report release --out public/
      kratom-report release --assemble built-clinician/ --assemble built-policymaker/ \\
          --out public/
      kratom-report release --sign release-key.p12 --passphrase-env KEY_PASSPHRASE
    """
    if (passphrase_env or timestamp_url) and sign is None:
        raise click.UsageError("--passphrase-env and --timestamp-url are for --sign FILE.p12")
    passphrase = _passphrase(sign, passphrase_env)
    result = Report(root, progress).release(out, jobs=jobs, assemble=assemble, sign=sign,
                                            passphrase=passphrase,
                                            timestamp_url=timestamp_url)
    for row in result.manifest["editions"]:
        # the edition, its archival copy (none before 0.3.0), its summaries (none before 0.5.0)
        copy = row.get("archival")
        files = [row, *([{**copy, "pages": row["pages"]}] if copy else []),
                 *row.get("summaries", [])]
        for f in files:
            echo(f"{result.folder / f['file']}\t{f['pages']} pages\t"
                 f"{human_size(f['bytes'])}\t{f['sha256']}")


def _passphrase(sign: Path | None, variable: str | None) -> str | None:
    """From the environment variable named, else asked for (never an argument: it would
    stay in the shell's history and the process list)."""
    import os

    if sign is None:
        return None
    if variable is not None:
        if variable not in os.environ:
            raise click.UsageError(f"--passphrase-env {variable}: no such environment variable")
        return os.environ[variable]
    if not sys.stdin.isatty():
        return None  # nothing to ask: an unencrypted key, or a clear error from the key
    return str(click.prompt(f"Passphrase of {sign}", hide_input=True, default="",
                            show_default=False, err=True))


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trust", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="CA.pem", default=None,
              help="Accept a signer whose certificate chains to these CA certificates "
                   "(default: the signer the release record names).")
@common
def verify(root: Path, pdf: Path, trust: Path | None) -> None:
    """Check the signature, then rebuild the edition PDF claims to be and compare the bytes.

    A signed PDF must be intact, signed over the whole file, by the signer the release
    record (releases/<version>/manifest.json) names or one chaining to --trust; then the
    bytes before the signature must equal a rebuild from the sources.

    \b
    Examples:
      kratom-report verify dist/1.0.0/my-briefing-clinician-v1.0.0.pdf
      kratom-report verify copy.pdf --trust our-ca.pem
    """
    result = Report(root).verify(pdf, trust=trust)
    if result.matches:
        signed = f"signed by {result.signer} (certificate SHA-256 " \
            f"{result.signer_fingerprint}), " if result.signer else ""
        echo(f"{pdf}: {signed}identical to a rebuild of the {result.edition} edition, "
                   f"version {result.version} (sha256 {result.actual_sha256})")
        return
    before = "its signed revision " if result.signer else ""
    echo(f"{pdf}: {before}differs from a rebuild of the {result.edition} edition, version "
               f"{result.version} (file sha256 {result.actual_sha256}, rebuild "
               f"{result.expected_sha256}){result.explanation}", err=True)
    sys.exit(EXIT_PROBLEM)


@main.command()
@click.option("--edition", "editions", multiple=True, metavar="ID",
              help="Edition to build (repeatable; default: every edition).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf",
              show_default=True, help="PDF, or one self-contained HTML file per edition.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Output folder.")
@common
def watch(root: Path, editions: tuple[str, ...], fmt: str, out: Path) -> None:
    """Build, then build again after every saved change to the sources (Ctrl-C stops).

    \b
    Examples:
      kratom-report watch --format html --edition clinician
      kratom-report watch --out dist/
    """
    from ..authoring.watch import watch as run_watch
    from ..build import BuildRequest

    def on_cycle(cycle: Any) -> None:
        for line in cycle.lines():
            echo(line, err=True)
        if cycle.number == 1:
            click.echo(f"watching report/ and templates/ in {root}; Ctrl-C stops", err=True)

    request = BuildRequest(editions=editions, fmt=fmt, out=out)
    try:
        run_watch(root, request, on_cycle=on_cycle)
    except KeyboardInterrupt:
        # A build cut short writes nothing, so the last good output is still in place.
        click.echo("stopped watching", err=True)
        sys.exit(EXIT_INTERRUPTED)


@main.command()
@click.option("--edition", "editions", multiple=True, metavar="ID",
              help="Edition to preview (repeatable; default: every edition).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to serve on (default: a free one).")
@click.option("--host", default=None, metavar="H",
              help="Address to serve on (default: 127.0.0.1, this machine only).")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.option("--pdf", is_flag=True, help="Also rebuild the PDFs in the background.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Folder for the pages (default: a temporary folder, removed on exit).")
@common
def preview(root: Path, editions: tuple[str, ...], port: int | None, host: str | None,
            open_browser: bool, pdf: bool, out: Path | None) -> None:
    """Serve the web editions and reload the page after every saved change (Ctrl-C stops).

    \b
    Examples:
      kratom-report preview --open
      kratom-report preview --edition clinician --port 8000 --pdf
      kratom-report preview --host 0.0.0.0    # reachable from other machines (warns)
    """
    from ..authoring.preview import PreviewOptions
    from ..authoring.preview import preview as run_preview

    options = PreviewOptions(editions=editions, host=host, port=port, out=out, pdf=pdf,
                             open_browser=open_browser)
    try:
        run_preview(root, options, lambda line: echo(line, err=True))
    except KeyboardInterrupt:
        click.echo("stopped preview", err=True)
        sys.exit(EXIT_INTERRUPTED)
