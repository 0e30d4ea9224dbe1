"""Faust's RocksDB store within the worker's state memory budget (memory_budget.py).

Faust opens each table partition with a 2 GiB block cache and 3 x 64 MiB write buffers of its
own, and keeps index and filter blocks outside any cache, so resident memory grows with the
recipients held. `BoundedTable` gives its store `BoundedRocksDBOptions`: all partitions share
one cache and one write buffer manager sized by the budget, and index and filter blocks are
partitioned and cached (the top level pinned), so a lookup loads only the pieces it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
import rocksdict
from faust.stores import rocksdb

from app.faust_ext.contract import UPGRADE_HINT, UpstreamChanged
from app.faust_ext.memory_budget import BLOOM_BITS_PER_KEY, StateMemory


class BoundedRocksDBOptions(rocksdb.RocksDBOptions):
    """Faust's RocksDB options for one store, its partitions sharing one cache and one
    write buffer manager (rocksdict only: the driver Faust uses when it is installed)."""

    def __init__(self, memory: StateMemory) -> None:
        super().__init__(max_open_files=memory.max_open_files,
                         write_buffer_size=memory.write_buffer_size,
                         max_write_buffer_number=memory.max_write_buffer_number,
                         block_cache_size=memory.cache_bytes,
                         bloom_filter_size=BLOOM_BITS_PER_KEY, use_rocksdict=True)
        self.memory = memory
        self.cache = rocksdict.Cache(memory.cache_bytes)
        self.write_buffer_manager = rocksdict.WriteBufferManager \
            .new_write_buffer_manager_with_cache(memory.write_buffers_bytes, False, self.cache)

    def as_options(self) -> rocksdict.Options:
        """Options of one partition's database, sharing this store's cache."""
        options = rocksdict.Options(raw_mode=True)
        options.create_if_missing(True)
        options.set_max_open_files(self.max_open_files or -1)
        options.set_write_buffer_size(self.write_buffer_size)
        options.set_max_write_buffer_number(self.max_write_buffer_number)
        options.set_target_file_size_base(self.target_file_size_base)
        options.set_write_buffer_manager(self.write_buffer_manager)
        table = rocksdict.BlockBasedOptions()
        table.set_block_cache(self.cache)
        table.set_bloom_filter(self.bloom_filter_size, False)
        table.set_index_type(rocksdict.BlockBasedIndexType.two_level_index_search())
        table.set_partition_filters(True)
        table.set_cache_index_and_filter_blocks(True)
        table.set_pin_top_level_index_and_filter(True)
        table.set_pin_l0_filter_and_index_blocks_in_cache(True)
        options.set_block_based_table_factory(table)
        return options

    def open(self, path: Path, *, read_only: bool = False) -> rocksdict.Rdict:
        """Open one partition's database (read_only is ignored, as Faust's rocksdict path
        does)."""
        db = rocksdict.Rdict(str(path), options=self.as_options(),
                             access_type=rocksdict.AccessType.read_write())
        db.set_read_options(rocksdict.ReadOptions())
        return db


class BoundedTable(faust.Table):  # type: ignore[type-arg]
    """faust.Table whose RocksDB store opens its partitions within `state_memory`.

    The app takes it as its table class (App(..., Table=BoundedTable)); a table made without
    `state_memory`, or on the memory store, is Faust's.
    """

    def __init__(self, *args: Any, state_memory: StateMemory | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state_memory = state_memory

    def _new_store(self) -> Any:
        store = super()._new_store()
        if self.state_memory is not None and isinstance(store, rocksdb.Store):
            if not store.use_rocksdict:
                raise UpstreamChanged(f"table {self.name}: Faust chose its python-rocksdb "
                                      f"driver, the state memory budget needs rocksdict "
                                      f"({UPGRADE_HINT})")
            store.rocksdb_options = BoundedRocksDBOptions(self.state_memory)
        return store
