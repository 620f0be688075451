"""Whatever an author types, the loader answers with a valid report or located problems."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratom_report.errors import ProblemsError
from kratom_report.source.project import load_project

from conftest import FIXTURES

SOURCE = FIXTURES / "tiny"
QUIET = [HealthCheck.function_scoped_fixture]
FILES = ["report/report.yaml", "report/sections/intro.yaml", "report/sections/practice.yaml",
         "report/changelog.yaml", "report/references.yaml", "report/data/timeline.yaml"]
ORIGINALS = {name: yaml.safe_load((SOURCE / name).read_text()) for name in FILES}

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.dates())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutations(draw):
    name = draw(st.sampled_from(FILES))
    data = yaml.safe_load(yaml.safe_dump(ORIGINALS[name]))
    paths = [p for p in _paths(data) if p]
    path = draw(st.sampled_from(paths))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["drop", "rename", "retype"]))
    key = path[-1]
    if action == "drop":
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(key)
    else:
        parent[key] = draw(values)
    return name, yaml.safe_dump(data, allow_unicode=True, default_flow_style=False)


def _outcome(root: Path) -> None:
    try:
        load_project(root)
    except ProblemsError as exc:
        assert exc.problems
        for problem in exc.problems:
            text = str(problem)
            assert text.startswith(problem.path) and problem.message


@settings(max_examples=400, deadline=None, suppress_health_check=QUIET)
@given(change=mutations())
def test_mutated_real_files(tmp_path_factory, change):
    root = tmp_path_factory.mktemp("m")
    shutil.copytree(SOURCE, root, dirs_exist_ok=True)
    name, text = change
    (root / name).write_text(text, encoding="utf-8")
    _outcome(root)


@settings(max_examples=200, deadline=None, suppress_health_check=QUIET)
@given(text=st.one_of(st.text(max_size=300),
                      st.binary(max_size=200).map(lambda b: b.decode("latin-1"))),
       name=st.sampled_from(FILES))
def test_random_text(tmp_path_factory, text, name):
    root = tmp_path_factory.mktemp("r")
    shutil.copytree(SOURCE, root, dirs_exist_ok=True)
    (root / name).write_text(text, encoding="utf-8", errors="surrogateescape")
    _outcome(root)
