"""The documented seed file format: its JSON Schema is current and describes the data."""

from __future__ import annotations

import json

import jsonschema
import pytest

from gateway.services.demo import seed_dir
from schemas.seedfile import cluster_file_json_schema, taxonomy_file_json_schema

SCHEMAS = seed_dir() / "schema"


@pytest.mark.parametrize(
    ("name", "generate"),
    [("cluster-file", cluster_file_json_schema), ("taxonomy-file", taxonomy_file_json_schema)],
)
def test_committed_schema_is_generated_from_the_models(name, generate):
    committed = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert committed == generate(), "run: clusterhub seed-schema > seeds/schema/..."


@pytest.mark.parametrize(
    "path", sorted((seed_dir() / "clusters").glob("*.json")), ids=lambda p: p.stem
)
def test_every_demo_file_follows_the_schema(path):
    schema = json.loads((SCHEMAS / "cluster-file.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)


def test_the_taxonomy_follows_its_schema():
    schema = json.loads((SCHEMAS / "taxonomy-file.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(
        json.loads((seed_dir() / "taxonomy.json").read_text(encoding="utf-8")), schema
    )
