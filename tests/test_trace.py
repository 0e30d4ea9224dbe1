"""Trace files: the timestamps Kafka tools print, and one plain line per problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.tools.replay import TraceError, TraceErrors, parse_timestamp, read_trace, replay

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policy.example.toml"
TS = 1_795_312_800_000  # 2026-11-22T02:00:00Z
INPUTS = ["sms.send-intents", "sms.consent-events", "sms.carrier-replies"]
INTENT = {"msg_id": "a1", "tenant": "jd", "signature": "京东", "category": "notification",
          "phone": "13812345678", "content": "【京东】您的订单已发货"}


def line(**fields: object) -> str:
    return json.dumps({"topic": "sms.send-intents", "timestamp": TS, "value": INTENT, **fields},
                      ensure_ascii=False)


@pytest.mark.parametrize("value", [
    "2026-11-22T10:00:00+08:00", "2026-11-22T02:00:00Z", "2026-11-22T02:00:00.000Z",
    TS, str(TS), f" {TS} ",
])
def test_timestamps_are_rfc3339_or_epoch_milliseconds(value: object) -> None:
    assert parse_timestamp(value) == TS


@pytest.mark.parametrize("value", [
    "2026-11-22T10:00:00", 1.5, True, -1, None, "", "soon", "１７９５３１２８００000", 10**15,
    "1" * 16,
])
def test_other_timestamps_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="neither RFC 3339"):
        parse_timestamp(value)


def test_a_trace_line_gives_topic_timestamp_key_and_value() -> None:
    [record] = read_trace([line(key="13812345678").encode()])
    assert record == ("sms.send-intents", TS, b"13812345678", orjson.dumps(INTENT))
    [tombstone] = read_trace([line(raw=None)])
    assert tombstone.value is None


@pytest.mark.parametrize(("text", "message"), [
    ("{x", "trace line 1: not JSON ("),
    ("[1]", "trace line 1: not a JSON object"),
    ('{"timestamp": 1, "value": {}}', 'trace line 1: missing field "topic"'),
    ('{"topic": "sms.send-intents", "value": {}}', 'trace line 1: missing field "timestamp"'),
    ('{"topic": "sms.send-intents", "timestamp": 1}',
     'trace line 1: missing field "value" (or "raw")'),
    ('{"topic": 7, "timestamp": 1, "value": {}}', 'trace line 1: field "topic": must be a'),
    ('{"topic": "sms.send-intents", "timestamp": "10:00", "value": {}}',
     'trace line 1: field "timestamp": "10:00" is neither RFC 3339'),
    ('{"topic": "sms.send-intents", "timestamp": 1, "key": 5, "value": {}}',
     'trace line 1: field "key": must be a string or null'),
    ('{"topic": "sms.send-intents", "timestamp": 1, "raw": 5}',
     'trace line 1: field "raw": must be a string or null'),
    ('{"topic": "sms.nope", "timestamp": 1, "value": {}}',
     'trace line 1: field "topic": "sms.nope" is not one of the worker\'s input topics '
     '(sms.send-intents, sms.consent-events, sms.carrier-replies; SENDGUARD_TOPIC_* rename '
     'them)'),
])
def test_each_bad_line_is_one_message_with_its_field(text: str, message: str) -> None:
    with pytest.raises(TraceError) as caught:
        list(read_trace([text], INPUTS))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value) and "Error(" not in str(caught.value)


def test_every_bad_line_is_collected_and_counted_by_its_line_number() -> None:
    errors = TraceErrors(shown=2)
    lines = [line(), "", "{x", line(), '{"topic": "sms.send-intents"}', "[]"]
    assert len(list(read_trace(lines, INPUTS, errors))) == 2
    assert errors.count == 3
    first, second, more = errors.report()
    assert first.startswith("trace line 3: not JSON (")  # (orjson's words follow)
    assert second == 'trace line 5: missing field "timestamp"'
    assert more == "... and 1 more bad trace lines"


def test_replay_decides_nothing_after_a_bad_line() -> None:
    errors = TraceErrors()
    second = {**INTENT, "msg_id": "a2"}
    out = list(replay(Settings.from_env({}), load_policy(POLICY),
                      [line(), '{"topic": "sms.nope", "timestamp": 1, "value": {}}',
                       line(value=second)], errors))
    assert [orjson.loads(o)["value"]["msg_id"] for o in out] == ["a1"]
    assert errors.messages[0].startswith("trace line 2: field \"topic\"")


def test_a_tombstone_is_dead_lettered_like_the_worker_does() -> None:
    [out] = replay(Settings.from_env({}), load_policy(POLICY), [line(raw=None)])
    assert orjson.loads(out)["value"]["error"] == "record has no value (tombstone)"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.tools.cli", "replay", *args], cwd=ROOT,
                          capture_output=True, text=True)


def test_a_trace_with_bad_lines_prints_one_line_each_and_exits_1(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text("\n".join([line(), '{"topic": "sms.send-intents", "value": {}}', "oops",
                                line(timestamp="2026-11-22 10:00")]) + "\n", encoding="utf-8")
    for extra in ([], ["--summary"]):
        done = run_cli(*extra, str(trace))
        assert done.returncode == 1
        first, second, third = done.stderr.splitlines()
        assert second.startswith("trace line 3: not JSON (")
        assert [first, third] == [
            'trace line 2: missing field "timestamp"',
            'trace line 4: field "timestamp": "2026-11-22 10:00" is neither RFC 3339 with an '
            "offset (2026-11-22T10:00:00+08:00) nor epoch milliseconds",
        ]


@pytest.mark.parametrize("args", [
    ["{missing}"],
    ["{dir}"],
    ["--summary", "{missing}"],
    ["--compare", "{policy}", "{missing}", "{trace}"],
    ["--compare", "{dir}", "{policy}", "{trace}"],
    ["--compare", "{policy}", "{policy}", "{dir}"],
])
def test_a_missing_file_or_a_directory_is_one_line_and_exit_2(tmp_path: Path,
                                                               args: list[str]) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text(line() + "\n", encoding="utf-8")
    names = {"missing": str(tmp_path / "missing"), "dir": str(tmp_path), "policy": str(POLICY),
             "trace": str(trace)}
    done = run_cli(*(a.format(**names) for a in args))
    assert done.returncode == 2, done.stderr
    [message] = done.stderr.splitlines()
    assert message.startswith("sendguard replay: ") and str(tmp_path) in message
    assert message.endswith(("not found", "is a directory, not a file"))


def test_a_missing_policy_is_one_line_and_exit_2(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text(line() + "\n", encoding="utf-8")
    for policy in (tmp_path / "missing.toml", tmp_path):
        done = run_cli("--policy", str(policy), str(trace))
        assert done.returncode == 2, done.stderr
        [message] = done.stderr.splitlines()
        assert message.startswith(f"policy file {policy} not found")


def test_json_needs_summary_or_compare(tmp_path: Path) -> None:
    done = run_cli("--json", "-")
    assert done.returncode == 2
    assert done.stderr == "sendguard replay: --json needs --summary or --compare " \
                          "(plain replay prints JSONL)\n"


def test_backlog_replay_decides_the_priority_lane_first(tmp_path) -> None:
    """The only coupling of the lanes a backlog shows: a msg_id reused across them (and the
    [global] caps). In trace order the marketing message is decided first; with the whole
    trace queued the code (published to the priority topic) goes first and the marketing
    message is the duplicate."""
    import orjson

    from app import contracts
    from app.rules.policy import load_policy
    from app.runtime.settings import Settings
    from app.tools.replay import replay

    settings, policy = Settings(), load_policy(contracts.example_policy_path())
    ts = 1_795_312_800_000
    grant = {"event_id": "g", "phone": "13812345678", "tenant": "jd", "category": "marketing",
             "action": "grant", "source": "signup_form", "occurred_at": "2026-11-01T10:00:00Z",
             "evidence": {"form_id": "f"}}
    ad = {"msg_id": "m-1", "tenant": "jd", "signature": "京东", "category": "marketing",
          "phone": "13812345678", "content": "【京东】好物特惠。退订回T"}
    code = {**ad, "category": "verification", "content": "【京东】验证码123456"}
    trace = [orjson.dumps({"topic": t, "timestamp": ts + i, "value": v}) for i, (t, v) in
             enumerate([("sms.consent-events", grant), ("sms.send-intents", ad),
                        ("sms.priority-intents", code)])]

    def decisions(backlog: bool) -> list[tuple[str, str]]:
        return [(r["value"]["category"], r["value"]["reason"]) for r in
                map(orjson.loads, replay(settings, policy, trace, backlog=backlog))
                if r["topic"] in ("sms.approved", "sms.dropped")]

    assert decisions(False) == [("marketing", "ok"), ("verification", "duplicate")]
    assert decisions(True) == [("verification", "ok"), ("marketing", "duplicate")]
