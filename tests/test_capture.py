"""`sendguard capture` without a broker: its options and its one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.tools.cli", "capture", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "yesterday"], 'sendguard capture: --from/--to: "yesterday" is neither RFC 3339 '
                              "with an offset (2026-11-22T10:00:00+08:00) nor epoch milliseconds"),
    (["--from", "1795312800000", "--to", "2026-11-22T10:00:00+08:00"],
     "sendguard capture: --to (2026-11-22T02:00:00.000Z) must be after --from "
     "(2026-11-22T02:00:00.000Z)"),
])
def test_a_bad_time_is_one_line_and_exit_2(tmp_path: Path, args: list[str],
                                           message: str) -> None:
    done = run(*args, "--output", str(tmp_path / "t.jsonl"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [message]


def test_an_unreachable_broker_is_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    done = run("--from", "1795312800000", "--output", str(tmp_path / "t.jsonl"),
               "--bootstrap", "127.0.0.1:1")
    assert done.returncode == 1
    warning, error = done.stderr.splitlines()
    assert "will hold personal data" in warning and "--mask-phones" in warning
    assert error == "sendguard capture: cannot read from Kafka at 127.0.0.1:1 (PLAINTEXT): " \
                    "KafkaConnectionError"
    assert list(tmp_path.iterdir()) == []
