"""Bounded time and memory, and clear errors: every input that could stall a build or end in an
internal error is refused (or handled in bounded work) with one located message.

No test here times anything: each asserts the bounded path was taken (the sizes the quadratic
matcher was given, the number of times a text was searched) or that the refusal came before the
expensive step, with inputs that would take minutes or gigabytes on the unbounded path.
"""

from __future__ import annotations

import difflib
import io
import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from kratom_report.publish import diff as diffmod
from kratom_report.publish.diff import MAX_PAIRS, MAX_TOKENS, diff_records, word_diff
from kratom_report.source.loader import YamlDoc
from kratom_report.source.markdown import MAX_SLIPS
from kratom_report.source.svgsafe import MAX_DRAWS, SvgRefused, check_svg

from conftest import FIXTURES, tree_snapshot, writable_copy

INTRO = "      Shared paragraph citing one source [@kruegel2016synthetic]."


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def matcher_sizes(monkeypatch) -> list[tuple[int, int]]:
    """(items, pairs of equal items) of every input difflib's matcher is given by the diff."""
    from collections import Counter

    sizes: list[tuple[int, int]] = []

    class Counting(difflib.SequenceMatcher):
        def __init__(self, isjunk=None, a=(), b=(), autojunk=True) -> None:
            counts = Counter(a)
            sizes.append((len(a) + len(b), sum(counts[x] for x in b)))
            super().__init__(isjunk, a, b, autojunk)

    monkeypatch.setattr(diffmod.difflib, "SequenceMatcher", Counting)
    return sizes


def _bounded(sizes: list[tuple[int, int]]) -> bool:
    return all(items <= MAX_TOKENS and pairs <= MAX_PAIRS for items, pairs in sizes)


def _sentences(n: int, changed_every: int = 0) -> str:
    """``n`` ten-word sentences of the same few words (the matcher's worst case)."""
    out = []
    for i in range(n):
        word = "changed" if changed_every and i % changed_every == 0 else "the"
        out.append(f"The cat sat on {word} mat and the dog sat.")
    return " ".join(out)


def _prose(n: int) -> list[str]:
    """``n`` ten-word sentences that do not repeat (like real prose)."""
    return [f"Sentence {i} says w{i * 7 % 997} and w{i * 13 % 991} then w{i} ends here."
            for i in range(n)]


# --- diff and change marks: bounded by MAX_TOKENS and MAX_PAIRS per comparison ------------------


def test_a_repetitive_16000_word_paragraph_gets_a_coarse_diff(matcher_sizes):
    old, new = _sentences(1600), _sentences(1600, changed_every=7)
    assert len(old.split()) == 16_000
    words = word_diff(old, new)
    assert _bounded(matcher_sizes)  # minutes of matching on this input otherwise
    assert [op for op, _ in words] == ["=", "-", "+", "="]
    assert words[0] == ["=", "The cat sat on"]
    assert " ".join(t for op, t in words if op != "-") == " ".join(new.split())
    assert " ".join(t for op, t in words if op != "+") == " ".join(old.split())


def test_a_16000_word_paragraph_of_prose_keeps_a_word_diff(matcher_sizes):
    old = _prose(1600)
    new = list(old)
    new[100] = "A new sentence."
    new[900] = new[900].replace(" says ", " now says ")
    words = word_diff(" ".join(old), " ".join(new))
    assert len(" ".join(old).split()) == 16_000
    assert _bounded(matcher_sizes) and matcher_sizes
    assert [piece for piece in words if piece[0] != "="] == [
        ["-", old[100]], ["+", "A new sentence."], ["+", "now"]]


def test_one_word_changed_in_16000_stays_a_word_diff(matcher_sizes):
    old = _sentences(1600)
    new = old.replace("sat on the mat", "sat on a mat", 1)
    assert word_diff(old, new)[1:3] == [["-", "the"], ["+", "a"]]
    assert all(items <= 2 for items, _ in matcher_sizes)  # the shared ends need no matcher


def _record(units: list[str], messages: list[str]) -> dict:
    block = {"id": "b1", "type": "markdown",
             "units": [{"kind": "paragraph", "text": t} for t in units]}
    return {"version": "1", "editions": {"e": {
        "sections": [{"id": "s", "title": "S", "blocks": [block]}],
        "key_messages": messages, "references": [], "figures": {}}}}


