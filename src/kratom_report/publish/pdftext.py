"""The text a PDF shows inside each marked-content sequence, decoded through each font's
ToUnicode map: what ``pdfpost`` reads headings with and what ``pdflists`` and ``pdfartifacts``
match against the source.

Reading content streams is most of the cost of the checks made after rendering, so a
collector parses only the operators it follows and, when told which sequences matter
(``wanted``), decodes the text of those alone.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Container
from itertools import repeat
from typing import Any

import pikepdf

# A TJ adjustment at least this wide (thousandths of an em) reads as a word gap.
_TJ_SPACE = -250
# Every operator the collector acts on; pikepdf wraps only these for Python.
_FOLLOWED = "BMC BDC EMC Tf Tj ' \" TJ ET Do"
_SHOWN = frozenset({"Tj", "'", '"', "TJ"})
_SWAP = sys.byteorder == "little"  # two-byte codes are big-endian in the content stream

_CMAP_TOKEN = re.compile(rb"<([0-9A-Fa-f\s]*)>|\[|\]")
_CMAP_SECTION = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)


def _utf16(hex_digits: bytes) -> str:
    raw = bytes.fromhex(re.sub(rb"\s", b"", hex_digits).decode("ascii"))
    return raw.decode("utf-16-be", errors="replace")


def _parse_to_unicode(data: bytes) -> dict[int, str]:
    """bfchar/bfrange entries of a ToUnicode CMap (what WeasyPrint and most producers write)."""
    mapping: dict[int, str] = {}
    for kind, body in _CMAP_SECTION.findall(data):
        tokens: list[bytes | None] = []  # hex strings; None marks '[' / ']'
        for match in _CMAP_TOKEN.finditer(body):
            tokens.append(match.group(1) if match.group(1) is not None else None)
        if kind == b"bfchar":
            for src, dst in zip(tokens[0::2], tokens[1::2], strict=False):
                if src is not None and dst is not None:
                    mapping[int(src, 16)] = _utf16(dst)
            continue
        i = 0
        while i + 2 < len(tokens):
            lo, hi = tokens[i], tokens[i + 1]
            if lo is None or hi is None:
                break
            start, end = int(lo, 16), int(hi, 16)
            if tokens[i + 2] is None:  # [ <dst> <dst> ... ]
                j = i + 3
                dsts: list[bytes] = []
                while j < len(tokens) and tokens[j] is not None:
                    dsts.append(tokens[j])  # type: ignore[arg-type]
                    j += 1
                for code, dst in zip(range(start, end + 1), dsts, strict=False):
                    mapping[code] = _utf16(dst)
                i = j + 1
            else:
                base = _utf16(tokens[i + 2])  # type: ignore[arg-type]
                for offset in range(min(end - start, 0xFFFF) + 1):
                    mapping[start + offset] = base[:-1] + chr(ord(base[-1]) + offset) \
                        if base else ""
                i += 3
    return mapping




class FontDecoder:
    """Byte codes → text. Type0 fonts are taken as 2-byte (Identity-H, as WeasyPrint writes)."""

    def __init__(self, font: pikepdf.Object) -> None:
        self.width = 2 if font.get("/Subtype") == pikepdf.Name.Type0 else 1
        self.map: dict[int, str] = {}
        to_unicode = font.get("/ToUnicode")
        if isinstance(to_unicode, pikepdf.Stream):
            try:
                self.map = _parse_to_unicode(to_unicode.read_bytes())
            except (pikepdf.PdfError, ValueError):
                self.map = {}

    def decode(self, raw: bytes) -> str:
        """An unmapped code is nothing, except in a simple font: Latin-1 is the best guess."""
        if self.width == 1:
            return raw.decode("latin-1").translate(self.map)
        codes = array("H", raw[:len(raw) - len(raw) % 2])
        if _SWAP:
            codes.byteswap()
        return "".join(map(self.map.get, codes, repeat("")))


McKey = tuple[tuple[int, int], int]  # (owner page/stream objgen, MCID)


class TextCollector:
    """Text shown inside each marked-content sequence, keyed by (page or stream, MCID); with
    ``wanted``, only the text of those sequences is kept (and decoded)."""

    def __init__(self, wanted: Container[McKey] | None = None) -> None:
        self.texts: dict[McKey, list[str]] = {}
        self.wanted = wanted
        self._fonts: dict[tuple[int, int] | int, FontDecoder] = {}

    def _font(self, font: pikepdf.Object) -> FontDecoder:
        key = font.objgen if font.is_indirect else id(font)
        if key not in self._fonts:
            self._fonts[key] = FontDecoder(font)
        return self._fonts[key]

    def _keeps(self, key: McKey | None) -> bool:
        return key is not None and (self.wanted is None or key in self.wanted)

    def scan(self, stream: pikepdf.Object, resources: Any, owner: tuple[int, int],
             outer: McKey | None, active: frozenset[tuple[int, int]]) -> None:
        try:
            instructions = pikepdf.parse_content_stream(stream, _FOLLOWED)
        except (pikepdf.PdfError, TypeError, ValueError):
            return  # unreadable content: report the structure without its text
        resources = resources if isinstance(resources, pikepdf.Dictionary) else None
        fonts = resources.get("/Font") if resources is not None else None
        # The innermost MCID key open at each marked-content level (``outer`` outside all).
        keys: list[McKey | None] = []
        font: FontDecoder | None = None
        for instruction in instructions:
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                continue
            op = str(instruction.operator)
            current = keys[-1] if keys else outer
            if op in _SHOWN:
                if font is not None and self._keeps(current):
                    self.texts.setdefault(current, []).append(  # type: ignore[arg-type]
                        self._shown(op, instruction.operands, font))
            elif op in ("BMC", "BDC"):
                key = self._mcid_key(op, list(instruction.operands), resources, owner)
                keys.append(key if key is not None else current)
            elif op == "EMC":
                if keys:
                    keys.pop()
            elif op == "Tf":
                operands = instruction.operands
                if operands and resources is not None:
                    name = operands[0]
                    f = fonts.get(name) if isinstance(fonts, pikepdf.Dictionary) \
                        and isinstance(name, pikepdf.Name) else None
                    font = self._font(f) if isinstance(f, pikepdf.Dictionary) else None
            elif op == "ET":
                if self._keeps(current):
                    self.texts.setdefault(current, []).append(" ")  # type: ignore[arg-type]
            elif op == "Do" and instruction.operands and resources is not None:
                self._form(instruction.operands[0], resources, owner, current, active)

    @staticmethod
    def _mcid_key(op: str, operands: list[Any], resources: pikepdf.Dictionary | None,
                  owner: tuple[int, int]) -> McKey | None:
        if op != "BDC" or len(operands) < 2:
            return None
        props = operands[1]
        if isinstance(props, pikepdf.Name) and resources is not None:
            named = resources.get("/Properties")
            props = named.get(props) if isinstance(named, pikepdf.Dictionary) else None
        if isinstance(props, pikepdf.Dictionary) and isinstance(props.get("/MCID"), int):
            return (owner, int(props.MCID))
        return None

    @staticmethod
    def _shown(op: str, operands: Any, font: FontDecoder) -> str:
        if op == "TJ" and operands and isinstance(operands[0], pikepdf.Array):
            parts = []
            for item in operands[0]:
                if isinstance(item, pikepdf.String):
                    parts.append(font.decode(bytes(item)))
                elif float(item) <= _TJ_SPACE:
                    parts.append(" ")
            return "".join(parts)
        if operands and isinstance(operands[-1], pikepdf.String):
            return font.decode(bytes(operands[-1]))
        return ""

    def _form(self, name: Any, resources: pikepdf.Dictionary, owner: tuple[int, int],
              current: McKey | None, active: frozenset[tuple[int, int]]) -> None:
        xobjects = resources.get("/XObject")
        form = xobjects.get(name) if isinstance(xobjects, pikepdf.Dictionary) else None
        if not isinstance(form, pikepdf.Stream) or form.get("/Subtype") != pikepdf.Name.Form:
            return
        if form.objgen in active:
            return  # a form that draws itself
        # A form with its own /StructParents numbers its MCIDs itself (MCRs point at it by /Stm);
        # otherwise its marked content belongs to the page that draws it (WeasyPrint's opacity).
        form_owner = form.objgen if "/StructParents" in form else owner
        self.scan(form, form.get("/Resources", resources), form_owner, current,
                  active | {form.objgen})

