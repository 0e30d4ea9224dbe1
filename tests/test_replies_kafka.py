"""On the launched Apache Kafka: the reply corpora end to end through a worker (grant, reply,
marketing intent, published with a plain client), decided exactly as `sendguard replay`
decides them, with the precision and recall printed."""

from __future__ import annotations

import orjson
import pytest

from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.tools.replay import replay
from tests.kafka_io import consume, daytime_in_shanghai_ms, publish, trace_line
from tests.reply_trace import CORPORA, FIRST_PHONE, load, records, score
from tests.test_consent_kafka import POLICY
from tests.test_replies_end_to_end import FLOORS

pytestmark = pytest.mark.kafka


def test_reply_corpora_through_the_worker(worker_factory, kafka: str) -> None:
    worker = worker_factory().start()
    topics = worker.topics
    corpora = [(name, load(path)) for name, path in CORPORA if path.exists()]
    start = daytime_in_shanghai_ms()
    published = [(topic_id, orjson.dumps(value), ts)
                 for n, (name, replies) in enumerate(corpora)  # a phone range per corpus
                 for topic_id, value, ts in records(replies, start, name, FIRST_PHONE + n * 10**5)]
    trace = [trace_line(topics[topic_id], ts, raw) for topic_id, raw, ts in published]
    settings = Settings.from_env({k: v for k, v in worker.env.items()
                                  if k.startswith("SENDGUARD_TOPIC_")})
    replayed = [orjson.loads(line) for line in replay(settings, load_policy(POLICY), trace)]
    outcomes = sum(r["topic"] == topics["consent_outcomes"] for r in replayed)
    intents = sum(len(replies) for _, replies in corpora)

    # Kafka orders records within a partition, not across topics: each phase is published
    # once the previous one is decided, so every reply meets its grant and every intent its reply.
    def phase(topic_id: str) -> None:
        publish(kafka, topics[topic_id], [(None, raw, ts) for t, raw, ts in published
                                          if t == topic_id])

    phase("consent_events")
    assert len(consume(kafka, [topics["consent_outcomes"]], expected=intents, settle=0,
                       timeout=180)) >= intents
    phase("carrier_replies")
    got = consume(kafka, [topics["consent_outcomes"]], expected=outcomes, timeout=180)
    assert len(got) == outcomes, "the worker revoked other replies than replay did"
    phase("send_intents")
    decisions = consume(kafka, [topics["approved"], topics["dropped"]], expected=intents,
                        timeout=180)
    reasons = {v["msg_id"]: v["reason"] for _, _, v in decisions}
    assert len(decisions) == len(reasons) == intents
    assert {r["value"]["msg_id"]: r["value"] for r in replayed
            if r["topic"] in (topics["approved"], topics["dropped"])} == \
        {v["msg_id"]: v for _, _, v in decisions}

    failures = []
    for name, replies in corpora:
        result = score(replies, reasons, name)
        print(f"\nend to end (worker) {result.line(name)}")
        precision, recall = FLOORS.get(name, (0.99, 0.99))
        if result.precision < precision or result.recall < recall:
            failures.append(result.line(name))
    assert not failures
