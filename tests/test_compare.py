"""`sendguard replay --compare/--summary`: what a policy change would change, intent by intent."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import orjson

from app.rules.policy import Policy, parse_policy
from app.runtime.settings import Settings
from app.tools.compare import compare, render_comparison, render_summary, summarise
from app.tools.replay import read_trace

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "policy.example.toml"
NIGHT = 1_795_352_400_000  # 2026-11-22T21:00:00+08:00: marketing quiet hours in Shanghai
DAY = NIGHT - 10 * 3_600_000  # 11:00 the same day
SETTINGS = Settings.from_env({})


def policy_data(**changes: Any) -> dict[str, Any]:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = data
        for name in parents:
            node = node[name]
        node[leaf] = value
    return data


def policy(**changes: Any) -> Policy:
    return parse_policy(policy_data(**changes))


OLD = policy()
# Notifications need an opt-in; marketing in quiet hours is held instead of dropped.
NEW = policy(**{"version": "v2", "categories.notification.consent": "opt_in",
                "global.quiet_hours_action": "defer"})


def intent(msg_id: str, phone: str, category: str, tenant: str = "jd") -> dict[str, Any]:
    signature = {"jd": "京东", "meituan": "美团"}[tenant]
    text = {"notification": "您的订单已发货", "marketing": "双11神券已到账，拒收请回复R",
            "verification": "验证码123456"}[category]
    return {"msg_id": msg_id, "tenant": tenant, "signature": signature, "category": category,
            "phone": phone, "content": f"【{signature}】{text}"}


def grant(phone: str, tenant: str, category: str = "marketing") -> dict[str, Any]:
    return {"event_id": f"g-{phone}-{tenant}-{category}", "phone": phone, "tenant": tenant,
            "category": category, "action": "grant", "source": "signup_form",
            "occurred_at": "2026-11-01T10:00:00Z", "evidence": {"form_id": "reg-v3"}}


def trace_lines() -> list[bytes]:
    lines = []

    def add(topic: str, ts: int, value: dict[str, Any]) -> None:
        lines.append(orjson.dumps({"topic": topic, "timestamp": ts, "value": value}))

    add("sms.consent-events", DAY - 1, grant("13900000001", "meituan"))
    add("sms.consent-events", DAY - 1, grant("13900000002", "jd", "notification"))
    for i in range(5):  # ok -> no_consent (no notification opt-in), 5 recipients
        add("sms.send-intents", DAY + i, intent(f"n{i}", f"1380000000{i}", "notification"))
    # one with an opt-in: ok under both, then its retry: duplicate under both
    add("sms.send-intents", DAY + 10, intent("granted", "13900000002", "notification"))
    add("sms.send-intents", DAY + 11, intent("granted", "13900000002", "notification"))
    add("sms.send-intents", DAY + 12, intent("code", "13800000009", "verification"))
    # marketing at night: quiet_hours -> ok (held, approved when the window opens)
    add("sms.send-intents", NIGHT + 1, intent("mk", "13900000001", "marketing", "meituan"))
    lines.append(orjson.dumps({"topic": "sms.send-intents", "timestamp": NIGHT + 2,
                               "raw": "not json"}))
    return lines


def test_compare_pairs_each_intents_decisions_and_counts_transitions() -> None:
    result = compare(SETTINGS, OLD, NEW, read_trace(trace_lines()))
    counts = {pair: b.count for pair, b in result.transitions.items()}
    assert counts == {("ok", "no_consent"): 5, ("ok", "ok"): 2, ("duplicate", "duplicate"): 1,
                      ("quiet_hours", "ok"): 1}
    assert result.changed == 6 and result.old.intents == result.new.intents == 9
    to_no_consent = result.transitions["ok", "no_consent"]
    assert to_no_consent.groups == {("jd", "notification"): 5}
    assert to_no_consent.examples == [("n0", "+86138****0000"), ("n1", "+86138****0001"),
                                      ("n2", "+86138****0002")]
    assert result.transitions["ok", "ok"].examples == []  # examples only of changes
    assert result.old.dead_letters == {"not_json": 1} == result.new.dead_letters
    assert result.old.consent_outcomes == {("applied", None): 2}


def test_the_comparison_as_text_and_json() -> None:
    result = compare(SETTINGS, OLD, NEW, read_trace(trace_lines()))
    text = render_comparison(result)
    rows = [" ".join(row.split()) for row in text.splitlines()]
    assert text.splitlines()[0] == f"policy {OLD.version} -> v2: 6 of 9 intents decided " \
                                   "differently"
    assert rows[2:7] == ["old -> new count tenant/category",
                         "ok -> no_consent 5 jd/notification 5",
                         "e.g. n0 +86138****0000, n1 +86138****0001, n2 +86138****0002",
                         "quiet_hours -> ok 1 meituan/marketing 1", "e.g. mk +86139****0001"]
    assert "unchanged: ok 2, duplicate 1" in text
    assert "13800000000" not in text and "+8613800000000" not in text
    document = json.loads(json.dumps(result.to_json()))
    assert document["changed"] == 6
    assert document["transitions"][0] == {
        "old": "ok", "new": "no_consent", "changed": True, "count": 5,
        "by_tenant_category": [{"tenant": "jd", "category": "notification", "count": 5}],
        "examples": [{"msg_id": f"n{i}", "phone": f"+86138****000{i}"} for i in range(3)],
    }
    assert "13800000000" not in json.dumps(document)


def test_summary_counts_one_policys_decisions_by_reason() -> None:
    tally = summarise(SETTINGS, OLD, read_trace(trace_lines()))
    assert {r: b.count for r, b in tally.reasons.items()} == \
        {"ok": 7, "duplicate": 1, "quiet_hours": 1}
    text = render_summary(tally)
    assert "ok                                   7  77.8%   jd/notification 6, jd/verification 1" \
        in text
    assert "consent outcomes: applied 2" in text and "dead letters: not_json 1" in text
    assert tally.to_json()["reasons"][0]["share"] == round(7 / 9, 4)


def test_the_cli_compares_two_policy_files(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_bytes(b"\n".join(trace_lines()) + b"\n")
    new = tmp_path / "new.toml"
    new.write_text(EXAMPLE.read_text(encoding="utf-8")
                   .replace('consent = "opt_out"', 'consent = "opt_in"'), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "app.tools.cli", "replay", "--json", "--compare",
                           str(EXAMPLE), str(new), str(trace)], cwd=tmp_path,
                          capture_output=True, check=True)
    document = json.loads(done.stdout)
    assert {(t["old"], t["new"]): t["count"] for t in document["transitions"]} == \
        {("ok", "no_consent"): 5, ("ok", "ok"): 2, ("duplicate", "duplicate"): 1,
         ("quiet_hours", "quiet_hours"): 1}
    assert done.stderr == b""  # no progress bar when stderr is not a terminal


def test_compare_takes_its_own_two_policies() -> None:
    done = subprocess.run([sys.executable, "-m", "app.tools.cli", "replay",
                           "--policy", str(EXAMPLE),
                           "--compare", str(EXAMPLE), str(EXAMPLE), "-"], cwd=ROOT,
                          capture_output=True, text=True, input="")
    assert done.returncode == 2
    assert done.stderr == "sendguard replay: --compare takes its two policies itself: drop " \
                          "--policy and --summary\n"
