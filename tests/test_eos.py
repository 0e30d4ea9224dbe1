"""Exactly-once is never silently lost (Faust runs transactions only in a faust.Worker), and
the pure parts of app/eos.py: the commit gate's re-fetch of a dropped record, the read-offset
hold that lets it through Faust's fetch loop, and the local tables discarded at start."""

from __future__ import annotations

import asyncio
import types
from pathlib import Path

import pytest
from faust.types import TP

from app import eos
from app.policy import load_policy
from app.settings import Settings
from app.worker import check_transactions, create_app

EXAMPLE = Path(__file__).resolve().parents[1] / "policy.example.toml"


def test_exactly_once_outside_a_faust_worker_is_refused() -> None:
    """Faust would silently run at-least-once; the worker's start-up task refuses instead."""
    settings = Settings.from_env({})
    with pytest.raises(RuntimeError, match="at-least-once"):
        check_transactions(create_app(settings, load_policy(EXAMPLE)), settings)
    in_worker = create_app(settings, load_policy(EXAMPLE))
    in_worker.in_worker = True  # what faust.Worker sets
    check_transactions(in_worker, settings)
    at_least_once = Settings.from_env({"SENDGUARD_PROCESSING_GUARANTEE": "at_least_once"})
    check_transactions(create_app(at_least_once, load_policy(EXAMPLE)), at_least_once)


def test_the_gate_seeks_back_for_a_dropped_record_and_skips_until_it_comes() -> None:
    gate, tp = eos.CommitGate(), TP("sendguard.recipient-events", 0)
    for offset in (10, 11, 12):
        gate.on_fetched(tp, offset)
    assert gate.verdict(tp, 10, committed=10) is None
    gate.done(tp, 10)
    assert gate.verdict(tp, 12, committed=10) == 11  # 11 never reached the agent: seek to it
    assert gate.verdict(tp, 13, committed=10) == -1  # fetched before the seek: comes again
    assert gate.resync_overdue(60.0) is False
    assert gate.resync_overdue(-1.0) is True
    gate.on_fetched(tp, 11)
    assert gate.verdict(tp, 11, committed=10) is None  # it came back
    gate.done(tp, 11)
    assert gate.verdict(tp, 10, committed=10) == -1  # a re-delivery
    assert gate.verdict(tp, 12, committed=10) is None


def test_read_offsets_hold_at_the_record_sought_back_for() -> None:
    app = types.SimpleNamespace()
    gate, tp = eos._gate(app), TP("sendguard.recipient-events", 3)
    offsets = eos._ReadOffsets(app)
    assert offsets[tp] is None
    offsets[tp] = 40
    gate.resync[tp] = 35
    offsets[tp] = 35  # the seek
    offsets[tp] = 41  # Faust's fetch loop, handing over what it fetched before the seek
    assert offsets[tp] == 35  # so 35, fetched again, is not dropped as "already read"
    del gate.resync[tp]
    offsets[tp] = 36
    assert offsets[tp] == 36


def test_local_tables_are_discarded_before_an_exactly_once_start(tmp_path) -> None:
    tables = tmp_path / "v1" / "tables"
    (tables / "recipients-0.db").mkdir(parents=True)
    (tables / "recipients-0.db" / "000004.log").write_bytes(b"aborted write")
    eos.discard_local_tables(tables)
    assert not tables.exists()
    eos.discard_local_tables(tables)  # nothing there: nothing to do


def test_commit_interval_is_short_by_default_and_configurable() -> None:
    assert Settings.from_env({}).commit_interval_s == 0.1
    assert Settings.from_env({"SENDGUARD_COMMIT_INTERVAL_S": "1.5"}).commit_interval_s == 1.5
    for bad in ("soon", "0", "-1"):
        with pytest.raises(SystemExit, match="SENDGUARD_COMMIT_INTERVAL_S"):
            Settings.from_env({"SENDGUARD_COMMIT_INTERVAL_S": bad})


def test_resuming_flowing_flow_keeps_the_queues() -> None:
    """Faust clears every managed queue on each resume; a repeated resume dropped standby
    changelog records already queued (the takeover state loss). Suspend-then-resume still
    clears: what is queued then is from before the rebalance."""
    from mode.utils.queues import FlowControlEvent, FlowControlQueue

    async def scenario() -> list[int]:
        flow = FlowControlEvent()
        queue: FlowControlQueue[int] = FlowControlQueue(flow_control=flow,
                                                        clear_on_resume=True)
        eos.keep_queues_on_repeated_resume(types.SimpleNamespace(flow_control=flow))
        flow.resume()
        queue.put_nowait(1)
        flow.resume()  # recovery resuming again for the standbys
        sizes = [queue.qsize()]
        flow.suspend()
        flow.resume()
        sizes.append(queue.qsize())
        return sizes

    assert asyncio.run(scenario()) == [1, 0]
