"""Smoke test of the benchmark (benchmarks/run.py): it runs end to end at tiny sizes and its
last line is the machine-readable RESULT. No timing assertions: the figures are printed."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[1]
RESULT = re.compile(r"^RESULT((?: \w+=\S+)+)$")
FIELDS = ["passthrough_ratio", "naive_ratio", "scale_ratio", "core_per_s", "p99_ms",
          "mib_per_million", "cpu_2w_ratio", "one_hop_ratio", "p99_e164_ms",
          "code_p99_backlog_ms", "code_p99_nolane_ms", "drain_ratio"]


def test_benchmark_runs_and_prints_result(kafka: str) -> None:
    out = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--quick", "--intents", "600",
         "--latency-seconds", "1", "--memory-recipients", "2000", "--backlog", "1000"],
        cwd=ROOT, env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka},
        capture_output=True, text=True, timeout=600, check=False,
    )
    print(out.stdout)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    runs = [line for line in lines if line.lstrip().startswith("run 1 ")]
    assert len(runs) == 6, runs
    # Every variant, two exactly-once workers included, emits one record per input record.
    assert not [line for line in runs if "INCOMPLETE" in line or "DUPLICATES" in line], runs
    assert [line for line in lines if line.lstrip().startswith("scale-out ceiling")], lines
    match = RESULT.match(lines[-1])
    assert match, f"last line is not a RESULT line: {lines[-1]!r}"
    printed = dict(field.split("=") for field in match.group(1).split())
    assert [name for name in FIELDS if name not in printed] == [], printed
    values = {name: float(printed[name]) for name in FIELDS}
    assert all(math.isfinite(v) and v >= 0 for v in values.values()), values
    assert all(v > 0 for name, v in values.items() if name != "scale_ratio"), values
    # Every campaign intent and every code sent was decided, with the lane and without.
    backlog = [line for line in lines if line.lstrip().startswith("backlog ")]
    assert len(backlog) == 4, backlog
    assert not [line for line in backlog if "INCOMPLETE" in line or "DUPLICATES" in line], backlog
