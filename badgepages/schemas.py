"""JSON Schemas of the YAML sources, generated from the input models for editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from badgepages.keys import KeysSource
from badgepages.models import BadgeSource, RecipientSource, SiteConfigSource

SCHEMAS_DIR = "schemas"
SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "site_config.schema.json": SiteConfigSource,
    "badge.schema.json": BadgeSource,
    "recipient.schema.json": RecipientSource,
    "keys.schema.json": KeysSource,
}


def generate_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Return the JSON Schema of a source model (draft 2020-12, as pydantic writes it)."""
    schema = model.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_schemas() -> dict[str, str]:
    """Return each schema file's text."""
    return {
        name: json.dumps(generate_schema(model), indent=2, ensure_ascii=False) + "\n"
        for name, model in SCHEMA_FILES.items()
    }


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema file into ``directory``; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        (directory / name).write_text(text, encoding="utf-8")
        written.append(directory / name)
    return written
