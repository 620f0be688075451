"""What a reference manager would flag: malformed or shared DOIs, untraceable or unused entries."""

from __future__ import annotations

import re

from ..errors import Problem
from ..source.loader import Located
from ..source.models import Reference

_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")


def lint_references(references: dict[str, Located], cited: set[str],
                     problems: list[Problem], warnings: list[Problem], *,
                     unused: bool = True) -> None:
    """What a reference manager would flag: bad or shared DOIs, untraceable or unused entries.

    ``unused`` False skips "not cited" when some text could not be read, so it would be a guess.
    """
    dois: dict[str, Located] = {}
    for key, located in references.items():
        ref: Reference = located.model
        warnings += getattr(located, "warnings", [])  # raised by its file (files.LoadedReference)
        if ref.DOI is not None:
            doi = ref.DOI.strip()
            if not _DOI.match(doi):
                problems.append(located.doc.problem(located.loc + ("DOI",), (
                    f"malformed DOI '{ref.DOI}' (expected 10.<registrant>/<suffix>, without "
                    "'doi:' or 'https://doi.org/')")))
            elif doi.lower() in dois:
                first = dois[doi.lower()]
                line, _ = first.doc.at(first.loc + ("DOI",))
                problems.append(located.doc.problem(located.loc + ("DOI",), (
                    f"DOI '{doi}' is also used by '{first.model.key}' "
                    f"({first.doc.display}:{line}); one work needs one key")))
            else:
                dois[doi.lower()] = located
        long_word = _long_word(ref)
        if long_word:
            field, word = long_word
            problems.append(located.doc.problem(located.loc + ("key",), (
                f"reference '{ref.key}': {field} has a word of {len(word)} characters "
                f"('{word[:24]}…'), longer than a line of the reference list can print; check "
                "the entry")))
        # An ISBN identifies a book or report as surely as a DOI identifies an article.
        if not (ref.DOI or ref.URL or ref.PMID or ref.ISBN) and not ref.identifier_note:
            warnings.append(located.doc.problem(located.loc + ("key",), (
                f"reference '{ref.key}' has no DOI, URL, PMID or ISBN; add one, or an "
                "identifier_note saying why none is confirmed"), severity="warning"))
        if unused and key not in cited:
            warnings.append(located.doc.problem(located.loc + ("key",), (
                f"reference '{ref.key}' is not cited by any edition"), severity="warning"))


MAX_WORD = 60  # characters; a reference-list column holds about 45 at its type size


def _long_word(ref: Reference) -> tuple[str, str] | None:
    """A printed field (names, title, journal…) holding a word no column can hold: the list
    breaks lines only between words, so such a word would run out of the column."""
    data = ref.model_dump(by_alias=True, exclude_none=True, mode="json")
    for field, value in data.items():
        if field in ("DOI", "URL", "key", "verified_by", "identifier_note", "retraction_note",
                     "note", "topics"):
            continue
        for text in _strings(value):
            for word in text.split():
                if len(word) > MAX_WORD:
                    return field, word
    return None


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
