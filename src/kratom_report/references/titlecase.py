"""Title case and quotation marks as citeproc-js (Zotero's CSL processor) prints them.

citeproc-py 0.11.1 title-cases word by word on spaces only, so it leaves hyphenated compounds
("7-hydroxy-derivative", "Drug-resistant") and words after "(" in lower case, capitalises
"et" and single letters, and prints straight quotes and apostrophes. Reference managers'
output is our yardstick, so we title-case the way citeproc-js does (tests/test_citeproc_js.py
compares the two), with one AMA exception for AMA styles only: prepositions of four or more
letters ("Under", "Above") are capitalised (AMA Manual of Style, 11th ed., 10.2: only articles,
coordinating conjunctions and prepositions of 3 or fewer letters stay lower case). Chicago and
every other style keep them in lower case, as citeproc-js does.
"""

from __future__ import annotations

import functools
import re
from typing import Any

#: The CSL 1.0 specification's stop words (citeproc-py's list) plus the words of three or fewer
#: letters that citeproc-js also keeps in lower case (AMA: articles, short prepositions,
#: coordinating conjunctions; "et" and "al" of Latin phrases; name particles).
STOP_WORDS = frozenset({
    "a", "an", "and", "as", "at", "but", "by", "down", "for", "from", "in", "into", "nor",
    "of", "on", "onto", "or", "over", "so", "the", "till", "to", "up", "via", "with", "yet",
    "al", "et", "off", "out", "per", "pro", "qua", "v", "vs", "c", "ca", "de", "von", "van",
})

#: Prepositions citeproc-js keeps in lower case that AMA capitalises (four or more letters, not
#: in the CSL list above). Documented in docs/how-to/citation-styles.md ("Where our reference
#: list differs from citeproc-js") and allowed, word by word, by tests/test_citeproc_js.py.
AMA_CAPITALISED = frozenset({
    "about", "above", "across", "afore", "after", "against", "along", "alongside", "amid",
    "amidst", "among", "amongst", "anenst", "apropos", "apud", "around", "aside", "astride",
    "athwart", "atop", "barring", "before", "behind", "below", "beneath", "beside", "besides",
    "between", "beyond", "circa", "despite", "during", "except", "forenenst", "given", "inside",
    "lest", "like", "modulo", "near", "next", "notwithstanding", "plus", "sans", "since", "than",
    "through", "throughout", "thruout", "toward", "towards", "under", "underneath", "until",
    "unto", "upon", "versus", "within", "without",
})

# citeproc-js splits a title at these marks and title-cases each piece on its own.
_MARKS = re.compile(r"([\u2018\u2019\u201c\u201d\"'\-\u2013\u2014/.,;?!:\[\]()])")
_WORDS = re.compile(r"(\s+)")


def _tokens(segments: list[tuple[str, bool]]) -> list[tuple[str, str]]:
    """(text, kind) tokens, kind one of "word", "space", "mark", "nocase"."""
    tokens: list[tuple[str, str]] = []
    for text, nocase in segments:
        if nocase:
            tokens.append((text, "nocase"))
            continue
        for j, part in enumerate(_MARKS.split(text)):
            if j % 2:
                tokens.append((part, "mark"))
                continue
            for word in _WORDS.split(part):
                if word:
                    tokens.append((word, "space" if word.isspace() else "word"))
    return tokens


def _capitalise(word: str) -> str:
    return word[0].upper() + word[1:]


def title_case(segments: list[tuple[str, bool]], ama: bool = True) -> str:
    """Title-case text given as (text, is_nocase) segments; nocase text is kept as it is.

    ``ama``: capitalise prepositions of four or more letters (AMA 10.2); otherwise they stay
    in lower case like the other stop words.

    Like citeproc-js: a lower-case word is capitalised unless it is a stop word (or a single
    letter) that is neither first, nor after "?", "!" or ":", nor the last word; words that
    already hold a capital are left alone; "-", "/", "(" and quotes start new words.
    """
    stop = STOP_WORDS if ama else STOP_WORDS | AMA_CAPITALISED
    tokens = _tokens(segments)
    out = [text for text, _ in tokens]
    first, after_punct, last = True, False, None
    for i, (text, kind) in enumerate(tokens):
        if kind == "mark":
            after_punct = after_punct or text in "?!:"
        elif kind == "nocase" and text.strip():
            first = after_punct = False
            last = None
        elif kind == "word":
            lower = text.lower()
            wanted = (len(text) > 1 and lower not in stop) or first or after_punct
            if wanted and text == lower:
                out[i] = _capitalise(text)
            first = after_punct = False
            last = i
    if last is not None and len(out[last]) > 1 and out[last].lower() in stop:
        out[last] = _capitalise(out[last])
    return "".join(out)


