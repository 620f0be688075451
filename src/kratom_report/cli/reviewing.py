"""Review rounds: import reviewers' comments, work through them, approve the version."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .._api import Report
from .app import common, echo, echo_json_text, main


@main.group()
def review() -> None:
    """Review rounds: reviewers comment on a review copy ('build --review') in any PDF
    reader; their comments come back to the source lines they are about.

    \b
    The round:
      kratom-report build --review --edition clinician   # send the -review.pdf out
      kratom-report review import returned.pdf --reviewer "Dr A. Lee"
      kratom-report review list --open
      kratom-report review resolve 3f2a1b9c --note "Cited the 2024 review"
      kratom-report review approve --by "Dr A. Lee" --role "Clinical lead"
      kratom-report release
    """


@review.command("import")
@click.argument("pdfs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--reviewer", default=None, metavar="NAME",
              help="Whose comments these are (default: each comment's author in the PDF).")
@common
def import_(root: Path, pdfs: tuple[Path, ...], reviewer: str | None) -> None:
    """Read the comments in annotated review copies into report/reviews/<version>.yaml.

    Sticky notes, highlights, underlines, strike-outs, free text and replies are read;
    each comment gets the source position of the paragraph, item, row, key message or
    caption under it. Importing the same PDF again adds nothing.

    \b
    Example:
      kratom-report review import returned.pdf --reviewer "Dr A. Lee"
    """
    added = Report(root).review_import(pdfs, reviewer=reviewer)
    echo(f"{len(added)} new comment{'s' if len(added) != 1 else ''}", err=True)
    for comment in added:
        click.echo(_line(comment))


@review.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only comments still open.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: path:line:col: [reviewer] comment (status, id).")
@common
def list_(root: Path, open_only: bool, fmt: str) -> None:
    """List the current version's comments where they point in the sources.

    \b
    Examples:
      kratom-report review list --open
      kratom-report review list --format json
    """
    from ..authoring.reviews import line_of

    comments = Report(root).review_comments(open_only=open_only)
    if fmt == "json":
        echo_json_text(json.dumps(comments, indent=2, ensure_ascii=False, default=str))
        return
    for comment in comments:
        click.echo(line_of(comment))
        for reply in comment.get("replies", []):
            click.echo(line_of(comment, reply))


@review.command()
@click.argument("comment_id", metavar="ID")
@click.option("--note", default=None, metavar="TEXT", help="How it was dealt with.")
@common
def resolve(root: Path, comment_id: str, note: str | None) -> None:
    """Mark a comment resolved.

    \b
    Example:
      kratom-report review resolve 3f2a1b9c --note "Cited the 2024 review"
    """
    click.echo(_line(Report(root).review_status(comment_id, "resolved", note)))


@review.command()
@click.argument("comment_id", metavar="ID")
@common
def reopen(root: Path, comment_id: str) -> None:
    """Open a resolved comment again.

    \b
    Example:
      kratom-report review reopen 3f2a1b9c
    """
    click.echo(_line(Report(root).review_status(comment_id, "open")))


@review.command()
@click.option("--by", required=True, metavar="NAME", help="Who approves.")
@click.option("--role", default=None, metavar="ROLE", help="In what capacity.")
@common
def approve(root: Path, by: str, role: str | None) -> None:
    """Record an approval of the current version (report.yaml review.approvals counts them).

    \b
    Example:
      kratom-report review approve --by "Dr A. Lee" --role "Clinical lead"
    """
    approval = Report(root).review_approve(by, role)
    click.echo(f"approved by {approval['by']}"
               + (f" ({approval['role']})" if approval.get("role") else "")
               + f" on {approval['date']}")


def _line(comment: dict) -> str:
    from ..authoring.reviews import line_of

    return line_of(comment)
