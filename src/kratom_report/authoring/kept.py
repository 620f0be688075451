"""Work the preview keeps from one rebuild to the next, each piece only while what it was
made from is unchanged: the templates (compiled, stylesheets inlined) while no template file
changed, and an edition's page while the hash of its inputs (:func:`edition_inputs`) is the
same. ``preview.WebBuilder`` uses them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..compose.templating import Templates
from ..fingerprint import Hasher, add_files, add_templates, json_digest
from ..source.limits import limit_bytes
from ..source.paths import is_inside
from ..source.reportfile import named_outside
from .reviewnotes import reviews_folder

if TYPE_CHECKING:
    from ..source.project import Project


class TemplatesKept:
    """The last build's templates and the hash of their files, while no file changed: the
    same ``Templates`` keeps its compiled templates and inlined stylesheets
    (``Templates.inline_css``) from one rebuild to the next."""

    def __init__(self) -> None:
        self.templates: Templates | None = None
        self.key = ""
        self.stats: list[tuple[str, int, int, int]] = []

    def get(self, root: Path) -> tuple[Templates, str]:
        """(templates, hash of every template file by the build's rules)."""
        from .. import __version__

        templates = Templates.for_root(root)
        files = templates.files()
        # Stat first, as the watcher does: the bytes are hashed only when a file was touched.
        stats = [(str(p), st.st_mtime_ns, st.st_size, st.st_ino) for p in files
                 if (st := p.stat())]
        kept = self.templates
        if kept is not None and kept.folders == templates.folders and stats == self.stats:
            return kept, self.key
        h = Hasher(__version__.encode())
        add_templates(h, files)
        if kept is None or kept.folders != templates.folders or h.hexdigest() != self.key:
            self.templates, self.key = templates, h.hexdigest()
        self.stats = stats
        return self.templates or templates, self.key


def shared_inputs(project: Project, templates_key: str, skip: Path | None) -> str:
    """Hash of every input but the section files: report.yaml, references, data, changelog,
    theme files and templates (``templates_key``), by the build's own rules
    (``fingerprint.add_files``). Review comments are not an input: they are shown on the
    page, never composed into it."""
    sections = {located.doc.path.resolve() for located in project.sections}
    files = sorted(p for p in project.report_dir.rglob("*") if p.is_file())
    reviews = reviews_folder(project.root)
    kept = [path for path in dict.fromkeys(files + named_outside(project.root))
            if path.resolve() not in sections and not is_inside(reviews, path)
            and (skip is None or not is_inside(skip, path))]
    h = Hasher(templates_key.encode())
    add_files(h, project.root, kept, limit_bytes(project.report.max_file_mb))
    return h.hexdigest()


def edition_inputs(project: Project, edition_id: str, shared: str) -> str:
    """``shared`` plus this edition's own selection: equal means the page cannot differ."""
    from ..compose.editions import get_edition, select

    edition = get_edition(project, edition_id)
    selection = [{"section": s.section.model_dump(mode="json", exclude={"blocks"}),
                  "blocks": [(i, b.model_dump(mode="json")) for i, b in s.blocks]}
                 for s in select(project, edition)]
    return json_digest({"shared": shared, "edition": edition.model_dump(mode="json"),
                        "selection": selection})


class CarriedTokens(dict[str, list[Any]]):
    """One load's Markdown tokens of each text (``load_project(parsed=...)``), where a text
    the last load parsed is taken from ``last``, not parsed again: the checks only read
    tokens, and a save changes a few texts of hundreds. The caller keeps only this load's
    texts for the next one, so the memo does not grow with every edit."""

    def __init__(self, last: dict[str, list[Any]]) -> None:
        super().__init__()
        self.last = last

    def get(self, text: str, default: Any = None) -> Any:
        found = super().get(text)
        if found is None and text in self.last:
            found = self[text] = self.last[text]
        return default if found is None else found
