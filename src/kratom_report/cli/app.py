"""The command group, the options every command shares, and the one place errors become
messages and exit codes."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import (
    OutputError,
    Problem,
    ProblemsError,
    ReportError,
    SourceNotFound,
    UnknownEdition,
    printable,
    printable_json,
)
from ..source.locate import find_root

EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def common(func: Callable[..., Any]) -> Callable[..., Any]:
    """--source and --debug on every command (or before it, like ``git -C``), and errors."""

    @click.option("--source", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Folder holding report/ (default: nearest one upward from here).")
    @click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
    @functools.wraps(func)
    def wrapper(*args: Any, source: Path | None, debug: bool, **kwargs: Any) -> None:
        outer = click.get_current_context().find_object(Global) or Global()
        source = source if source is not None else outer.source
        as_json = kwargs.get("fmt") == "json" and getattr(func, "json_problems", False)
        with exit_codes(debug or outer.debug, as_json):
            func(*args, root=find_root(source), **kwargs)

    return wrapper


@dataclass
class Global:
    """Options given before the command name: ``kratom-report --source DIR refs``."""

    source: Path | None = None
    debug: bool = False


@contextlib.contextmanager
def exit_codes(debug: bool, as_json: bool = False) -> Iterator[None]:
    """The one place that maps errors to messages and exit codes.

    With ``as_json`` (``check --format json``) a failure still prints one JSON document on
    stdout, so a script reading it never has to parse stderr.
    """
    try:
        yield
    except click.ClickException:
        raise  # a usage error found inside a command: Click prints it (exit 2)
    except ProblemsError as exc:
        for problem in exc.problems:
            echo(str(problem), err=True)
        if as_json:
            echo_json({}, list(exc.problems))
        sys.exit(EXIT_PROBLEM)
    except OutputError as exc:
        echo(str(exc), err=True)
        sys.exit(EXIT_PROBLEM)
    except (SourceNotFound, UnknownEdition) as exc:
        echo(f"Error: {exc}", err=True)
        if as_json:
            echo_json({}, [], unlocated=[str(exc)])
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        echo("interrupted; no output was changed", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except ReportError as exc:
        echo(str(exc), err=True)
        sys.exit(EXIT_PROBLEM)
    except Exception as exc:  # noqa: BLE001 - last resort: one line unless --debug
        if debug:
            traceback.print_exc()
        else:
            echo(f"internal error: {type(exc).__name__}: {exc} "
                       "(run again with --debug for details)", err=True)
        sys.exit(EXIT_PROBLEM)


def json_problems(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a command whose ``--format json`` reports failures as JSON on stdout too."""
    func.json_problems = True  # type: ignore[attr-defined]
    return func


def jobs_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--jobs", type=click.IntRange(min=1), default=None,
                        help="Editions rendered at once (default: number of cores).")(func)


def progress(message: str) -> None:
    echo(message, err=True)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` for text that holds anything read from a file (a record, a PDF, a
    report, a message quoting one): control and format characters are printed as visible
    escapes (``errors.printable``), so a tampered record cannot drive the terminal."""
    click.echo(printable(text, lines=True), err=err, nl=nl)


def echo_json_text(text: str) -> None:
    """JSON on stdout, with those characters as ``\\u`` escapes (the same data)."""
    click.echo(printable_json(text))


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
    ctx.obj = Global(source, debug)


def echo_json(editions: dict[str, Any], problems: list[Problem], *, ok: bool | None = None,
               unlocated: list[str] | None = None) -> None:
    """``check --format json``: the same document whether the check passed or not."""
    unlocated = unlocated or []
    errors = bool(unlocated) or any(p.severity == "error" for p in problems)
    echo_json_text(json.dumps({
        "ok": (not errors) if ok is None else ok and not errors,
        "editions": editions,
        "problems": [str(p) for p in problems] + unlocated,
        "findings": [p.as_json() for p in problems] + [
            {"file": None, "line": None, "column": None, "severity": "error", "message": m}
            for m in unlocated],
    }, indent=2, ensure_ascii=False))


def human_size(n: int) -> str:
    """A file size as people read it."""
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"
