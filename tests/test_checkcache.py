"""The caches that make ``check`` fast (parsed sources, summaries that fit, release records that
check out): a warm run says exactly what a cold one says, only changed files are parsed again,
and nothing is trusted that this user's key did not authenticate or that a shared folder holds."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from kratom_report import cachetrust
from kratom_report.cachetrust import read_entry, write_entry
from kratom_report.fingerprint import mac
from kratom_report.publish import pdf
from kratom_report.publish.records import record_problems
from kratom_report.source import loader, parsecache

from conftest import FIXTURES, REPO


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files really parsed from now on (a cache hit is not a parse)."""
    seen: list[str] = []
    real = loader.parse_yaml

    def counting(text: str, path: Path, display: str) -> loader.YamlDoc:
        seen.append(display)
        return real(text, path, display)

    monkeypatch.setattr(loader, "parse_yaml", counting)
    return seen


def _copy(name: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / name, dest)
    return dest


def test_a_warm_check_says_exactly_what_a_cold_one_says(
        cache_home: Path, tmp_path: Path, cli, parsed: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy("summaries", tmp_path / "r")
    with monkeypatch.context() as m:
        m.setenv(cachetrust.DISABLE_ENV, "1")
        uncached = cli("check", "--source", root, "--format", "json")
    cold = cli("check", "--source", root)
    assert cold.exit_code == uncached.exit_code == 0, cold.output + uncached.output
    assert len(list((cache_home / "parsed-yaml").glob("*.json"))) == len(
        set(parsed)) > 5  # one entry per file parsed clean
    assert len(list((cache_home / "summary-fits").glob("*.json"))) == 4  # 2 editions × 2
    parsed.clear()
    monkeypatch.setattr(pdf, "lay_out", _refuse)  # a fitting summary is not laid out again
    warm = cli("check", "--source", root)
    warm_json = cli("check", "--source", root, "--format", "json")
    assert parsed == []
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)
    assert (warm_json.exit_code, warm_json.output) == (uncached.exit_code, uncached.output)
    assert json.loads(warm_json.output)["ok"] is True


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("laid out although the cache knows it fits")


