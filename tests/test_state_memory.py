"""The worker's RocksDB memory is bounded by one setting, SENDGUARD_STATE_MEMORY_MIB: the
options derived from it fit it over every partition the worker may hold, and the worker's
`recipients` table opens its partitions with them (no broker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import contracts
from app.faust_ext.bounded_store import BoundedRocksDBOptions
from app.faust_ext.memory_budget import MIB, state_memory
from app.faust_ext.tables import partition_db
from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.runtime.state import TABLE_NAME
from app.runtime.worker import create_app

EXAMPLE = contracts.example_policy_path()


@pytest.mark.parametrize("partitions", [1, 3, 8, 12, 64, 100])
@pytest.mark.parametrize("budget_mib", [800, 1000, 512 * 3 + 1, 4096, 100_000])
def test_caches_and_write_buffers_of_all_partitions_fit_the_budget(budget_mib: int,
                                                                   partitions: int) -> None:
    memory = state_memory(budget_mib, partitions)
    memtables = partitions * memory.write_buffer_size * memory.max_write_buffer_number
    assert memtables <= memory.write_buffers_bytes
    assert memory.block_cache_bytes + memtables <= memory.cache_bytes <= budget_mib * MIB
    assert memory.write_buffer_size >= MIB  # a partition still flushes sizeable files
    assert memory.reserve_bytes > 0


def test_the_default_budget_on_eight_partitions() -> None:
    memory = Settings.from_env({}).state_memory()
    assert (memory.budget_bytes, memory.partitions) == (512 * MIB, 8)
    assert memory.block_cache_bytes == 256 * MIB  # shared by the eight partitions
    assert (memory.write_buffer_size, memory.max_write_buffer_number) == (8 * MIB, 2)
    assert memory.cache_bytes == 384 * MIB


def test_a_budget_too_small_for_the_partitions_stops_at_start() -> None:
    with pytest.raises(ValueError, match="at least 64 MiB"):
        state_memory(63, 8)
    with pytest.raises(SystemExit, match=r"^SENDGUARD_STATE_MEMORY_MIB=40: .*at least 64 MiB"):
        Settings.from_env({"SENDGUARD_STATE_MEMORY_MIB": "40"})
    with pytest.raises(SystemExit, match=r"^SENDGUARD_STATE_MEMORY_MIB='a lot': expected MiB"):
        Settings.from_env({"SENDGUARD_STATE_MEMORY_MIB": "a lot"})


def test_the_workers_table_opens_its_partitions_within_the_budget(tmp_path: Path) -> None:
    settings = Settings.from_env({"SENDGUARD_STATE_MEMORY_MIB": "96",
                                  "SENDGUARD_DATA_DIR": str(tmp_path)})
    table = create_app(settings, load_policy(EXAMPLE)).tables[TABLE_NAME]
    options = table.data.rocksdb_options
    assert isinstance(options, BoundedRocksDBOptions)
    assert options.memory == state_memory(96, settings.recipient_partitions)
    # Two partitions opened by the store itself share the one cache: their memtables are
    # charged to it, and it holds no more than its capacity.
    dbs = [partition_db(table, partition) for partition in (0, 5)]
    for db in dbs:
        db.put(b"k" * 32, b"v" * 600)
    assert 0 < options.cache.get_usage() <= options.memory.cache_bytes
    assert options.write_buffer_manager.get_usage() > 0
    assert options.write_buffer_manager.get_buffer_size() == options.memory.write_buffers_bytes
    for db in dbs:
        db.close()
