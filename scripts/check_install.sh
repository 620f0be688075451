#!/usr/bin/env bash
# Install the tool the way a user does, away from this checkout, and use it:
#   1. copy the repository (its files as git sees them, without .venv/, dist/ or caches) and make
#      the copy read-only;
#   2. `python -m build` the copy into a wheel and an sdist elsewhere and check that the wheel
#      holds every file git tracks under src/kratom_report/;
#   3. install the wheel into a fresh virtual environment (not editable) and with it write the
#      starter report (`init`), check it (`check --strict`) and build it (`build`);
#   4. `pipx install` the read-only copy (pipx's home and bin folder in a temporary folder) and
#      run the command it puts on the PATH;
#   5. check that the copy is byte for byte what it was before steps 2 and 4.
# Run as root, file permissions do not stop writes, so step 5 is what proves nothing was written.
# Needs .venv from `bash scripts/install.sh --test` (build and pipx). Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/kratom-install.XXXXXX")
trap 'chmod -R u+w "$work" && rm -rf "$work"' EXIT
say() { printf 'check_install: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

copy=$work/kratom-report
mkdir "$copy"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$copy"
chmod -R a-w "$copy"
# Every path with its type and mode, then every file's SHA-256.
listing() { (cd "$copy" && find . -printf '%y %m %p\n' | LC_ALL=C sort \
  && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }
listing >"$work/before"
unchanged() {
  listing >"$work/after"
  diff -u "$work/before" "$work/after" >&2 || fail "$1 changed the read-only copy (diff above)"
}

say "python -m build (read-only copy)"
.venv/bin/python -m build --outdir "$work/dist" "$copy" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; fail "python -m build"; }
unchanged "python -m build"
wheels=("$work"/dist/kratom_report-*.whl)
sdists=("$work"/dist/kratom_report-*.tar.gz)
[ -f "${wheels[0]}" ] && [ -f "${sdists[0]}" ] \
  || fail "python -m build made no wheel and sdist: $(ls "$work/dist")"
# The wheel python -m build made (from the sdist) holds every file git tracks in the package.
git ls-files -z src/kratom_report | .venv/bin/python -c '
import os, sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
tracked = [f for f in sys.stdin.read().split("\0") if f and os.path.isfile(f)]
missing = sorted(f for f in tracked if f.removeprefix("src/") not in names)
sys.exit(f"missing from {sys.argv[1]}: {missing}" if missing else 0)' "${wheels[0]}" \
  || fail "the wheel lacks package files"

say "wheel into a fresh virtual environment: init, check --strict, build"
# venv run from inside .venv makes a fresh environment on the same base Python (>= 3.11).
.venv/bin/python -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "${wheels[0]}" || fail "pip install ${wheels[0]}"
kr=$work/venv/bin/kratom-report
brief=$work/my-briefing
"$kr" init "$brief" --title "Installed from the wheel" || fail "kratom-report init"
"$kr" check --strict --source "$brief" || fail "kratom-report check --strict"
"$kr" build --source "$brief" --out "$work/out" || fail "kratom-report build"
pdfs=$(find "$work/out" -name '*.pdf' | wc -l)
[ "$pdfs" -ge 1 ] || fail "kratom-report build wrote no PDF into $work/out"
# The installed package is the one in the fresh environment, not this checkout's src/.
"$work/venv/bin/python" -c 'import kratom_report, sys; print(kratom_report.__file__)' \
  | grep -q "^$work/venv/" || fail "kratom_report is not imported from the fresh environment"

say "pipx install (read-only copy)"
PIPX_HOME=$work/pipx PIPX_BIN_DIR=$work/bin PIPX_MAN_DIR=$work/man \
  .venv/bin/pipx install "$copy" >"$work/pipx.log" 2>&1 \
  || { cat "$work/pipx.log" >&2; fail "pipx install $copy"; }
"$work/bin/kratom-report" --version || fail "kratom-report from pipx"
unchanged "pipx install"

say "ok: wheel and sdist built, wheel installed and built $pdfs PDF(s), pipx install left the copy unchanged"