def test_only_the_changed_file_is_parsed_again_and_errors_are_never_cached(
        cache_home: Path, tmp_path: Path, cli, parsed: list[str]) -> None:
    root = _copy("tiny", tmp_path / "r")
    assert cli("check", "--source", root).exit_code == 0
    section = sorted((root / "report" / "sections").glob("*.yaml"))[0]
    shown = f"report/sections/{section.name}"
    parsed.clear()
    section.write_text(section.read_text(encoding="utf-8") + "# an edit\n", encoding="utf-8")
    assert cli("check", "--source", root).exit_code == 0
    assert parsed == [shown]
    # A file that does not parse is parsed (and its problem located) every time.
    section.write_text(section.read_text(encoding="utf-8") + "blocks: [\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as m:
        m.setenv(cachetrust.DISABLE_ENV, "1")
        expected = cli("check", "--source", root)
    parsed.clear()
    first, second = cli("check", "--source", root), cli("check", "--source", root)
    assert expected.exit_code == first.exit_code == second.exit_code == 1
    assert expected.output == first.output == second.output
    assert f"{shown}:" in first.output
    assert parsed == [shown, shown]


TRICKY = """\
text: "caf\\u00e9 \\U0001F600 tab\\there"
date: 2024-02-29
stamp: 2024-02-29 10:30:00.5+05:30
naive: 2024-02-29T10:30:00
numbers: [1, -0.0, 1.10, .inf, -.inf, 12345678901234567890, 0x1F, true, ~, "1.10"]
nested: {a: [[], {}, [{b: null}]], "": empty key, "l": ["m", "d"]}
"""


def test_a_cached_document_is_the_document_parsed(cache_home: Path, tmp_path: Path,
                                                  parsed: list[str]) -> None:
    path = tmp_path / "tricky.yaml"
    path.write_text(TRICKY, encoding="utf-8")
    fresh = loader.load_yaml(path, "tricky.yaml")
    cold = parsecache.load_cached(path, "tricky.yaml")
    warm = parsecache.load_cached(path, "tricky.yaml")
    assert parsed == ["tricky.yaml", "tricky.yaml"]  # load_yaml, then the cold cached load
    assert warm == cold == fresh
    assert repr(warm.data) == repr(fresh.data)  # types too: -0.0, dates, aware datetimes
    assert isinstance(warm.data["stamp"], dt.datetime) and warm.data["stamp"].utcoffset()


def _entry_file(cache_home: Path, kind: str) -> Path:
    [path] = (cache_home / kind).glob("*.json")
    return path


@pytest.mark.parametrize("forger", ["payload edited", "another key", "no mac", "not json"])
def test_a_tampered_entry_is_ignored_and_replaced(cache_home: Path, tmp_path: Path,
                                                 parsed: list[str], forger: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("title: the real title\n", encoding="utf-8")
    parsecache.load_cached(path, "a.yaml")
    entry = _entry_file(cache_home, "parsed-yaml")
    stored = json.loads(entry.read_text(encoding="utf-8"))
    planted = stored["payload"].replace("the real title", "a planted title")
    key = entry.stem
    if forger == "payload edited":
        stored["payload"] = planted
    elif forger == "another key":
        stored["payload"], stored["mac"] = planted, mac(b"k" * 32, "parsed-yaml", key, planted)
    elif forger == "no mac":
        stored["payload"], stored["mac"] = planted, None
    entry.write_text("{" if forger == "not json" else json.dumps(stored), encoding="utf-8")
    parsed.clear()
    doc = parsecache.load_cached(path, "a.yaml")
    assert doc.data == {"title": "the real title"} and parsed == ["a.yaml"]
    assert "planted" not in entry.read_text(encoding="utf-8")  # rewritten by the parse
    parsed.clear()
    assert parsecache.load_cached(path, "a.yaml").data == {"title": "the real title"}
    assert parsed == []


def test_an_entry_is_bound_to_its_kind_and_key(cache_home: Path) -> None:
    write_entry("summary-fits", "a" * 64, "fits")
    assert read_entry("summary-fits", "a" * 64) == "fits"
    shutil.copy(cache_home / "summary-fits" / f"{'a' * 64}.json",
                cache_home / "summary-fits" / f"{'b' * 64}.json")
    (cache_home / "records-checked").mkdir()
    shutil.copy(cache_home / "summary-fits" / f"{'a' * 64}.json",
                cache_home / "records-checked" / f"{'a' * 64}.json")
    assert read_entry("summary-fits", "b" * 64) is None  # copied under another key
    assert read_entry("records-checked", "a" * 64) is None  # or into another kind
    assert read_entry("summary-fits", "../x") is None


@pytest.mark.parametrize("how", ["linked cache folder", "linked kind folder",
                                 "group-writable kind folder", "another user's key"])
def test_an_untrusted_folder_is_not_used(cache_home: Path, tmp_path: Path, how: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache_home.parent.mkdir(parents=True)
    if how == "linked cache folder":
        cache_home.symlink_to(elsewhere)
        where, reason = cache_home, "is a symbolic link"
    elif how == "linked kind folder":
        cache_home.mkdir(mode=0o700)
        (cache_home / "summary-fits").symlink_to(elsewhere)
        where, reason = cache_home / "summary-fits", "is a symbolic link"
    elif how == "group-writable kind folder":
        cache_home.mkdir(mode=0o700)
        (cache_home / "summary-fits").mkdir()
        os.chmod(cache_home / "summary-fits", 0o770)
        where, reason = cache_home / "summary-fits", "can be written by group or others"
    else:
        assert cachetrust.cache_key() is not None
        where = cachetrust.key_path()
        os.chmod(where, 0o640)
        reason = "can be read or written by others"
    for _ in range(2):
        write_entry("summary-fits", "a" * 64, "fits")
        assert read_entry("summary-fits", "a" * 64) is None
    assert list(elsewhere.iterdir()) == []
    assert not list(cache_home.rglob("*.json"))
    assert capsys.readouterr().err == (
        f"warning: cache {where} {reason}; not using it (the run goes on without a cache; fix "
        "its permissions or remove it)\n")


def test_a_release_record_is_checked_again_when_its_bytes_change(cache_home: Path,
                                                                 tmp_path: Path) -> None:
    root = tmp_path / "r"
    shutil.copytree(REPO / "releases", root / "releases")
    assert record_problems(root) == []
    assert len(list((cache_home / "records-checked").glob("*.json"))) == len(
        [p for p in (root / "releases").iterdir() if (p / "manifest.json").exists()])
    content = sorted((root / "releases").glob("*/content.json"))[-1]
    data = json.loads(content.read_text(encoding="utf-8"))
    edition = next(iter(data["editions"].values()))
    edition["title"] = "Edited by hand"
    content.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n",
                       encoding="utf-8")
    [problem] = record_problems(root)
    assert problem.path == f"releases/{content.parent.name}/content.json"
    assert "damaged or edited by hand" in problem.message


# ------------------------------------------------- a clean check remembered (checkmemo.py)

def _cited_outside(tmp_path: Path) -> Path:
    """The tiny report citing three works with notices, its Retraction Watch CSV kept outside
    report/ (report.yaml names it as ../data/rw.csv): check warns once per notice."""
    from test_retractions import cite_the_test_works

    root = _copy("tiny", tmp_path / "r")
    cite_the_test_works(root, root / "data" / "rw.csv")
    yaml = root / "report" / "report.yaml"
    yaml.write_text(yaml.read_text() + "retractions: ../data/rw.csv\n")
    return root


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The checks really run from now on (a remembered one is not run)."""
    from kratom_report import build

    ran: list[Path] = []
    real = build.check

    def counting(root: Path, **kwargs: object) -> build.CheckResult:
        ran.append(root)
        return real(root, **kwargs)

    monkeypatch.setattr(build, "check", counting)
    return ran


def test_an_unchanged_report_is_not_checked_again(cache_home: Path, tmp_path: Path, cli,
                                                  checks: list[Path]) -> None:
    root = _cited_outside(tmp_path)
    cold = cli("check", "--source", root)
    assert cold.exit_code == 0, cold.output
    assert cold.stderr.count("warning: reference '") == 3  # warnings are remembered too
    warm, strict = cli("check", "--source", root), cli("check", "--source", root, "--strict")
    assert len(checks) == 1
    assert (warm.exit_code, warm.stdout, warm.stderr) == (0, cold.stdout, cold.stderr)
    assert (strict.exit_code, strict.stderr) == (1, cold.stderr)
    # The file report.yaml names outside report/ is an input: a notice gone is one warning less.
    csv = root / "data" / "rw.csv"
    csv.write_text(csv.read_text().replace(
        csv.read_text().splitlines(keepends=True)[3], ""))
    after = cli("check", "--source", root)
    assert len(checks) == 2
    assert after.exit_code == 0 and after.stderr.count("warning: reference '") == 2


def _key_after(root: Path, change: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    from kratom_report.checkmemo import unchanged_key

    if change == "a section":
        section = root / "report" / "sections" / "intro.yaml"
        section.write_text(section.read_text() + "# an edit\n")
    elif change == "a new file in report/":
        (root / "report" / "notes.txt").write_text("new\n")
    elif change == "a template":
        (root / "templates").mkdir()
        (root / "templates" / "print.css").write_text("p { color: black }\n")
    elif change == "a release record":
        (root / "releases" / "1.0.0").mkdir(parents=True)
        (root / "releases" / "1.0.0" / "manifest.json").write_text("{}\n")
    elif change == "today":
        monkeypatch.setenv("KRATOM_REPORT_TODAY", "2031-01-01")
    elif change == "a renderer's version":
        from kratom_report import fingerprint

        monkeypatch.setattr(fingerprint, "_version", lambda name: "99")  # every library
    return unchanged_key(root)


@pytest.mark.parametrize("change", ["a section", "a new file in report/", "a template",
                                    "a release record", "today", "a renderer's version"])
def test_every_input_of_a_check_is_in_its_key(cache_home: Path, tmp_path: Path, change: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from kratom_report.checkmemo import unchanged_key

    root = _copy("tiny", tmp_path / "r")
    before = unchanged_key(root)
    assert before is not None and unchanged_key(root) == before
    assert _key_after(root, change, monkeypatch) not in (before, None)


def test_a_check_with_errors_is_never_remembered(cache_home: Path, tmp_path: Path, cli,
                                                 checks: list[Path]) -> None:
    root = _copy("tiny", tmp_path / "r")
    section = root / "report" / "sections" / "intro.yaml"
    section.write_text(section.read_text() + "blocks: [\n")
    first, second = cli("check", "--source", root), cli("check", "--source", root)
    assert first.exit_code == second.exit_code == 1 and first.output == second.output
    assert "report/sections/intro.yaml:" in first.output
    assert len(checks) == 2
    assert not list((cache_home / "checked").glob("*.json"))


def test_stats_are_always_counted_and_no_cache_means_no_memo(
        cache_home: Path, tmp_path: Path, cli, checks: list[Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy("tiny", tmp_path / "r")
    assert cli("check", "--source", root).exit_code == 0
    stats = cli("check", "--source", root, "--stats")
    assert stats.exit_code == 0 and "reading grade" in stats.stdout
    assert len(checks) == 2  # statistics need the composed editions: never remembered
    monkeypatch.setenv(cachetrust.DISABLE_ENV, "1")
    assert cli("check", "--source", root).exit_code == 0
    assert len(checks) == 3


def test_an_edited_remembered_check_is_not_believed(cache_home: Path, tmp_path: Path, cli,
                                                    checks: list[Path]) -> None:
    root = _copy("tiny", tmp_path / "r")
    cold = cli("check", "--source", root)
    entry = _entry_file(cache_home, "checked")
    stored = json.loads(entry.read_text())
    stored["payload"] = stored["payload"].replace('"sections": ', '"sections": 1')
    entry.write_text(json.dumps(stored))
    again = cli("check", "--source", root)
    assert len(checks) == 2 and again.output == cold.output