def alternate_nested_quotes(fragment: str) -> str:
    """A double quotation inside another one becomes single (“a ‘b’ c”), as citeproc-js prints
    it: a style that puts a title in quotes makes the title's own quotes the inner ones."""
    out: list[str] = []
    stack: list[bool] = []  # for each open quotation: was it turned into a single one?
    for char in fragment:
        if char == "\u201c":
            inner = bool(stack) and not stack[-1]
            stack.append(inner)
            out.append("\u2018" if inner else char)
        elif char == "\u201d" and stack:
            out.append("\u2019" if stack.pop() else char)
        else:
            out.append(char)
    return "".join(out) if not stack else fragment


_OPEN_BEFORE = re.compile(r"(^|[\s(\[{\u2014\u2013/-])$")
_QUOTES = {0: ("\u201c", "\u201d"), 1: ("\u2018", "\u2019")}  # outer, inner (en-US)


def curly_quotes(text: str) -> str:
    """Straight quotes as typographic ones, nested the way citeproc-js prints them (en-US).

    A quote after a space, an opening bracket or a dash (or at the start) opens a quotation;
    a matching quote later closes it; a "'" inside a word, or any other, is an apostrophe
    ("Children’s", "('CJ's Law')" -> "(“CJ’s Law”)"). As in
    citeproc-js, an outer quotation gets double quotes and a quotation inside it single ones,
    whichever mark the data used: 'legal highs' -> “legal highs”.
    """
    out: list[str] = []
    stack: list[str] = []
    for i, char in enumerate(text):
        if char not in "\"'":
            out.append(char)
            continue
        follows, before = text[i + 1:i + 2], text[i - 1:i]
        if char == "'" and before.isalnum() and follows.isalnum():
            out.append("\u2019")  # inside a word: "CJ's", "O'Reilly"
        elif _OPEN_BEFORE.search(before) and follows and not follows.isspace():
            out.append(_QUOTES[len(stack) % 2][0])
            stack.append(char)
        elif stack and stack[-1] == char:
            stack.pop()
            out.append(_QUOTES[len(stack) % 2][1])
        else:
            out.append("\u2019" if char == "'" else "\u201d")
    return "".join(out)


def punctuation_in_quote(fragment: str) -> str:
    """American style (en-US punctuation-in-quote): a period or comma goes inside ”."""
    return re.sub(r"\u201d((?:</(?:i|b|span)>)*)([.,])", "\\2\u201d\\1", fragment)


def _segments(text: Any) -> list[tuple[str, bool]]:
    """citeproc-py's (Mixed)String as (text, is_nocase) segments, nested strings flattened."""
    from citeproc.string import MixedString, NoCase

    if isinstance(text, MixedString):
        return [seg for part in text for seg in _segments(part)]
    return [(str(text), isinstance(text, NoCase))]


@functools.cache
def install() -> None:
    """Make citeproc-py's text-case="title" use :func:`title_case` (once per process).

    GAP: citeproc-py's own title case differs from citeproc-js (see the module docstring).
    Only English title case is replaced; every other text-case stays citeproc-py's. The AMA
    rule applies to styles marked as AMA's when they were loaded (:data:`.styles.AMA_MARK`).
    """
    from citeproc.model import TextCased
    from citeproc.string import String

    from .styles import AMA_MARK

    original = TextCased.case

    def case(self: Any, text: Any, language: str | None = None) -> Any:
        if self.get("text-case") == "title" and language == "en":
            ama = self.get_root().get(AMA_MARK) == "1"
            return String(title_case(_segments(text), ama=ama))
        return original(self, text, language)

    TextCased.case = case
    _labels_need_their_variable()


def _labels_need_their_variable() -> None:
    """GAP: citeproc-py prints a <label variable="edition"/> even when the item has no edition
    (Chicago: "Times Observer, Edition."); CSL prints a label only with its variable."""
    from citeproc.model import Label
    from citeproc.source import VariableError

    original = Label.process

    def process(self: Any, item: Any, variable: str | None = None, *args: Any,
                **kwargs: Any) -> Any:
        name = variable or self.get("variable")
        if variable is None and name and name != "locator":
            try:
                getattr(item.reference, name.replace("-", "_"))
            except VariableError:
                return None
        return original(self, item, variable, *args, **kwargs)

    Label.process = process
