"""A send-intent producer for upstream Python services.

    from app.client import IntentProducer

    async with IntentProducer("kafka:9092") as producer:
        await producer.send(msg_id="jd-20261122-000042", tenant="jd", signature="京东",
                            category="notification", phone="+86 138 1234 5678",
                            content="【京东】您的订单JD4211已发货，预计明天送达。")

Each intent is checked against the shipped JSON Schema (topics/schemas/send-intent.schema.json)
and its phone normalised to E.164 before it is sent, so a malformed intent fails in the
caller (InvalidIntent) rather than as a drop downstream. The record is keyed by the E.164
recipient with Kafka's default partitioner, which keeps one recipient's intents in order and
lets the worker decide it without a hop (topics/README.md, "One hop"). Verification codes and
notifications marked `priority="high"` go to sms.priority-intents, decided ahead of queued
campaigns ("Lanes"); the rest to sms.send-intents. Records are sent by an idempotent producer
(acks=all): a retry inside the client never duplicates a record. Retrying a failed send
yourself is safe too if you reuse its msg_id: SendGuard drops a repeated msg_id as duplicate.

Validation needs jsonschema (`pip install "sendguard[client]"`).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from app.rules.phones import InvalidPhone, normalise_phone
from app.rules.records import parse_rfc3339_ms
from app.rules.routing import wants_priority
from app.runtime.kafka_security import KafkaSecurity

DEFAULT_TOPIC = "sms.send-intents"
DEFAULT_PRIORITY_TOPIC = "sms.priority-intents"
SCHEMA = "send-intent"
_REPO_SCHEMAS = Path(__file__).resolve().parent.parent / "topics" / "schemas"
# Fixed: what makes a send safe to retry. Anything else is the caller's (security, linger...).
_SAFE_PRODUCER: Mapping[str, Any] = {"enable_idempotence": True, "acks": "all"}


class InvalidIntent(ValueError):
    """The intent does not meet the send-intent contract; the message names every problem."""


def send_intent_schema() -> dict[str, Any]:
    """The send-intent JSON Schema as shipped: the package's data when installed, else the
    repository's topics/schemas."""
    try:
        from app.contracts import schema  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        text = (_REPO_SCHEMAS / f"{SCHEMA}.schema.json").read_text(encoding="utf-8")
        document: dict[str, Any] = json.loads(text)
        return document
    return schema(SCHEMA)  # type: ignore[no-any-return]


@cache
def _validator() -> Any:
    try:
        from jsonschema import Draft202012Validator, FormatChecker
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError('app.client validates intents with jsonschema: '
                          'pip install "sendguard[client]"') from exc
    return Draft202012Validator(send_intent_schema(), format_checker=FormatChecker())


def build_intent(*, msg_id: str, tenant: str, signature: str, category: str, phone: str,
                 content: str, campaign_id: str | None = None, expires_at: str | None = None,
                 priority: str | None = None, default_region: str = "CN"
                 ) -> tuple[str, dict[str, Any]]:
    """(key, value) of a valid send intent: the key and the value's phone are the E.164
    recipient. Raises InvalidIntent naming each field that breaks the contract."""
    value: dict[str, Any] = {"msg_id": msg_id, "tenant": tenant, "signature": signature,
                             "category": category, "phone": phone, "content": content}
    if campaign_id is not None:
        value["campaign_id"] = campaign_id
    if expires_at is not None:
        value["expires_at"] = expires_at
    if priority is not None:  # "high": a notification in the priority lane
        value["priority"] = priority
    problems = [f"{'.'.join(map(str, error.absolute_path)) or 'intent'}: {error.message}"
                for error in sorted(_validator().iter_errors(value),
                                    key=lambda e: [str(p) for p in e.absolute_path])]
    if isinstance(phone, str) and phone:
        try:
            value["phone"] = normalise_phone(phone, default_region)
        except InvalidPhone as exc:
            problems.append(f"phone: {exc}")
    if isinstance(expires_at, str) and not any(p.startswith("expires_at:") for p in problems):
        try:
            parse_rfc3339_ms(expires_at)  # as the worker reads it (the schema's format
        except ValueError as exc:  # check needs an optional package)
            problems.append(f"expires_at: {exc}")
    if problems:
        raise InvalidIntent(f"send intent {json.dumps(msg_id, ensure_ascii=False, default=str)}: "
                            + "; ".join(problems))
    return value["phone"], value


