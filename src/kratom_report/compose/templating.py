"""Jinja environment and asset lookup: the report's templates/ first, the package's as fallback."""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

PACKAGE_TEMPLATES = Path(__file__).parent.parent / "templates"
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


@dataclass(frozen=True)
class Templates:
    """Ordered template folders; a file in an earlier folder shadows the same name later."""

    folders: tuple[Path, ...]

    @classmethod
    def for_root(cls, root: Path) -> Templates:
        own = root / "templates"
        return cls((own, PACKAGE_TEMPLATES) if own.is_dir() else (PACKAGE_TEMPLATES,))

    def environment(self) -> jinja2.Environment:
        import jinja2

        return jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(f) for f in self.folders]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def find(self, name: str) -> Path:
        for folder in self.folders:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(name)

    def files(self) -> list[Path]:
        """Every file that can shape the output, shadowed ones excluded (for fingerprints)."""
        seen: dict[str, Path] = {}
        for folder in self.folders:
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder).as_posix()
                if path.is_file() and rel not in seen and "__pycache__" not in rel:
                    seen[rel] = path
        return [seen[k] for k in sorted(seen)]

    def inline_css(self, name: str) -> str:
        """A stylesheet with every relative ``url()`` (fonts, art) turned into a data: URI."""
        css = self.find(name).read_text(encoding="utf-8")

        def repl(m: re.Match[str]) -> str:
            target = m.group(2)
            if target.startswith(("data:", "#")):
                return m.group(0)
            path = self.find(target)
            mime = mimetypes.guess_type(path.name)[0] or _FONT_TYPES.get(path.suffix, "")
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            return f'url("data:{mime};base64,{data}")'

        return _CSS_URL.sub(repl, css)


_FONT_TYPES = {".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff", ".woff2": "font/woff2"}
