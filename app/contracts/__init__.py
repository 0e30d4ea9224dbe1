"""The contracts the package ships: topics.toml, the JSON Schemas and the example policy.

Their sources are topics/ and policy.example.toml at the top of the repository, where people
read and edit them; this package holds symbolic links to them, which the wheel replaces with
the files. Code reads them only through here (importlib.resources), so a worker installed
from the wheel finds the same contracts as one run from a checkout.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

TOPICS = "topics.toml"
EXAMPLE_POLICY = "policy.example.toml"


def resource(name: str) -> Traversable:
    """A packaged file by its path in this package, e.g. "schemas/decision.schema.json"."""
    found = files(__name__)
    for part in name.split("/"):
        found = found / part
    return found


def read_text(name: str) -> str:
    return resource(name).read_text(encoding="utf-8")


def path(name: str) -> Path:
    """The file on disk. The package is installed as files, never zipped, so this is the
    resource itself (importlib.resources.as_file would copy it to a temporary file only for
    an archive)."""
    found = resource(name)
    if not isinstance(found, Path):
        raise RuntimeError(f"sendguard's package data is not on a file system ({found!r})")
    return found


def topics_toml() -> str:
    return read_text(TOPICS)


def example_policy_path() -> Path:
    return path(EXAMPLE_POLICY)


def schema_names() -> list[str]:
    """The contract names that have a JSON Schema ("decision", "send-intent", ...)."""
    return sorted(entry.name.removesuffix(".schema.json") for entry in resource("schemas")
                  .iterdir() if entry.name.endswith(".schema.json"))


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one record kind, e.g. schema("decision")."""
    document: dict[str, Any] = json.loads(read_text(f"schemas/{name}.schema.json"))
    return document
