"""The tool's own words (headings, labels, dates) in an edition's language.

English is built in: it is the msgids. Other languages are gettext catalogs shipped as ``.po``
files under ``locale/<lang>/LC_MESSAGES/``, read with Babel and compiled in memory, so no
compiled binary is kept beside its source. Templates translate with Jinja's i18n extension
(``_("Key messages")``); the callables read the language from the template context
(``locale``), so one environment serves editions in every language.
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
import io
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from ..source.translations import BUILT_IN, DOMAIN, LOCALE_DIR, catalog_for

if TYPE_CHECKING:
    import jinja2

# Scripts written without spaces between words break lines without hyphens (pyphen has a
# Thai dictionary, but Thai is not hyphenated in print).
_NO_SPACES = frozenset({"th", "lo", "km", "my", "zh", "ja"})
# English figures keep the tool's first abbreviations ("Sep", where CLDR now has "Sept").
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def N_(message: str) -> str:  # noqa: N802 - the gettext name extractors look for
    """Mark a word for the catalogs where it is defined; it is translated where printed."""
    return message


@cache
def catalog(name: str) -> gettext_module.NullTranslations:
    """The shipped catalog called ``name`` (see ``catalog_for``); English needs none."""
    if name == BUILT_IN:
        return gettext_module.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with (LOCALE_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
        messages = read_po(f, locale=name)
    compiled = io.BytesIO()
    write_mo(compiled, messages)  # fuzzy entries stay out, as msgfmt leaves them
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Words:
    """The tool's words for one language tag; a tag without a catalog gets English."""

    lang: str = BUILT_IN

    @property
    def catalog_name(self) -> str:
        return catalog_for(self.lang) or BUILT_IN

    @property
    def rtl(self) -> bool:
        """The language is written right to left (Arabic, Hebrew, Persian, Urdu…): pages
        say ``dir="rtl"`` so browsers and the PDF lay it out that way."""
        return _right_to_left(self.lang)

    def gettext(self, message: str) -> str:
        return catalog(self.catalog_name).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return catalog(self.catalog_name).ngettext(singular, plural, n)

    def date(self, date: dt.date) -> str:
        """Babel's long date for the language; English keeps the tool's own "25 November 2026"."""
        if self.catalog_name == BUILT_IN:
            return f"{date.day} {date.strftime('%B')} {date.year}"
        from babel.dates import format_date

        return format_date(date, "long", locale=self.catalog_name)

    def figure_date(self, year: int, month: int = 0, day: int = 0) -> str:
        """A date in a figure, at the precision it was written (``3 Aug 2006``, ``Aug 2006``,
        ``2006``); other languages get Babel's abbreviated month for the language."""
        if self.catalog_name == BUILT_IN:
            parts = [str(day)] if day else []
            parts += [_MONTHS[month - 1]] if month else []
            return " ".join([*parts, str(year)])
        return self._skeleton(year, month, day, "MMM")

    def as_of(self, value: str | dt.date) -> str:
        """A data file's ``as_of`` in prose: English prints it as written; other languages get
        the month's full name when it is a date (text that is not a date stays as written)."""
        if self.catalog_name == BUILT_IN:
            return str(value)
        if isinstance(value, dt.date):
            return self._skeleton(value.year, value.month, value.day, "MMMM")
        m = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", value.strip())
        if m is None:
            return value
        return self._skeleton(int(m[1]), int(m[2] or 0), int(m[3] or 0), "MMMM")

    def _skeleton(self, year: int, month: int, day: int, month_form: str) -> str:
        from babel.dates import format_skeleton

        skeleton = "y" + (month_form if month else "") + ("d" if day else "")
        return format_skeleton(skeleton, dt.date(year, month or 1, day or 1),
                               locale=self.catalog_name)

    def decimal(self, value: float, places: int, *, trim: bool = False) -> str:
        """A number with group separators and ``places`` decimals (with ``trim``, at most
        that many): the language's separators, English's for English."""
        if self.catalog_name == BUILT_IN:
            text = f"{value:,.{places}f}"
            return text.rstrip("0").rstrip(".") if trim and places else text
        from babel.numbers import format_decimal

        fraction = ("#" if trim else "0") * places
        pattern = "#,##0" + (f".{fraction}" if places else "")
        return format_decimal(value, format=pattern, locale=self.catalog_name)

    def css(self) -> str:
        """Stylesheet rules for the words that live in CSS (page numbers, table and figure
        labels); empty for English, whose words the built-in stylesheet already has."""
        if self.catalog_name == BUILT_IN:
            return ""
        page = _css_content(self.gettext("Page %(page)s of %(pages)s"),
                            {"page": "counter(page)", "pages": "counter(pages)"})
        table = _css_content(self.gettext("Table %(number)s.") + " ",
                             {"number": "counter(table)"})
        figure = _css_content(self.gettext("Figure %(number)s.") + " ",
                              {"number": "counter(figure)"})
        rules = [f"@page {{ @bottom-right {{ content: {page}; }} }}",
                 f"table.data-table caption::before {{ content: {table}; }}",
                 f".figure-caption::before {{ content: {figure}; }}"]
        if self.lang.split("-")[0].lower() in _NO_SPACES:
            # Letter-spaced, they would read (and extract) as single letters.
            rules.append("body, table.data-table { hyphens: manual; }\n"
                         ".cover-kicker, .cover-draft, .running.draft-stamp "
                         "{ letter-spacing: normal; }")
        return "\n".join(rules)


def _css_content(text: str, counters: dict[str, str]) -> str:
    """``Page %(page)s of %(pages)s`` as CSS ``content``: strings around the counters."""
    out = []
    for i, piece in enumerate(re.split(r"%\((\w+)\)s", text)):
        if i % 2:
            out.append(counters[piece])
        elif piece:
            out.append(_css_string(piece))
    return " ".join(out) or '""'


def _css_string(text: str) -> str:
    # A quote, backslash, angle bracket or line break could end the string or the <style>.
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\<>\n\r' else c for c in text)
    return f'"{escaped}"'


@cache
def _right_to_left(lang: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        return bool(Locale.parse(lang, sep="-").character_order == "right-to-left")
    except (UnknownLocaleError, ValueError):
        return False


def install(env: jinja2.Environment) -> None:
    """``_``, ``gettext`` and ``ngettext`` for templates, in the language of the context."""
    from jinja2 import pass_context
    from markupsafe import escape

    def words(context: Any) -> Words:
        return Words(str(context.get("locale") or BUILT_IN))

    # Jinja marks what these return as safe markup; a report's template could then print
    # _("<script>…") unescaped. Words are text: escape them (the %(…)s values are escaped by
    # Jinja already).
    @pass_context
    def gettext(context: Any, message: str) -> str:
        return escape(words(context).gettext(message))

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, n: int) -> str:
        return escape(words(context).ngettext(singular, plural, n))

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
