"""Extract the tool's words into locale/kratom_report.pot and merge them into every catalog.

Run after changing a word in a template or in the Python code that prints one:

    .venv/bin/python scripts/update_catalogs.py

New words appear in each ``.po`` untranslated (the tests then fail until they are translated);
words no longer used are dropped. Catalogs are read at run time, so nothing is compiled here.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "kratom_report"
LOCALE = PACKAGE / "locale"
POT = LOCALE / "kratom_report.pot"
# The Python modules that print words into the output.
PYTHON = ("compose/render.py", "compose/i18n.py", "compose/marks.py",
          "compose/studies.py", "compose/figures/series.py", "compose/figures/tilemap.py",
          "compose/summary.py", "compose/document.py", "compose/facts.py", "publish/site.py",
          "publish/review.py", "publish/sitepages.py")
# As the templates' environment is set up (compose/templating.py), so lines split the same.
JINJA = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true",
         "keep_trailing_newline": "true"}


HEADER = ("# The words kratom-report prints into every edition (headings, labels, dates).\n"
          "# Made by scripts/update_catalogs.py; translate in locale/<lang>/LC_MESSAGES/.")
CREATED = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)  # fixed: the file changes only with its words


def extract_messages() -> Catalog:
    """Every msgid the templates and the Python code use, with the files that use it."""
    catalog = Catalog(project="kratom-report", domain="kratom_report", charset="utf-8",
                      fuzzy=False, header_comment=HEADER, msgid_bugs_address="",
                      creation_date=CREATED)
    sources: list[tuple[str, Path, object, dict[str, str]]] = []
    templates = PACKAGE / "templates"
    for path in sorted(templates.rglob("*")):
        if path.suffix in (".html", ".xml"):
            sources.append((f"templates/{path.relative_to(templates).as_posix()}", path,
                            babel_extract, JINJA))
    for name in PYTHON:
        sources.append((name, PACKAGE / name, "python", {}))
    for shown, path, method, options in sources:
        with path.open("rb") as f:
            for lineno, message, comments, _context in extract(method, f, options=options):
                catalog.add(message, None, [(shown, lineno)], auto_comments=comments,
                            flags=("python-format",) if "%(" in str(message) else ())
    return catalog


def pot_text(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, include_lineno=False, omit_header=False, sort_output=True,
             width=100)
    return out.getvalue()


def main() -> int:
    template = extract_messages()
    POT.write_bytes(pot_text(template))
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/kratom_report.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        out = io.BytesIO()
        write_po(out, catalog, include_lineno=False, sort_output=True, width=100)
        po.write_bytes(out.getvalue())
        # A new word gets a guess from a similar one, marked fuzzy: it still needs a look.
        missing = [m.id for m in catalog if m.id and (m.fuzzy or not all(
            m.string if isinstance(m.string, tuple) else (m.string,)))]
        print(f"{po.relative_to(PACKAGE)}: {len(missing)} untranslated or fuzzy",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
