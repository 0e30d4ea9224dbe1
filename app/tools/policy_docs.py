"""The policy reference, rendered from the validator's KEYS (app/rules/policy.py).

`sendguard policy-reference` prints docs/policy.md (every key: its type, allowed values,
default and meaning) or, with `--format schema`, policy.schema.json, a JSON Schema for
editors that check TOML as it is typed (Taplo, the Even Better TOML extension). Both are
committed; a test renders them again and fails when they differ, so a key changed in the
validator cannot be left out of the reference.

The schema refuses what it can say: unknown keys, wrong types, patterns, allowed values,
required keys and empty lists. What it cannot (time zone names, one tenant per port or
signature, blank phrases) the validator refuses at load. It uses no `$ref` and no keyword
newer than draft 6, as editors implement different drafts.
"""

from __future__ import annotations

import json
from typing import Any

from app.rules.policy import (
    BOOLEAN,
    CAPS,
    CLOCK_RANGE,
    DURATION,
    KEY,
    KEYS,
    STRING,
    STRINGS,
    TABLE,
    TIME_ZONE,
    UNSAFE,
    Key,
    key_for,
)

FORMATS = ("markdown", "schema")
SCHEMA_ID = "https://sendguard.dev/schemas/policy.schema.json"
COMMANDS = {"markdown": "sendguard policy-reference > docs/policy.md",
            "schema": "sendguard policy-reference --format schema > policy.schema.json"}

# How each type is written, for the reference.
TYPES = {
    STRING: "a non-blank string",
    STRINGS: "an array of non-blank strings: `[\"a\", \"b\"]`",
    CAPS: "an array of caps `\"count/window\"`, the window in `s`, `m`, `h` or `d` "
          "(`[\"5/1h\", \"10/24h\"]`): at most *count* approved messages in any rolling "
          "window, exact to the millisecond; a message must fit every cap",
    DURATION: "`\"90s\"`, `\"30m\"`, `\"24h\"` or `\"7d\"` (a positive number of seconds, "
              "minutes, hours or days)",
    CLOCK_RANGE: "`\"HH:MM-HH:MM\"`, 24-hour clock, in the recipient's local time; may cross "
                 "midnight (`\"21:00-08:00\"`), not empty",
    TIME_ZONE: "an IANA time zone name: `\"Asia/Shanghai\"`",
    BOOLEAN: "`true` or `false`",
    TABLE: "a TOML table: `[name]`, or `name = { ... }`",
}
_SECTION_TITLES = {"": "Top level"}


def render(fmt: str) -> str:
    """The reference in `fmt` ("markdown" or "schema"), as the committed file holds it."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "schema":
        return json.dumps(schema(), ensure_ascii=False, indent=2) + "\n"
    return markdown()


# --- docs/policy.md -------------------------------------------------------------------------

def sections() -> list[tuple[str, list[Key]]]:
    """(table path, its keys) for the top level and every table holding values, in KEYS
    order; a refinement (`categories.marketing.consent`) follows its generic key."""
    found: dict[str, list[Key]] = {}
    for key in KEYS:
        if key.placeholder and key.kind == TABLE:
            continue  # its keys have their own section, which it introduces
        if key.parent in KEY or key.parent == "":
            found.setdefault(key.parent, []).append(key)
    for key in KEYS:  # refinements, after the key they refine
        if key.parent not in KEY and key.parent != "":
            rows = found[_generic(key.parent)]
            at = next(i for i, row in enumerate(rows) if row.name == key.name)
            rows.insert(at + 1, key)
    return list(found.items())


def _generic(table: str) -> str:
    """The placeholder table of an instance: categories.marketing -> categories.<category>."""
    parent = table.rpartition(".")[0]
    return next(key.path for key in KEYS if key.parent == parent and key.placeholder)


def markdown() -> str:
    lines = [
        "# Policy reference",
        "",
        f"<!-- Generated from KEYS in app/rules/policy.py by `{COMMANDS['markdown']}`: "
        "edit those, not this file. -->",
        "",
        "The policy is one TOML file (`--policy`, `$SENDGUARD_POLICY`) holding every rule and "
        "number SendGuard checks messages against. `sendguard policy-example` prints the "
        "commented example, [policy.example.toml](../policy.example.toml). The worker and "
        "`replay` read it at start and refuse to start on any problem, in one line naming each "
        "key (`tenants.jd.ports: '10690-001' is not a number like 106900001234`); unknown keys "
        "are refused too, so a typo never silently disables a rule. `version` is stamped on "
        "every decision record: bump it on every change.",
        "",
        "Editors that check TOML against a JSON Schema (Taplo, the Even Better TOML extension) "
        "use [policy.schema.json](../policy.schema.json), named by the example's first line "
        f"`#:schema ./policy.schema.json`; `{COMMANDS['schema']}` writes it next to a policy "
        "of your own.",
        "",
        "## Types",
        "",
        "| type | written as |",
        "|---|---|",
        *(f"| {kind} | {_cell(text)} |" for kind, text in TYPES.items()),
    ]
    for table, keys in sections():
        lines += ["", f"## {_SECTION_TITLES.get(table, f'`[{table}]`')}", ""]
        intro = _intro(table)
        if intro:
            lines += [intro, ""]
        lines += ["| key | type | allowed | default | meaning |", "|---|---|---|---|---|"]
        lines += [f"| `{_cell(key.path)}` | {key.kind} | {_cell(_allowed(key))} | "
                  f"{_cell(_default(key))} | {_cell(key.meaning)} |" for key in keys]
    lines += ["", "## Refused as unsafe", "",
              "Some policies are refused at load whatever was meant, because the gate would be "
              "unsafe:", "", *(f"- {item};" for item in UNSAFE[:-1]), f"- {UNSAFE[-1]}."]
    return "\n".join(lines) + "\n"


def _intro(table: str) -> str:
    """What a table is: its own meaning, and a placeholder's names."""
    if table == "":
        return ""
    key = KEY[table]
    text = key.meaning
    if key.placeholder and key.allowed:
        text += f" `{key.name}` is one of {_values(key.allowed)}; all are required."
    return text


