"""Find the report folder without importing the heavy pipeline (keeps --help fast)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SourceNotFound

REPORT_FILE = Path("report") / "report.yaml"


def find_root(start: Path | None) -> Path:
    """The given folder, or the nearest folder upward holding report/report.yaml."""
    if start is not None:
        if not (start / REPORT_FILE).is_file():
            raise SourceNotFound(f"{start}: no report/report.yaml here; pass --source to the "
                                 "folder that holds report/, or start one there with "
                                 f"'kratom-report init {start}'")
        return start.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / REPORT_FILE).is_file():
            return folder
    raise SourceNotFound("no report/report.yaml found in this folder or any parent; "
                         "run inside a report folder, pass --source DIR, or start a new "
                         "report here with 'kratom-report init'")
