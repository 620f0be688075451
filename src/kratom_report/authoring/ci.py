"""``init --ci github``: a GitHub Actions workflow that spreads a release over CI runners.

One job lists the editions (``kratom-report editions --format json``, so the matrix follows
report.yaml when the workflow runs, not when it was written); one job per edition builds its
tagged PDF and archival copy; one job assembles the release from those folders
(``release --assemble``, which refuses a piece built from other sources); one job publishes the
site to GitHub Pages. Every runner installs the same tool version with the same pinned rendering
stack, and the build fingerprints the assemble job checks include those versions.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..atomic import write_all
from ..errors import OutputError
from ..source.locate import REPORT_FILE
from .starter import InitError, Started, init_report

WORKFLOW = Path(".github") / "workflows" / "briefing.yml"

# The tool is not on a package index: TOOL_SPEC is what pip installs it from, set by the user.
_PLACEHOLDER = f"git+https://github.com/OWNER/kratom-report@v{__version__}"

_INSTALL = """\
      - uses: actions/setup-python@v6
        with:
          python-version: "3.11"
      - name: Install kratom-report
        run: |
          if [ -z "$TOOL_SPEC" ] || [[ "$TOOL_SPEC" == *OWNER* ]]; then
            echo "::error::set TOOL_SPEC in this workflow to what pip installs kratom-report from"
            exit 1
          fi
          sudo apt-get update -qq
          sudo apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
          python -m pip install --quiet "$TOOL_SPEC"
"""

_WORKFLOW = """\
# Written by 'kratom-report init --ci github' (kratom-report {version}).
#
# A release spread over runners: one job lists the editions in report/report.yaml, one job per
# edition builds its PDF and its archival PDF/A copy, one job assembles the release from their
# folders ('release --assemble' checks every piece against this commit and refuses a stale or
# foreign one) and one job publishes the release site to GitHub Pages (Settings > Pages >
# Source: GitHub Actions).
#
# Runs when a tag v* is pushed (release the version whose changelog entry has a date; a draft
# is refused) or by hand from the Actions tab.
#
# TOOL_SPEC: kratom-report is not on PyPI. Set TOOL_SPEC below to what pip installs it from,
# for example a git URL with a tag (git+https://github.com/OWNER/kratom-report@v{version}) or
# the URL of a wheel. Every job installs the same TOOL_SPEC: pieces built with another tool
# version have other build fingerprints, and the assemble job refuses them.
name: Briefing release

on:
  push:
    tags: ["v*"]
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: pages
  cancel-in-progress: false

env:
  TOOL_SPEC: "{placeholder}"

jobs:
  editions:
    runs-on: ubuntu-latest
    outputs:
      ids: ${{{{ steps.list.outputs.ids }}}}
    steps:
      - uses: actions/checkout@v6
{install}      - name: List the editions in report.yaml
        id: list
        run: |
          ids=$(kratom-report editions --format json | jq -c 'map(.id)')
          echo "ids=$ids" >> "$GITHUB_OUTPUT"

  build:
    needs: editions
    runs-on: ubuntu-latest
    strategy:
      matrix:
        edition: ${{{{ fromJSON(needs.editions.outputs.ids) }}}}
    steps:
      - uses: actions/checkout@v6
{install}      - name: Build the PDF and the archival copy
        env:
          EDITION: ${{{{ matrix.edition }}}}
        run: |
          kratom-report build --edition "$EDITION" --out "built/$EDITION"
          kratom-report build --edition "$EDITION" --pdf-variant pdf/a-3a --out "built/$EDITION"
      - uses: actions/upload-artifact@v6
        with:
          name: edition-${{{{ matrix.edition }}}}
          path: built/${{{{ matrix.edition }}}}
          include-hidden-files: true  # .build/ holds the build records the assemble job checks
          if-no-files-found: error

  release:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
{install}      - uses: actions/download-artifact@v6
        with:
          pattern: edition-*
          path: built
      - name: Assemble the release and its site
        run: |
          args=()
          for folder in built/*/; do args+=(--assemble "$folder"); done
          kratom-report release "${{args[@]}}" --out public
      # The release record (releases/<version>/) belongs in the repository: download it from
      # the run and commit it, so later releases and 'diff' know what this version was.
      - uses: actions/upload-artifact@v6
        with:
          name: release-record
          path: releases
      - uses: actions/upload-pages-artifact@v4
        with:
          path: public

  deploy:
    needs: release
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def github_workflow() -> str:
    """The workflow's text; nothing in it depends on the report (the matrix is read at run
    time), only on this tool's version."""
    return _WORKFLOW.format(version=__version__, placeholder=_PLACEHOLDER, install=_INSTALL)


def init_ci(dest: Path, *, title: str | None = None, editions: list[str] | None = None
            ) -> Started:
    """``init --ci github``: the workflow alone beside a report that exists, or a new starter
    report with it; an existing workflow file is never replaced (nothing is written)."""
    path = dest / WORKFLOW
    if path.exists() or path.is_symlink():
        raise InitError(f"{path}: exists already; nothing was written (move it away to get a "
                        "new one)")
    workflow = {WORKFLOW: github_workflow().encode("utf-8")}
    if not (dest / REPORT_FILE).exists():
        return init_report(dest, title=title, editions=editions, extra=workflow)
    if title is not None or editions is not None:
        raise InitError(f"{dest / REPORT_FILE}: a report is already here, so 'init --ci github' "
                        "adds only the workflow; leave out --title and --editions")
    for parent in (dest / ".github", dest / WORKFLOW.parent):
        if parent.is_symlink():
            raise InitError(f"{parent}: is a symbolic link; init writes only into real folders, "
                            "so nothing was written")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_all([(path, workflow[WORKFLOW])], exclusive=True)
    except OutputError as exc:
        raise InitError(f"{exc.path}: {exc.reason}; nothing was written") from None
    except OSError as exc:
        raise InitError(f"{exc.filename or path}: {exc.strerror or exc}; nothing was "
                        "written") from None
    return Started(dest.resolve(), [path])
