"""Jinja environment and asset lookup: the report's templates/ first, the package's as fallback.

A report's templates are as untrusted as its text. They run in Jinja's immutable sandbox (no
attribute of Python internals, no mutating calls), and every file a template or stylesheet names
(``include``/``import``/``extends``, CSS ``url()``) must resolve, after following symbolic
links, to a file inside one of the template folders; anything else is a located error. Every
file of the report's own templates/ is held to the web-output policy (source/htmlpolicy.py:
no script, nothing remote) when the environment is made, so ``check`` refuses a web template
it does not render, and again as the loader reads it, so what runs is what was checked.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..errors import Problem, ProblemsError
from ..source.csspolicy import inline_urls
from ..source.htmlpolicy import template_problems
from ..source.limits import font_limit, limit_bytes
from ..source.paths import is_inside
from ..source.pixels import pixel_problem
from ..source.sfnt import packed_problem

if TYPE_CHECKING:
    import jinja2

PACKAGE_TEMPLATES = Path(__file__).parent.parent / "templates"
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


@dataclass(frozen=True)
class Templates:
    """Ordered template folders; a file in an earlier folder shadows the same name later."""

    folders: tuple[Path, ...]
    # The one environment of these folders (see environment()); not part of equality.
    _env: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def for_root(cls, root: Path) -> Templates:
        own = root / "templates"
        if not own.is_dir():
            return cls((PACKAGE_TEMPLATES,))
        if not _inside(own, root):
            raise ProblemsError([Problem("templates", None, None, (
                "the templates folder leads outside the report folder (a symbolic link?); "
                "keep the report's templates inside it"))])
        return cls((own, PACKAGE_TEMPLATES))

    def environment(self) -> jinja2.Environment:
        """One sandboxed environment per Templates, so every edition and page rendered with
        it compiles each template once (Jinja recompiles a file whose mtime changed)."""
        if "env" not in self._env:
            self._env["env"] = self._new_environment()
        return self._env["env"]

    def _new_environment(self) -> jinja2.Environment:
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def load(name: str) -> tuple[str, str, Callable[[], bool]]:
            path = self.find(name)  # confined; raises TemplateOutside for an escape
            mtime = path.stat().st_mtime_ns
            text = path.read_text(encoding="utf-8")
            refused = self._refused(path, text)
            if refused:
                raise ProblemsError(refused)
            return (text, str(path), lambda: path.is_file() and path.stat().st_mtime_ns == mtime)

        def loader(name: str) -> tuple[str, str, Callable[[], bool]]:
            try:
                return load(name)
            except FileNotFoundError:
                raise jinja2.TemplateNotFound(name) from None

        refused = self.policy_problems()
        if refused:
            raise ProblemsError(refused)
        from .i18n import install

        env = ImmutableSandboxedEnvironment(
            loader=jinja2.FunctionLoader(loader),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # No compiled templates on disk: loading one runs its code, and a cache can be
            # planted (docs/caches.md measured what it saved: under 1 % of a build).
            bytecode_cache=None,
        )
        install(env)  # the tool's words, in the language the context names
        return env

    def policy_problems(self) -> list[Problem]:
        """Everything the web-output policy refuses in the report's own template files."""
        found: list[Problem] = []
        for path in self.files():
            own = not path.is_relative_to(PACKAGE_TEMPLATES)
            if own and path.suffix.lower() not in _BINARY:
                try:
                    text = path.read_text(encoding="utf-8")
                    # A stylesheet is inlined (its own rule), or included (the loader's).
                    found += (self._inline(path, load=False)[1] if path.suffix.lower() == ".css"
                              else self._refused(path, text))
                except (OSError, UnicodeDecodeError):
                    continue  # not a template: the loader says so if one names it
        return found

    def _refused(self, path: Path, text: str) -> list[Problem]:
        """The policy on one file; the tool's own templates are trusted."""
        if path.is_relative_to(PACKAGE_TEMPLATES):
            return []
        return [Problem(self.display(path), line, column, message) for line, column, message
                in template_problems(text, stylesheet=path.suffix.lower() == ".css")]

    def find(self, name: str) -> Path:
        """The first folder's file called ``name``; never a file outside its folder."""
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if not parts or name.startswith(("/", "~")) or ".." in parts or ":" in parts[0]:
            raise TemplateOutside(name, "is not a relative path inside templates/")
        for folder in self.folders:
            candidate = folder.joinpath(*parts)
            if candidate.is_file():
                if not _inside(candidate, folder):
                    raise TemplateOutside(name, "resolves outside the template folder (a "
                                          "symbolic link?)")
                return candidate
        raise FileNotFoundError(name)

    def files(self) -> list[Path]:
        """Every file that can shape the output, shadowed ones excluded (for fingerprints).

        Links that lead out of their folder are left out: no template may use them either.
        """
        seen: dict[str, Path] = {}
        for folder in self.folders:
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder).as_posix()
                if (path.is_file() and rel not in seen and "__pycache__" not in rel
                        and _inside(path, folder)):
                    seen[rel] = path
        return [seen[k] for k in sorted(seen)]

    def display(self, path: Path) -> str:
        """``templates/x`` for a report's own file, ``templates/x (built-in)`` for ours."""
        for folder in self.folders:
            if path.is_relative_to(folder):
                rel = path.relative_to(folder).as_posix()
                return f"templates/{rel}" + (" (built-in)" if folder == PACKAGE_TEMPLATES
                                             else "")
        return str(path)

    def inline_css(self, name: str) -> str:
        """A stylesheet with every relative ``url()`` (fonts, art) turned into a data: URI.

        A ``url()`` must name a file inside the template folders; a remote URL, an absolute
        path, ``..`` or a link that leads out is a located error naming the stylesheet line.
        """
        self.environment()  # every file of templates/ meets the web-output policy first
        source = self.find(name)
        # Every edition and summary inlines the same stylesheets: once per Templates, again
        # only when the stylesheet or a file it inlined changed (size or modification time).
        inlined = self._env.setdefault("inlined", {})
        kept = inlined.get(source)
        if kept is not None and kept[1] == _stamps([path for path, *_ in kept[1]]):
            return kept[0]
        used: list[tuple[Path, int, int]] = []
        out, refused = self._inline(source, load=True, used=used)
        if refused:
            raise ProblemsError(refused)
        inlined[source] = (out, tuple(used))
        return out

    def _inline(self, source: Path, *, load: bool,
                used: list[tuple[Path, int, int]] | None = None) -> tuple[str, list[Problem]]:
        """The stylesheet inlined (``load``) or only checked, and what it may not hold;
        ``used`` gets every file read with its modification time and size, taken before
        it is read."""
        stamped = used if used is not None else []
        stamped.append(_stamp(source))
        css = source.read_text(encoding="utf-8")
        fonts: set[str] = set()  # reasons that carry their own fix (fonts, images)

        def read(target: str) -> tuple[str, bytes] | str:
            try:
                path = self.find(target)
            except TemplateOutside as exc:
                return exc.reason
            except FileNotFoundError:
                return "not found in the template folders"
            stamped.append(_stamp(path))
            data = path.read_bytes()
            packed = packed_problem(data, font_limit(limit_bytes(None))) or pixel_problem(data)
            if packed:
                fonts.add(packed)
                return packed
            return (mimetypes.guess_type(path.name)[0] or _FONT_TYPES.get(path.suffix, ""),
                    data if load else b"")

        out, refused = inline_urls(css, read, name=self.display(source),
                                   inside="the template folders")
        tail = "; stylesheets may use only files inside templates/"
        return out, [Problem(self.display(source), ref.line, ref.column,
                             reason if any(reason.endswith(f) for f in fonts) else
                             reason + (tail if ref.kind != "image" else ""))
                     for ref, reason in refused]


class TemplateOutside(ValueError):
    """Raised when a template or asset name would leave the template folders."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"'{name}' {reason}")
        self.name = name
        self.reason = reason


def _stamp(path: Path) -> tuple[Path, int, int]:
    info = path.stat()
    return path, info.st_mtime_ns, info.st_size


def _stamps(paths: list[Path]) -> tuple[tuple[Path, int, int], ...] | None:
    """Each file's modification time and size (None when one cannot be read)."""
    try:
        return tuple(_stamp(p) for p in paths)
    except OSError:
        return None


def _inside(path: Path, folder: Path) -> bool:
    return is_inside(folder, path)


# Files of templates/ that never reach a page as text: fonts and images are inlined as data:
# URIs (an SVG one as an image, in which no script runs). Any other file could be included.
_BINARY = frozenset({".otf", ".ttf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".gif",
                     ".webp", ".svg", ".ico", ".pdf"})
_FONT_TYPES = {".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff", ".woff2": "font/woff2"}
