"""The seam's entry: `SeamApp`, a faust.App whose transport is `Transport`, chosen per app
instance (nothing is installed process-wide, so two apps in one process each get what their
own settings ask for).

`Transport` builds Faust's aiokafka consumer, producer and transaction manager from the
seam's classes: batch delivery (consumer.py) for every app; under exactly_once the gated
consumer and producer and the source-partition transaction manager (eos.py). `SeamApp` also
keeps the queues of flowing flow control on a repeated resume (`KeepQueuesOnResume`).
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.consumer import TransactionManager
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import ProcessingGuarantee
from mode.utils.objects import cached_property
from mode.utils.queues import FlowControlEvent

from app.faust_ext.consumer import BatchConsumer
from app.faust_ext.contract import APP, PRODUCER, UPGRADE_HINT, UpstreamChanged, require
from app.faust_ext.eos import (
    ExactlyOnceConsumer,
    GatedProducer,
    SourcePartitionTransactionManager,
)
from app.faust_ext.tables import check_stores


class Transport(aiokafka_driver.Transport):
    """Faust's aiokafka transport, building the seam's consumer, producer and transaction
    manager for the app it belongs to (exactly-once or not, by the app's settings)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exactly_once = (self.app.conf.processing_guarantee
                             == ProcessingGuarantee.EXACTLY_ONCE)

    def create_consumer(self, callback: Any, **kwargs: Any) -> Any:
        consumer = ExactlyOnceConsumer if self.exactly_once else BatchConsumer
        return consumer(self, callback=callback, loop=self.loop, **kwargs)

    def create_producer(self, **kwargs: Any) -> Any:
        producer = GatedProducer if self.exactly_once else aiokafka_driver.Producer
        created = producer(self, **kwargs)
        require(PRODUCER)  # BatchSender sends through its clients
        return created

    def create_transaction_manager(self, consumer: Any, producer: Any, **kwargs: Any) -> Any:
        manager = (SourcePartitionTransactionManager if self.exactly_once
                   else TransactionManager)
        return manager(self, consumer=consumer, producer=producer, **kwargs)


class KeepQueuesOnResume(FlowControlEvent):
    """Flow control whose resume of flowing flow does not clear the queues.

    Faust's resume() always clears every queue it manages, among them the tables' changelog
    queue. Recovery resumes flow when it starts reading actives, and again when it starts the
    standbys: by then the fetch loop has already put standby changelog records in that queue,
    the second resume dropped them, and the standby's offsets moved past them (nothing
    noticed the gap). A worker that later took such a partition over trusted its standby copy
    and decided on stale or empty state (tests/test_faults_kafka.py, takeover). Clearing is
    right on a suspended-to-flowing transition (what is queued then is from before the
    rebalance), so only a resume of flowing flow is a no-op.
    """

    def resume(self) -> None:
        if not self.is_active():
            super().resume()


class SeamApp(faust.App):
    """faust.App with the seam's transport and flow control (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        require(APP)
        super().__init__(*args, **kwargs)
        # Topics whose buffered records the consumer hands over first (consumer.py).
        self.priority_topics: frozenset[str] = frozenset()

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)

    @cached_property
    def flow_control(self) -> FlowControlEvent:
        return KeepQueuesOnResume(loop=self.loop)

    def check_started(self) -> None:
        """Call once started (tables open): raise UpstreamChanged if Faust did not take the
        seam's transport or flow control, or an upstream store lacks a name the seam uses."""
        if not isinstance(self.transport, Transport):
            raise UpstreamChanged(f"{APP} did not build its transport with _new_transport: "
                                  f"the seam is not in use ({UPGRADE_HINT})")
        if not isinstance(self.flow_control, KeepQueuesOnResume):
            raise UpstreamChanged(f"{APP}.flow_control is not the seam's ({UPGRADE_HINT})")
        check_stores(self)
