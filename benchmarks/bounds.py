"""How long the hostile inputs of the trust model's bounds take (README, "Bounds").

    python benchmarks/bounds.py

Each case is an input that took minutes (or gigabytes) before it was bounded; the script prints
the time each now takes in this process. Nothing is written except a temporary folder, deleted
at the end. The tests (tests/test_bounds.py) check that the bounded path is taken; this shows
what it costs on the machine at hand.
"""

from __future__ import annotations

import contextlib
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def _timed(name: str, run: Callable[[], object]) -> None:
    start = time.perf_counter()
    run()
    print(f"{name:<58} {time.perf_counter() - start:7.2f} s")


def _repetitive(n: int, every: int = 0) -> str:
    return " ".join(f"The cat sat on {'changed' if every and i % every == 0 else 'the'} mat and "
                    "the dog sat." for i in range(n))


def _nested_use(levels: int, fan: int) -> bytes:
    groups = "".join(f'<g id="l{k}">' + f'<use href="#l{k - 1}"/>' * fan + "</g>"
                     for k in range(1, levels + 1))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><defs><rect id="l0"/>'
            f'{groups}</defs><use href="#l{levels}"/></svg>').encode()


def _woff2_bomb(size: int) -> bytes:
    import brotli

    packed = brotli.compress(b"\0" * size, quality=1)
    return (b"wOF2\x00\x01\x00\x00" + struct.pack(">IHHII", 0, 1, 0, 1000, len(packed))
            + struct.pack(">HHIIIII", 1, 0, 0, 0, 0, 0, 0) + bytes([1, 100]) + packed)


def main() -> None:
    import kratom_report as kr
    from kratom_report.publish.diff import word_diff
    from kratom_report.source.sfnt import packed_problem
    from kratom_report.source.svgsafe import SvgRefused, check_svg

    old, new = _repetitive(1600), _repetitive(1600, every=7)
    _timed("diff: repetitive 16,000-word paragraph (was 75 s)", lambda: word_diff(old, new))

    def svg() -> None:
        with contextlib.suppress(SvgRefused):
            check_svg(_nested_use(8, 10))

    _timed("SVG: <use> 8 levels x 10 refused", svg)
    bomb = _woff2_bomb(300_000_000)
    _timed(f"WOFF2: {len(bomb) // 1000} KB expanding to 300 MB refused",
           lambda: packed_problem(bomb, 50_000_000))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tiny"
        shutil.copytree(REPO / "tests" / "fixtures" / "tiny", root)
        lines = "".join(f"      Line {i} mentions @key{i % 7} bare.\n" for i in range(25_000))
        (root / "report" / "sections" / "practice.yaml").write_text(
            "id: practice\ntitle: Practice\nkind: guidance\nblocks:\n  - type: markdown\n"
            "    text: |\n" + lines, encoding="utf-8")
        _timed("check: 600 KB section of 25,000 bare @keys (was > 60 s)",
               lambda: kr.open(root).check())


if __name__ == "__main__":
    main()
