"""What a reference manager would flag: malformed or shared DOIs, untraceable or unused entries."""

from __future__ import annotations

import re

from ..errors import Problem
from ..source.loader import Located
from ..source.models import Reference

_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


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
        if not (ref.DOI or ref.URL or ref.PMID) and not ref.identifier_note:
            warnings.append(located.doc.problem(located.loc + ("key",), (
                f"reference '{ref.key}' has no DOI, URL or PMID; add one, or an "
                "identifier_note saying why none is confirmed"), severity="warning"))
        if unused and key not in cited:
            warnings.append(located.doc.problem(located.loc + ("key",), (
                f"reference '{ref.key}' is not cited by any edition"), severity="warning"))
