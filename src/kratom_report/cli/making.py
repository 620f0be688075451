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
@click.option("--mark-changes", "mark_changes", is_flag=False, flag_value="", default=None,
              metavar="[VERSION]",
              help="Bar in the margin beside what changed since VERSION (default: the latest "
                   "release); files are named ...-changes-since-VERSION.")
@common
def build(root: Path, editions: tuple[str, ...], all_editions: bool, fmt: str, out: Path,
          paper: str | None, variant: str, jobs: int, force: bool,
          mark_changes: str | None) -> None:
    """Build editions into OUT as <slug>-<edition>-v<version>.pdf (-print.html for the print
    HTML, .html for the web edition).

    A draft's files carry -draft (<slug>-<edition>-v<version>-draft.pdf).

    \b
    Examples:
      kratom-report build
      kratom-report build --edition clinician --format html --out preview/
      kratom-report build --format web --out site/    # pages for phones and desktops
      kratom-report build --mark-changes 1.0.0     # margin bars beside what changed
    """
    outputs = Report(root, progress).build(
        () if all_editions else editions, (fmt,), out, variant, paper=paper, jobs=jobs,
        force=force, mark_changes=mark_changes)
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
@jobs_option
@common
def release(root: Path, out: Path, assemble: tuple[Path, ...], jobs: int) -> None:
    """Check, refuse drafts, build every edition and write OUT/<version>/ with checksums.

    With --assemble, the PDFs come from folders that other machines built (one folder may
    hold several editions and both variants). Each runner builds, for each of its editions:

    \b
      kratom-report build --edition ID --out DIR
      kratom-report build --edition ID --pdf-variant pdf/a-3a --out DIR

    A piece is refused, with its name, when it is missing, was built from other sources
    (its build fingerprint is not this tree's) or was changed after it was built; then
    nothing is written. The web editions and the site are made here, as without --assemble.

    \b
    Examples (after giving the changelog entry a date):
      kratom-report release --out public/
      kratom-report release --assemble built-clinician/ --assemble built-policymaker/ \\
          --out public/
    """
    result = Report(root, progress).release(out, jobs=jobs, assemble=assemble)
    for row in result.manifest["editions"]:
        echo(f"{result.folder / row['file']}\t{row['pages']} pages\t"
                   f"{human_size(row['bytes'])}\t{row['sha256']}")
        if copy := row.get("archival"):  # records from before 0.3.0 have none
            echo(f"{result.folder / copy['file']}\t{row['pages']} pages\t"
                       f"{human_size(copy['bytes'])}\t{copy['sha256']}")


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@common
def verify(root: Path, pdf: Path) -> None:
    """Rebuild the edition PDF claims to be from the sources and compare the bytes.

    \b
    Example:
      kratom-report verify dist/1.0.0/my-briefing-clinician-v1.0.0.pdf
    """
    result = Report(root).verify(pdf)
    if result.matches:
        echo(f"{pdf}: identical to a rebuild of the {result.edition} edition, "
                   f"version {result.version} (sha256 {result.actual_sha256})")
        return
    echo(f"{pdf}: differs from a rebuild of the {result.edition} edition, version "
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
