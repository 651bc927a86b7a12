"""JSON Schemas for editors: committed, up to date, and referenced by every source file."""

from __future__ import annotations

import json

import jsonschema

from badgepages.schemas import SCHEMAS_DIR, render_schemas
from badgepages.sources import parse_yaml
from tests.conftest import REPO


def test_committed_schemas_are_up_to_date() -> None:
    for name, text in render_schemas().items():
        committed = (REPO / SCHEMAS_DIR / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: run `make schemas`"


def test_every_source_file_names_its_schema_and_passes_it() -> None:
    sources = {
        "site_config.yaml": "schemas/site_config.schema.json",
        **{
            f"badges/{p.name}": "../schemas/badge.schema.json"
            for p in (REPO / "badges").glob("*.yaml")
        },
        **{
            f"recipients/{p.name}": "../schemas/recipient.schema.json"
            for p in (REPO / "recipients").glob("*.yaml")
        },
    }
    for path, schema_ref in sources.items():
        text = (REPO / path).read_text(encoding="utf-8")
        assert text.startswith(f"# yaml-language-server: $schema={schema_ref}\n"), path
        schema = json.loads(((REPO / path).parent / schema_ref).read_text(encoding="utf-8"))
        # YAML 1.2, as yaml-language-server reads it (YAML 1.1 would read the key `on` as true).
        document, problems = parse_yaml(text.encode(), path)
        assert document is not None
        assert not problems
        jsonschema.validate(document.data, schema)
