"""No input makes the core, replay or the worker fail: every intent with a msg_id gets exactly
one decision, however malformed the intents, consent events and replies around it are.

A seeded generator (deterministic, no timing) mutates well-formed records field by field with
wrong types, huge and odd strings, nested objects and implausible timestamps, and drives them
through routing and `app.rules.core.handle` the way the worker does: envelopes and states go through
JSON between events, derived consent events are fed back, and clock ticks release held intents.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.rules.core import handle
from app.rules.policy import Policy, load_policy
from app.rules.records import (
    APPROVED,
    CONSENT_EVENTS,
    DEAD_LETTER,
    DROPPED,
    RECIPIENT_EVENTS,
    Source,
)
from app.rules.routing import BULK, CONSENT, INTENT, PRIORITY, REPLY, TICK, lane_of, route
from app.tools.cli import main

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_795_000_000_000  # 2026-11-19, ms
CASES = 1500  # records per run; each is routed and decided

_DEEP: Any = "leaf"  # 120 levels: deeper than 128 is dead-lettered by routing (not_json)
for _ in range(60):
    _DEEP = {"a": [_DEEP]}

JUNK: list[Any] = [
    None, True, False, 0, -1, 1, 2**63 - 1, -(2**63), 2**64 - 1, 1.5, -0.0, 1e308, "", " ",
    "\u3000", "\u200b", "\x00", "\ufeff", "\u202e13812345678", "x" * 100_000, "退订" * 5_000,
    "𝟙𝟛𝟠𝟙𝟚𝟛𝟜𝟝𝟞𝟟𝟠", "١٣٨١٢٣٤٥٦٧٨", "e\u0301" * 50, "🙂" * 300, "【】", "【京东】",
    [], [None], ["13812345678"], {}, {"$ne": None}, {"prechecked": "true"}, _DEEP,
    "0001-01-01T00:00:00+01:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59",
    "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z", "2026-02-30T10:00:00Z",
    "2026-11-22 10:00:00+08:00", "2026-11-22T10:00:00", "2026-W47-7T10:00:00Z", "2026-11-22",
    "20261122T100000Z", "2026-11-22T10:00:00.123456789123+08:00", "2026-12-31T23:59:60Z",
    "2026-11-22T25:00:00Z", "2026-11-22T10:00:00+24:00", "2099-01-01T00:00:00Z",
    "+86 138 1234 5678", "010-12345678", "+86 10 1234 5678", "14012345678", "17406123456",
    "400-820-8820", "＋８６ １３８ １２３４ ５６７８", "+1 (415) 555-0100", "+44 20 7946 0958",
    "verification", "marketing", "notification", "promo", "jd", "*", "all", "grant", "revoke",
    "REVOKE", "erase", "mo", "dlr", "DELIVRD", "MBBLACK", "TD", "退订", "YES",
]
TIMES: list[Any] = [j for j in JUNK if isinstance(j, str) and j[:1].isdigit()] + [
    "2026-11-20T09:00:00+08:00", -1, 10**20, 1_795_000_000, None]

GOOD_INTENTS: list[dict[str, Any]] = [
    {"tenant": "jd", "signature": "京东", "category": "notification", "phone": "13812345678",
     "content": "【京东】您的订单已发货"},
    {"tenant": "jd", "signature": "京东", "category": "marketing", "phone": "13812345678",
     "content": "【京东】双十一大促，回TD退订", "campaign_id": "c-1",
     "expires_at": "2026-11-30T00:00:00+08:00"},
    {"tenant": "cmb", "signature": "招商银行", "category": "verification",
     "phone": "+86 139 0000 1111", "content": "【招商银行】验证码123456"},
]
GOOD_CONSENT: list[dict[str, Any]] = [
    {"event_id": "e", "phone": "13812345678", "tenant": "jd", "category": "marketing",
     "action": "grant", "source": "web_form", "occurred_at": "2026-11-20T09:00:00+08:00",
     "evidence": {"form_id": "f-1"}},
    {"event_id": "e", "phone": "13812345678", "tenant": "jd", "category": "marketing",
     "action": "revoke", "source": "support", "occurred_at": "2026-11-20T09:00:00+08:00"},
    {"event_id": "e", "phone": "13812345678", "tenant": "*", "category": "all",
     "action": "erase", "source": "privacy_request",
     "occurred_at": "2026-11-20T09:00:00+08:00"},
]
GOOD_REPLIES: list[dict[str, Any]] = [
    {"type": "mo", "reply_id": "r", "phone": "13812345678", "to": "1069000112345",
     "text": "TD", "received_at": "2026-11-20T09:00:00+08:00"},
    {"type": "dlr", "msg_id": "m-0", "phone": "13812345678", "status": "UNDELIV",
     "error_code": "MBBLACK", "reported_at": "2026-11-20T09:00:00+08:00"},
]
TIME_FIELDS = {"expires_at", "occurred_at", "received_at", "reported_at"}
# Record timestamps a producer can set (CreateTime is any int64; -1: none), and the RFC 3339 ends.
RECORD_TIMES = [-1, 0, 253_402_300_799_999, 2**63 - 1]


def _mutate(rng: random.Random, good: dict[str, Any], serial: int) -> dict[str, Any]:
    """A well-formed record with a few fields replaced, dropped or added."""
    value = dict(good)
    for id_field in ("event_id", "reply_id"):
        if id_field in value:
            value[id_field] = f"{value[id_field]}-{serial}"
    fields = [*value, "extra", "evidence"]
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        field = rng.choice(fields)
        roll = rng.random()
        if roll < 0.1:
            value.pop(field, None)
        elif field in TIME_FIELDS and roll < 0.6:
            value[field] = rng.choice(TIMES)
        else:
            value[field] = rng.choice(JUNK)
    return value


def _record(rng: random.Random, serial: int) -> tuple[str, bytes]:
    """One input record: (kind, raw bytes)."""
    roll = rng.random()
    if roll < 0.5:
        kind, value = INTENT, _mutate(rng, rng.choice(GOOD_INTENTS), serial)
        if rng.random() < 0.9:  # 10% retry an earlier msg_id: a duplicate
            value["msg_id"] = f"m-{rng.randrange(serial + 1)}" if rng.random() < 0.1 else (
                f"m-{serial}")
        elif rng.random() < 0.8:  # dead-lettered unless a non-empty string (then decided)
            value["msg_id"] = rng.choice(JUNK)
    elif roll < 0.75:
        kind, value = CONSENT, _mutate(rng, rng.choice(GOOD_CONSENT), serial)
    else:
        kind, value = REPLY, _mutate(rng, rng.choice(GOOD_REPLIES), serial)
        if value.get("type") == "dlr" and rng.random() < 0.5:
            value["msg_id"] = f"m-{rng.randrange(serial + 1)}"  # a report on a decided msg_id
    if rng.random() < 0.02:  # not an object, or not JSON at all
        return kind, rng.choice([b"[1, 2]", b"null", b"\xff\xfe", b"{", b'"x"'])
    return kind, json.dumps(value, ensure_ascii=False).encode("utf-8")


def _decisions_per_msg_id(emits: list[Any]) -> Counter[str]:
    return Counter(e.value["msg_id"] for e in emits if e.topic in (APPROVED, DROPPED))


class Worker:
    """Routes and decides records as the worker does, with states kept as JSON."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.states: dict[str, bytes] = {}
        self.offsets: Counter[str] = Counter()
        self.emits: list[Any] = []

    def decide(self, envelope: dict[str, Any], key: str) -> None:
        state = orjson.loads(self.states.get(key, b"{}"))
        emits = handle(orjson.loads(orjson.dumps(envelope)), state, self.policy)
        self.states[key] = orjson.dumps(state)
        for emit in emits:
            orjson.dumps(emit.value)  # publishable, as the worker encodes it
            self.emits.append(emit)
            if emit.topic == CONSENT_EVENTS:  # fed back through the consent topic
                self.feed(CONSENT, orjson.dumps(emit.value), envelope["ts"])

    def feed(self, kind: str, raw: bytes, ts: int) -> None:
        source = Source(kind, 0, self.offsets[kind], ts)
        self.offsets[kind] += 1
        routed = route(kind, source, b"k", raw, self.policy)
        if routed.topic == RECIPIENT_EVENTS:
            for priority_topic in (False, True):  # the worker's choice of lane
                assert lane_of(routed.value, priority_topic) in (PRIORITY, BULK)
            self.decide(routed.value, routed.key or "")
        else:
            self.emits.append(routed)

    def tick(self, ts: int) -> None:
        for key in list(self.states):
            self.decide({"kind": TICK, "ts": ts}, key)


