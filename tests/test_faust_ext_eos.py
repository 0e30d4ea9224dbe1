"""The seam's exactly-once (app/faust_ext/eos.py): the gate hears of records Faust's getmany
never handed over, a rebalance commits after a periodic commit under way, a transaction kept
through a rebalance goes on only if empty, local tables are discarded at start, and a repeated
resume of flow keeps the queues."""

from __future__ import annotations

import asyncio
import types
from typing import Any

from faust.types import TP

from app.faust_ext import eos
from app.faust_ext.gate import CommitGate
from app.faust_ext.transport import KeepQueuesOnResume


def test_records_getmany_did_not_hand_over_are_fetched_again() -> None:
    app = types.SimpleNamespace(in_transaction=True, consumer_generation_id=7,
                                tables=types.SimpleNamespace(changelog_topics={"log"}))
    consumer = object.__new__(eos.ExactlyOnceConsumer)
    consumer.app, consumer.gate = app, CommitGate()
    tp = TP("sendguard.recipient-events", 1)
    consumer.on_not_handed_over(tp, [40, 41], 7)
    consumer.on_not_handed_over(TP("log", 1), [5], 7)  # changelogs: recovery reads them
    consumer.on_not_handed_over(tp, [90], 6)  # an older generation: fetched anew anyway
    gate = consumer.gate
    assert gate.fetched == {tp: [40, 41]}
    assert gate.verdict(tp, 42, committed=40) == 40  # seek back for them
    # And a record below Faust's read offset is the gate's to skip, not the fetch loop's to
    # drop, except a changelog's (recovery and standbys read those, not the gate).
    assert consumer.drops_refetched(tp.topic) is False
    assert consumer.drops_refetched("log") is True
    app.in_transaction = False
    assert consumer.drops_refetched(tp.topic) is True


def test_a_rebalance_commits_after_a_periodic_commit_under_way() -> None:
    """Faust's commit_and_end_transactions returns when a commit is under way; that one began
    new transactions, and what was processed after its snapshot stayed uncommitted."""
    from faust.transport.consumer import Consumer

    async def scenario(commit_and_end: Any) -> list[bool]:
        consumer = object.__new__(eos.ExactlyOnceConsumer)
        consumer.app = types.SimpleNamespace(client_only=False)
        consumer.loop = asyncio.get_running_loop()
        consumer._commit_fut = asyncio.get_running_loop().create_future()  # the periodic one
        commits: list[bool] = []

        async def force_commit(topics: Any = None, start_new_transaction: bool = True) -> bool:
            commits.append(start_new_transaction)
            return True

        consumer.force_commit = force_commit
        ending = asyncio.ensure_future(commit_and_end(consumer))
        await asyncio.sleep(0)
        consumer._commit_fut.set_result(None)
        consumer._commit_fut = None
        await ending
        return commits

    assert asyncio.run(scenario(Consumer.commit_and_end_transactions)) == []  # Faust's
    assert asyncio.run(scenario(eos.ExactlyOnceConsumer.commit_and_end_transactions)) == [False]


def test_a_transaction_kept_through_a_rebalance_goes_on_only_if_nothing_is_in_it() -> None:
    class Txn:
        def __init__(self, in_txn: bool, empty: bool) -> None:
            self.in_txn, self.empty = in_txn, empty

        def is_in_transaction(self) -> bool:
            return self.in_txn

        def is_empty_transaction(self) -> bool:
            return self.empty

        def partitions_to_add(self) -> set[Any]:
            return set()

    async def begin(producer: Any, tid: str) -> list[str]:
        producer.calls = []

        async def begin_transaction(tid: str) -> None:
            producer.calls.append("begin")

        async def crash(exc: BaseException) -> None:
            producer.calls.append("crash")

        producer.begin_transaction = begin_transaction
        producer.app = types.SimpleNamespace(crash=crash)
        await eos.GatedProducer.maybe_begin_transaction(producer, tid)
        return producer.calls

    def producer(**txns: Txn) -> Any:
        return types.SimpleNamespace(_transaction_producers={
            tid: types.SimpleNamespace(_txn_manager=txn) for tid, txn in txns.items()})

    assert asyncio.run(begin(producer(), "new")) == ["begin"]  # a partition newly assigned
    assert asyncio.run(begin(producer(t=Txn(False, True)), "t")) == ["begin"]  # committed
    assert asyncio.run(begin(producer(t=Txn(True, True)), "t")) == []  # begun, nothing in it
    assert asyncio.run(begin(producer(t=Txn(True, False)), "t")) == ["crash"]  # records in it


def test_local_tables_are_discarded_before_an_exactly_once_start(tmp_path) -> None:
    tables = tmp_path / "v1" / "tables"
    (tables / "recipients-0.db").mkdir(parents=True)
    (tables / "recipients-0.db" / "000004.log").write_bytes(b"aborted write")
    eos.discard_local_tables(tables)
    assert not tables.exists()
    eos.discard_local_tables(tables)  # nothing there: nothing to do


def test_resuming_flowing_flow_keeps_the_queues() -> None:
    """Faust clears every managed queue on each resume; a repeated resume dropped standby
    changelog records already queued (the takeover state loss). Suspend-then-resume still
    clears: what is queued then is from before the rebalance."""
    from mode.utils.queues import FlowControlEvent, FlowControlQueue

    async def scenario(flow: FlowControlEvent) -> list[int]:
        queue: FlowControlQueue[int] = FlowControlQueue(flow_control=flow,
                                                        clear_on_resume=True)
        flow.resume()
        queue.put_nowait(1)
        flow.resume()  # recovery resuming again for the standbys
        sizes = [queue.qsize()]
        flow.suspend()
        flow.resume()
        sizes.append(queue.qsize())
        return sizes

    assert asyncio.run(scenario(KeepQueuesOnResume())) == [1, 0]
    assert asyncio.run(scenario(FlowControlEvent())) == [0, 0]  # Faust's: dropped
