"""Command line: options → one library call → output. Errors become exit codes here only.

This is the only module that imports Click (tests/test_layout.py holds it to that), so every
command lives here and the file is longer than the 500 lines other modules keep to; each command
stays a few lines that call the library.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import (
    OutputError,
    Problem,
    ProblemsError,
    ReportError,
    SourceNotFound,
    UnknownEdition,
)
from .source.locate import find_root

EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    """--source and --debug on every command (or before it, like ``git -C``), and errors."""

    @click.option("--source", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Folder holding report/ (default: nearest one upward from here).")
    @click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
    @functools.wraps(func)
    def wrapper(*args: Any, source: Path | None, debug: bool, **kwargs: Any) -> None:
        outer = click.get_current_context().find_object(_Global) or _Global()
        source = source if source is not None else outer.source
        as_json = kwargs.get("fmt") == "json" and getattr(func, "json_problems", False)
        with _exit_codes(debug or outer.debug, as_json):
            func(*args, root=find_root(source), **kwargs)

    return wrapper


@dataclass
class _Global:
    """Options given before the command name: ``kratom-report --source DIR refs``."""

    source: Path | None = None
    debug: bool = False


@contextlib.contextmanager
def _exit_codes(debug: bool, as_json: bool = False) -> Iterator[None]:
    """The one place that maps errors to messages and exit codes.

    With ``as_json`` (``check --format json``) a failure still prints one JSON document on
    stdout, so a script reading it never has to parse stderr.
    """
    try:
        yield
    except ProblemsError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        if as_json:
            _echo_json({}, list(exc.problems))
        sys.exit(EXIT_PROBLEM)
    except OutputError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_PROBLEM)
    except (SourceNotFound, UnknownEdition) as exc:
        click.echo(f"Error: {exc}", err=True)
        if as_json:
            _echo_json({}, [], unlocated=[str(exc)])
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("interrupted; no output was changed", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except ReportError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_PROBLEM)
    except Exception as exc:  # noqa: BLE001 - last resort: one line unless --debug
        if debug:
            traceback.print_exc()
        else:
            click.echo(f"internal error: {type(exc).__name__}: {exc} "
                       "(run again with --debug for details)", err=True)
        sys.exit(EXIT_PROBLEM)


def _json_problems(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a command whose ``--format json`` reports failures as JSON on stdout too."""
    func.json_problems = True  # type: ignore[attr-defined]
    return func


