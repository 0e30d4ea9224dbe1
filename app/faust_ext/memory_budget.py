"""The worker's state memory budget (SENDGUARD_STATE_MEMORY_MIB) split into RocksDB options.

Pure arithmetic (imports no Faust, so settings can check a budget at start); bounded_store.py
applies it. Every partition the worker opens, active or standby, shares one LRU cache of
`cache_bytes`:

- data blocks, and index and filter blocks, are held in that cache (`block_cache_bytes`);
- memtables are charged to the same cache, and each partition's are capped at
  `write_buffer_size` x `max_write_buffer_number`, so all partitions' memtables together stay
  within `write_buffers_bytes` even when every partition fills at once;
- the rest of the budget (`reserve_bytes`) is for what RocksDB allocates outside the cache
  (table readers of at most `max_open_files` files per partition, flush and compaction
  buffers) and the allocator's slack.

State itself is on disk: a larger budget only means fewer reads from it.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 2**20
DEFAULT_BUDGET_MIB = 512
MIN_MIB_PER_PARTITION = 8  # below this a partition's memtables would be under 1 MiB each
BLOCKS_SHARE, WRITE_BUFFERS_SHARE = 0.5, 0.25  # of the budget; the rest is the reserve
WRITE_BUFFERS_PER_PARTITION = 2  # one filling while the other flushes
MAX_OPEN_FILES = 512  # per partition: 32 GiB of 64 MiB files; their index and filters are cached
BLOOM_BITS_PER_KEY = 10  # ~1% false positives: a new recipient rarely costs a disk read


@dataclass(frozen=True, slots=True)
class StateMemory:
    """RocksDB options derived from the worker's state memory budget."""

    budget_bytes: int
    partitions: int  # table partitions the worker may hold, actives and standbys together
    block_cache_bytes: int  # data, index and filter blocks of all partitions
    write_buffers_bytes: int  # memtables of all partitions
    write_buffer_size: int  # one memtable of one partition
    max_write_buffer_number: int  # memtables per partition
    max_open_files: int  # per partition

    @property
    def cache_bytes(self) -> int:
        """Capacity of the one cache all partitions share (blocks and memtables)."""
        return self.block_cache_bytes + self.write_buffers_bytes

    @property
    def memtables_bytes(self) -> int:
        """Most memory the partitions' memtables can hold together."""
        return self.partitions * self.write_buffer_size * self.max_write_buffer_number

    @property
    def reserve_bytes(self) -> int:
        """The budget left for RocksDB's memory outside the cache."""
        return self.budget_bytes - self.cache_bytes


def state_memory(budget_mib: int, partitions: int) -> StateMemory:
    """Split `budget_mib` across `partitions` table partitions (ValueError if too small).

    A worker holds each partition of the table at most once (Faust never puts a standby on
    the worker that has the partition active), so `partitions` bounds what it opens.
    """
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, got {partitions}")
    if budget_mib < MIN_MIB_PER_PARTITION * partitions:
        raise ValueError(f"{budget_mib} MiB is too small for {partitions} partitions: at "
                         f"least {MIN_MIB_PER_PARTITION * partitions} MiB "
                         f"({MIN_MIB_PER_PARTITION} MiB per partition)")
    budget = budget_mib * MIB
    write_buffers = int(budget * WRITE_BUFFERS_SHARE)
    return StateMemory(
        budget_bytes=budget, partitions=partitions,
        block_cache_bytes=int(budget * BLOCKS_SHARE), write_buffers_bytes=write_buffers,
        write_buffer_size=write_buffers // (partitions * WRITE_BUFFERS_PER_PARTITION),
        max_write_buffer_number=WRITE_BUFFERS_PER_PARTITION, max_open_files=MAX_OPEN_FILES)
