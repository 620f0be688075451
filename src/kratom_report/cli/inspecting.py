"""Commands that read and report: check, editions, refs and diff."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from .._api import Report
from ..errors import ProblemsError
from .app import EXIT_PROBLEM, common, echo, echo_json, echo_json_text, json_problems, main


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--stats", is_flag=True, help="Also print per-edition statistics.")
@common
@json_problems
def check(root: Path, strict: bool, fmt: str, stats: bool) -> None:
    """Validate everything and render every edition's HTML in memory; write nothing.

    \b
    Examples:
      kratom-report check --strict
      kratom-report check --stats --format json
    """
    # Statistics take a pass over every text: only when asked for.
    result = Report(root).check(strict=strict, stats=fmt == "json" or stats)
    if result.errors:
        raise ProblemsError(list(result.problems))
    for finding in result.problems:  # warnings and, in a draft, its notes
        echo(str(finding), err=True)
    numbers = result.stats
    if fmt == "json":
        echo_json({s.edition: s.as_json() for s in numbers}, list(result.problems),
                   ok=not (strict and result.warnings))
    if strict and result.warnings:
        sys.exit(EXIT_PROBLEM)
    if fmt == "json":
        return
    echo(f"ok: {len(result.editions)} editions ({', '.join(result.editions)}), "
               f"{result.sections} sections, {result.references} references")
    for s in numbers:
        echo("")
        echo(_stats_text(s, *result.stale_after))
    if result.facts:
        echo("")
        echo("\n".join(result.facts))


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
    if s.without_summary is not None:
        lines += listing("sections without a summary (left out of the three-page summary)",
                         list(s.without_summary))
    return "\n".join(lines)


@main.command("diff")
@click.argument("old", required=False, metavar="[OLD")
@click.argument("new", required=False, metavar="[NEW]]")
@click.option("--edition", default=None, metavar="ID", help="Compare one edition only.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True, help="Terminal text, stable JSON, or one HTML page.")
@click.option("--exit-code", is_flag=True,
              help="Exit 1 when there are changes (like git diff --exit-code), for CI.")
@common
def diff_command(root: Path, old: str | None, new: str | None, edition: str | None, fmt: str,
                 exit_code: bool) -> None:
    """Show what changed between two versions (default: the latest release and the tree).

    OLD and NEW are released versions (recorded in releases/) or 'worktree'.

    \b
    Examples:
      kratom-report diff                       # latest release -> working tree
      kratom-report diff 1.0.0 1.1.0 --edition clinician --format html > changes.html
    """
    result = Report(root).diff(old, new, edition)
    if fmt == "json":
        echo_json_text(json.dumps(result, indent=2, ensure_ascii=False))
    elif fmt == "html":
        from ..publish.diffview import as_html

        click.echo(as_html(result), nl=False)
    else:
        from ..publish.diffview import as_text

        click.echo(as_text(result, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ),
                   nl=False)
    if exit_code and result["changed"]:
        sys.exit(EXIT_PROBLEM)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@common
def editions(root: Path, fmt: str) -> None:
    """List the editions with their sections and an estimated page count.

    \b
    Examples:
      kratom-report editions
      kratom-report --source ../other-briefing editions --format json
    """
    found = Report(root).editions()
    if fmt == "json":
        click.echo(json.dumps([{"id": e.id, "title": e.title, "sections": list(e.sections),
                                "pages_estimate": e.pages_estimate} for e in found], indent=2))
        return
    for e in found:
        click.echo(f"{e.id}\t{e.title}\t{len(e.sections)} sections\t~{e.pages_estimate} pp")


@main.command()
@click.argument("csv_file", required=False, metavar="[FILE.csv]",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format of the listing.")
@click.option("--export", "export_fmt", type=click.Choice(["csljson", "bibtex"]), default=None,
              help="Export all references for a reference manager instead of listing them.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of stdout.")
@click.option("--check-retractions", "retractions", is_flag=True,
              help="List cited works retracted, corrected or under an expression of concern, "
                   "from the Retraction Watch CSV FILE.csv (default: report.yaml's "
                   "retractions:).")
@click.option("--online", is_flag=True,
              help="With --check-retractions: also ask Crossref's API (answers cached a week).")
@click.option("--crossref-url", default="https://api.crossref.org", show_default=True,
              metavar="URL", help="Crossref's API address, for --online.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, metavar="SECONDS", help="Seconds to wait for each answer.")
@common
def refs(root: Path, csv_file: Path | None, fmt: str, export_fmt: str | None,
         output: Path | None, retractions: bool, online: bool, crossref_url: str,
         timeout: float) -> None:
    """List references with where each edition cites them, or export them.

    With --check-retractions, list instead each cited reference whose DOI has a notice
    (nature, date, the notice's DOI, where it was found). It exits 0 whether or not any
    is found (release is the gate: it refuses a cited retracted work without a
    retraction_note), 1 when the CSV cannot be read or an online lookup failed (after
    listing what was found), 2 for a usage error.

    \b
    Examples:
      kratom-report refs
      kratom-report refs --export bibtex -o references.bib
      kratom-report refs --check-retractions retraction_watch.csv
      kratom-report refs --check-retractions --online --timeout 20
    """
    report = Report(root)
    if retractions or csv_file is not None or online:
        _usage_for_retractions(retractions, csv_file, online, export_fmt, crossref_url)
        text = _retractions(report, csv_file, fmt, online, crossref_url, timeout)
    elif export_fmt:
        text = report.export_references(export_fmt)  # type: ignore[arg-type]
    elif fmt == "json":
        text = json.dumps([{"key": u.key, "title": u.title, "doi": u.doi, "url": u.url,
                            "cited_in": u.cited_in} for u in report.references()],
                          indent=2, ensure_ascii=False) + "\n"
    else:
        lines = []
        for u in report.references():
            where = "; ".join(f"{ed}: {', '.join(ids)}" for ed, ids in u.cited_in.items())
            lines.append(f"{u.key}\t{u.title}\t{where or 'not cited'}")
        text = "\n".join(lines) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    from ..publish.output import write_all

    write_all([(output, text.encode("utf-8"))])
    click.echo(f"{output}\t{len(text.encode('utf-8'))} bytes", err=True)


def _usage_for_retractions(retractions: bool, csv_file: Path | None, online: bool,
                           export_fmt: str | None, crossref_url: str) -> None:
    from ..references.crossref import check_base

    if not retractions:
        what = "FILE.csv" if csv_file is not None else "--online"
        raise click.UsageError(f"{what} is for --check-retractions: "
                               "kratom-report refs --check-retractions FILE.csv")
    if export_fmt:
        raise click.UsageError("--check-retractions and --export cannot be combined")
    bad = check_base(crossref_url) if online else None
    if bad:
        raise click.BadParameter(bad, param_hint="--crossref-url")


def _retractions(report: Report, csv_file: Path | None, fmt: str, online: bool, base: str,
                 timeout: float) -> str:
    """The listing; failed online lookups go to stderr and make the exit code 1."""
    found = report.check_retractions(csv_file, online=online, crossref_url=base,
                                     timeout=timeout)
    if not found.sources:
        raise click.UsageError("no Retraction Watch CSV to read: name one (refs "
                               "--check-retractions FILE.csv), set 'retractions:' in "
                               "report.yaml, or add --online")
    if fmt == "json":
        text = json.dumps([{"key": f.key, "doi": f.doi, "retracted": f.retracted,
                            "retraction_note": f.note,
                            "notices": [{"nature": n.nature, "date": n.date, "doi": n.doi,
                                         "source": n.source} for n in f.notices]}
                           for f in found.findings], indent=2, ensure_ascii=False) + "\n"
    else:
        text = "".join(f"{f.key}\t{f.doi}\t{n.nature}\t{n.date or 'undated'}\t"
                       f"{n.doi or 'no notice DOI'}\t{n.source}\n"
                       for f in found.findings for n in f.notices)
    retracted = sum(f.retracted and not f.note for f in found.findings)
    click.echo(f"{len(found.findings)} of {found.checked} cited DOIs have notices in "
               f"{' and '.join(found.sources)}"
               + (f"; {retracted} retracted without a retraction_note (release refuses them)"
                  if retracted else ""), err=True)
    for key in found.unknown:
        click.echo(f"{key}: not in Crossref (registered elsewhere, or a mistyped DOI)",
                   err=True)
    if found.problems:
        click.echo(text, nl=False)
        raise ProblemsError(found.problems)
    return text
