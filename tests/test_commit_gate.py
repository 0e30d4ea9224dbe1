"""The commit gate's logic (app/faust_ext/gate.py), which needs no Faust: a record fetched
twice is processed once, one never handed over is fetched again, a failed batch counts as
unprocessed, and a commit's snapshot never runs with a batch."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from app.faust_ext.gate import SKIP, CommitGate

ROOT = Path(__file__).resolve().parents[1]
TP = ("sendguard.recipient-events", 0)  # any hashable key: Faust's TP in the worker


def test_the_gate_imports_no_faust() -> None:
    code = ("import sys, app.faust_ext.gate; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'faust', 'aiokafka', 'mode'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_the_gate_seeks_back_for_a_dropped_record_and_skips_until_it_comes() -> None:
    gate, tp = CommitGate(), TP
    for offset in (10, 11, 12):
        gate.on_fetched(tp, offset)
    assert gate.verdict(tp, 10, committed=10) is None
    gate.done(tp, 10)
    assert gate.verdict(tp, 12, committed=10) == 11  # 11 never reached the agent: seek to it
    assert gate.verdict(tp, 13, committed=10) == SKIP  # fetched before the seek: comes again
    assert gate.resync_overdue(60.0) is False
    assert gate.resync_overdue(-1.0) is True
    gate.on_fetched(tp, 11)
    assert gate.verdict(tp, 11, committed=10) is None  # it came back
    gate.done(tp, 11)
    assert gate.verdict(tp, 10, committed=10) == SKIP  # a re-delivery
    assert gate.verdict(tp, 12, committed=10) is None


def test_below_the_committed_offset_is_skipped_until_something_is_processed() -> None:
    gate = CommitGate()
    assert gate.verdict(TP, 4, committed=5) == SKIP
    assert gate.verdict(TP, 5, committed=5) is None
    gate.done(TP, 5)
    assert gate.processed == {TP: 6}


def test_a_rollback_makes_a_failed_batch_unprocessed_and_forget_drops_a_partition() -> None:
    gate = CommitGate()
    for offset in (0, 1, 2):
        gate.on_fetched(TP, offset)
    gate.done(TP, 0)
    processed, fetched = gate.processed.get(TP), list(gate.fetched[TP])
    gate.done(TP, 1)
    gate.done(TP, 2)
    gate.rollback(TP, processed, fetched)
    assert (gate.processed[TP], gate.fetched[TP]) == (1, [1, 2])
    gate.forget([TP])
    assert (gate.processed, gate.fetched, gate.resync) == ({}, {}, {})


def test_a_commit_snapshot_waits_for_batches_and_holds_new_ones() -> None:
    async def scenario() -> list[str]:
        gate, steps = CommitGate(), []
        batch_done = asyncio.Event()

        async def batch(name: str, until: asyncio.Event | None = None) -> None:
            async with gate.event():
                steps.append(f"{name} in")
                if until is not None:
                    await until.wait()
            steps.append(f"{name} out")

        async def commit() -> None:
            async with gate.closed():
                steps.append("snapshot")

        first = asyncio.ensure_future(batch("a", batch_done))
        await asyncio.sleep(0)
        committing = asyncio.ensure_future(commit())
        await asyncio.sleep(0)
        second = asyncio.ensure_future(batch("b"))
        for _ in range(3):
            await asyncio.sleep(0)
        assert steps == ["a in"]  # the snapshot waits for a; b waits for the snapshot
        batch_done.set()
        await asyncio.gather(first, committing, second)
        return steps

    assert asyncio.run(scenario()) == ["a in", "a out", "snapshot", "b in", "b out"]