def _policy(action: str, tmp_path: Path) -> Policy:
    text = (ROOT / "policy.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(text.replace('quiet_hours_action = "drop"',
                                 f'quiet_hours_action = "{action}"'), encoding="utf-8")
    return load_policy(path)


@pytest.mark.parametrize(("seed", "action"), [(1, "drop"), (2, "defer"), (3, "defer")])
def test_every_intent_with_a_msg_id_gets_one_decision_and_nothing_raises(
        seed: int, action: str, tmp_path: Path) -> None:
    rng = random.Random(seed)
    policy = _policy(action, tmp_path)
    worker = Worker(policy)
    expected: Counter[str] = Counter()
    ts = T0
    for serial in range(CASES):
        ts += rng.choice((0, 1000, 60_000, 3_600_000))
        kind, raw = _record(rng, serial)
        value = json.loads(raw) if raw.startswith(b"{") and raw != b"{" else None
        if kind == INTENT and isinstance(value, dict) and isinstance(
                value.get("msg_id"), str) and value["msg_id"]:
            expected[value["msg_id"]] += 1
        worker.feed(kind, raw, rng.choice(RECORD_TIMES) if rng.random() < 0.02 else ts)
        if rng.random() < 0.05:
            worker.tick(ts)
    worker.tick(RECORD_TIMES[-1])  # everything held is released
    # Retried msg_ids (10% reuse one) get a decision each: the first, then `duplicate`.
    assert _decisions_per_msg_id(worker.emits) == expected
    errors = [e.value for e in worker.emits
              if e.topic == DEAD_LETTER and e.value["error_class"] == "internal_error"]
    assert errors == []
    reasons = Counter(e.value["reason"] for e in worker.emits if e.topic in (APPROVED, DROPPED))
    assert reasons["ok"] and reasons["invalid_intent"] and reasons["invalid_phone"]
    assert "internal_error" not in reasons


