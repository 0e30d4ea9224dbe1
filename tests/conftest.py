"""Shared fixtures: a real Kafka broker for the session, and workers run as users run them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))

import brokers  # noqa: E402  (deploy/ is scripts, not a package)

from app import contracts  # noqa: E402
from app.runtime.settings import load_topic_specs  # noqa: E402

POLICY = contracts.example_policy_path()


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    """Bootstrap address of the launched Apache Kafka (or $KAFKA_BOOTSTRAP_SERVERS)."""
    broker = brokers.broker_from_env_or_start("kafka")
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WorkerProcess:
    """`sendguard worker` as a subprocess, with its own topics, group and state directory."""

    def __init__(self, bootstrap: str, workdir: Path, prefix: str, policy: Path = POLICY,
                 root: Path = ROOT, **env: str) -> None:
        self.workdir = workdir
        self.root = root  # the checkout whose code runs (another release's, to upgrade from)
        self.policy = policy
        name = f"worker-{uuid.uuid4().hex[:6]}"
        self.log_path = workdir / f"{name}.log"
        self.topics = {spec.id: f"{prefix}.{spec.name}" for spec in load_topic_specs({}).values()}
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SENDGUARD_APP_ID": f"sendguard-{prefix}",
            "SENDGUARD_DATA_DIR": str(workdir / name),
            "SENDGUARD_WEB_PORT": str(free_port()),
            **{spec.env: self.topics[spec.id] for spec in load_topic_specs({}).values()},
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> WorkerProcess:
        """Start (or restart: same data dir, port and log) and wait until Faust says ready."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.tools.cli", "worker", "--policy", str(self.policy)],
                cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited {self.proc.returncode}:\n{self.log_tail()}")
            with self.log_path.open("rb") as log:
                log.seek(offset)  # this run's lines only: a restart appends to the same log
                if b"Worker ready" in log.read():
                    return self
            time.sleep(0.25)
        raise RuntimeError(f"worker not ready in {timeout}s:\n{self.log_tail()}")

    def check_alive(self) -> None:
        """Raise, with the log's tail, if the worker exited (e.g. crashed on a broker restart)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"worker exited {self.proc.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.proc is not None:
            brokers.terminate(self.proc, sig, timeout)


# Where the workers' logs of a failed test are kept (tmp_path is pruned after three runs): a
# failure that shows once under load is read from its logs, not reproduced.
FAILED_LOGS = Path(os.environ.get("SENDGUARD_FAILED_LOGS", "/tmp/sendguard-failed-logs"))


@pytest.fixture
def worker_factory(kafka: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator:
    """Make workers that share one test-unique set of topics; all are stopped at the end, and
    their logs kept in FAILED_LOGS if the test failed."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    started: list[WorkerProcess] = []
    failed_before = request.session.testsfailed

    def make(policy: Path = POLICY, root: Path = ROOT, **env: str) -> WorkerProcess:
        worker = WorkerProcess(kafka, tmp_path, prefix, policy, root, **env)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()
    if request.session.testsfailed > failed_before:
        kept = FAILED_LOGS / f"{request.node.name}-{prefix}"
        kept.mkdir(parents=True, exist_ok=True)
        for log in {worker.log_path for worker in started if worker.log_path.exists()}:
            shutil.copy(log, kept / log.name)
        print(f"\nworker logs of the failed test kept in {kept}")
