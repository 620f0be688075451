"""The on-disk cache of compiled templates: same output cold, warm or damaged; never trusted."""

from __future__ import annotations

import jinja2
import pytest

from kratom_report.compose.tplcache import TemplateCache, template_cache


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KRATOM_REPORT_NO_CACHE", raising=False)
    return tmp_path / "cache"


def _env(cache: TemplateCache, source: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(source), bytecode_cache=cache)


def test_built_html_is_the_same_cold_warm_and_after_the_cache_is_damaged(cli, tiny, tmp_path,
                                                                         cache_home):
    def html(name: str) -> bytes:
        out = tmp_path / name
        cli("build", "--source", tiny, "--out", out, "--format", "html", "--edition",
            "clinician")
        return next(out.glob("*.html")).read_bytes()

    cold = html("cold")
    files = sorted((cache_home / "kratom-report" / "templates").rglob("*.cache"))
    assert len(files) >= 5  # document, cover, sections, blocks…
    assert html("warm") == cold
    for i, path in enumerate(files):  # truncated, foreign, empty, garbage after the prefix
        data = path.read_bytes()
        path.write_bytes([data[: len(data) // 2], b"\x80\x04not ours", b"",
                          data[: data.index(b"\n", 30) + 1] + b"\xff" * 40][i % 4])
    assert html("damaged") == cold
    assert all(p.read_bytes().startswith(b"kratom-report-template-1\n") for p in files)


def test_a_changed_template_is_compiled_again(tmp_path):
    cache = TemplateCache(tmp_path)
    assert _env(cache, {"t": "one {{ x }}"}).get_template("t").render(x=1) == "one 1"
    assert _env(cache, {"t": "two {{ x }}"}).get_template("t").render(x=1) == "two 1"
    assert _env(cache, {"t": "two {{ x }}"}).get_template("t").render(x=2) == "two 2"


def test_code_planted_under_the_right_prefix_but_not_code_is_ignored(tmp_path):
    import marshal

    cache = TemplateCache(tmp_path)
    _env(cache, {"t": "a"}).get_template("t")
    [path] = tmp_path.glob("*.cache")
    prefix = path.read_bytes()[: path.read_bytes().index(b"\n", 30) + 1]
    path.write_bytes(prefix + marshal.dumps({"not": "code"}))
    assert _env(cache, {"t": "a"}).get_template("t").render() == "a"


def test_turned_off_or_unwritable_means_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KRATOM_REPORT_NO_CACHE", "1")
    assert template_cache() is None
    monkeypatch.delenv("KRATOM_REPORT_NO_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the folder should be
    assert template_cache() is None
