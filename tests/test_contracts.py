"""The topic contracts agree with each other and with what the code emits."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from app.core import handle
from app.policy import load_policy
from app.records import RECIPIENT_EVENTS, Source
from app.routing import CONSENT, INTENT, REPLY, route

TOPICS = Path(__file__).resolve().parents[1] / "topics"
POLICY = load_policy(TOPICS.parent / "policy.example.toml")
EXAMPLES = {
    "send-intent": ["send-intent"],
    "consent-event": ["consent-event"],
    "consent-outcome": ["consent-outcome"],
    "carrier-reply": ["carrier-reply-mo", "carrier-reply-dlr"],
    "decision": ["decision-approved", "decision-dropped"],
    "dead-letter": ["dead-letter"],
    "recipient-event": ["recipient-event"],
}


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((TOPICS / "schemas" / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def example(name: str) -> dict:
    return json.loads((TOPICS / "examples" / f"{name}.json").read_text())


@pytest.mark.parametrize(("schema", "example_name"),
                         [(s, e) for s, names in EXAMPLES.items() for e in names])
def test_every_example_is_valid(schema: str, example_name: str) -> None:
    validator(schema).validate(example(example_name))


def test_every_schema_has_an_example() -> None:
    names = {p.name.removesuffix(".schema.json") for p in (TOPICS / "schemas").glob("*.json")}
    assert names == set(EXAMPLES)


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ("send-intent", {k: v for k, v in example("send-intent").items() if k != "msg_id"}),
        ("send-intent", {**example("send-intent"), "category": "promo"}),
        ("carrier-reply", {k: v for k, v in example("carrier-reply-dlr").items()
                           if k != "msg_id"}),
        ("consent-event", {**example("consent-event"), "action": "maybe"}),
        ("decision", {**example("decision-approved"), "reason": "duplicate"}),
    ],
)
def test_invalid_instances_are_rejected(schema: str, instance: dict) -> None:
    assert list(validator(schema).iter_errors(instance))


def test_every_topic_is_documented() -> None:
    readme = (TOPICS / "README.md").read_text()
    for spec in tomllib.loads((TOPICS / "topics.toml").read_text())["topics"].values():
        assert f"`{spec['name']}`" in readme


def test_what_the_code_emits_matches_the_schemas() -> None:
    intent = example("send-intent")
    envelope = route(INTENT, Source("sms.send-intents", 0, 5, 1_795_312_800_000), None,
                     orjson.dumps(intent), POLICY)
    assert envelope.topic == RECIPIENT_EVENTS
    validator("recipient-event").validate(envelope.value)
    for variant in (intent, {**intent, "msg_id": "x2", "tenant": "nobody"},
                    {**intent, "msg_id": "x3", "phone": "bad"}):
        routed = route(INTENT, Source("sms.send-intents", 0, 6, 1_795_312_800_000), None,
                       orjson.dumps(variant), POLICY)
        [decision] = handle(routed.value, {}, POLICY)
        validator("decision").validate(decision.value)
    dead = route(INTENT, Source("sms.send-intents", 1, 7, 1_795_312_800_000), b"k", b"{x",
                 POLICY)
    validator("dead-letter").validate(dead.value)


def test_consent_records_the_code_emits_match_the_schemas() -> None:
    state: dict = {}
    for event in (example("consent-event"),
                  {**example("consent-event"), "event_id": "x", "evidence": {"prechecked": True}},
                  {"event_id": "bad", "phone": "13812345678", "action": "maybe"}):
        routed = route(CONSENT, Source("sms.consent-events", 0, 1, 1_795_312_800_000), None,
                       orjson.dumps(event), POLICY)
        [outcome] = handle(routed.value, state, POLICY)
        validator("consent-outcome").validate(outcome.value)
    reply = route(REPLY, Source("sms.carrier-replies", 0, 2, 1_795_312_800_000), None,
                  orjson.dumps(example("carrier-reply-mo")), POLICY)
    observed, derived, outcome = handle(reply.value, state, POLICY)
    assert observed.value == {"reply": "unsubscribe"}
    validator("consent-event").validate(derived.value)
    validator("consent-outcome").validate(outcome.value)
