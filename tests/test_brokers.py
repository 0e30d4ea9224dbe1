"""The broker launchers start real brokers that a plain Kafka client can use, and clean up."""

from __future__ import annotations

import os
import uuid

import brokers
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic


def round_trip(bootstrap: str) -> bytes:
    topic = f"probe-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, b"hello")
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    try:
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                return message.value()
    finally:
        consumer.close()
    raise AssertionError("nothing consumed")


@pytest.mark.parametrize("start", [brokers.start_kafka, brokers.start_tansu],
                         ids=["kafka", "tansu"])
def test_launcher_starts_a_usable_broker_and_cleans_up(start) -> None:
    broker = start()
    data_dir = broker.data_dir
    try:
        assert brokers.probe(broker.bootstrap) is None
        assert round_trip(broker.bootstrap) == b"hello"
    finally:
        broker.stop()
    assert not os.path.exists(f"/proc/{broker.pid}") or _is_zombie(broker.pid)
    assert data_dir and not os.path.exists(data_dir)
    assert brokers.probe(broker.bootstrap) is not None  # nothing answers any more


def test_kafka_refuses_auto_created_topics(kafka: str) -> None:
    producer = Producer({"bootstrap.servers": kafka, "message.timeout.ms": 3000})
    errors = []
    producer.produce(f"never-created-{uuid.uuid4().hex[:6]}", b"x",
                     on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(10)
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("an external broker may allow auto-creation")
    assert errors and errors[0] is not None


def test_existing_broker_from_env_starts_nothing(monkeypatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    broker = brokers.broker_from_env_or_start("kafka")
    assert (broker.kind, broker.bootstrap, broker.pid) == ("external", "127.0.0.1:1", None)
    broker.stop()  # a no-op for a broker we did not start


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_cluster_id_never_starts_with_a_dash(monkeypatch) -> None:
    """Kafka's storage tool reads a leading "-" as an option; such ids are drawn again."""
    dashed = uuid.UUID(bytes=b"\xf8" + bytes(15))  # base64url "-A..."
    plain = uuid.UUID(bytes=bytes(16))
    draws = iter([dashed, plain])
    monkeypatch.setattr(brokers.uuid, "uuid4", lambda: next(draws))
    assert brokers.new_cluster_id() == "A" * 22