class IntentProducer:
    """Sends send intents to SendGuard's input topic (aiokafka, idempotent, acks=all).

    `producer_config`: more AIOKafkaProducer settings, e.g. security_protocol, sasl_*,
    ssl_context, compression_type, linger_ms. Use as `async with`, or start() and stop().
    """

    def __init__(self, bootstrap_servers: str = "127.0.0.1:9092", topic: str = DEFAULT_TOPIC,
                 *, priority_topic: str = DEFAULT_PRIORITY_TOPIC, default_region: str = "CN",
                 **producer_config: Any) -> None:
        for name, safe in _SAFE_PRODUCER.items():
            if producer_config.get(name, safe) != safe:
                raise ValueError(f"IntentProducer always sends with {name}={safe!r}")
        self.topic = topic
        self.priority_topic = priority_topic
        self.default_region = default_region
        self.config: dict[str, Any] = {"bootstrap_servers": bootstrap_servers,
                                       **producer_config, **_SAFE_PRODUCER}
        self._producer: AIOKafkaProducer | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **producer_config: Any
                 ) -> IntentProducer:
        """Configured as the worker is: KAFKA_BOOTSTRAP_SERVERS, SENDGUARD_TOPIC_SEND_INTENTS,
        SENDGUARD_TOPIC_PRIORITY_INTENTS and the KAFKA_* security variables (README,
        "Configuration")."""
        env = os.environ if env is None else env
        security = KafkaSecurity.from_env(env)  # (validated: KafkaSecurityError names a variable)
        return cls(env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
                   env.get("SENDGUARD_TOPIC_SEND_INTENTS", DEFAULT_TOPIC),
                   priority_topic=env.get("SENDGUARD_TOPIC_PRIORITY_INTENTS",
                                          DEFAULT_PRIORITY_TOPIC),
                   **{**security.aiokafka_kwargs(), **producer_config})

    async def start(self) -> None:
        _validator()  # fail before connecting if jsonschema is missing
        self._producer = AIOKafkaProducer(**self.config)
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def __aenter__(self) -> IntentProducer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def send(self, *, timestamp_ms: int | None = None, **intent: Any) -> RecordMetadata:
        """Validate, normalise and send one intent (the fields of build_intent); return once
        the broker has it. `timestamp_ms`: the record time SendGuard decides at (default now)."""
        future = await self._enqueue(intent, timestamp_ms)
        return await future

    async def send_many(self, intents: Iterable[Mapping[str, Any]]) -> list[RecordMetadata]:
        """Validate every intent first (nothing is sent if one is invalid), then send them all
        and wait for the broker to have each."""
        built = [build_intent(default_region=self.default_region, **i) for i in intents]
        futures = [await self._send(key, value, None) for key, value in built]
        return list(await asyncio.gather(*futures))

    async def _enqueue(self, intent: Mapping[str, Any], timestamp_ms: int | None) -> Any:
        key, value = build_intent(default_region=self.default_region, **intent)
        return await self._send(key, value, timestamp_ms)

    async def _send(self, key: str, value: dict[str, Any], timestamp_ms: int | None) -> Any:
        if self._producer is None:
            raise RuntimeError("IntentProducer is not started (use `async with` or start())")
        return await self._producer.send(self.topic_for(value), orjson.dumps(value),
                                         key=key.encode(), timestamp_ms=timestamp_ms)

    def topic_for(self, value: Mapping[str, Any]) -> str:
        """The priority topic for an intent of the priority lane, else the topic."""
        return self.priority_topic if wants_priority(value) else self.topic


def send_intents(intents: Iterable[Mapping[str, Any]], bootstrap_servers: str = "127.0.0.1:9092",
                 topic: str = DEFAULT_TOPIC, **producer_config: Any) -> list[RecordMetadata]:
    """Blocking convenience for scripts: send the intents (see IntentProducer.send_many)."""

    async def run() -> list[RecordMetadata]:
        async with IntentProducer(bootstrap_servers, topic, **producer_config) as producer:
            return await producer.send_many(intents)

    return asyncio.run(run())
