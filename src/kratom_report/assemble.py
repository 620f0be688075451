"""``release --assemble``: the PDFs of a release taken from folders that other machines built.

Each runner builds its editions with ``build`` (the tagged PDF and, with ``--pdf-variant
pdf/a-3a``, the archival copy); every file it writes has a build record
(``.build/<file>.json``) holding the build fingerprint and the file's sha256. The machine that
assembles composes the same tree (cheap: no PDF is rendered) and takes a piece only when its
recorded build fingerprint is the one this tree gives for that edition and variant, and its bytes
are the ones recorded. So an assembled release is the release one machine would have made, or
nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .build import build_fingerprint, record_path
from .errors import Problem, ProblemsError
from .fingerprint import digest
from .pipeline import ARCHIVAL, Plan, Product, Target, source_html

if TYPE_CHECKING:
    from .compose.render import RenderedEdition
    from .compose.templating import Templates


def build_command(target: Target) -> str:
    """The command a runner gives to build ``target`` (``DIR`` is its output folder)."""
    variant = f" --pdf-variant {ARCHIVAL}" if target.variant == ARCHIVAL else ""
    return f"kratom-report build --edition {target.edition}{variant} --out DIR"


def assembled(planned: Plan, editions: list[RenderedEdition], templates: Templates,
              folders: Sequence[Path]) -> list[Product]:
    """Every PDF target of ``planned``, read from the first of ``folders`` that holds its file
    and checked against this tree; every missing, stale, foreign or altered piece is reported
    together (ProblemsError) before anything is written."""
    problems = [Problem(str(folder), message="is not a folder; give --assemble the folders "
                        "that 'kratom-report build --out DIR' wrote")
                for folder in folders if not folder.is_dir()]
    if problems:
        raise ProblemsError(problems)
    composed = {r.edition.id: r for r in editions}
    products: list[Product] = []
    for target in planned.targets:
        if target.fmt != "pdf":
            continue
        r = composed[target.edition]
        piece = _piece(target, build_fingerprint(r, templates, target.fmt, target.variant,
                                                 source_html(target, r)), folders, r)
        if isinstance(piece, Problem):
            problems.append(piece)
        else:
            products.append(piece)
    if problems:
        raise ProblemsError(problems)
    return products


def _piece(target: Target, expected: str, folders: Sequence[Path], r: RenderedEdition
           ) -> Product | Problem:
    """One built file and its record, or why it cannot be part of this release."""
    rebuild = f"rebuild it from this tree with '{build_command(target)}'"
    folder = next((f for f in folders if (f / target.name).exists()
                   or (f / target.name).is_symlink()), None)
    if folder is None:
        return Problem(target.name, message=(
            f"no such piece in {', '.join(str(f) for f in folders)}; build it with "
            f"'{build_command(target)}' and give DIR to --assemble"))
    path, record_file = folder / target.name, record_path(folder / target.name)
    if path.is_symlink() or record_file.is_symlink():
        return Problem(str(path), message=f"is a symbolic link or has one as its build record; "
                                          f"{rebuild}")
    if not path.is_file():
        return Problem(str(path), message=f"is not a file; {rebuild}")
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
        data = path.read_bytes()
    except (OSError, ValueError):
        return Problem(str(path), message=f"has no readable build record {record_file}; "
                                          f"{rebuild}")
    if not isinstance(record, dict) or record.get("build_fingerprint") != expected:
        found = record.get("build_fingerprint") if isinstance(record, dict) else None
        return Problem(str(path), message=(
            f"was built from other sources than this tree (build fingerprint "
            f"{str(found)[:16]}, this tree gives {expected[:16]}); {rebuild}"))
    sha = digest(data)
    pages = record.get("pages")
    if record.get("sha256") != sha or not isinstance(pages, int):
        return Problem(str(path), message=(
            f"was changed after it was built (sha256 {sha[:16]}, its build record says "
            f"{str(record.get('sha256'))[:16]}); {rebuild}"))
    return Product(target, data, pages, r)
