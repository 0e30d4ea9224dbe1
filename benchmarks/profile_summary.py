"""Summarise a py-spy raw (collapsed-stack) profile of the worker: where the time goes.

    py-spy record --pid PID --format raw -o prof.txt      # or: benchmarks/run.py --profile DIR
    python -m benchmarks.profile_summary prof.txt

Two views over the sampled (non-idle) stacks: inclusive shares of the steps SendGuard and Faust
perform per record (a stack counts for every marker it contains), and exclusive shares by the
package of the innermost frame (where the CPU actually is).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# (label, substring of a frame) in display order; inclusive: a sample counts for each it holds.
MARKERS = [
    ("lane agents: batches, deciding and routing, sends", "gate_batches (app/runtime/agents.py"),
    ("  one event: decide here or route on (Gate.take)", "take (app/runtime/agents.py"),
    ("    route_message (parse, phone, envelope)", "route_message (app/runtime/agents.py"),
    ("    decide (state load, the rules, state save)", "_decide (app/runtime/state.py"),
    ("      state load: table get + open + orjson.loads", "load (app/runtime/state.py"),
    ("      state save: orjson.dumps", "save (app/runtime/state.py"),
    ("  state write-back: seal + table set + changelog", "write_back (app/runtime/state.py"),
    ("  keyed hash and sealing (app/runtime/privacy.py)", "app/runtime/privacy.py"),
    ("  publish: orjson.dumps + queue", "publish (app/runtime/agents.py"),
    ("  BatchSender (app/faust_ext/sender.py)", "app/faust_ext/sender.py"),
    ("RocksDB store (faust/stores/rocksdb.py)", "faust/stores/rocksdb.py"),
    ("Faust consumer: fetch, ack, commit", "faust/transport/consumer.py"),
    ("  commit / transactions", "commit"),
    ("aiokafka producer (accumulator, sender)", "aiokafka/producer/"),
    ("aiokafka consumer (fetcher, record parsing)", "aiokafka/consumer/"),
    ("metrics (app/runtime/metrics.py, app/faust_ext/sensor.py)", "metrics"),
    ("logging", "logging/__init__.py"),
]


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def package(frame: str) -> str:
    """'fn (faust/streams.py:123)' -> 'faust/streams.py'; stdlib asyncio kept apart."""
    where = frame.rpartition("(")[2].rstrip(")").rpartition(":")[0]
    return where or frame


def summarise(path: Path) -> str:
    stacks = load(path)
    total = sum(count for _, count in stacks) or 1
    out = [f"{total} samples (non-idle) in {path.name}", "", "inclusive:"]
    for label, marker in MARKERS:
        n = sum(count for frames, count in stacks if any(marker in f for f in frames))
        out.append(f"  {100 * n / total:5.1f}%  {label}")
    leaves: Counter[str] = Counter()
    for frames, count in stacks:
        leaves[package(frames[-1])] += count
    out += ["", "exclusive, by file of the innermost Python frame (top 25):"]
    out += [f"  {100 * n / total:5.1f}%  {name}" for name, n in leaves.most_common(25)]
    return "\n".join(out)


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1])))
