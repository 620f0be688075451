"""Any page of the report rendered through its sandboxed templates, every template failure a
located problem: the edition's print HTML, its web edition and every page of the release site
all go through :func:`render_template`, and so each page gets its Content-Security-Policy here
(source/htmlpolicy.py), whatever the report's own template for it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from ..errors import Problem, ProblemsError
from ..source.htmlpolicy import with_csp
from .templating import TemplateOutside, Templates

__all__ = ["render_template"]


def render_template(templates: Templates, template: str, context: dict[str, Any],
                    env: jinja2.Environment | None = None, *, page: bool = True) -> str:
    """Any page of the report (the release site's too) in the sandbox; every failure of a
    template is a located problem, never a crash. Pages that share ``env`` (from
    ``templates.environment()``) compile each template once. A ``page`` (an HTML document a
    reader opens, not a part of one or a feed) carries the readers' Content-Security-Policy."""
    from jinja2.exceptions import SecurityError

    env = env or templates.environment()
    try:
        out = env.get_template(template).render(context)
        return with_csp(out) if page else out
    except jinja2.TemplateSyntaxError as exc:
        where = _template_path(templates, exc.filename or exc.name or "")
        message = f"template syntax error: {exc.message}"
        line: int | None = exc.lineno
    except TemplateOutside as exc:
        where, line = _template_frame(templates, exc)
        message = f"template error: {exc}; templates may include only files inside templates/"
    except jinja2.TemplateNotFound as exc:
        where, line = _template_frame(templates, exc)
        message = f"template error: template '{exc.name}' not found in templates/"
    except SecurityError as exc:
        where, line = _template_frame(templates, exc)
        message = (f"template error: {str(exc).rstrip('.')} (templates run in a sandbox: no "
                   "Python internals, no changing values)")
    except jinja2.UndefinedError as exc:
        where, line = _template_frame(templates, exc)
        message = f"template error: {exc.message}"
    except RecursionError as exc:
        where, line = _template_frame(templates, exc)
        message = "template error: templates include or call each other without end"
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError,
            AttributeError) as exc:
        where, line = _template_frame(templates, exc)
        message = f"template error: {type(exc).__name__}: {exc}"
    raise ProblemsError([Problem(where, line, None, message)]) from None


def _template_path(templates: Templates, name: str) -> str:
    path = Path(name)
    if path.is_absolute():
        return templates.display(path)
    try:
        return templates.display(templates.find(name))
    except (FileNotFoundError, TemplateOutside):
        return f"templates/{name}" if name else "templates"


def _template_frame(templates: Templates, exc: BaseException) -> tuple[str, int | None]:
    """The innermost template file and line the error passed through."""
    tb = exc.__traceback__
    name, line = "document.html", None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".css", ".j2")) or "<template>" in filename:
            name, line = filename, tb.tb_lineno
        tb = tb.tb_next
    return _template_path(templates, name), line