def test_an_expiry_in_year_1_is_an_invalid_intent_not_a_crash(tmp_path: Path) -> None:
    worker = Worker(_policy("drop", tmp_path))
    for n, expires_at in enumerate(["0001-01-01T00:00:00+01:00", "0000-01-01T00:00:00Z",
                                    "1970-01-01T00:00:00Z", "1999-12-31T23:59:59.999Z"]):
        intent = {**GOOD_INTENTS[0], "msg_id": f"m-{n}", "expires_at": expires_at}
        worker.feed(INTENT, orjson.dumps(intent), T0)
    details = [(e.value["reason"], e.value["detail"]) for e in worker.emits]
    assert details == [("invalid_intent", "expires_at is before 2000-01-01T00:00:00.000Z")] * 4


def test_replay_of_a_trace_of_bad_records_finishes(tmp_path: Path, capsysbinary) -> None:
    rng = random.Random(7)
    names = {INTENT: "sms.send-intents", CONSENT: "sms.consent-events",
             REPLY: "sms.carrier-replies"}
    lines, expected = [], Counter[str]()
    for serial in range(400):
        kind, raw = _record(rng, serial)
        stamp = f"2026-11-{19 + serial // 100}T{serial % 24:02d}:00:00+08:00"
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            line = {"topic": names[kind], "timestamp": stamp, "value": value}
            if kind == INTENT and isinstance(value.get("msg_id"), str) and value["msg_id"]:
                expected[value["msg_id"]] += 1
        else:
            line = {"topic": names[kind], "timestamp": stamp,
                    "raw": raw.decode("utf-8", "replace")}
        lines.append(json.dumps(line, ensure_ascii=False))
    trace = tmp_path / "trace.jsonl"
    trace.write_text("\n".join(lines), encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text((ROOT / "policy.example.toml").read_text(encoding="utf-8").replace(
        'quiet_hours_action = "drop"', 'quiet_hours_action = "defer"'), encoding="utf-8")
    assert main(["replay", "--policy", str(policy), str(trace)]) == 0
    out = [orjson.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    decided = Counter(r["value"]["msg_id"] for r in out
                      if r["topic"] in ("sms.approved", "sms.dropped"))
    assert decided == expected
    assert not [r for r in out if r["topic"] == "sms.dead-letter"
                and r["value"]["error_class"] == "internal_error"]


@pytest.mark.parametrize("line", [
    '[1, 2]', '"text"', '{"topic": 5, "timestamp": "2026-11-22T10:00:00Z", "value": {}}',
    '{"topic": "sms.send-intents", "timestamp": "2026-11-22T10:00:00Z", "key": 5, "value": {}}',
    '{"topic": "sms.send-intents", "timestamp": "2026-11-22 10:00:00Z", "value": {}}',
    '{"topic": "sms.send-intents", "timestamp": "0001-01-01T00:00:00Z", "value": {}}',
])
def test_a_trace_line_not_of_the_documented_form_is_named_not_a_traceback(
        line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text(line + "\n", encoding="utf-8")
    assert main(["replay", "--policy", str(ROOT / "policy.example.toml"), str(trace)]) == 1
    assert capsys.readouterr().err.startswith("trace line 1: ")


@pytest.mark.parametrize("action", ["drop", "defer"])
@pytest.mark.parametrize("record_ms", RECORD_TIMES)
def test_a_record_timestamp_at_the_edges_is_decided(
        action: str, record_ms: int, tmp_path: Path) -> None:
    worker = Worker(_policy(action, tmp_path))
    grant = {**GOOD_CONSENT[0], "occurred_at": "1970-01-01T00:00:00Z"}
    worker.feed(CONSENT, orjson.dumps(grant), record_ms)
    intent = {**GOOD_INTENTS[1], "msg_id": "m-1", "expires_at": None}
    worker.feed(INTENT, orjson.dumps(intent), record_ms)
    worker.tick(RECORD_TIMES[-1])
    assert _decisions_per_msg_id(worker.emits) == {"m-1": 1}
    assert not [e for e in worker.emits if e.topic == DEAD_LETTER]