def test_mark_changes_diff_of_thousands_of_units_is_bounded(matcher_sizes):
    from kratom_report.compose.marks import ChangeMarks

    units = ["Same paragraph."] * 5000
    new = list(units)
    new[::3] = ["Edited paragraph 12 mg."] * len(new[::3])
    result = diff_records(_record(units, ["a"] * 3000), _record(new, ["b"] * 3000))
    marks = ChangeMarks.from_diff("1", result["editions"]["e"])
    assert _bounded(matcher_sizes)
    assert marks.units == {"Edited paragraph 12 mg."}
    assert marks.key_messages == {"b"}
    assert result["editions"]["e"]["numbers"] == []  # no made-up pairs from a coarse diff


def test_diff_command_on_a_16000_word_paragraph(cli, tiny_built, tmp_path, matcher_sizes):
    source = tiny_built.release().parent / "release-source"  # the released tree, records too
    root = writable_copy(source, tmp_path / "tiny")
    _edit(root / "report" / "sections" / "intro.yaml", INTRO,
          "      " + _sentences(1600, changed_every=5) + " [@kruegel2016synthetic].")
    result = cli("diff", "1.0.0", "worktree", "--format", "json", "--source", root)
    assert result.exit_code == 0, result.stderr
    assert _bounded(matcher_sizes)
    paragraphs = json.loads(result.stdout)["editions"]["clinician"]["paragraphs"]
    words = paragraphs[0]["words"]
    assert words[0] == ["-", "Shared paragraph citing one source"]
    assert words[-1] == ["=", "[@kruegel2016synthetic]."]
    assert len(words) == 3


# --- citation scanning: located problems per text are bounded -----------------------------------


@pytest.fixture
def finds(monkeypatch) -> list[str]:
    """Every search of a YAML text for a needle (each reads the text from the value's start)."""
    calls: list[str] = []
    original = YamlDoc.find

    def counting(self, loc, needle, occurrence=0):
        calls.append(needle)
        return original(self, loc, needle, occurrence)

    monkeypatch.setattr(YamlDoc, "find", counting)
    return calls


def _big_section(tiny: Path, text: str) -> None:
    assert len(text) > 600_000
    (tiny / "report" / "sections" / "practice.yaml").write_text(
        "id: practice\ntitle: Practice\nkind: guidance\nblocks:\n  - type: markdown\n"
        "    text: |\n" + "".join(f"      {line}\n" for line in text.split("\n")),
        encoding="utf-8")


def test_a_600_kb_section_of_bare_keys_lists_a_bounded_number(cli, tiny, finds):
    _big_section(tiny, "\n".join(f"Line {i} mentions @key{i % 7} bare." for i in range(25_000)))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == MAX_SLIPS + 1
    assert lines[0] == ("report/sections/practice.yaml:7:23: warning: '@key0' is not a "
                        "citation without brackets; to cite it, write [@key0]")
    assert lines[-1] == ("report/sections/practice.yaml:57:24: warning: 24950 more "
                         "citation-like slips in this text are not listed; fix the ones above "
                         "and check again")
    assert len(finds) <= MAX_SLIPS + 1


def test_a_600_kb_section_of_unknown_keys_lists_a_bounded_number(cli, tiny, finds):
    _big_section(tiny, "\n".join(f"Cites [@nosuch{i}] here." for i in range(30_000)))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == ("report/sections/practice.yaml:6:11: 29950 more unknown citation keys "
                        "in this text are not listed; fix the ones above and check again")
    assert lines[1] == "report/sections/practice.yaml:7:14: unknown citation key 'nosuch0'"
    assert len(lines) == MAX_SLIPS + 1
    assert len(finds) <= MAX_SLIPS


# --- SVG <use> expansion: counted in the one SVG policy ------------------------------------------


def _nested_use(levels: int, fan: int) -> bytes:
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n<defs>\n',
             '<rect id="l0" width="1" height="1"/>\n']
    for k in range(1, levels + 1):
        uses = "".join(f'<use href="#l{k - 1}"/>' for _ in range(fan))
        parts.append(f'<g id="l{k}">{uses}</g>\n')
    parts.append(f'</defs>\n<use href="#l{levels}"/>\n</svg>\n')
    return "".join(parts).encode()


