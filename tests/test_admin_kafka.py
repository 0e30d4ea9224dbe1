"""The topic creator on a real broker: new topics get topics.toml's size limits, and an existing
topic with a smaller limit (made by an older version, or by hand) is reported with the fix."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from app.runtime.admin import ensure_topics
from app.runtime.settings import Settings, load_topic_specs

pytestmark = pytest.mark.kafka


def test_limits_are_set_on_new_topics_and_checked_on_old_ones(kafka: str, caplog) -> None:
    prefix = f"adm{uuid.uuid4().hex[:6]}"
    env = {spec.env: f"{prefix}.{spec.name}" for spec in load_topic_specs({}).values()}
    settings = Settings.from_env({**env, "KAFKA_BOOTSTRAP_SERVERS": kafka})
    old = settings.topic("dead_letter")
    admin = AdminClient({"bootstrap.servers": kafka})
    admin.create_topics([NewTopic(old, 1, 1)])[old].result(30)  # the broker's default limit

    with caplog.at_level(logging.WARNING, logger="app.runtime.admin"):
        outcome = asyncio.run(ensure_topics(settings))
    assert outcome[old] == "exists"
    warnings = [r.getMessage() for r in caplog.records if r.name == "app.runtime.admin"]
    assert len(warnings) == 1 and f"topic {old} has max.message.bytes=1048588" in warnings[0]
    assert "--add-config max.message.bytes=2097152" in warnings[0]

    created = settings.topic("recipient_events")
    configs = admin.describe_configs([ConfigResource("topic", created)])
    [entries] = [future.result(30) for future in configs.values()]
    assert entries["max.message.bytes"].value == "4194304"
    print(f"\nwarned: {warnings[0][:120]}...")
