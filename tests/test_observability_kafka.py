"""For SREs and compliance staff, on the launched Apache Kafka: /metrics (checked by promtool
and scraped by a real Prometheus), the explain endpoint behind its token, health, and logs
that are JSON lines without phone numbers."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson
import pytest

from tests.kafka_io import consume, daytime_in_shanghai_ms, publish

pytestmark = pytest.mark.kafka

PHONE = "13811112222"
OTHER = "13999998888"  # somebody else's number, in upstream free text
TOKEN = "s3cret-token"


def binary(name: str) -> str:
    """The path of a tool CI installs (.ci/run); missing, the test fails rather than skips."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} comes from Debian's prometheus package; `make test` installs it")
    return path


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def busy_worker(worker_factory, kafka: str):
    worker = worker_factory(SENDGUARD_API_TOKEN=TOKEN).start()
    topics = worker.topics
    ts = daytime_in_shanghai_ms()
    publish(kafka, topics["consent_events"], [(PHONE, orjson.dumps({
        "event_id": "g1", "phone": PHONE, "tenant": "meituan", "category": "marketing",
        "action": "grant", "source": "signup_form", "occurred_at": "2026-01-01T00:00:00Z",
        "evidence": {"form_id": "f", "note": f"called back from {OTHER}"}}), ts)])
    consume(kafka, [topics["consent_outcomes"]], expected=1, settle=0)
    publish(kafka, topics["send_intents"], [
        (PHONE, orjson.dumps({"msg_id": "mk1", "tenant": "meituan", "signature": "美团",
                              "category": "marketing", "phone": PHONE,
                              "content": "【美团】神券到账，拒收请回复R"}), ts + 1),
        (PHONE, orjson.dumps({"msg_id": "mk2", "tenant": "meituan", "signature": "美团",
                              "category": "marketing", "phone": PHONE,
                              "content": "【美团】又一张神券，拒收请回复R"}), ts + 2),
        # An upstream put a phone number where the signature goes: the decision's detail
        # quotes it, so the explain answer must mask it.
        (PHONE, orjson.dumps({"msg_id": "mk3", "tenant": "meituan", "signature": f"代发{OTHER}",
                              "category": "marketing", "phone": PHONE,
                              "content": f"【代发{OTHER}】神券到账，拒收请回复R"}), ts + 3),
        (None, b"\x00 garbage", ts + 4),
    ])
    # The reply goes in only after the intents are decided: another topic, so no order.
    consume(kafka, [topics["approved"], topics["dropped"], topics["dead_letter"]], expected=4)
    publish(kafka, topics["carrier_replies"], [(PHONE, orjson.dumps({
        "type": "mo", "reply_id": "r1", "phone": PHONE, "to": "106900005678", "text": "TD",
        "received_at": "2026-11-22T12:00:00+08:00"}), ts + 5)])
    consume(kafka, [topics["consent_outcomes"]], expected=2, settle=0)
    return worker, f"http://127.0.0.1:{worker.env['SENDGUARD_WEB_PORT']}"