USE_MESSAGE = (f"SVG image has <use> references that copy more than {MAX_DRAWS:,} elements once "
               "expanded (copies of copies multiply); an SVG image may add at most that many: "
               "simplify the drawing")


def test_nested_use_is_refused_at_check_time(cli, tiny):
    raw = _nested_use(8, 10)
    assert len(raw) < 2000
    (tiny / "report" / "bomb.svg").write_bytes(raw)
    _edit(tiny / "report" / "sections" / "intro.yaml", INTRO, INTRO + " ![A bomb](bomb.svg)")
    before = tree_snapshot(tiny)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/sections/intro.yaml:7:77: image 'bomb.svg' "
                             + USE_MESSAGE.removeprefix("SVG image ")
                             + " (line 8, column 12 of the SVG)\n")
    assert tree_snapshot(tiny) == before


def test_nested_use_as_an_image_figure_is_located_in_the_svg(cli, tiny):
    (tiny / "report" / "bomb.svg").write_bytes(_nested_use(5, 10))
    (tiny / "report" / "sections" / "practice.yaml").write_text(
        "id: practice\ntitle: Practice\nkind: guidance\nblocks:\n  - type: figure\n"
        "    kind: image\n    file: bomb.svg\n    alt: A drawing.\n    caption: Drawing.\n")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == f"report/bomb.svg:8:12: {USE_MESSAGE}\n"


def test_use_loops_are_refused_and_small_trees_pass():
    with pytest.raises(SvgRefused) as caught:
        check_svg(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">\n'
                  b'<g id="a"><rect/><use href="#a"/></g></svg>')
    assert (caught.value.line, caught.value.column, caught.value.message) == (
        2, 18, "has a <use> that draws itself through <use> references; remove the loop")
    check_svg(_nested_use(3, 10))  # 1,110 copies: a drawing may reuse its parts freely
    chain = "".join(f'<use id="u{i}" href="#u{i - 1}"/>' for i in range(1, 3000))
    with pytest.raises(SvgRefused):  # long chains are counted without recursion
        check_svg(('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect id="u0"/>'
                   + chain + "</svg>").encode())


# --- compressed fonts and raster images: sizes read before anything is decoded ------------------


def _base128(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def _woff2(payload: bytes, declared: int, total: int) -> bytes:
    import brotli

    packed = brotli.compress(payload, quality=1)
    header = (b"wOF2\x00\x01\x00\x00" + struct.pack(">IHHII", 0, 1, 0, total, len(packed))
              + struct.pack(">HHIIIII", 1, 0, 0, 0, 0, 0, 0))
    return header + bytes([1]) + _base128(declared) + packed  # one 'head' table, untransformed


def _woff(payload: bytes, declared: int) -> bytes:
    packed = zlib.compress(payload, 9)
    header = (b"wOFF\x00\x01\x00\x00" + struct.pack(">IHHI", 0, 1, 0, declared)
              + struct.pack(">HHIIIII", 1, 0, 0, 0, 0, 0, 0))
    return header + struct.pack(">4sIIII", b"head", 64, len(packed), declared, 0) + packed


THEMED_FONT = "    regular: theme/fonts/atkinson-hyperlegible-latin-400-normal.woff2\n"


@pytest.mark.parametrize(("data", "reason"), [
    (_woff2(b"\0" * 100, 1 << 30, 1 << 30),
     "declares 1074 MB once decompressed, over the 50 MB a font may expand to (ten times "
     "max_file_mb); use a smaller font or subset it"),
    (_woff2(b"\0" * 80_000_000, 100, 1000),
     "expands to more data than it declares (a damaged or crafted font); export it again"),
    (_woff(b"\0" * 60_000_000, 1000),
     "expands to more data than it declares (a damaged or crafted font); export it again"),
])
def test_a_font_bomb_is_refused_before_it_is_decompressed(cli, tmp_path, data, reason):
    root = tmp_path / "themed"
    shutil.copytree(FIXTURES / "themed", root)
    (root / "report" / "theme" / "fonts" / "bomb.woff2").write_bytes(data)
    _edit(root / "report" / "report.yaml", THEMED_FONT,
          "    regular: theme/fonts/bomb.woff2\n")
    result = cli("check", "--source", root)
    assert result.exit_code == 1
    assert result.stderr == (f"report/report.yaml:29:14: theme.fonts.regular "
                             f"'report/theme/fonts/bomb.woff2' {reason}\n")


def test_a_template_font_bomb_is_refused_at_its_stylesheet_line(cli, tiny):
    folder = tiny / "templates"
    folder.mkdir()
    (folder / "bomb.woff2").write_bytes(_woff2(b"\0" * 100, 1 << 30, 1 << 30))
    (folder / "briefing.css").write_text(
        "/* a report's own print stylesheet */\n"
        "@font-face { font-family: X; src: url(bomb.woff2); }\n")
    result = cli("build", "--format", "html", "--source", tiny, "--out", tiny / "out")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "templates/briefing.css:2:35: url(bomb.woff2) declares 1074 MB once decompressed, over "
        "the 50 MB a font may expand to (ten times max_file_mb); use a smaller font or subset it")
    assert not any((tiny / "out").iterdir())


