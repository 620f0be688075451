"""The PDF renderer reads data: URLs and files inside the report, nothing else."""

from __future__ import annotations

import socket

import pytest

from kratom_report.errors import ProblemsError
from kratom_report.publish.pdf import fetch_refusal, write_pdf


@pytest.mark.parametrize(("url", "reason"), [
    ("https://example.org/a.png",
     "refused to fetch 'https://example.org/a.png': only files inside the report folder are "
     "read (no network access)"),
    ("http://127.0.0.1/x.css",
     "refused to fetch 'http://127.0.0.1/x.css': only files inside the report folder are read "
     "(no network access)"),
    ("ftp://example.org/x", "refused to fetch 'ftp://example.org/x': only files inside the "
                            "report folder are read (no network access)"),
    ("file:///etc/passwd", "refused to read: URL 'file:///etc/passwd' leads outside the report "
                           "folder (after following links); a report reads only files inside "
                           "its own folder: copy the file into report/ and name it relative to "
                           "report/"),
])
def test_refusals(tmp_path, url, reason):
    assert fetch_refusal(url, tmp_path) == reason


def test_dotdot_and_inside_paths(tmp_path):
    inside = (tmp_path / "report" / "a.png").as_uri()
    assert fetch_refusal(inside, tmp_path) is None
    escape = f"file://{tmp_path}/report/../../etc/passwd"
    assert fetch_refusal(escape, tmp_path) == f"refused to read '{escape}': '..' is not " \
                                              "allowed in paths"
    assert fetch_refusal("data:text/plain,hi", tmp_path) is None


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test: refusals must happen before the network."""
    attempts = []

    def guard(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)
    return attempts


@pytest.mark.parametrize("src", ["https://example.org/pixel.png", "file:///etc/passwd",
                                 "../../etc/passwd", "/etc/passwd"])
def test_render_refuses_and_fails(tmp_path, no_network, src):
    (tmp_path / "report").mkdir()
    html = f'<html lang="en"><body><p>x</p><img alt="a" src="{src}"></body></html>'
    with pytest.raises(ProblemsError) as err:
        write_pdf(html, tmp_path, "test edition")
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 1 and messages[0].startswith("refused to "), messages
    assert all(p.path == "test edition" for p in err.value.problems)
    assert no_network == []


def test_render_reads_files_inside_the_report(tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    (report / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" '
                                    'height="4"><rect width="4" height="4"/></svg>')
    html = '<html lang="en"><head><title>t</title></head><body><p>x</p>' \
           '<img alt="a dot" src="dot.svg"></body></html>'
    result = write_pdf(html, tmp_path, "test edition")
    assert result.pages == 1 and result.data.startswith(b"%PDF")
