"""The worker on an Apache Kafka whose listener speaks TLS (certificate from a CA made with
openssl at test time): it decides with KAFKA_SSL_CAFILE naming that CA, and stops at once
with a clear error when it does not trust the broker's certificate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import brokers
import orjson
import pytest

from app.runtime.kafka_security import KafkaSecurity
from tests.conftest import WorkerProcess
from tests.kafka_io import consume, publish
from tests.tls_certs import Pki, make_pki

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_kafka(pki: Pki) -> Iterator[str]:
    broker = brokers.start_kafka(tls=brokers.TlsFiles(str(pki.server_cert), str(pki.server_key),
                                                      str(pki.ca)))
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


def test_worker_decides_over_tls(tls_kafka: str, pki: Pki, tmp_path: Path) -> None:
    env = {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": str(pki.ca)}
    client = KafkaSecurity.from_env(env).librdkafka_config()
    worker = WorkerProcess(tls_kafka, tmp_path, "tls", **env)
    try:
        worker.start()
        intent = {"msg_id": "tls-1", "tenant": "jd", "signature": "京东",
                  "category": "notification", "phone": "13812345678",
                  "content": "【京东】您的订单已发货"}
        publish(tls_kafka, worker.topics["send_intents"],
                [(None, orjson.dumps(intent), int(time.time() * 1000))], config=client)
        got = consume(tls_kafka, [worker.topics["approved"], worker.topics["dropped"]], 1,
                      settle=1.0, config=client)
        assert [(v["msg_id"], v["reason"]) for _, _, v in got] == [("tls-1", "ok")]
        print(f"\nTLS: intent decided {got[0][2]['reason']!r} through {tls_kafka}")
    finally:
        worker.stop()


def test_an_untrusted_broker_certificate_stops_the_worker(tls_kafka: str, pki: Pki,
                                                          tmp_path: Path) -> None:
    worker = WorkerProcess(tls_kafka, tmp_path, "tls-bad", KAFKA_SECURITY_PROTOCOL="SSL",
                           KAFKA_SSL_CAFILE=str(pki.other_ca))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="worker exited 1") as failure:
        worker.start(timeout=60)
    message = str(failure.value)
    assert f"TLS handshake with {tls_kafka} failed" in message
    assert "certificate verify failed" in message or "unable to get local issuer" in message
    print(f"\nuntrusted CA: worker exited after {time.monotonic() - started:.1f}s: "
          f"{message.splitlines()[-1][:150]}")