def _png(width: int, height: int) -> bytes:
    """A PNG header declaring ``width`` × ``height`` over a few bytes of data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def test_a_gigapixel_png_is_refused_where_it_is_used(cli, tiny):
    (tiny / "report" / "huge.png").write_bytes(_png(60_000, 60_000))
    _edit(tiny / "report" / "sections" / "intro.yaml", INTRO, INTRO + " ![Huge](huge.png)")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/sections/intro.yaml:7:75: image 'huge.png' is 3,600,000,000 pixels, over the "
        "limit of 50 megapixels for an image; export it at a smaller size\n")


def test_a_large_logo_is_refused_at_its_key(cli, tmp_path):
    root = tmp_path / "themed"
    shutil.copytree(FIXTURES / "themed", root)
    (root / "report" / "theme" / "big.png").write_bytes(_png(10_000, 6_000))
    _edit(root / "report" / "report.yaml", "  logo: theme/logo.svg", "  logo: theme/big.png")
    result = cli("check", "--source", root)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/report.yaml:23:9: theme.logo 'report/theme/big.png' is 10,000 × 6,000 pixels, "
        "over the limit of 50 megapixels for an image; export it at a smaller size\n")


def test_a_large_gif_is_refused_without_decoding(cli, tiny):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("P", (1, 1)).save(buf, format="GIF")
    gif = bytearray(buf.getvalue())
    gif[6:10] = struct.pack("<HH", 65_535, 65_535)  # the logical screen: 4.3 gigapixels
    (tiny / "report" / "huge.gif").write_bytes(bytes(gif))
    _edit(tiny / "report" / "sections" / "intro.yaml", INTRO, INTRO + " ![Huge](huge.gif)")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/sections/intro.yaml:7:75: image 'huge.gif' is 4,294,836,225 pixels, over the "
        "limit of 50 megapixels for an image; export it at a smaller size\n")


# --- BibTeX and verify: one located message, never an internal error ---------------------------


def _with_bib(tiny: Path, bib: str, cite: str) -> None:
    (tiny / "report" / "refs.bib").write_text(bib, encoding="utf-8")
    _edit(tiny / "report" / "report.yaml", "changelog: changelog.yaml",
          "changelog: changelog.yaml\nreferences: [references.yaml, refs.bib]")
    _edit(tiny / "report" / "sections" / "intro.yaml", INTRO,
          INTRO.replace("[@kruegel2016synthetic]", f"[@kruegel2016synthetic; @{cite}]"))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "{" * 5000 + "Deep" + "}" * 5000,
     "field 'title' nests braces 5000 deep (at most 32); remove the extra braces"),
    ("author", "{" * 3000 + "Org" + "}" * 3000,
     "field 'author' nests braces 2999 deep (at most 32); remove the extra braces"),
    ("title", "A \\begin{x}" * 2000,
     "field 'title' has LaTeX this tool cannot read ('A \\begin{x}A \\begin{x}A \\begin{x}A "
     "\\begin{x}A \\begin{x}A ...', RecursionError); write it as plain text"),
])
def test_bibtex_that_would_crash_the_decoder_is_one_located_error(cli, tiny, field, value,
                                                                  message):
    rest = "  year = {2020}, url = {https://example.org}\n}\n"
    bib = "% refs\n@misc{deep2020,\n  " + field + " = {" + value + "},\n" + (
        rest if field == "title" else "  title = {T},\n" + rest)
    _with_bib(tiny, bib, "deep2020")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (f"report/refs.bib:2:1: BibTeX entry 'deep2020': {message} (this "
                             "entry is skipped)\n")


def test_href_in_bibtex_prints_its_text(cli, tiny):
    _with_bib(tiny, "@misc{web2020,\n  title = {See \\href{https://example.org/x}{the site}},\n"
                    "  year = {2020}, url = {https://example.org/x}\n}\n", "web2020")
    result = cli("refs", "--format", "json", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    [ref] = [r for r in json.loads(result.stdout) if r["key"] == "web2020"]
    assert ref["title"] == "See the site"


def test_verify_of_pdfs_without_pages(cli, tiny, tmp_path):
    import pikepdf

    zero = tmp_path / "zero.pdf"
    pdf = pikepdf.new()
    pdf.docinfo["/BriefingEdition"] = "clinician"
    pdf.docinfo["/BriefingVersion"] = "1.0.0"
    pdf.save(zero)
    result = cli("verify", zero, "--source", tiny)
    assert (result.exit_code, result.stderr) == (
        1, f"{zero}: not a PDF this tool built: it has no pages\n")
    anonymous = tmp_path / "anonymous.pdf"
    pikepdf.new().save(anonymous)
    result = cli("verify", anonymous, "--source", tiny)
    assert (result.exit_code, result.stderr) == (
        1, f"{anonymous}: not a PDF this tool built: it has no pages\n")


# --- ids that become file names, and ASCII digits -----------------------------------------------


def test_a_long_slug_and_edition_id_fail_check_not_build(cli, tiny):
    _edit(tiny / "report" / "report.yaml", "slug: tiny-briefing", "slug: " + "s" * 250)
    _edit(tiny / "report" / "report.yaml", "  - id: clinician", "  - id: " + "c" * 65)
    before = tree_snapshot(tiny)
    for command in ("check", "build"):
        result = cli(command, "--source", tiny, *(["--out", tiny / "out"] * (command == "build")))
        assert result.exit_code == 1
        assert result.stderr.splitlines()[:2] == [
            "report/report.yaml:4:7: 'slug' is 250 characters long, over the limit of 64 (it "
            "becomes part of file names); shorten it",
            "report/report.yaml:15:9: 'id' is 65 characters long, over the limit of 64 (it "
            "becomes part of file names); shorten it"]
    assert tree_snapshot(tiny) == before


def test_the_longest_names_fit_a_file_system():
    from kratom_report.build import record_path
    from kratom_report.publish.output import output_name
    from kratom_report.source.limits import MAX_ID

    version = "999999999.999999999.999999999"
    names = [output_name("s" * MAX_ID, "e" * MAX_ID, version, fmt, variant, draft=True,
                         since=version)
             for fmt in ("pdf", "html", "web") for variant in ("pdf/ua-1", "pdf/a-3a")]
    longest = max(record_path(Path(n)).name for n in names)
    assert len(f".{longest}.12345678.tmp.old".encode()) <= 255


def test_a_long_section_id_is_a_usage_error_and_writes_nothing(cli, tiny):
    before = tree_snapshot(tiny)
    result = cli("new", "section", "x" * 300, "--title", "T", "--source", tiny)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for 'ID': '" + "x" * 77 + "...' is not a valid section id: use "
        "lowercase letters, digits and hyphens, starting with a letter or digit, at most 64 "
        "characters (like 'side-effects'; it names the file report/sections/<id>.yaml)")
    assert tree_snapshot(tiny) == before


@pytest.mark.parametrize("version", ["๑.๐.๐", "١.٠.٠", "1.0.٣"])
def test_versions_in_other_scripts_digits_are_refused(cli, tiny, version):
    _edit(tiny / "report" / "report.yaml", 'version: "1.0.0"', f'version: "{version}"')
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"report/report.yaml:5:10: 'version' has invalid value '{version}' (expected a version "
        "like \"1.2.0\" (quoted, major.minor.patch, in the digits 0-9))")
    result = cli("version", "bump", "patch", "--source", tiny)
    assert result.exit_code == 1
    assert "is not a quoted" in result.stderr


def test_dates_in_other_scripts_digits_are_refused(cli, tiny):
    _edit(tiny / "report" / "data" / "timeline.yaml", 'date: "2018"', 'date: "٢٠١٨"')
    _edit(tiny / "report" / "changelog.yaml", "date: 2026-11-25", 'date: "๒๐๒๖-11-25"')
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/changelog.yaml:3:11: 'date' has invalid date '๒๐๒๖-11-25' (expected YYYY-MM-DD)\n"
        "report/data/timeline.yaml:6:12: 'date' has invalid date '٢٠١٨' (expected YYYY-MM-DD)\n"
        "report/data/timeline.yaml:6:12: 'date' has invalid value '٢٠١٨' (expected a date like "
        "\"2016\", \"2016-08\" or \"2016-08-31\")\n")


# --- references: dates at their item, identifiers checked, exports escaped ---------------------


def _with_json(tiny: Path, items: list[dict], cite: str) -> None:
    text = "[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]\n"
    (tiny / "report" / "extra.json").write_text(text, encoding="utf-8")
    _edit(tiny / "report" / "report.yaml", "changelog: changelog.yaml",
          "changelog: changelog.yaml\nreferences: [references.yaml, extra.json]")
    _edit(tiny / "report" / "sections" / "intro.yaml", INTRO,
          INTRO.replace("[@kruegel2016synthetic]", f"[@kruegel2016synthetic; {cite}]"))


GOOD = {"id": "good2020", "type": "webpage", "title": "Good", "issued": {"date-parts": [[2020]]},
        "URL": "https://example.org/good"}


def test_csl_json_dates_are_reported_at_their_item(cli, tiny):
    _with_json(tiny, [GOOD, {**GOOD, "id": "month13", "issued": {"date-parts": [[2020, 13]]}},
                      {**GOOD, "id": "thai", "accessed": "๒๐๒๐-01-01"}],
               "@good2020; @month13; @thai")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/extra.json:3:9: reference 'month13': issued {'date-parts': [[2020, 13]]} is "
        "not a year, an ISO date (YYYY[-MM[-DD]]) or CSL date-parts\n"
        "report/extra.json:4:9: reference 'thai': accessed '๒๐๒๐-01-01' is not a year, an ISO "
        "date (YYYY[-MM[-DD]]) or CSL date-parts\n")


def test_identifiers_that_would_inject_are_refused_or_warned(cli, tiny):
    _with_json(tiny, [GOOD, {**GOOD, "id": "pmid", "PMID": "12}, url = {https://evil.example"},
                      {**GOOD, "id": "pmcid", "PMCID": "1234"},
                      {**GOOD, "id": "issn", "ISSN": "0959-8138, 1756-1833", "ISBN": "12"}],
               "@good2020; @pmid; @pmcid; @issn")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/extra.json:3:9: reference 'pmid': PMID '12}, url = {https://evil.example' is "
        "not a valid PMID (digits only, like 12345678)\n"
        "report/extra.json:4:9: reference 'pmcid': PMCID '1234' is not a valid PMCID (PMC and "
        "digits, like PMC1234567)\n"
        "report/extra.json:5:9: warning: reference 'issn': ISBN '12' is not a valid ISBN (10 "
        "or 13 digits, hyphens and spaces allowed; separate several with commas)\n")


def test_a_key_that_cannot_be_cited_is_refused(cli, tiny):
    _with_json(tiny, [GOOD, {**GOOD, "id": "x,\n  url = {https://evil.example}"}], "@good2020")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/extra.json:3:9: reference key 'x,   url = {https://evil.example}' cannot be "
        "cited as [@key]; use letters, digits and _:.#$%&+?<>~/- only (starting with a letter, "
        "digit or _)\n")


def test_bibtex_export_escapes_every_field(cli, tiny):
    import bibtexparser

    evil = "1}, url = {https://evil.example}, note = {x"
    _with_json(tiny, [GOOD, {**GOOD, "id": "loose", "type": "book", "page": evil, "ISSN": evil,
                             "ISBN": evil, "language": "en}, title = {Pwned"}],
               "@good2020; @loose")
    result = cli("refs", "--export", "bibtex", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    library = bibtexparser.parse_string(result.stdout)
    assert not library.failed_blocks
    [entry] = [e for e in library.entries if e.key == "loose"]
    assert sorted(f.key for f in entry.fields) == ["isbn", "issn", "language", "pages", "title",
                                                   "url", "year"]
    assert entry["url"] == "https://example.org/good"
    assert entry["title"] == "Good"
    assert entry["issn"] == "1\\}, url = \\{https://evil.example\\}, note = \\{x"
    assert entry["language"] == "en\\}, title = \\{Pwned"
