"""Create the project's topics up front, from topics/topics.toml.

Broker auto-creation is never relied on: it would give every topic the broker's default
partition count, and a repartition topic whose count differs from its table changelogs crashes
a Faust worker (PartitionsMismatch). Existing topics are checked, not altered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Iterator

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    IllegalSaslStateError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAlreadyExistsError,
    UnsupportedSaslMechanismError,
)

from app.runtime.settings import Settings

log = logging.getLogger(__name__)


class TopicMismatch(RuntimeError):
    """An existing internal topic has a partition count the worker cannot run with."""


class BrokerAuthError(RuntimeError):
    """The broker refused our credentials or our TLS handshake: retrying will not help."""


_AUTH_ERRORS = (SaslAuthenticationFailed, AuthenticationFailedError,
                UnsupportedSaslMechanismError, IllegalSaslStateError)


class BrokerUnreachable(RuntimeError):
    """No broker answered within the wait (SENDGUARD_BROKER_WAIT_S)."""


async def ensure_topics(settings: Settings, timeout_s: float = 60.0) -> dict[str, str]:
    """Create missing topics; return {topic name: "created" | "exists"}.

    Waits settings.broker_wait_s for a broker to answer (BrokerUnreachable after that), then
    up to `timeout_s` for new topics to have leaders."""
    security = settings.kafka_security
    log.info("Kafka security: %s", security.describe())
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=15000,
                                **security.aiokafka_kwargs())
    try:
        await _connect(admin, settings)
        deadline = time.monotonic() + timeout_s
        existing = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
        outcome: dict[str, str] = {}
        missing = []
        for spec in settings.topics.values():
            if spec.name in existing:
                outcome[spec.name] = "exists"
                if spec.role == "internal" and existing[spec.name] != spec.partitions:
                    raise TopicMismatch(
                        f"{spec.name} has {existing[spec.name]} partitions, topics.toml says "
                        f"{spec.partitions}; its table changelogs must match: recreate it or "
                        f"change topics.toml"
                    )
                continue
            missing.append(NewTopic(spec.name, spec.partitions, settings.replication_factor,
                                    topic_configs=spec.config))
            outcome[spec.name] = "created"
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker was first
                await admin.create_topics(missing, timeout_ms=15000)
            await _wait_for_topics(admin, [t.name for t in missing], deadline)
        await _warn_small_limits(admin, settings, [n for n, s in outcome.items() if s == "exists"])
        return outcome
    finally:
        await admin.close()


async def topic_partitions(settings: Settings, topics: list[str]) -> dict[str, list[int]]:
    """Each topic's partition numbers; LookupError naming a topic that does not exist.
    (A consumer knows the partitions only of topics it subscribed to.)"""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap,
                                **settings.kafka_security.aiokafka_kwargs())
    try:
        await admin.start()
        described = {t["topic"]: t for t in await admin.describe_topics(topics)}
    finally:
        await admin.close()
    found = {}
    for topic in topics:
        partitions = described.get(topic, {}).get("partitions")
        if not partitions:
            raise LookupError(f"topic {topic} does not exist (check SENDGUARD_TOPIC_* and "
                              f"the broker)")
        found[topic] = sorted(p["partition"] for p in partitions)
    return found


async def _connect(admin: AIOKafkaAdminClient, settings: Settings) -> None:
    """Start the admin client, retrying until a broker answers or the wait is over.

    aiokafka logs every failed attempt (a line a second, then a traceback); while waiting
    those are held back, and what remains is one BrokerUnreachable with the last reason."""
    wait_s = settings.broker_wait_s
    deadline = time.monotonic() + wait_s
    reason = "no answer"
    with _quiet("aiokafka"):
        while True:
            try:
                async with asyncio.timeout(max(deadline - time.monotonic(), 0.1)):
                    try:
                        await admin.start()
                        return
                    except KafkaError as exc:
                        reason = await _raise_if_refused(settings) or str(exc)
            except TimeoutError:
                pass
            if time.monotonic() >= deadline:
                raise BrokerUnreachable(
                    f"no Kafka broker answered at {settings.bootstrap} within {wait_s:g} s "
                    f"({reason}; {settings.kafka_security.describe()}); check "
                    f"KAFKA_BOOTSTRAP_SERVERS and the broker (SENDGUARD_BROKER_WAIT_S sets "
                    f"the wait)")
            await asyncio.sleep(min(1.0, max(deadline - time.monotonic(), 0)))


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Hold back a library's log records below CRITICAL for the duration."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def _warn_small_limits(admin: AIOKafkaAdminClient, settings: Settings,
                             names: list[str]) -> list[str]:
    """Warn about existing topics whose max.message.bytes is below topics.toml's.

    Topics created by an older SendGuard (or by hand) keep their limit; the worker may then
    write a record the broker refuses, which under exactly-once fails the transaction. Return
    the warnings (also logged); the fix is `kafka-configs --alter` with the value shown.
    """
    wanted = {spec.name: int(spec.config["max.message.bytes"]) for spec in
              settings.topics.values() if spec.name in names and "max.message.bytes" in spec.config}
    if not wanted:
        return []
    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, {"max.message.bytes": None})
         for name in wanted])
    warnings = []
    for response in responses:
        for _error, _message, _type, name, entries in response.resources:
            for entry in entries:
                if entry[0] == "max.message.bytes" and int(entry[1]) < wanted.get(name, 0):
                    warnings.append(
                        f"topic {name} has max.message.bytes={entry[1]}, below the "
                        f"{wanted[name]} of topics/topics.toml: records that large would be "
                        f"refused; run kafka-configs --alter --entity-type topics --entity-name "
                        f"{name} --add-config max.message.bytes={wanted[name]}")
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


async def _raise_if_refused(settings: Settings) -> str:
    """Tell a refused login or TLS handshake from a broker that is not up yet.

    aiokafka's bootstrap logs the cause and raises a generic connection error, and a worker
    that kept retrying wrong credentials would look like a slow broker. One direct connection
    to each bootstrap server shows the cause: authentication and certificate errors are final.
    Return why the servers did not answer (empty if one did).
    """
    security = settings.kafka_security
    reasons = []
    for server in settings.bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await create_conn(host, int(port), request_timeout_ms=10000,
                                     **security.aiokafka_kwargs())
        except _AUTH_ERRORS as exc:
            raise BrokerAuthError(
                f"Kafka authentication failed at {server.strip()} ({security.describe()}): "
                f"{exc}; check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD / KAFKA_SASL_MECHANISM"
            ) from None
        except ssl.SSLError as exc:
            raise BrokerAuthError(
                f"TLS handshake with {server.strip()} failed ({security.describe()}): "
                f"{getattr(exc, 'verify_message', None) or exc.reason or exc}; "
                f"check KAFKA_SSL_CAFILE / KAFKA_SSL_CHECK_HOSTNAME and the broker's listener"
            ) from None
        except (TimeoutError, OSError, KafkaError, ValueError) as exc:
            # not up (yet), or another server answers: keep retrying
            reasons.append(f"{server.strip()}: {exc or type(exc).__name__}")
        else:
            conn.close()
            return ""
    return "; ".join(reasons)


async def _wait_for_topics(admin: AIOKafkaAdminClient, names: list[str], deadline: float) -> None:
    """Metadata lags topic creation a little; wait until every partition has a leader."""
    while True:
        described = {t["topic"]: t for t in await admin.describe_topics(names)}
        ready = all(
            name in described and described[name]["error_code"] == 0
            and described[name]["partitions"]
            and all(p["leader"] >= 0 for p in described[name]["partitions"])
            for name in names
        )
        if ready:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"topics not ready in time: {', '.join(names)}")
        await asyncio.sleep(0.2)
