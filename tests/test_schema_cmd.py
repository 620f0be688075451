"""`kratom-report schema`: JSON Schemas for the author's editor, generated from the models, that
the shipped report and the starter satisfy and a misspelt key does not."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from kratom_report.source.jsonschemas import GLOBS, json_schemas

from conftest import FIXTURES, REPO

NAMES = ["report.schema.json", "section.schema.json", "references.schema.json",
         "facts.schema.json"]


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What ``init`` writes (its templates filled in)."""
    from kratom_report.authoring.starter import init_report

    folder = tmp_path_factory.mktemp("starter") / "briefing"
    init_report(folder, title=None, editions=None)
    return folder / "report"


def validator(name: str) -> jsonschema.Draft7Validator:
    schema = json.loads(json_schemas()[name])
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def as_json(path: Path) -> object:
    """A YAML file as an editor's language server sees it: unquoted dates are text."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))


def errors(name: str, data: object) -> list[str]:
    return sorted(f"{list(e.absolute_path)}: {e.message}"
                  for e in validator(name).iter_errors(data))


@pytest.mark.parametrize("which", ["shipped", "starter"])
def test_the_shipped_report_and_the_starter_validate(which, request):
    """Every file each schema is mapped onto (the globs init writes for the editor)."""
    report = REPO / "report" if which == "shipped" else request.getfixturevalue("starter")
    seen = []
    for name, glob in GLOBS.items():
        paths = sorted(report.glob(glob))
        assert paths, glob
        for path in paths:
            assert errors(name, as_json(path)) == [], path
            seen.append(path.relative_to(report).as_posix())
    assert len(seen) == 3 + len(yaml.safe_load((report / "report.yaml").read_text())["sections"])


def test_a_facts_file_validates(starter):
    for path in (starter / "facts.yaml", REPO / "report" / "facts.yaml",
                 FIXTURES / "summaries" / "report" / "facts.yaml"):
        assert errors("facts.schema.json", as_json(path)) == [], path


def test_a_misspelt_key_fails():
    report = as_json(REPO / "report" / "report.yaml")
    assert isinstance(report, dict)
    report["titel"] = report.pop("title")
    assert errors("report.schema.json", report) == [
        "[]: 'title' is a required property",
        "[]: Additional properties are not allowed ('titel' was unexpected)"]
    refs = as_json(REPO / "report" / "references.yaml")
    assert isinstance(refs, dict)
    refs["references"][0]["verifed_by"] = "typo"
    assert errors("references.schema.json", refs) == [
        "['references', 0]: Additional properties are not allowed ('verifed_by' was unexpected)"]


def test_a_misspelt_block_key_or_block_type_fails_naming_it():
    """Blocks are checked against their own type only, so the message names the key."""
    section = as_json(REPO / "report" / "sections" / "options.yaml")
    assert isinstance(section, dict)
    table = next(i for i, b in enumerate(section["blocks"]) if b["type"] == "table")
    section["blocks"][table]["captoin"] = section["blocks"][table].pop("caption")
    section["blocks"][0]["type"] = "markdwon"
    assert errors("section.schema.json", section) == [
        "['blocks', 0, 'type']: 'markdwon' is not one of ['callout', 'evidence_table', "
        "'figure', 'markdown', 'table']",
        f"['blocks', {table}]: 'caption' is a required property",
        f"['blocks', {table}]: Additional properties are not allowed ('captoin' was unexpected)"]


def test_the_schemas_use_the_dialect_editors_validate_with():
    """The YAML language server validates with draft-07: no newer keywords, no unknown keys
    anywhere a model forbids them (every object with properties is closed)."""
    def objects(node: object):
        if isinstance(node, dict):
            if "properties" in node:
                yield node
            for key, value in node.items():
                if key != "if":  # a condition on the tag, not a shape
                    yield from objects(value)
        elif isinstance(node, list):
            for value in node:
                yield from objects(value)

    for name in NAMES:
        schema = json.loads(json_schemas()[name])
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        text = json.dumps(schema)
        for newer in ("prefixItems", "unevaluated", "$dynamicRef", "dependentRequired",
                      "discriminator"):
            assert newer not in text, (name, newer)
        for node in objects(schema):
            closed = node.get("additionalProperties") is False or "allOf" in node
            assert closed or node.get("patternProperties"), (name, sorted(node["properties"]))


def test_schema_writes_every_file(cli, tiny, tmp_path):
    result = cli("schema", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    folder = tiny / "report" / ".schemas"
    assert result.stdout.splitlines() == [str(folder / n) for n in NAMES]
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)
    out = tmp_path / "elsewhere" / "schemas"
    assert cli("schema", "--source", tiny, "--out", out).exit_code == 0
    for name in NAMES:  # the same bytes every time
        assert (out / name).read_bytes() == (folder / name).read_bytes() == json_schemas()[name]
        data = json_schemas()[name]  # sorted keys, two-space indent, a final newline: diffs well
        assert data == (json.dumps(json.loads(data), indent=2, sort_keys=True,
                                   ensure_ascii=False) + "\n").encode("utf-8")


def test_schema_refuses_a_file_as_its_folder(cli, tiny):
    target = tiny / "taken"
    target.write_text("x", encoding="utf-8")
    result = cli("schema", "--source", tiny, "--out", target)
    assert result.exit_code == 1
    assert result.stderr == f"{target}: not a folder; give --out a folder for the schemas\n"
    assert target.read_text(encoding="utf-8") == "x"


def undescribed(node: object, where: str = "") -> list[str]:
    """Every property, anywhere in a schema ($defs, items, conditions included), whose
    description is missing or blank, as a path."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, prop in node.get("properties", {}).items():
            text = prop.get("description") if isinstance(prop, dict) else None
            if not isinstance(text, str) or not text.strip():
                found.append(f"{where}.{key}")
        for key, value in node.items():
            found += undescribed(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += undescribed(value, f"{where}[{index}]")
    return found


def test_every_key_of_every_schema_has_a_description():
    """The editor shows it on hover and the docs' key tables print it."""
    counted = 0
    for name in NAMES:
        schema = json.loads(json_schemas()[name])
        assert undescribed(schema) == [], name
        counted += sum(len(body["properties"]) for body in [schema, *schema["$defs"].values()]
                       if "properties" in body)
    assert counted > 200  # every key of the four files and of the objects they hold
    # The walk finds a key without one wherever it is, so the check above can fail.
    assert undescribed({"$defs": {"A": {"properties": {"x": {"type": "string"},
                                                       "y": {"description": " "}}}},
                        "allOf": [{"if": {"properties": {"t": {"const": 1}}}}]}) == [
        "/$defs/A.x", "/$defs/A.y", "/allOf[0]/if.t"]


def test_every_model_key_has_a_description():
    """Changelog, data and layout files have no schema yet: their keys are described too."""
    from kratom_report.source import blockmodels, datamodels, facts, models, refmodels, thememodels
    from kratom_report.source.modelbase import Strict

    classes = {cls for module in (models, blockmodels, datamodels, facts, refmodels, thememodels)
               for cls in vars(module).values()
               if isinstance(cls, type) and issubclass(cls, Strict) and cls is not Strict}
    assert {"Changelog", "DataFile", "LayoutFile", "Section", "FigureBlock", "Fact"} <= {
        cls.__name__ for cls in classes}
    missing = [f"{cls.__name__}.{name}" for cls in classes
               for name, field in cls.model_fields.items()
               if not (field.description or "").strip()]
    assert missing == []