def _values(values: tuple[str, ...]) -> str:
    return ", ".join(f"`{value}`" for value in values)


def _allowed(key: Key) -> str:
    parts = []
    if key.allowed and not key.placeholder:
        parts.append(_values(key.allowed))
    if key.pattern and key.kind in (STRING, STRINGS):
        parts.append(f"{'each ' if key.kind == STRINGS else ''}matches `{key.pattern}`")
    if key.name_pattern:
        parts.append(f"key matches `{key.name_pattern}`")
    if key.min_items:
        parts.append(f"at least {key.min_items}")
    return "; ".join(parts)


def _default(key: Key) -> str:
    if key.required:
        return "required"
    if key.default is None:
        return "" if key.kind != TABLE else "empty"
    return f"`{_toml(key.default)}`"


def _toml(value: str | bool | tuple[str, ...]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _cell(text: str) -> str:
    """Text in a Markdown table cell: `|` escaped (in code spans too, as GitHub reads them)."""
    return text.replace("|", "\\|")


# --- policy.schema.json ---------------------------------------------------------------------

def schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "SendGuard policy",
        "description": "The rules every outbound SMS is checked against (docs/policy.md). "
                       "Generated from the validator (app/rules/policy.py): "
                       f"{COMMANDS['schema']}. The validator also refuses what a schema "
                       "cannot say: unknown time zones, a port or signature listed by two "
                       "tenants, blank phrases.",
        **_table(""),
    }


def _table(path: str, instance: str | None = None) -> dict[str, Any]:
    """The schema of the table at `path` (`instance`: the table it is, for refinements)."""
    keys = [key for key in KEYS if key.parent == path]
    node: dict[str, Any] = {"type": "object"}
    if len(keys) == 1 and keys[0].placeholder:
        [entry] = keys
        if entry.allowed:  # fixed names, all required
            node["properties"] = {name: _value(entry, f"{path}.{name}") for name in entry.allowed}
            node["required"] = list(entry.allowed)
            node["additionalProperties"] = False
        else:
            names: dict[str, Any] = {"pattern": _anchored(entry.name_pattern)}
            if entry.reserved:
                names["not"] = {"enum": list(entry.reserved)}
            node["propertyNames"] = names
            node["additionalProperties"] = _value(entry)
        if KEY[path].min_items:
            node["minProperties"] = KEY[path].min_items
        return node
    table = instance or path
    refined = [key_for(table, path, key.name) if instance else key for key in keys]
    node["properties"] = {key.name: _value(key) for key in refined}
    required = [key.name for key in refined if key.required]
    if required:
        node["required"] = required
    node["additionalProperties"] = False
    return node


def _value(key: Key, instance: str | None = None) -> dict[str, Any]:
    """The schema of one key's value."""
    node: dict[str, Any] = {"description": key.meaning}
    if key.kind == TABLE:
        node.update(_table(key.path, instance))
    elif key.kind == BOOLEAN:
        node["type"] = "boolean"
    elif key.kind in (STRINGS, CAPS):
        node["type"] = "array"
        node["items"] = {"type": "string", "pattern": _anchored(key.pattern) or r"\S"}
        if key.min_items:
            node["minItems"] = key.min_items
    else:
        node["type"] = "string"
        if key.allowed:
            node["enum"] = list(key.allowed)
        else:
            pattern = _anchored(key.pattern) or r"\S"
            if key.default == "":  # "" is a value of its own (no quiet hours)
                pattern = f"^$|{pattern}"
            node["pattern"] = pattern
    if not key.required and key.default is not None:
        node["default"] = list(key.default) if isinstance(key.default, tuple) else key.default
    return node


def _anchored(pattern: str) -> str:
    return f"^(?:{pattern})$" if pattern else ""
