"""What the image does, without Docker: the wheel, built from the files the Dockerfile's build
stage copies, installed with the locked dependencies (hashes checked) into a new virtual
environment outside the checkout, then run from an empty directory, configured with
environment variables only, against the launched Kafka."""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from app.runtime.settings import load_topic_specs
from tests.kafka_io import consume, publish, trace_line

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
RUNTIME_LOCK = ROOT / "locks" / "runtime.txt"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
    "project"]["version"]
T0 = int(time.time() * 1000) - 60_000


def build_stage_sources() -> list[str]:
    """The checkout's files the Dockerfile's build stage copies (its COPY lines)."""
    build_stage = re.split(r"^FROM ", DOCKERFILE.read_text(encoding="utf-8"), flags=re.M)[1]
    sources = []
    for line in build_stage.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            sources += line.split()[1:-1]
    return sources


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=300, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new virtual environment holding the locked dependencies and the wheel."""
    base = tmp_path_factory.mktemp("wheel")
    assert ROOT not in base.parents
    source = base / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "_compiled*", "*.egg-info")
    for name in build_stage_sources():
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", base / "dist", source, cwd=base)
    [wheel] = (base / "dist").glob("sendguard-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"app/contracts/topics.toml", "app/contracts/policy.example.toml",
            "app/contracts/schemas/decision.schema.json"} <= names
    environment = base / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", environment)
    pip = [sys.executable, "-m", "pip", "--python", environment / "bin" / "python", "install",
           "--quiet", "--no-compile"]
    run(*pip, "--require-hashes", "-r", RUNTIME_LOCK)
    run(*pip, "--no-deps", wheel)
    yield environment
    shutil.rmtree(base, ignore_errors=True)


def intent(msg_id: str, category: str = "notification", phone: str = "13912340001",
           content: str = "【京东】您的订单已发货") -> dict:
    return {"msg_id": msg_id, "tenant": "jd", "signature": "京东", "category": category,
            "phone": phone, "content": content}


TRACE = [  # (value, what the rules say)
    (intent("note-1"), "ok"),
    (intent("note-2", phone="+86 139 1234 0002"), "ok"),
    (intent("mkt-1", "marketing", content="【京东】双11大促，回TD退订"), "no_consent"),
    (intent("bad-phone", phone="12345"), "invalid_phone"),
    (intent("bad-sig", content="【淘宝】您的订单已发货"), "signature_invalid"),
    (b"{not json", "dead:not_json"),
]


def test_the_installed_wheel_runs_the_gate_from_an_empty_directory(
        venv: Path, kafka: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    workdir = tmp_path_factory.mktemp("empty")
    assert not any(workdir.iterdir()) and ROOT not in workdir.parents
    prefix = f"whl{uuid.uuid4().hex[:6]}"
    topics = {spec.id: f"{prefix}.{spec.name}" for spec in load_topic_specs({}).values()}
    port = free_port()
    env = {  # nothing inherited: no PYTHONPATH, no checkout
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(workdir), "LANG": "C.UTF-8",
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "SENDGUARD_APP_ID": f"sendguard-{prefix}",
        "SENDGUARD_ENV": "production",
        "SENDGUARD_STATE_SECRET": secrets.token_hex(32),
        "SENDGUARD_POLICY": "policy.toml",
        "SENDGUARD_WEB_PORT": str(port),
        **{spec.env: topics[spec.id] for spec in load_topic_specs({}).values()},
    }

    def sendguard(*args: str) -> subprocess.CompletedProcess[str]:
        return run(venv / "bin" / "sendguard", *args, cwd=workdir, env=env)

    assert sendguard("--version").stdout == f"sendguard {VERSION}\n"
    located = run(venv / "bin" / "python", "-c", "import app; print(app.__file__)",
                  cwd=workdir, env=env).stdout
    assert Path(located).is_relative_to(venv), located
    (workdir / "policy.toml").write_text(sendguard("policy-example").stdout, encoding="utf-8")
    created = sendguard("create-topics").stdout
    assert sorted(created.split()[1::2]) == sorted(topics.values())

    log_path = workdir.parent / f"{workdir.name}-worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen([venv / "bin" / "sendguard", "worker"], cwd=workdir, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(venv, workdir, env, worker, log_path)
        assert (workdir / "var" / "sendguard").is_dir()  # the default, made with its parent
        rows = [(orjson.dumps(v) if isinstance(v, dict) else v, T0 + i * 10)
                for i, (v, _) in enumerate(TRACE)]
        publish(kafka, topics["send_intents"], [(None, raw, ts) for raw, ts in rows])
        outputs = consume(kafka, [topics["approved"], topics["dropped"], topics["dead_letter"]],
                          expected=len(TRACE))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as ready:
            assert ready.status == 200 and orjson.loads(ready.read())["ready"] is True
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)

    decisions = {v["msg_id"]: v for t, _, v in outputs if t != topics["dead_letter"]}
    dead = [v["error_class"] for t, _, v in outputs if t == topics["dead_letter"]]
    assert {m: d["reason"] for m, d in decisions.items()} == {
        v["msg_id"]: expect for v, expect in TRACE if isinstance(v, dict)}
    assert dead == ["not_json"] and len(outputs) == len(TRACE)
    for topic, _, value in outputs:
        if topic != topics["dead_letter"]:
            assert topic == topics["approved" if value["reason"] == "ok" else "dropped"]

    # The installed `sendguard replay` decides the same trace the same way, field for field.
    trace = workdir / "trace.jsonl"
    trace.write_bytes(b"\n".join(trace_line(topics["send_intents"], ts, raw)
                                 for raw, ts in rows))
    replayed = [orjson.loads(line) for line in
                sendguard("replay", str(trace)).stdout.splitlines()]
    assert {r["value"]["msg_id"]: r["value"] for r in replayed
            if r["topic"] != topics["dead_letter"]} == decisions
    print(f"\nwheel in {venv}: {len(decisions)} decisions and {len(dead)} dead letter, "
          f"as replay")


def _wait_until_ready(venv: Path, workdir: Path, env: dict[str, str],
                      worker: subprocess.Popen[bytes], log_path: Path,
                      timeout: float = 180.0) -> None:
    """Poll the image's own health check until it passes; fail with the log if the worker
    exits or never gets ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"worker exited {worker.returncode}:\n{_tail(log_path)}")
        check = subprocess.run([venv / "bin" / "sendguard", "healthcheck"], cwd=workdir,
                               env=env, capture_output=True, text=True, timeout=30)
        if check.returncode == 0:
            return
        time.sleep(1.0)
    pytest.fail(f"worker not ready in {timeout:.0f}s:\n{_tail(log_path)}")


def _tail(log_path: Path, lines: int = 40) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])

