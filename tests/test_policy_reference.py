"""The policy reference (docs/policy.md) and schema (policy.schema.json) match the validator."""

from __future__ import annotations

import copy
import datetime
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from app import contracts
from app.rules.policy import KEY, KEYS, TABLE, Key, PolicyError, parse_policy
from app.tools import policy_docs
from app.tools.cli import main

ROOT = Path(__file__).resolve().parents[1]
FILES = {"markdown": ROOT / "docs" / "policy.md", "schema": ROOT / "policy.schema.json"}
SCHEMA = json.loads(FILES["schema"].read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
DOC = FILES["markdown"].read_text(encoding="utf-8")
# A name for each placeholder, to write a key of KEYS in a policy.
INSTANCE = {"<name>": "jd", "<prefix>": "+852"}


def example() -> dict[str, Any]:
    return tomllib.loads(contracts.read_text(contracts.EXAMPLE_POLICY))


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_the_committed_reference_is_what_the_validator_renders(fmt: str) -> None:
    committed = FILES[fmt].read_text(encoding="utf-8")
    assert committed == policy_docs.render(fmt), (
        f"{FILES[fmt].relative_to(ROOT)} does not match app/rules/policy.py's KEYS: run "
        f"`{policy_docs.COMMANDS[fmt]}` and commit it")


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_the_command_prints_it(fmt: str, capsys) -> None:
    assert main(["policy-reference", "--format", fmt]) == 0
    assert capsys.readouterr().out == policy_docs.render(fmt)


def test_the_schema_is_one_for_editors() -> None:
    for draft in (jsonschema.Draft202012Validator, jsonschema.Draft7Validator,
                  jsonschema.Draft4Validator):
        draft.check_schema(SCHEMA)
    assert SCHEMA["$id"] == "https://sendguard.dev/schemas/policy.schema.json"
    assert "$ref" not in json.dumps(SCHEMA)  # editors implement different drafts


def test_the_example_names_the_schema_and_only_files_in_the_repository() -> None:
    text = contracts.read_text(contracts.EXAMPLE_POLICY)
    assert text.splitlines()[0] == "#:schema ./policy.schema.json"  # Taplo's header directive
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    named = set(re.findall(r"[\w./-]+\.(?:md|json)\b", comments))
    assert "docs/policy.md" in named
    for name in named:
        assert (ROOT / name).is_file(), f"policy.example.toml names {name}, not in the repository"
    assert not list(VALIDATOR.iter_errors(tomllib.loads(text)))


# --- what the validator accepts, the schema accepts -----------------------------------------

def _minimal() -> dict[str, Any]:
    return {"version": "1", "tenants": {"jd": {"signatures": ["京东"]}},
            "categories": {"verification": {"consent": "none"},
                           "notification": {"consent": "opt_out"},
                           "marketing": {"consent": "opt_in"}}}


def _everything() -> dict[str, Any]:
    """The example with every optional key written, in forms the validator accepts."""
    data = example()
    data["global"].update(quiet_hours_action="defer", caps=["01/01h", "3/90s"],
                          require_consent_evidence=False, default_region="US",
                          timezone="America/New_York", dedup_window="7d")
    data["categories"]["verification"].update(recipient_caps=["3/1m"], quiet_hours="08:00-21:30",
                                              unsubscribe_notice=["回T退订"])
    data["categories"]["notification"]["unsubscribe_notice"] = []
    data["tenants"]["京东 Mall"] = {"signatures": ["京东商城"], "ports": ["10690001123456"]}
    data["zones"].update({"+1415": "America/Los_Angeles", "+4": "Europe/Paris"})
    data["replies"].update(dlr_revoke_error_codes=[], dlr_window="1d")
    data["content"]["banned_phrases"] = []
    return data


ACCEPTED: dict[str, Callable[[], dict[str, Any]]] = {
    "example": example,
    "only what is required": _minimal,
    "every optional key": _everything,
    "defaults written out": lambda: _with_defaults(_minimal()),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_what_the_validator_accepts_the_schema_accepts(name: str) -> None:
    data = ACCEPTED[name]()
    parse_policy(data)  # accepted
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in VALIDATOR.iter_errors(data)]
    assert not errors


def _concrete(path: str) -> list[str]:
    """The dotted paths a key of KEYS stands for in a policy (one per category)."""
    paths = [path]
    for placeholder, name in INSTANCE.items():
        paths = [p.replace(placeholder, name) for p in paths]
    if "<category>" in path:
        paths = [path.replace("<category>", c) for c in KEY["categories.<category>"].allowed]
    return paths


def _parts(path: str) -> list[str]:
    return [part.strip('"') for part in re.findall(r'"[^"]*"|[^.]+', path)]


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *tables, name = _parts(path)
    node = data
    for table in tables:
        node = node.setdefault(table, {})
    node[name] = value


def _with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with every key it leaves out written with its default from KEYS."""
    for key in KEYS:
        if key.kind == TABLE or key.default is None or key.placeholder:
            continue
        for path in _concrete(key.path):
            *tables, name = _parts(path)
            node = data
            for table in tables:
                node = node.setdefault(table, {})
            if name not in node and KEY.get(path, key) is key:  # (a refinement's own default)
                node[name] = list(key.default) if isinstance(key.default, tuple) else key.default
    return data


def test_the_defaults_in_the_reference_are_the_validators() -> None:
    assert parse_policy(_with_defaults(_minimal())) == parse_policy(_minimal())
    # a changed default changes the policy: the validator reads them from KEYS, not elsewhere
    written = _with_defaults(_minimal())
    written["global"]["dedup_window"] = "23h"
    assert parse_policy(written) != parse_policy(_minimal())


# --- what the validator refuses for its type or name, the schema refuses --------------------

REFUSED: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("unknown top-level key", lambda d: d.update(tenant={})),
    ("unknown key in [global]", lambda d: d["global"].update(cap=["40/24h"])),
    ("unknown key in a tenant", lambda d: d["tenants"]["jd"].update(signature=["京东"])),
    ("unknown category", lambda d: d["categories"].update(promo={"consent": "opt_in"})),
    ("unknown key in a category", lambda d: d["categories"]["marketing"].update(cap=["1/1d"])),
    ("unknown key in [content]", lambda d: d["content"].update(banned=["x"])),
    ("unknown key in [replies]", lambda d: d["replies"].update(window="72h")),
    ("missing version", lambda d: d.pop("version")),
    ("version not a string", lambda d: d.update(version=5)),
    ("blank version", lambda d: d.update(version=" ")),
    ("missing category", lambda d: d["categories"].pop("notification")),
    ("no tenant", lambda d: d.update(tenants={})),
    ("tenants not a table", lambda d: d.update(tenants=[])),
    ("tenant named *", lambda d: d["tenants"].update({"*": {"signatures": ["某"]}})),
    ("tenant name with |", lambda d: d["tenants"].update({"a|b": {"signatures": ["某"]}})),
    ("blank tenant name", lambda d: d["tenants"].update({" ": {"signatures": ["某"]}})),
    ("no signature", lambda d: d["tenants"]["jd"].update(signatures=[])),
    ("signatures missing", lambda d: d["tenants"]["jd"].pop("signatures")),
    ("a port with a dash", lambda d: d["tenants"]["jd"].update(ports=["10690-001"])),
    ("full-width port", lambda d: d["tenants"]["jd"].update(ports=["１０６９０００１"])),
    ("ports not a list", lambda d: d["tenants"]["jd"].update(ports="1069000112345")),
    ("unknown consent", lambda d: d["categories"]["verification"].update(consent="optin")),
    ("marketing without opt-in", lambda d: d["categories"]["marketing"].update(consent="none")),
    ("marketing consent missing", lambda d: d["categories"]["marketing"].pop("consent")),
    ("marketing without a notice", lambda d: d["categories"]["marketing"].update(
        unsubscribe_notice=[])),
    ("bad cap", lambda d: d["categories"]["verification"].update(caps=["5/1hr"])),
    ("zero cap", lambda d: d["global"].update(caps=["0/1h"])),
    ("zero cap window", lambda d: d["categories"]["marketing"].update(recipient_caps=["1/0d"])),
    ("caps not a list", lambda d: d["global"].update(caps="40/24h")),
    ("bad quiet hours", lambda d: d["categories"]["marketing"].update(quiet_hours="9pm-8am")),
    ("quiet hours not a string", lambda d: d["categories"]["marketing"].update(quiet_hours=9)),
    ("bad duration", lambda d: d["global"].update(dedup_window="one day")),
    ("zero duration", lambda d: d["replies"].update(dlr_window="0h")),
    ("evidence flag not a boolean", lambda d: d["global"].update(require_consent_evidence="yes")),
    ("unknown quiet hours action", lambda d: d["global"].update(quiet_hours_action="hold")),
    ("lower-case region", lambda d: d["global"].update(default_region="cn")),
    ("a date for a time zone", lambda d: d["global"].update(
        timezone=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))),
    ("zone not a string", lambda d: d["zones"].update({"+1": 5})),
    ("zone prefix without +", lambda d: d["zones"].update({"852": "Asia/Hong_Kong"})),
    ("blank banned phrase", lambda d: d["content"]["banned_phrases"].append("\t")),
    ("codes holding a number", lambda d: d["replies"].update(dlr_revoke_error_codes=[1])),
]


@pytest.mark.parametrize(("name", "mutate"), REFUSED, ids=[name for name, _ in REFUSED])
def test_what_the_validator_refuses_for_its_type_or_name_the_schema_refuses(
        name: str, mutate: Callable[[dict[str, Any]], Any]) -> None:
    data = example()
    mutate(data)
    with pytest.raises(PolicyError):
        parse_policy(data)
    assert not VALIDATOR.is_valid(data), name


WRONG = {"a table": {"x": 1}, "an array of numbers": [1], "a string": "x", "an integer": 5,
         "a boolean": True, "a float": 1.5,
         "a date": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)}
RIGHT = {"string": ("a string",), "time zone": ("a string",), "duration": ("a string",),
         "clock range": ("a string",), "list of strings": (), "cap list": (),
         "boolean": ("a boolean",), "table": ("a table",)}


def test_every_key_in_the_reference_is_checked_by_the_validator_and_the_schema() -> None:
    """A key of KEYS that the validator did not read would be accepted with any value: each is
    given a value of every wrong type, and both refuse it, the validator naming the key."""
    tried = 0
    for key in KEYS:
        if key.kind == TABLE and key.placeholder:
            continue
        for path in _concrete(key.path):
            for kind, wrong in WRONG.items():
                if kind in RIGHT[key.kind]:
                    continue
                data = example()
                _set(data, path, copy.deepcopy(wrong))
                with pytest.raises(PolicyError) as err:
                    parse_policy(data, source="p.toml")
                assert f"{path}: " in str(err.value), (path, kind, str(err.value))
                assert not VALIDATOR.is_valid(data), (path, kind)
                tried += 1
    assert tried > 150


# --- every key the validator accepts is in docs/policy.md -----------------------------------

def _allowed(data: dict[str, Any], table: list[str]) -> list[str]:
    """The keys the validator allows in a table, from its own message about an unknown one."""
    data = copy.deepcopy(data)
    node = data
    for name in table:
        node = node[name]
    node["zz-unknown"] = []
    with pytest.raises(PolicyError) as err:
        parse_policy(data)
    [allowed] = re.findall(r"zz-unknown: unknown key \(allowed: ([^)]*)\)", str(err.value))
    return allowed.split(", ")


def test_every_key_the_validator_accepts_is_in_the_reference() -> None:
    data = example()
    written = {"": _allowed(data, [])}
    for table in ("global", "content", "replies", "categories"):
        written[table] = _allowed(data, [table])
    written["categories.<category>"] = {
        name for category in written.pop("categories")
        for name in _allowed(data, ["categories", category])}
    written["tenants.<name>"] = _allowed(data, ["tenants", "jd"])
    paths = {f"{table}.{name}".lstrip(".") for table, names in written.items() for name in names}
    paths.add('zones."<prefix>"')  # any E.164 prefix: no list of names to take
    assert len(paths) > 20
    for path in paths:
        assert f"| `{path}` |" in DOC, f"docs/policy.md does not list {path}"
    assert {key.path for key in KEYS} >= paths


def test_every_type_is_explained_and_every_key_has_a_meaning() -> None:
    for key in KEYS:
        assert key.kind in policy_docs.TYPES, key.path
        assert key.meaning.endswith(".") and "\n" not in key.meaning, key.path


def test_the_refinements_of_marketing_are_in_the_reference() -> None:
    assert "| `categories.marketing.consent` | string | `opt_in` | required |" in DOC
    marketing = SCHEMA["properties"]["categories"]["properties"]["marketing"]["properties"]
    assert marketing["consent"]["enum"] == ["opt_in"]
    assert marketing["unsubscribe_notice"]["minItems"] == 1
    assert marketing["unsubscribe_notice"]["default"][0] == "拒收请回复R"
    notification = SCHEMA["properties"]["categories"]["properties"]["notification"]
    assert notification["properties"]["consent"]["enum"] == ["none", "opt_out", "opt_in"]
    assert isinstance(KEY["categories.marketing.consent"], Key)
