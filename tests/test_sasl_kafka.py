"""The worker on an Apache Kafka that demands SASL (SASL_PLAINTEXT, mechanism PLAIN): it
decides with the right credentials, and with wrong ones it stops at once with an error that
says so, instead of retrying as if the broker were down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import brokers
import orjson
import pytest
from confluent_kafka import KafkaException, Producer

from app.runtime.kafka_security import KafkaSecurity
from tests.conftest import WorkerProcess
from tests.kafka_io import consume, publish

pytestmark = pytest.mark.kafka

USER, PASSWORD = "sendguard-worker", "w0rker-Secret"
UPSTREAM, UPSTREAM_PASSWORD = "upstream", "upstream-Secret"


@pytest.fixture(scope="module")
def sasl_kafka() -> Iterator[str]:
    """A broker of our own: the session broker's PLAINTEXT listener stays as it is."""
    broker = brokers.start_kafka(sasl_users={"broker": "broker-Secret", USER: PASSWORD,
                                             UPSTREAM: UPSTREAM_PASSWORD})
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


def client_config(user: str, password: str) -> dict[str, str]:
    """librdkafka settings from the same variables operators set for the worker."""
    return KafkaSecurity.from_env({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                                   "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": user,
                                   "KAFKA_SASL_PASSWORD": password}).librdkafka_config()


def sasl_env(password: str) -> dict[str, str]:
    return {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "PLAIN",
            "KAFKA_SASL_USERNAME": USER, "KAFKA_SASL_PASSWORD": password}


def test_worker_decides_over_sasl(sasl_kafka: str, tmp_path: Path) -> None:
    worker = WorkerProcess(sasl_kafka, tmp_path, "sasl", **sasl_env(PASSWORD))
    try:
        worker.start()
        now = int(time.time() * 1000)
        intent = {"msg_id": "sasl-1", "tenant": "jd", "signature": "京东",
                  "category": "notification", "phone": "13812345678",
                  "content": "【京东】您的订单已发货"}
        publish(sasl_kafka, worker.topics["send_intents"],
                [("13812345678", orjson.dumps(intent), now)],
                config=client_config(UPSTREAM, UPSTREAM_PASSWORD))
        got = consume(sasl_kafka, [worker.topics["approved"], worker.topics["dropped"]], 1,
                      settle=1.0, config=client_config(UPSTREAM, UPSTREAM_PASSWORD))
        assert [(t, v["msg_id"], v["reason"]) for t, _, v in got] == [
            (worker.topics["approved"], "sasl-1", "ok")]
        log = worker.log_path.read_text(errors="replace")
        assert "Authenticated as sendguard-worker via PLAIN" in log
        assert PASSWORD not in log
        print(f"\nSASL/PLAIN: intent decided {got[0][2]['reason']!r} through {sasl_kafka}")
    finally:
        worker.stop()


def test_wrong_password_stops_the_worker_with_a_clear_error(sasl_kafka: str,
                                                            tmp_path: Path) -> None:
    wrong = "not-the-Password"
    worker = WorkerProcess(sasl_kafka, tmp_path, "sasl-bad", **sasl_env(wrong))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="worker exited 1") as failure:
        worker.start(timeout=60)
    took = time.monotonic() - started
    message = str(failure.value)
    assert "Kafka authentication failed at" in message
    assert "SaslAuthenticationFailed" in message and f"PLAIN as '{USER}'" in message
    assert wrong not in message and PASSWORD not in message
    print(f"\nwrong password: worker exited {worker.proc.returncode} after {took:.1f}s: "
          f"{message.splitlines()[-1][:160]}")


def test_a_client_with_wrong_credentials_is_refused(sasl_kafka: str) -> None:
    """The listener really demands SASL (else the tests above would prove nothing)."""
    producer = Producer({"bootstrap.servers": sasl_kafka, **client_config(UPSTREAM, "wrong"),
                         "message.timeout.ms": 5000, "log_level": 0})
    errors: list[object] = []
    producer.produce("anything", b"x", on_delivery=lambda err, _m: errors.append(err))
    producer.flush(15)
    assert errors and errors[0] is not None
    with pytest.raises(KafkaException):
        producer.list_topics(timeout=3)
