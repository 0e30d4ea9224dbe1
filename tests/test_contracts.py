"""The topic contracts agree with each other, with topics.toml and with what the code emits."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from app import contracts
from app.rules import core
from app.rules.core import fail_closed, handle
from app.rules.policy import load_policy
from app.rules.records import RECIPIENT_EVENTS, Source
from app.rules.routing import CONSENT, INTENT, REPLY, TICK, route

TOPICS = Path(__file__).resolve().parents[1] / "topics"  # README and examples: documentation
README = (TOPICS / "README.md").read_text(encoding="utf-8")
POLICY = load_policy(contracts.example_policy_path())
TS = 1_795_312_800_000  # 2026-11-22T02:00:00Z
EXAMPLES = {
    "send-intent": ["send-intent"],
    "consent-event": ["consent-event"],
    "consent-outcome": ["consent-outcome"],
    "carrier-reply": ["carrier-reply-mo", "carrier-reply-dlr"],
    "decision": ["decision-approved", "decision-dropped"],
    "dead-letter": ["dead-letter"],
    "recipient-event": ["recipient-event"],
}
# Reason codes in the order the core checks them ("ok" first: approved).
REASONS = [
    core.OK, core.DUPLICATE, core.INVALID_INTENT, core.INVALID_PHONE, core.EXPIRED,
    core.UNKNOWN_TENANT, core.SIGNATURE_INVALID, core.MISSING_UNSUBSCRIBE_NOTICE,
    core.CATEGORY_MISMATCH, core.BANNED_CONTENT, core.OPTED_OUT, core.NO_CONSENT,
    core.QUIET_HOURS, core.FREQUENCY_CAP, core.ERASED, core.INTERNAL_ERROR,
]


def schema(name: str) -> dict[str, Any]:
    return contracts.schema(name)  # as packaged


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), format_checker=FormatChecker())


def example(name: str) -> dict[str, Any]:
    return json.loads((TOPICS / "examples" / f"{name}.json").read_text(encoding="utf-8"))


def without(instance: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in instance.items() if k != field}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_schema_is_a_valid_2020_12_schema(name: str) -> None:
    document = schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


@pytest.mark.parametrize(("schema_name", "example_name"),
                         [(s, e) for s, names in EXAMPLES.items() for e in names])
def test_every_example_is_valid(schema_name: str, example_name: str) -> None:
    validator(schema_name).validate(example(example_name))


def test_every_schema_and_example_is_listed() -> None:
    schemas = set(contracts.schema_names())
    examples = {p.stem for p in (TOPICS / "examples").glob("*.json")}
    assert schemas == set(EXAMPLES)
    assert examples == {e for names in EXAMPLES.values() for e in names}


@pytest.mark.parametrize(
    ("schema_name", "instance"),
    [
        ("send-intent", without(example("send-intent"), "msg_id")),
        ("send-intent", {**example("send-intent"), "msg_id": ""}),
        ("send-intent", {**example("send-intent"), "msg_id": "x" * 129}),
        ("send-intent", {**example("send-intent"), "category": "promo"}),
        ("send-intent", {**example("send-intent"), "expires_at": "2026-11-22T22:00:00"}),
        ("carrier-reply", without(example("carrier-reply-dlr"), "msg_id")),
        ("carrier-reply", without(example("carrier-reply-mo"), "text")),
        ("carrier-reply", {**example("carrier-reply-mo"), "type": "mt"}),
        ("consent-event", {**example("consent-event"), "action": "maybe"}),
        ("consent-event", {**example("consent-event"), "tenant": "*"}),
        ("consent-event", {**example("consent-event"), "category": "all"}),
        ("consent-event", {**example("consent-event"), "evidence": {"prechecked": True}}),
        ("consent-outcome", {**example("consent-outcome"), "read_as": {"tenant": "jd"}}),
        ("decision", {**example("decision-approved"), "reason": "duplicate"}),
        ("decision", {**example("decision-dropped"), "reason": "ok"}),
        ("decision", {**example("decision-approved"), "phone": "13812345678"}),
        ("decision", {**example("decision-approved"), "decided_at": "2026-11-22T10:00:00+08:00"}),
        ("dead-letter", {**example("dead-letter"), "stage": "parse"}),
        ("recipient-event", without(example("recipient-event"), "value")),
    ],
)
def test_invalid_instances_are_rejected(schema_name: str, instance: dict[str, Any]) -> None:
    assert list(validator(schema_name).iter_errors(instance))


def test_wide_revokes_are_valid() -> None:
    revoke = {**example("consent-event"), "tenant": "*", "category": "all", "action": "revoke",
              "evidence": {"prechecked": True}}
    validator("consent-event").validate(revoke)


def test_every_topic_is_documented() -> None:
    for spec in tomllib.loads(contracts.topics_toml())["topics"].values():
        assert f"`{spec['name']}`" in README, spec["name"]  # the overview table
        assert any(line.startswith("#") and spec["name"] in line
                   for line in README.splitlines()), f"no section for {spec['name']}"


def test_reason_codes_match_the_core_and_the_readme() -> None:
    assert schema("decision")["properties"]["reason"]["enum"] == REASONS
    table = README.split("### Reason codes", 1)[1].split("###", 1)[0]
    rows = [line.split("|")[1].strip().strip("`") for line in table.splitlines()
            if line.startswith("| `")]
    assert rows == [*REASONS[1:-1], core.INTERNAL_ERROR, core.OK]


def test_dead_letter_error_classes_are_documented() -> None:
    for error_class in schema("dead-letter")["properties"]["error_class"]["enum"]:
        assert f"`{error_class}`" in README, error_class


def _routed(kind: str, topic: str, value: dict[str, Any], offset: int) -> dict[str, Any]:
    emit = route(kind, Source(topic, 0, offset, TS), None, orjson.dumps(value), POLICY)
    assert emit.topic == RECIPIENT_EVENTS
    validator("recipient-event").validate(emit.value)
    return emit.value


def test_what_the_code_emits_matches_the_schemas() -> None:
    intent = example("send-intent")
    variants = [
        intent,
        {**intent, "msg_id": "x2", "tenant": "nobody"},
        {**intent, "msg_id": "x3", "phone": "bad"},
        {**intent, "msg_id": "x4", "phone": None, "category": "promo"},
        {**intent, "msg_id": "x5", "expires_at": "2026-11-22T01:00:00Z"},
    ]
    reasons = []
    for offset, variant in enumerate(variants):
        envelope = _routed(INTENT, "sms.send-intents", variant, offset)
        [decision] = handle(envelope, {}, POLICY)
        validator("decision").validate(decision.value)
        reasons.append(decision.value["reason"])
    assert reasons == ["ok", "unknown_tenant", "invalid_phone", "invalid_intent", "expired"]
    dead = route(INTENT, Source("sms.send-intents", 1, 7, TS), b"k", b"{x", POLICY)
    validator("dead-letter").validate(dead.value)
    validator("recipient-event").validate({"kind": TICK, "ts": TS})


def test_failing_closed_matches_the_schemas() -> None:
    envelope = _routed(INTENT, "sms.send-intents", example("send-intent"), 9)
    dead, dropped = fail_closed(Source("sendguard.recipient-events", 3, 11, TS), b"+86138",
                                orjson.dumps(envelope), RuntimeError("boom"), POLICY)
    validator("dead-letter").validate(dead.value)
    validator("decision").validate(dropped.value)
    assert dropped.value["reason"] == "internal_error"


def test_consent_and_reply_records_the_code_emits_match_the_schemas() -> None:
    state: dict[str, Any] = {}
    for offset, event in enumerate((
            example("consent-event"),
            {**example("consent-event"), "event_id": "x", "evidence": {"prechecked": True}},
            {"event_id": "bad", "phone": "13812345678", "action": "grant"},
            {"event_id": "wide", "phone": "13812345678", "tenant": "acme", "category": "x",
             "action": " Opt-Out ", "occurred_at": "1970-01-01T00:00:00Z"})):
        envelope = _routed(CONSENT, "sms.consent-events", event, offset)
        [outcome] = handle(envelope, state, POLICY)
        validator("consent-outcome").validate(outcome.value)
    assert outcome.value["read_as"] == {"tenant": "*", "category": "all", "action": "revoke",
                                        "occurred_at": "2026-11-22T02:00:00.000Z"}
    envelope = _routed(REPLY, "sms.carrier-replies", example("carrier-reply-mo"), 0)
    observed, derived, outcome = handle(envelope, state, POLICY)
    assert observed.value == {"reply": "unsubscribe"}
    validator("consent-event").validate(derived.value)
    validator("consent-outcome").validate(outcome.value)
    envelope = _routed(REPLY, "sms.carrier-replies", without(example("carrier-reply-mo"), "to"), 1)
    [dead] = handle(envelope, state, POLICY)
    validator("dead-letter").validate(dead.value)


SCHEMA_BASE = "https://sendguard.dev/schemas/"  # topics/README.md, "Schemas"


def test_schema_ids_are_absolute_and_refs_between_them_resolve() -> None:
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    documents = {name: schema(name) for name in EXAMPLES}
    for name, document in documents.items():
        assert document["$id"] == f"{SCHEMA_BASE}{name}.schema.json"
    registry = Registry().with_resources(
        (d["$id"], DRAFT202012.create_resource(d)) for d in documents.values())
    # As another schema would use them: by absolute URI, and relative to the base.
    for name in EXAMPLES:
        for ref in (f"{SCHEMA_BASE}{name}.schema.json", f"{name}.schema.json"):
            wrapper = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                       "$id": f"{SCHEMA_BASE}test.schema.json", "$ref": ref}
            check = Draft202012Validator(wrapper, registry=registry)
            check.validate(example(EXAMPLES[name][0]))
            assert list(check.iter_errors({}))  # really the referenced schema
    assert README.count(SCHEMA_BASE) >= 1
