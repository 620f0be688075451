"""Facts and editorial notes as an edition prints them.

Every text an edition prints goes through :class:`Printer`: Markdown (prose, key messages,
captions, cells, callouts, translations) through the Markdown rules that call
:meth:`Printer.fact` and :meth:`Printer.note`, plain texts (figure labels, alt text) through
:meth:`Printer.plain`. A new kind of text gets facts and notes by using the same printer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape

from ..source.facts import Fact, FactBook
from ..source.markdown import FACT, brace_marks


def format_fact(fact: Fact, lang: str, written: str | None = None) -> str:
    """The value as ``lang`` writes it (Babel's separators and percent sign).

    ``percent`` prints the value as written with the language's percent sign: 0.7 is "0.7%"
    in English and "0,7 %" in French; it is not a fraction. Without ``decimals`` a number keeps
    the decimals it was written with (``written``, the text in facts.yaml).
    """
    kind = fact.kind
    if kind == "text" or isinstance(fact.value, str):
        return str(fact.value)
    from babel import Locale, UnknownLocaleError
    from babel.numbers import format_decimal

    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    value = fact.value
    places = 0 if kind == "integer" else fact.decimals
    if places is None:
        places = _decimals(written if written is not None else repr(value))
    if kind == "integer":
        value = round(value)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    number = format_decimal(value, format=pattern, locale=locale)
    if kind != "percent":
        return number
    shape = locale.percent_formats[None].pattern.split(";")[0]
    sign = str(locale.number_symbols.get("latn", {}).get("percentSign", "%"))
    return re.sub(r"[#0,.]+", lambda _m: number, shape, count=1).replace("%", sign)


def _decimals(written: str) -> int:
    m = re.fullmatch(r"\s*[-+]?\d*\.(\d+)\s*", written)
    return len(m.group(1)) if m else 0


@dataclass
class Printer:
    """Facts and notes for one edition: its language, whether it is a draft, what it used."""

    book: FactBook
    lang: str
    draft: bool
    used: dict[str, str] = field(default_factory=dict)  # fact id -> text printed, in order
    notes: list[str] = field(default_factory=list)  # notes printed (drafts), in order

    def text(self, fact_id: str) -> str | None:
        """The printed value of a fact, or None for an id the book does not know (the check
        of every text reports it where it stands)."""
        if fact_id in self.used:  # formatted once: the same fact, language and text as written
            return self.used[fact_id]
        fact = self.book.facts.get(fact_id)
        if fact is None:
            return None
        out = self.used[fact_id] = format_fact(fact, self.lang, self.book.written.get(fact_id))
        return out

    def fact(self, fact_id: str) -> str:
        """A fact in HTML: escaped, kept together on one line."""
        out = self.text(fact_id)
        if out is None:
            return str(escape("{{fact:" + fact_id + "}}"))
        return f'<span class="fact" data-fact="{escape(fact_id)}">{escape(out)}</span>'

    def note(self, text: str) -> str:
        """A draft shows an editorial note, marked; any other build leaves it out."""
        if not self.draft:
            return ""
        self.notes.append(text)
        number = len(self.notes)
        return (f'<mark class="editorial-note" id="editorial-note-{number}">'
                f'<span class="editorial-note-label">[{number}]</span> {escape(text)}</mark>')

    def plain(self, text: str) -> str:
        """A plain text (not Markdown) with its facts printed and its notes shown or left out."""
        out, at = [], 0
        for m in brace_marks(text):
            out.append(text[at:m.start()])
            if m.re is FACT:
                value = self.text(m.group(1))
                out.append(m.group(0) if value is None else value)
            elif self.draft:
                self.notes.append(" ".join(m.group(1).split()))
                out.append(f"[{self.notes[-1]}]")
            at = m.end()
        return "".join(out) + text[at:]

    def payload(self) -> dict[str, Any]:
        """The facts the edition printed, for its content fingerprint and record."""
        out = {}
        for fact_id, printed in self.used.items():
            fact = self.book.facts[fact_id]
            out[fact_id] = {"value": fact.value, "text": printed,
                            "checked": fact.checked.isoformat(),
                            "sources": list(fact.sources)}
        return dict(sorted(out.items()))
