"""The `sendguard` commands operators and compliance staff run by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_classify_reply_prints_json(capsysbinary) -> None:
    assert main(["classify-reply", " ＴＤ退订！"]) == 0
    result = json.loads(capsysbinary.readouterr().out)
    assert result["intent"] == "unsubscribe" and result["scope"] == "sender"
    assert main(["classify-reply", "T恤多少钱"]) == 0
    assert json.loads(capsysbinary.readouterr().out)["intent"] == "none"


def test_replay_reads_a_trace_file_and_prints_jsonl(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    intent = {"msg_id": "a1", "tenant": "jd", "signature": "京东", "category": "notification",
              "phone": "13812345678", "content": "【京东】您的订单已发货"}
    trace.write_text("\n".join([
        json.dumps({"topic": "sms.send-intents", "timestamp": "2026-11-22T10:00:00+08:00",
                    "value": intent}, ensure_ascii=False),
        "",
        json.dumps({"topic": "sms.send-intents", "timestamp": "2026-11-22T10:00:01+08:00",
                    "raw": "not json"}),
    ]), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "replay", "--policy",
         str(ROOT / "policy.example.toml"), str(trace)],
        capture_output=True, check=True, cwd=ROOT,
    ).stdout.decode().splitlines()
    records = [json.loads(line) for line in out]
    assert [r["topic"] for r in records] == ["sms.approved", "sms.dead-letter"]
    assert records[0]["key"] == "+8613812345678"
    assert records[0]["value"]["decided_at"] == "2026-11-22T02:00:00.000Z"


def test_a_bad_trace_line_is_named(tmp_path: Path, capsys) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text('{"topic": "sms.send-intents"}\n', encoding="utf-8")
    assert main(["replay", "--policy", str(ROOT / "policy.example.toml"), str(trace)]) == 1
    assert capsys.readouterr().err == 'trace line 1: missing field "timestamp"\n'


def test_an_invalid_policy_stops_the_command_with_its_problems(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text((ROOT / "policy.example.toml").read_text(encoding="utf-8")
                      .replace('consent = "opt_in"', 'consent = "optin"'), encoding="utf-8")
    with pytest.raises(SystemExit, match=r"categories\.marketing\.consent"):
        main(["replay", "--policy", str(policy), "-"])


@pytest.mark.parametrize("command", [["replay", "-"], ["worker"]])
@pytest.mark.parametrize(("edit", "key"), [
    (lambda text: 'version = "1"\ntenants = 5\n', "tenants: must be a table, not an integer"),
    (lambda text: text.replace('consent = "opt_in"', 'consent = "none"'),
     "categories.marketing.consent: must be opt_in"),
    (lambda text: text.replace('ports = ["1065502010"]', 'ports = ["1069000112345"]'),
     "tenants.cmb.ports: '1069000112345' is also tenant 'jd''s port"),
    (lambda text: text + "\n[x\n", "not valid TOML"),
])
def test_an_invalid_policy_is_one_line_without_a_traceback(
        tmp_path: Path, command: list[str], edit, key: str) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(edit((ROOT / "policy.example.toml").read_text(encoding="utf-8")),
                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "app.cli", command[0], "--policy", str(policy),
                           *command[1:]], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{policy}: ") and key in line, line
