"""On the launched Apache Kafka: an idle recipient's state disappears without a new event of
theirs (the tick's sweep), while others' traffic moves the partitions' time on."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from app import contracts
from tests.kafka_io import consume, publish

pytestmark = pytest.mark.kafka

EXAMPLE = contracts.example_policy_path()
TOKEN = "sweep-token"
IDLE = "13900001111"


def short_windows_policy(path: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace('dedup_window = "24h"',
                                                       'dedup_window = "2s"')
    text = text.replace('dlr_window = "72h"', 'dlr_window = "2s"')
    lines = [line if not line.startswith("caps = ") else 'caps = ["5/2s"]'
             for line in text.splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def explain(port: str, phone: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/recipients/{phone}",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def intent(msg_id: str, phone: str) -> bytes:
    return orjson.dumps({"msg_id": msg_id, "tenant": "jd", "signature": "京东",
                         "category": "verification", "phone": phone,
                         "content": "【京东】验证码123456，5分钟内有效。"})


def dead_letters(port: str) -> float:
    """The worker's count of dead letters, all sources and errors."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        lines = response.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines
               if line.startswith("sendguard_dead_letters_total{"))


# At-least-once too: there Faust persists each changelog offset in the table's own RocksDB at
# once, under a key of its own the sweep must leave alone (it once dead-lettered every tick).
@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
def test_idle_recipient_state_is_swept(worker_factory, kafka: str, tmp_path: Path,
                                       guarantee: str) -> None:
    worker = worker_factory(policy=short_windows_policy(tmp_path / "policy.toml"),
                            SENDGUARD_SWEEP_LAG_S="0", SENDGUARD_API_TOKEN=TOKEN,
                            SENDGUARD_PROCESSING_GUARANTEE=guarantee).start()
    topics, port = worker.topics, worker.env["SENDGUARD_WEB_PORT"]
    publish(kafka, topics["send_intents"], [(IDLE, intent("idle-1", IDLE),
                                             int(time.time() * 1000))])
    assert consume(kafka, [topics["approved"]], expected=1, settle=0)
    before = explain(port, IDLE)
    assert [d["msg_id"] for d in before["recent_decisions"]] == ["idle-1"]
    assert before["cap_usage"]

    # Others keep sending (40 recipients: every partition), so time moves on everywhere.
    deadline, after, rounds = time.monotonic() + 60, before, 0
    while time.monotonic() < deadline:
        rounds += 1
        now = int(time.time() * 1000)
        publish(kafka, topics["send_intents"],
                [(f"1370000{i:04d}", intent(f"busy-{rounds}-{i}", f"1370000{i:04d}"), now)
                 for i in range(40)])
        time.sleep(2)
        after = explain(port, IDLE)
        if not after["recent_decisions"] and not after["cap_usage"]:
            break
    assert after["recent_decisions"] == [] and after["cap_usage"] == [], after
    assert dead_letters(port) == 0
    print(f"\nidle recipient's state swept after {rounds} rounds of others' traffic")
