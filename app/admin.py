"""Create the project's topics up front, from topics/topics.toml.

Broker auto-creation is never relied on: it would give every topic the broker's default
partition count, and a repartition topic whose count differs from its table changelogs crashes
a Faust worker (PartitionsMismatch). Existing topics are checked, not altered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from app.settings import Settings

log = logging.getLogger(__name__)


class TopicMismatch(RuntimeError):
    """An existing internal topic has a partition count the worker cannot run with."""


async def ensure_topics(settings: Settings, timeout_s: float = 60.0) -> dict[str, str]:
    """Create missing topics; return {topic name: "created" | "exists"}."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=15000)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await admin.start()
            break
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"broker {settings.bootstrap} unreachable: {exc}") from exc
            await asyncio.sleep(1.0)
    try:
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
        return outcome
    finally:
        await admin.close()


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
