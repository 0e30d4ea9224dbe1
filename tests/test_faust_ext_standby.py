"""Standby changelog records applied in the fetch loop (app/faust_ext/standby.py): what Faust's
recovery does with one, without its queue: in offset order, each once, in RocksDB write
batches, and nothing while flow control is off (a rebalance, after which recovery seeks back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faust.types import TP, Message

from app.faust_ext.standby import StandbyApplier
from app.faust_ext.transport import SeamApp

TOPIC = "standby-recipients-changelog"


def _record(partition: int, offset: int, key: bytes, value: bytes | None) -> Message:
    return Message(TOPIC, partition, offset, 0.0, 0, None, key, value, None)


@pytest.fixture
def standby(tmp_path: Path) -> Any:
    """An app with a RocksDB table whose changelog partition 1 is a standby, 0 an active."""
    app = SeamApp("standby", broker="kafka://127.0.0.1:9", store="rocksdb://",
                  datadir=str(tmp_path))
    table = app.Table("recipients", default=None, partitions=2, key_type=bytes,
                      value_type=bytes, standby_buffer_size=3)
    assert table.changelog_topic.get_topic_name() == TOPIC
    recovery = app.tables.recovery
    recovery.add_standby(table, TP(TOPIC, 1))
    recovery.add_active(table, TP(TOPIC, 0))
    app.flow_control.resume()
    return app, table, recovery


def _stored(table: Any, key: bytes) -> bytes | None:
    return table.data._db_for_partition(1).get(key)


def test_standby_records_are_applied_in_batches_in_offset_order(standby: Any) -> None:
    app, table, recovery = standby
    applier = StandbyApplier(app)
    records = [_record(1, 0, b"a", b"1"), _record(1, 1, b"b", b"1"), _record(1, 2, b"a", b"2"),
               _record(1, 1, b"c", b"stale"),  # below the standby's offset: skipped
               _record(1, 3, b"b", None)]       # a delete
    assert all(applier.take(record) for record in records)
    # the first three (standby_buffer_size) are written, with their persisted offset
    assert _stored(table, b"a") == b"2"
    assert _stored(table, b"b") == b"1"
    assert table.data.persisted_offset(TP(TOPIC, 1)) == 2
    assert recovery.standby_offsets[TP(TOPIC, 1)] == 3
    recovery.flush_buffers()  # Faust's flush (a rebalance, a stop) applies the rest
    assert _stored(table, b"b") is None
    assert _stored(table, b"c") is None
    assert table.data.persisted_offset(TP(TOPIC, 1)) == 3


def test_nothing_is_applied_while_flow_control_is_off(standby: Any) -> None:
    app, table, recovery = standby
    applier = StandbyApplier(app)
    app.flow_control.suspend()
    assert applier.take(_record(1, 0, b"a", b"1"))  # dropped: recovery seeks back to it
    assert recovery.standby_offsets[TP(TOPIC, 1)] is None  # (nothing persisted yet)
    app.flow_control.resume()
    for offset in range(3):
        assert applier.take(_record(1, offset, b"a", str(offset).encode()))
    assert _stored(table, b"a") == b"2"


def test_nothing_is_applied_before_recovery_resumes_the_partition(standby: Any) -> None:
    """A record fetched before recovery sought the standby (its partition still paused) must
    not move the standby's offset: recovery would seek past every record before it."""
    app, table, recovery = standby
    applier = StandbyApplier(app)
    tp = TP(TOPIC, 1)
    recovery.standby_offsets[tp] = -1  # recovery's start offset: read from the beginning
    app.consumer.pause_partitions({tp})
    assert applier.take(_record(1, 7, b"late", b"x"))  # dropped, not left to Faust either
    assert recovery.standby_offsets[tp] == -1
    app.consumer.resume_partitions({tp})  # (after recovery's seek to offset 0)
    for offset in range(3):
        assert applier.take(_record(1, offset, b"a", str(offset).encode()))
    assert _stored(table, b"a") == b"2"
    assert _stored(table, b"late") is None
    assert recovery.standby_offsets[tp] == 2


def test_active_and_unknown_partitions_go_to_faust(standby: Any) -> None:
    app, _, _ = standby
    applier = StandbyApplier(app)
    assert not applier.take(_record(0, 0, b"a", b"1"))  # an active's recovery: Faust's
    assert not applier.take(Message("other", 1, 0, 0.0, 0, None, b"a", b"1", None))


def test_a_memory_table_goes_to_faust(tmp_path: Path) -> None:
    app = SeamApp("standby-memory", broker="kafka://127.0.0.1:9", store="memory://",
                  datadir=str(tmp_path))
    table = app.Table("recipients", default=None, partitions=2)
    app.tables.recovery.add_standby(table, TP(table.changelog_topic.get_topic_name(), 1))
    app.flow_control.resume()
    record = Message(table.changelog_topic.get_topic_name(), 1, 0, 0.0, 0, None, b"a", b"1",
                     None)
    assert not StandbyApplier(app).take(record)
