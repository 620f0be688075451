#!/usr/bin/env bash
# Install everything a fresh Debian/Ubuntu machine needs into ./.venv.
#   bash scripts/install.sh          the tool
#   bash scripts/install.sh --test   the tool, test dependencies and the PDF tools tests read with
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libharfbuzz-subset0)  # fast font subsetting for WeasyPrint
if [ "${1:-}" = "--test" ]; then
  packages+=(poppler-utils qpdf faketime)
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
else
  .venv/bin/python -m pip install -q -e .
fi
