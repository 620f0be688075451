"""Commands that write sources: init, new section and version bump."""

from __future__ import annotations

from pathlib import Path

import click

from .app import Global, common, exit_codes, main


def _edition_ids(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str]:
    from ..authoring.starter import InitError, edition_ids

    try:
        return edition_ids(value)
    except InitError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@main.command()
@click.argument("folder", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default=None, help="The briefing's title (default: a placeholder).")
@click.option("--editions", "edition_list", default=None, metavar="ID,ID",
              callback=lambda ctx, param, value: _edition_ids(ctx, param, value),
              help="Edition ids, comma-separated (default: clinician,policymaker).")
@click.option("--ci", type=click.Choice(["github"]), default=None,
              help="Also write a CI workflow (.github/workflows/briefing.yml) that builds each "
                   "edition on its own runner, assembles the release and publishes the site; "
                   "beside an existing report, write only the workflow.")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def init(ctx: click.Context, folder: Path, title: str | None, edition_list: list[str],
         ci: str | None, debug: bool) -> None:
    """Start a complete, valid briefing in FOLDER (default: here) that builds at once.

    For the editor it writes JSON Schemas to report/.schemas and maps them in
    .vscode/settings.json (other settings there are kept), so VS Code with the YAML
    extension (redhat.vscode-yaml) completes keys and flags misspelt ones as you type;
    'kratom-report schema' rewrites the schemas after an upgrade.

    With --ci github, FOLDER is the repository's root: the workflow goes to
    FOLDER/.github/workflows/briefing.yml. Set TOOL_SPEC in it (what pip installs
    kratom-report from) before the first run.

    \b
    Examples:
      kratom-report init
      kratom-report init my-briefing --title "Drug checking" --editions clinician,policymaker
      kratom-report init my-briefing --ci github    # a new briefing with its workflow
      kratom-report init --ci github                # the workflow for the report here
    """
    from ..authoring.ci import init_ci
    from ..authoring.starter import init_report

    outer = click.get_current_context().find_object(Global) or Global()
    given = ctx.get_parameter_source("edition_list") != click.core.ParameterSource.DEFAULT
    with exit_codes(debug or outer.debug):
        exists = (folder / "report" / "report.yaml").exists()
        if ci:
            started = init_ci(folder, title=title, editions=edition_list if given else None)
        else:
            started = init_report(folder, title=title, editions=edition_list)
        for path in started.files:
            click.echo(path)
        for note in started.notes:
            click.echo(note, err=True)
        if ci and exists:
            click.echo(f"added a GitHub Actions workflow to {started.root}; set TOOL_SPEC in "
                       "it, then push a tag v<version> to release", err=True)
            return
        where = "" if folder == Path(".") else f"cd {folder} && "
        click.echo(f"started a briefing in {started.root}; next: {where}kratom-report check "
                   "&& kratom-report build", err=True)


@main.group()
def version() -> None:
    """Manage the report's version.

    \b
    Example:
      kratom-report version bump minor
    """


@version.command("bump")
@click.argument("part", type=click.Choice(["major", "minor", "patch"]))
@common
def version_bump(root: Path, part: str) -> None:
    """Raise the version and add a draft changelog entry (comments are kept).

    \b
    Examples:
      kratom-report version bump patch    # 1.0.0 -> 1.0.1, a correction
      kratom-report version bump minor    # 1.0.0 -> 1.1.0, new evidence
    """
    from ..authoring.versioning import bump

    old, new = bump(root, part)  # type: ignore[arg-type]
    click.echo(f"{old} -> {new}")
    click.echo("a draft changelog entry was added; describe the changes and give it a date "
               "to release", err=True)


@main.group()
def new() -> None:
    """Scaffold new parts of the report.

    \b
    Example:
      kratom-report new section side-effects --title "Side effects"
    """


def _section_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from ..authoring.scaffold import id_problem

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
@common
def new_section(root: Path, section_id: str, title: str, audiences: list[str] | None,
                kind: str) -> None:
    """Write report/sections/ID.yaml and add ID to the section order in report.yaml.

    \b
    Examples:
      kratom-report new section side-effects --title "Side effects"
      kratom-report new section options --title "Options" --kind policy --audiences policymaker
    """
    from ..authoring.scaffold import new_section as scaffold_section

    made = scaffold_section(root, section_id, title, kind=kind, audiences=audiences)
    click.echo(made.display)
    where = f"after '{made.after}'" if made.after else "as the first section"
    click.echo(f"added '{section_id}' to sections in report/report.yaml ({where}); write its "
               "text, then run 'kratom-report check'", err=True)


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Folder to write the schemas to (default: report/.schemas).")
@common
def schema(root: Path, out: Path | None) -> None:
    """Write JSON Schemas for report.yaml, section files, reference files and the facts file.

    They are generated from the models check uses; point your editor's YAML language server
    at them to complete and check keys as you type ('init' maps them in
    .vscode/settings.json for VS Code's YAML extension). Rerun after upgrading the tool.

    \b
    Examples:
      kratom-report schema                      # report/.schemas/*.schema.json
      kratom-report schema --out schemas/
    """
    from ..source.jsonschemas import SCHEMA_DIR, write_schemas

    for path in write_schemas(out if out is not None else root / SCHEMA_DIR):
        click.echo(path)
