"""The one web-output policy for a report's own templates, and the page's Content-Security-Policy.

The documentation promises readers of the web edition and the release site "no JavaScript, nothing
fetched". A report's templates are untrusted, so each one is read before it is used: its
literal markup (the template with every ``{{ … }}``, ``{% … %}`` and ``{# … #}`` masked, so
lines and columns stay those of the file) may hold no ``<script>``, no event attribute
(``on…=``), no ``javascript:`` URL (entities and spaces resolved first, as browsers do), no
``<iframe>``, ``<object>``, ``<embed>``, ``<base>`` or refresh, nothing remote where a browser
would load it, and no tag or attribute name built by an expression. Its ``<style>`` and
``style=`` are held to the stylesheet rule of :mod:`.csspolicy`. Markup can also come out of
an expression only through ``|safe``, ``|xmlattr`` or ``autoescape false``, so those are
refused too. A link a reader may follow (``<a href="https://…">``) loads nothing and stays.

What a static reading cannot see (a URL put together by an expression) the browser stops:
every page written for readers carries :data:`READER_CSP`, which allows no script and loads
only from the page itself and ``data:``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .csspolicy import refused as css_refused

# Pages embed their stylesheets, fonts and figures (data: URIs, inline <style> and style=),
# link only to files beside them, and run no script.
READER_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
              "font-src 'self' data:; base-uri 'none'; form-action 'none'")
_PAGE_START = re.compile(r"\A\s*(?:<!DOCTYPE html>\s*)?<html\b[^<>]*>\s*<head\b[^<>]*>"
                         r"(?:\s*<meta charset=\"[\w-]*\">)?", re.I)
_DOCTYPE = re.compile(r"\A\s*<!DOCTYPE html>", re.I)


def csp(nonce: str | None = None) -> str:
    """The policy of a page; with ``nonce``, the preview's (its one reload script and the
    event stream it listens to)."""
    if nonce is None:
        return READER_CSP
    return f"{READER_CSP}; script-src 'nonce-{nonce}'; connect-src 'self'"


def csp_meta(nonce: str | None = None) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{csp(nonce)}">'


def with_csp(page: str) -> str:
    """``page`` with the policy as the first element of its ``<head>``.

    A page that does not begin with ``<html><head>`` (a report's own template) gets it at
    the very start, where nothing before it can hide it in a comment; the browser still puts
    it in the head.
    """
    m = _PAGE_START.match(page) or _DOCTYPE.match(page)
    at = m.end() if m else 0
    return f"{page[:at]}\n{csp_meta()}{page[at:]}" if m else f"{csp_meta()}\n{page}"


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_MASK = "\ue000"  # stands for template code: no tag or attribute name holds it
_RAW_MARKUP = re.compile(r"(?:\|\s*|\bfilter\s+)(safe|xmlattr)\b|\b(autoescape)\b")
_CUT = re.compile(r"[\x00-\x20\x7f" + _MASK + "]+")
_NEVER = {"script": "web output carries no JavaScript",
          "iframe": "web output embeds no other page", "frame": "web output embeds no other page",
          "frameset": "web output embeds no other page",
          "object": "web output embeds no plug-in content",
          "embed": "web output embeds no plug-in content",
          "applet": "web output embeds no plug-in content",
          "portal": "web output embeds no other page",
          "base": "links must stay relative to the page"}
_LOADS = {"src", "srcset", "poster", "data", "background", "action", "formaction", "manifest",
          "codebase", "archive", "longdesc", "lowsrc", "dynsrc", "icon", "href", "xlink:href"}
_LINKS = {"a", "area"}  # their href is followed by the reader, never loaded by the page


def template_problems(text: str, *, stylesheet: bool = False) -> list[tuple[int, int, str]]:
    """(line, column, message) for everything in a template's source that the policy refuses.

    ``stylesheet``: the file is CSS (a template stylesheet, or a ``.css`` file a template
    includes), held to the stylesheet rule alone.
    """
    found: list[tuple[int, int, str]] = []
    for m in _JINJA.finditer(text):
        for raw in _RAW_MARKUP.finditer(m.group(0)):
            line, column = _position(text, m.start() + raw.start())
            word = f"|{raw.group(1)}" if raw.group(1) else "autoescape"
            found.append((line, column, f"{word} is not allowed in a report template: it would "
                          "put unchecked markup into the page; remove it"))
    source = _Masked(text)
    if stylesheet:
        found += source.css(0, source.masked, "")
    else:
        scanner = _Scanner(source)
        scanner.feed(source.masked)
        scanner.close()
        found += scanner.found
    return sorted(set(found))


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _Masked:
    """The markup a template writes whatever its values: each ``{{ … }}`` becomes mask
    characters (a value is there), each ``{% … %}`` and ``{# … #}`` nothing, with Jinja's
    whitespace control and ``trim_blocks`` applied, so ``<scr{% if 1 %}{% endif %}ipt>`` reads
    as the ``<script>`` it renders. ``origin`` maps each character back to the file."""

    def __init__(self, text: str) -> None:
        self.text = text
        chars: list[str] = []
        origin: list[int] = []
        last, strip_next, trim_next = 0, False, False
        for m in [*_JINJA.finditer(text), None]:
            end = m.start() if m else len(text)
            at = last
            if strip_next:
                while at < end and text[at].isspace():
                    at += 1
            elif trim_next and text.startswith("\n", at):
                at += 1
            chars += text[at:end]
            origin += range(at, end)
            if m is None:
                break
            tag = m.group(0)
            if tag[2] == "-":
                while chars and chars[-1].isspace():
                    chars.pop()
                    origin.pop()
            if tag.startswith("{{"):
                chars += _MASK * len(tag)
                origin += range(m.start(), m.end())
            last, strip_next = m.end(), tag[-3] == "-"
            trim_next = not tag.startswith("{{") and tag[-3] != "+"
        self.masked = "".join(chars)
        self.origin = origin + [len(text)]
        self._starts = [0] + [i + 1 for i, c in enumerate(self.masked) if c == "\n"]

    def index(self, line: int, offset: int) -> int:
        """The index in ``masked`` of html.parser's (line, offset)."""
        return self._starts[line - 1] + offset

    def where(self, index: int) -> tuple[int, int]:
        return _position(self.text, self.origin[min(index, len(self.origin) - 1)])

    def css(self, start: int, css: str, where: str) -> list[tuple[int, int, str]]:
        """The stylesheet rule on CSS found at ``start`` of ``masked``; values are left out,
        so ``u{{ '' }}rl(`` reads as the ``url(`` it renders."""
        kept = [i for i, c in enumerate(css) if c != _MASK]
        plain = "".join(css[i] for i in kept)
        starts = [0] + [i + 1 for i, c in enumerate(plain) if c == "\n"]
        out = []
        for line, column, why in css_refused(plain):
            at = min(starts[line - 1] + column - 1, len(kept) - 1)
            out.append((*self.where(start + (kept[at] if kept else 0)),
                        f"{why} (in {where})" if where else why))
        return out


class _Scanner(HTMLParser):
    """Collects the refused tags and attributes of a template's literal markup."""

    def __init__(self, source: _Masked) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.found: list[tuple[int, int, str]] = []
        self._in_style = False

    def _say(self, message: str) -> None:
        self.found.append((*self.source.where(self.source.index(*self.getpos())), message))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += self.source.css(self.source.index(*self.getpos()), data,
                                          "a <style> element")

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if _MASK in tag:
            return self._say("a tag name made by template code is not allowed in a report "
                             "template: it could make any element; write the name out")
        if tag in _NEVER:
            return self._say(f"<{tag}> is not allowed in a report template: {_NEVER[tag]}; "
                             "remove it")
        for name, value in attrs:
            self._attribute(tag, name, value or "")  # entities resolved by the parser

    def _attribute(self, tag: str, name: str, value: str) -> None:
        plain = _CUT.sub("", value).lower()
        if _MASK in name:
            self._say(f"an attribute name made by template code (in <{tag}>) is not allowed in "
                      "a report template: it could be an event handler; write the name out")
        elif name.startswith("on"):
            self._say(f"the event attribute {name}= (in <{tag}>) is not allowed in a report "
                      "template: web output carries no JavaScript; remove it")
        elif "javascript:" in plain or "vbscript:" in plain:
            self._say(f"a javascript: URL (in {name}= of <{tag}>) is not allowed in a report "
                      "template: web output carries no JavaScript; remove it")
        elif name == "ping":
            self._say(f"ping= (in <{tag}>) is not allowed in a report template: it makes the "
                      "reader's browser report each click; remove it")
        elif tag == "meta" and name == "http-equiv" and plain == "refresh":
            self._say("<meta http-equiv=\"refresh\"> is not allowed in a report template: "
                      "a page must not send its reader elsewhere; remove it")
        elif name == "style":
            for _line, _column, why in css_refused(value.replace(_MASK, "")):
                self._say(f"{why} (in the style of <{tag}>)")
        elif name in _LOADS and not (tag in _LINKS and name == "href") and _remote(value):
            self._say(f"the remote URL {_short(value)} (in {name}= of <{tag}>) is not allowed in "
                      "a report template: web output fetches nothing; use a file inside "
                      "templates/ or a data: URL")


def _remote(value: str) -> bool:
    """Anything but a path on the same site, a fragment or a data: URL, in any of the URLs
    (``srcset`` lists several)."""
    for part in value.replace(_MASK, "").split(","):
        url = _CUT.sub("", part.strip().split(" ")[0]).lower() if part.strip() else ""
        if url.startswith(("//", "\\\\", "/\\", "\\/")) or (
                re.match(r"[a-z][a-z0-9+.-]*:", url) and not url.startswith("data:")):
            return True
    return False


def _short(value: str) -> str:
    value = " ".join(value.replace(_MASK, "").split())
    return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"
