"""Make the web edition's fonts: the shipped Inter, subset to the Latin and symbol ranges an
English (or other Latin-script) briefing uses, as WOFF2.

Run after changing the print fonts in src/kratom_report/templates/fonts/; the output goes to
src/kratom_report/templates/web/fonts/ and is committed. Subsetting at build time would cost
1-2 s per face (fontTools on a CFF font with Inter's layout tables), more than a whole release
site may take, so it is done here once. The ranges must match the ``unicode-range`` of the
@font-face rules in templates/web/web.css: a character outside them is drawn by the reader's
system font. Inter is under the SIL Open Font License, which allows subsetting; the licence
travels with the files.

    python scripts/web_fonts.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "kratom_report" / "templates" / "fonts"
TARGET = ROOT / "src" / "kratom_report" / "templates" / "web" / "fonts"
FACES = ("Regular", "Bold", "Italic")
# Basic Latin, Latin-1, Latin Extended-A, Greek (µ, α…), general punctuation, super- and
# subscripts, the euro and trademark signs, arrows and the comparison signs (≈ ≠ ≤ ≥, minus).
RANGES = ("U+0020-007E, U+00A0-017F, U+0391-03C9, U+2000-206F, U+2070-209F, U+20AC, U+2122, "
          "U+2190-21FF, U+2212, U+2248, U+2260-2265")
FEATURES = ["kern", "liga", "calt", "tnum", "lnum", "case", "sups", "subs"]


def codepoints(ranges: str) -> set[int]:
    out: set[int] = set()
    for part in ranges.split(","):
        first, _, last = part.strip()[2:].partition("-")
        out.update(range(int(first, 16), int(last or first, 16) + 1))
    return out


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for face in FACES:
        font = TTFont(SOURCE / f"Inter-{face}.otf")
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = FEATURES
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints(RANGES))
        subsetter.subset(font)
        font.flavor = "woff2"
        out = TARGET / f"Inter-{face}.woff2"
        font.save(out)
        print(f"{out.relative_to(ROOT)}: {out.stat().st_size} bytes")
    shutil.copyfile(SOURCE / "OFL-Inter.txt", TARGET / "OFL-Inter.txt")


if __name__ == "__main__":
    main()