def _edition_ids(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str]:
    from .authoring.starter import InitError, edition_ids

    try:
        return edition_ids(value)
    except InitError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _jobs_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--jobs", type=click.IntRange(min=1), default=None,
                        help="Editions rendered at once (default: number of cores).")(func)


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kratom-report")
@click.option("--source", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder holding report/, for every command (like git -C).")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def main(ctx: click.Context, source: Path | None, debug: bool) -> None:
    """Build versioned, printable evidence briefings from the YAML sources in report/.

    \b
    Start a briefing and build it:
      kratom-report init my-briefing --title "My briefing"
      cd my-briefing && kratom-report check && kratom-report build
    """
    ctx.obj = _Global(source, debug)


@main.command()
@click.argument("folder", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default=None, help="The briefing's title (default: a placeholder).")
@click.option("--editions", "edition_list", default=None, metavar="ID,ID",
              callback=lambda ctx, param, value: _edition_ids(ctx, param, value),
              help="Edition ids, comma-separated (default: clinician,policymaker).")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
def init(folder: Path, title: str | None, edition_list: list[str], debug: bool) -> None:
    """Start a complete, valid briefing in FOLDER (default: here) that builds at once.

    \b
    Examples:
      kratom-report init
      kratom-report init my-briefing --title "Drug checking" --editions clinician,policymaker
    """
    from .authoring.starter import init_report

    outer = click.get_current_context().find_object(_Global) or _Global()
    with _exit_codes(debug or outer.debug):
        started = init_report(folder, title=title, editions=edition_list)
        for path in started.files:
            click.echo(path)
        where = "" if folder == Path(".") else f"cd {folder} && "
        click.echo(f"started a briefing in {started.root}; next: {where}kratom-report check "
                   "&& kratom-report build", err=True)


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
@_jobs_option
@click.option("--force", is_flag=True, help="Rebuild editions even when nothing changed.")
@click.option("--mark-changes", "mark_changes", is_flag=False, flag_value="", default=None,
              metavar="[VERSION]",
              help="Bar in the margin beside what changed since VERSION (default: the latest "
                   "release); files are named ...-changes-since-VERSION.")
@_common
def build(root: Path, editions: tuple[str, ...], all_editions: bool, fmt: str, out: Path,
          paper: str | None, variant: str, jobs: int, force: bool,
          mark_changes: str | None) -> None:
    """Build editions into OUT as <slug>-<edition>-v<version>.pdf (or .html, also for web).

    A draft's files carry -draft (<slug>-<edition>-v<version>-draft.pdf).

    \b
    Examples:
      kratom-report build
      kratom-report build --edition clinician --format html --out preview/
      kratom-report build --format web --out site/    # pages for phones and desktops
      kratom-report build --mark-changes 1.0.0     # margin bars beside what changed
    """
    from .build import BuildRequest
    from .build import build as run_build

    request = BuildRequest(editions=() if all_editions else editions, fmt=fmt, out=out,
                           paper=paper, variant=variant, jobs=jobs, force=force,
                           mark_changes=mark_changes)
    for built in run_build(root, request, progress=_progress):
        pages = f"{built.pages} pages" if built.pages is not None else "html"
        click.echo(f"{built.path}\t{pages}\t{_size(built.size)}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Releases go to OUT/<version>/.")
@_jobs_option
@_common
def release(root: Path, out: Path, jobs: int) -> None:
    """Check, refuse drafts, build every edition and write OUT/<version>/ with checksums.

    \b
    Example (after giving the changelog entry a date):
      kratom-report release --out public/
    """
    from .release import release as run_release

    result = run_release(root, out, jobs, progress=_progress)
    for row in result.manifest["editions"]:
        click.echo(f"{result.folder / row['file']}\t{row['pages']} pages\t"
                   f"{_size(row['bytes'])}\t{row['sha256']}")
        if copy := row.get("archival"):  # records from before 0.3.0 have none
            click.echo(f"{result.folder / copy['file']}\t{row['pages']} pages\t"
                       f"{_size(copy['bytes'])}\t{copy['sha256']}")


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_common
def verify(root: Path, pdf: Path) -> None:
    """Rebuild the edition PDF claims to be from the sources and compare the bytes.

    \b
    Example:
      kratom-report verify dist/1.0.0/my-briefing-clinician-v1.0.0.pdf
    """
    from .verify import verify as run_verify

    result = run_verify(root, pdf)
    if result.matches:
        click.echo(f"{pdf}: identical to a rebuild of the {result.edition} edition, "
                   f"version {result.version} (sha256 {result.actual_sha256})")
        return
    click.echo(f"{pdf}: differs from a rebuild of the {result.edition} edition, version "
               f"{result.version} (file sha256 {result.actual_sha256}, rebuild "
               f"{result.expected_sha256})", err=True)
    sys.exit(EXIT_PROBLEM)


@main.group()
def version() -> None:
    """Manage the report's version.

    \b
    Example:
      kratom-report version bump minor
    """


@version.command("bump")
@click.argument("part", type=click.Choice(["major", "minor", "patch"]))
@_common
def version_bump(root: Path, part: str) -> None:
    """Raise the version and add a draft changelog entry (comments are kept).

    \b
    Examples:
      kratom-report version bump patch    # 1.0.0 -> 1.0.1, a correction
      kratom-report version bump minor    # 1.0.0 -> 1.1.0, new evidence
    """
    from .authoring.versioning import bump

    old, new = bump(root, part)  # type: ignore[arg-type]
    click.echo(f"{old} -> {new}")
    click.echo("a draft changelog entry was added; describe the changes and give it a date "
               "to release", err=True)


@main.command()
@click.option("--edition", "editions", multiple=True, metavar="ID",
              help="Edition to build (repeatable; default: every edition).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf",
              show_default=True, help="PDF, or one self-contained HTML file per edition.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Output folder.")
@_common
def watch(root: Path, editions: tuple[str, ...], fmt: str, out: Path) -> None:
    """Build, then build again after every saved change to the sources (Ctrl-C stops).

    \b
    Examples:
      kratom-report watch --format html --edition clinician
      kratom-report watch --out dist/
    """
    from .authoring.watch import watch as run_watch
    from .build import BuildRequest

    def on_cycle(cycle: Any) -> None:
        for line in cycle.lines():
            click.echo(line, err=True)
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
@_common
def preview(root: Path, editions: tuple[str, ...], port: int | None, host: str | None,
            open_browser: bool, pdf: bool, out: Path | None) -> None:
    """Serve the web editions and reload the page after every saved change (Ctrl-C stops).

    \b
    Examples:
      kratom-report preview --open
      kratom-report preview --edition clinician --port 8000 --pdf
      kratom-report preview --host 0.0.0.0    # reachable from other machines (warns)
    """
    from .authoring.preview import PreviewOptions
    from .authoring.preview import preview as run_preview

    options = PreviewOptions(editions=editions, host=host, port=port, out=out, pdf=pdf,
                             open_browser=open_browser)
    try:
        run_preview(root, options, lambda line: click.echo(line, err=True))
    except KeyboardInterrupt:
        click.echo("stopped preview", err=True)
        sys.exit(EXIT_INTERRUPTED)


@main.group()
def new() -> None:
    """Scaffold new parts of the report.

    \b
    Example:
      kratom-report new section side-effects --title "Side effects"
    """


def _section_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .authoring.scaffold import id_problem

    reason = id_problem(value)
    if reason:
        raise click.BadParameter(reason, ctx=ctx, param=param)
    return value


def _audiences(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = list(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names:
        raise click.BadParameter("name at least one edition, like clinician,policymaker",
                                 ctx=ctx, param=param)
    return names


def _title(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("the title is empty", ctx=ctx, param=param)
    return value.strip()


@new.command("section")
@click.argument("section_id", metavar="ID", callback=_section_id)
@click.option("--title", required=True, callback=_title, help="The section's title.")
@click.option("--audiences", callback=_audiences, metavar="A,B",
              help="Editions that show the section (comma-separated; default: every edition).")
@click.option("--kind", type=click.Choice(["front", "evidence", "guidance", "policy", "back"]),
              default="evidence", show_default=True, help="Kind of section.")
@_common
def new_section(root: Path, section_id: str, title: str, audiences: list[str] | None,
                kind: str) -> None:
    """Write report/sections/ID.yaml and add ID to the section order in report.yaml.

    \b
    Examples:
      kratom-report new section side-effects --title "Side effects"
      kratom-report new section options --title "Options" --kind policy --audiences policymaker
    """
    from .authoring.scaffold import new_section as scaffold_section

    made = scaffold_section(root, section_id, title, kind=kind, audiences=audiences)
    click.echo(made.display)
    where = f"after '{made.after}'" if made.after else "as the first section"
    click.echo(f"added '{section_id}' to sections in report/report.yaml ({where}); write its "
               "text, then run 'kratom-report check'", err=True)


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--stats", is_flag=True, help="Also print per-edition statistics.")
@_common
@_json_problems
def check(root: Path, strict: bool, fmt: str, stats: bool) -> None:
    """Validate everything and render every edition's HTML in memory; write nothing.

    \b
    Examples:
      kratom-report check --strict
      kratom-report check --stats --format json
    """
    from .build import check as run_check

    result = run_check(root)
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    numbers = []
    if fmt == "json" or stats:  # a pass over every text: only when asked for
        from .authoring.stats import edition_stats

        numbers = edition_stats(result)
    if fmt == "json":
        _echo_json({s.edition: s.as_json() for s in numbers}, list(result.warnings),
                   ok=not (strict and result.warnings))
    if strict and result.warnings:
        sys.exit(EXIT_PROBLEM)
    if fmt == "json":
        return
    names = ", ".join(r.edition.id for r in result.editions)
    click.echo(f"ok: {len(result.editions)} editions ({names}), "
               f"{len(result.project.sections)} sections, "
               f"{len(result.project.references)} references")
    stale = result.project.report.stale_after
    for s in numbers:
        click.echo("")
        click.echo(_stats_text(s, stale.references_years, stale.data_days))


def _echo_json(editions: dict[str, Any], problems: list[Problem], *, ok: bool | None = None,
               unlocated: list[str] | None = None) -> None:
    """``check --format json``: the same document whether the check passed or not."""
    unlocated = unlocated or []
    errors = bool(unlocated) or any(p.severity != "warning" for p in problems)
    click.echo(json.dumps({
        "ok": (not errors) if ok is None else ok and not errors,
        "editions": editions,
        "problems": [str(p) for p in problems] + unlocated,
        "findings": [p.as_json() for p in problems] + [
            {"file": None, "line": None, "column": None, "severity": "error", "message": m}
            for m in unlocated],
    }, indent=2, ensure_ascii=False))


def _stats_text(s: Any, years: int, days: int) -> str:
    """One readable block per edition for ``check --stats``."""
    def grade(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f}"

    def listing(title: str, items: list[str]) -> list[str]:
        return [f"  {title}: {len(items) or 'none'}"] + [f"    {item}" for item in items]

    lines = [f"{s.edition}: {s.words:,} words, ~{s.pages_estimate} pages",
             f"  reading grade (Flesch-Kincaid): key messages {grade(s.fk_key_messages)}, "
             f"all text {grade(s.fk_all)}"]
    lines += listing("uncited paragraphs in evidence sections", list(s.uncited))
    lines += listing("TODO/FIXME markers", list(s.todo))
    lines += listing(f"evidence references older than {years} years",
                     [f"{r.key} ({r.year})" for r in s.old_refs])
    lines += listing(f"data older than {days} days",
                     [f"{d.file} (as of {d.as_of}"
                      + (f", {d.age_days} days)" if d.age_days is not None else ": not a date)")
                      for d in s.stale_data])
    return "\n".join(lines)


@main.command("diff")
@click.argument("old", required=False, metavar="[OLD")
@click.argument("new", required=False, metavar="[NEW]]")
@click.option("--edition", default=None, metavar="ID", help="Compare one edition only.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True, help="Terminal text, stable JSON, or one HTML page.")
@click.option("--exit-code", is_flag=True,
              help="Exit 1 when there are changes (like git diff --exit-code), for CI.")
@_common
def diff_command(root: Path, old: str | None, new: str | None, edition: str | None, fmt: str,
                 exit_code: bool) -> None:
    """Show what changed between two versions (default: the latest release and the tree).

    OLD and NEW are released versions (recorded in releases/) or 'worktree'.

    \b
    Examples:
      kratom-report diff                       # latest release -> working tree
      kratom-report diff 1.0.0 1.1.0 --edition clinician --format html > changes.html
    """
    from .compare import compare

    result = compare(root, old, new, edition)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    elif fmt == "html":
        from .publish.diffview import as_html

        click.echo(as_html(result), nl=False)
    else:
        from .publish.diffview import as_text

        click.echo(as_text(result, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ),
                   nl=False)
    if exit_code and result["changed"]:
        sys.exit(EXIT_PROBLEM)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@_common
def editions(root: Path, fmt: str) -> None:
    """List the editions with their sections and an estimated page count.

    \b
    Examples:
      kratom-report editions
      kratom-report --source ../other-briefing editions --format json
    """
    from .build import check as run_check

    result = run_check(root)
    rows: list[dict[str, Any]] = []
    for r in result.editions:
        from .compose.editions import select

        sections = [s.section.id for s in select(result.project, r.edition)]
        rows.append({"id": r.edition.id, "title": r.edition.title, "sections": sections,
                     "pages_estimate": _pages(r)})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['title']}\t{len(row['sections'])} sections\t"
                   f"~{row['pages_estimate']} pp")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format of the listing.")
@click.option("--export", "export_fmt", type=click.Choice(["csljson", "bibtex"]), default=None,
              help="Export all references for a reference manager instead of listing them.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of stdout.")
@_common
def refs(root: Path, fmt: str, export_fmt: str | None, output: Path | None) -> None:
    """List references with where each edition cites them, or export them.

    \b
    Examples:
      kratom-report refs
      kratom-report refs --export bibtex -o references.bib
    """
    from .references.uses import export, reference_uses
    from .source.project import load_project

    project = load_project(root)
    if export_fmt:
        text = export(project, export_fmt)
    elif fmt == "json":
        text = json.dumps([{"key": u.key, "title": u.title, "doi": u.doi, "url": u.url,
                            "cited_in": u.cited_in} for u in reference_uses(project)],
                          indent=2, ensure_ascii=False) + "\n"
    else:
        lines = []
        for u in reference_uses(project):
            where = "; ".join(f"{ed}: {', '.join(ids)}" for ed, ids in u.cited_in.items())
            lines.append(f"{u.key}\t{u.title}\t{where or 'not cited'}")
        text = "\n".join(lines) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    from .publish.output import write_all

    write_all([(output, text.encode("utf-8"))])
    click.echo(f"{output}\t{len(text.encode('utf-8'))} bytes", err=True)


def _pages(rendered: Any) -> int:
    from .compose.estimate import estimate_pages

    return estimate_pages(rendered)


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"