def test_metrics_health_explain_and_logs(busy_worker) -> None:
    worker, base = busy_worker
    needles = ('sendguard_decisions_total{category="marketing",decision="approved",'
               'reason="ok",tenant="meituan"} 1.0',
               'sendguard_decisions_total{category="marketing",decision="dropped",'
               'reason="frequency_cap",tenant="meituan"} 1.0',
               'sendguard_decisions_total{category="marketing",decision="dropped",'
               'reason="signature_invalid",tenant="meituan"} 1.0',
               'sendguard_unsubscribes_total{tenant="meituan"} 1.0',
               'sendguard_replies_total{intent="unsubscribe"} 1.0',
               'sendguard_consent_events_total{action="grant",result="applied",'
               'source="signup_form"} 1.0',
               'sendguard_dead_letters_total{error_class="not_json",'
               f'source_topic="{worker.topics["send_intents"]}",stage="route"}} 1.0',
               "sendguard_decision_latency_seconds_bucket",
               "sendguard_intents_total", "sendguard_build_info{",
               "sendguard_fetch_batch_records_bucket",
               "sendguard_recipients_table_keys", "faust_topic_partition_end_offset",
               "faust_topic_partition_offset_commited")
    for _ in range(30):  # the counters move as the worker publishes; give it a moment
        status, body = get(f"{base}/metrics")
        text = body.decode()
        if status == 200 and all(needle in text for needle in needles):
            break
        time.sleep(0.5)
    assert status == 200
    for needle in needles:
        assert needle in text, needle
    assert PHONE not in text and "8613811112222" not in text
    lint = subprocess.run([binary("promtool"), "check", "metrics"], input=body,
                          capture_output=True)
    assert lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(), \
        lint.stdout + lint.stderr

    assert get(f"{base}/healthz")[0] == 200
    assert get(f"{base}/readyz")[0] == 200

    assert get(f"{base}/recipients/{PHONE}")[0] == 401
    assert get(f"{base}/recipients/{PHONE}", token="wrong")[0] == 401
    status, body = get(f"{base}/recipients/%2B86%20138%201111%202222", token=TOKEN)
    assert status == 200, body
    answer = json.loads(body)
    assert answer["phone"] == "+8613811112222"
    meituan = next(c for c in answer["consent"]
                   if (c["tenant"], c["category"]) == ("meituan", "marketing"))
    assert meituan["status"] == "revoked"
    assert meituan["deciding_event"]["source"] == "reply"
    decisions = {d["msg_id"]: d for d in answer["recent_decisions"]}
    assert {msg_id: d["reason"] for msg_id, d in decisions.items()} == \
        {"mk1": "ok", "mk2": "frequency_cap", "mk3": "signature_invalid"}
    usage = next(u for u in answer["cap_usage"] if u["category"] == "marketing")
    assert usage["caps"] == [{"cap": "1/7d", "used": 1, "limit": 1}]
    # Another number in stored free text (a decision's detail) is masked; dates are not.
    assert decisions["mk3"]["detail"] == \
        "signature 【代发139****8888】 is not registered to this tenant"
    assert OTHER not in body.decode()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z",
                        decisions["mk3"]["decided_at"])
    assert answer["policy_version"] == json.loads(get(f"{base}/readyz")[1])["policy_version"]
    print(f"\nexplain: {len(decisions)} decisions; mk3 detail {decisions['mk3']['detail']!r}")
    assert get(f"{base}/recipients/not-a-phone", token=TOKEN)[0] == 400

    worker.stop()
    lines = [line for line in worker.log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(records) > 20 and len(records) >= 0.9 * len(lines)
    assert all({"ts", "level", "logger", "msg"} <= set(r) for r in records)
    assert not re.search(rf"1381111\s?2222|{OTHER}", worker.log_path.read_text())


@pytest.fixture
def prometheus() -> str:
    """Checked before the worker starts, so a missing binary fails at once."""
    return binary("prometheus")


def test_a_real_prometheus_scrapes_the_worker(prometheus: str, busy_worker,
                                              tmp_path: Path) -> None:
    _, base = busy_worker
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: sendguard\n"
        f"    static_configs: [{{targets: ['{base.removeprefix('http://')}']}}]\n")
    proc = subprocess.Popen(
        [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        query = (f"http://127.0.0.1:{port}/api/v1/query?query="
                 "sum(sendguard_decisions_total)")
        found = None
        for _ in range(60):
            time.sleep(1)
            try:
                status, body = get(query)
            except OSError:
                continue
            result = json.loads(body)["data"]["result"] if status == 200 else []
            if result:
                found = float(result[0]["value"][1])
                break
        assert found == 3.0
        up = json.loads(get(f"http://127.0.0.1:{port}/api/v1/query?query=up")[1])
        assert up["data"]["result"][0]["value"][1] == "1"
        print(f"\nPrometheus scraped the worker: sum(sendguard_decisions_total) = {found}")
    finally:
        proc.terminate()
        proc.wait(20)
