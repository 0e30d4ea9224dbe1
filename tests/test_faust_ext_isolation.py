"""Nothing leaks between apps: the seam is chosen per app (SeamApp's Transport), so in one
process an exactly-once app, an at-least-once app and a stock Faust app each behave as
configured, whatever order they are made in."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import faust
from faust.transport.consumer import TransactionManager
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP
from mode.utils.queues import FlowControlEvent

from app.faust_ext.consumer import BatchConsumer
from app.faust_ext.eos import (
    ExactlyOnceConsumer,
    GatedProducer,
    SourcePartitionTransactionManager,
    processing_batch,
)
from app.faust_ext.transport import KeepQueuesOnResume, SeamApp

TOPIC = "sendguard.recipient-events"


def _app(cls: type[faust.App], name: str, guarantee: str) -> Any:
    app = cls(name, broker="kafka://127.0.0.1:9", store="memory://",
              processing_guarantee=guarantee)
    app.in_worker = True  # what faust.Worker sets: exactly_once then runs transactions
    return app


def _event(offset: int) -> Any:
    message = types.SimpleNamespace(tp=TP(TOPIC, 0), offset=offset, partition=0)
    return types.SimpleNamespace(message=message)


async def _processed(app: Any, offsets: list[int]) -> list[int]:
    async with processing_batch(app, [_event(offset) for offset in offsets]) as wanted:
        return [event.message.offset for event in wanted]


def test_an_exactly_once_app_and_a_plain_one_in_one_process_each_behave_as_configured(
) -> None:
    stock_before = _app(faust.App, "stock-before", "exactly_once")
    eos = _app(SeamApp, "eos", "exactly_once")
    plain = _app(SeamApp, "plain", "at_least_once")
    stock_after = _app(faust.App, "stock-after", "exactly_once")

    assert type(eos.consumer) is ExactlyOnceConsumer
    assert type(eos.producer) is GatedProducer
    assert type(eos.consumer.transactions) is SourcePartitionTransactionManager
    assert type(plain.consumer) is BatchConsumer
    assert type(plain.producer) is aiokafka_driver.Producer
    assert type(plain.consumer.transactions) is TransactionManager
    for stock in (stock_before, stock_after):  # Faust's own classes, untouched
        assert type(stock.consumer) is aiokafka_driver.Consumer
        assert type(stock.producer) is aiokafka_driver.Producer
        assert type(stock.consumer.transactions) is TransactionManager
        assert type(stock.flow_control) is FlowControlEvent
    assert aiokafka_driver.Transport.Consumer is aiokafka_driver.Consumer
    assert aiokafka_driver.Transport.Producer is aiokafka_driver.Producer
    assert type(eos.flow_control) is type(plain.flow_control) is KeepQueuesOnResume

    # Exactly-once gates what it processes (a record fetched twice is processed once); the
    # plain app processes every event it is handed, as Faust would.
    assert asyncio.run(_processed(eos, [0, 1, 1, 2])) == [0, 1, 2]
    assert asyncio.run(_processed(plain, [0, 1, 1, 2])) == [0, 1, 1, 2]
    assert eos.consumer.gate.processed == {TP(TOPIC, 0): 3}
    assert not hasattr(plain.consumer, "gate")

    # Transactional producers are the app's own: Faust keeps them on its Producer class.
    eos.producer._transaction_producers["eos-0-0"] = object()
    other = _app(SeamApp, "eos-2", "exactly_once")
    assert other.producer._transaction_producers == {}
    assert aiokafka_driver.Producer._transaction_producers == {}
    assert other.consumer.gate is not eos.consumer.gate


def test_the_seam_consumer_hears_of_dropped_records_only_under_exactly_once() -> None:
    eos = _app(SeamApp, "eos-drops", "exactly_once")
    plain = _app(SeamApp, "plain-drops", "at_least_once")
    for app in (eos, plain):
        app.consumer.on_not_handed_over(TP(TOPIC, 1), [5, 6], app.consumer_generation_id)
    assert eos.consumer.gate.fetched == {TP(TOPIC, 1): [5, 6]}
    assert eos.consumer.drops_refetched(TOPIC) is False  # the gate decides, not the read offset
    assert plain.consumer.drops_refetched(TOPIC) is True  # Faust's rule
