"""The commit gate of exactly-once: which fetched records to process, and when a commit may
snapshot what was processed. Pure asyncio; it needs no Faust (app/faust_ext/eos.py drives it).

Batches of events run concurrently with each other, never with a commit's snapshot. Per input
partition the gate knows the next offset to process and the offsets fetched but not processed
yet, so a record Faust fetched twice is processed once, and one it fetched but never handed
to the agent is fetched again (a seek back) before anything after it counts as processed.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import AsyncIterator, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)  # an input partition: Faust's TP in the worker

# Verdicts of `CommitGate.verdict` besides "process it" (None) and a seek back (an offset >= 0).
SKIP = -1


class CommitGate(Generic[K]):
    """Per input partition (`K`), what was processed and fetched."""

    def __init__(self) -> None:
        self._condition = asyncio.Condition()
        self._active = 0
        self._committing = False
        self.processed: dict[K, int] = {}  # the offset after the last event processed
        self.fetched: dict[K, list[int]] = {}  # fetched, not processed yet (sorted)
        self.resync: dict[K, int] = {}  # after a seek back: skip until this arrives
        self._resync_since: dict[K, float] = {}

    def on_fetched(self, tp: K, offset: int) -> None:
        if offset >= self.processed.get(tp, -1):
            bisect.insort(self.fetched.setdefault(tp, []), offset)

    def forget(self, tps: Iterable[K]) -> None:
        """Partitions revoked: another worker processes them from the committed offset."""
        for tp in tps:
            self.processed.pop(tp, None)
            self.fetched.pop(tp, None)
            self.resync.pop(tp, None)
            self._resync_since.pop(tp, None)

    def verdict(self, tp: K, offset: int, committed: int | None) -> int | None:
        """None: process the event; SKIP: skip it (already processed, or waiting for a
        re-fetch); otherwise skip it and seek back to the returned offset."""
        waiting = self.resync.get(tp)
        if waiting is not None:
            if offset != waiting:
                return SKIP
            del self.resync[tp]
            self._resync_since.pop(tp, None)
        expected = self.processed.get(tp, committed)
        if expected is not None and offset < expected:
            return SKIP  # fetched again (Faust re-delivers after some seeks)
        pending = self.fetched.get(tp)
        if pending and pending[0] < offset:
            # An earlier fetched record never reached the agent (Faust's queues are cleared
            # when flow resumes after a rebalance): fetch again from there.
            target = pending[0]
            self.fetched[tp] = []
            self.resync[tp] = target
            self._resync_since[tp] = time.monotonic()
            return target
        return None

    def resync_overdue(self, timeout_s: float) -> bool:
        """Whether a record sought back for has not come in `timeout_s` seconds."""
        now = time.monotonic()
        return any(now - since > timeout_s for since in self._resync_since.values())

    def rollback(self, tp: K, processed: int | None, fetched: list[int]) -> None:
        """Forget what a failed batch processed of `tp`: its events count as unprocessed."""
        if processed is None:
            self.processed.pop(tp, None)
        else:
            self.processed[tp] = processed
        if tp not in self.resync:
            self.fetched[tp] = fetched

    def done(self, tp: K, offset: int) -> None:
        self.processed[tp] = offset + 1
        pending = self.fetched.get(tp)
        if pending:
            del pending[:bisect.bisect_right(pending, offset)]

    @contextlib.asynccontextmanager
    async def event(self) -> AsyncIterator[None]:
        """Around one batch: waits while a commit takes its snapshot."""
        async with self._condition:
            await self._condition.wait_for(lambda: not self._committing)
            self._active += 1
        try:
            yield
        finally:
            async with self._condition:
                self._active -= 1
                self._condition.notify_all()

    @contextlib.asynccontextmanager
    async def closed(self) -> AsyncIterator[None]:
        """No batch in progress, none starting: a commit's snapshot of `processed`."""
        async with self._condition:
            await self._condition.wait_for(lambda: not self._committing)
            self._committing = True
            await self._condition.wait_for(lambda: self._active == 0)
        try:
            yield
        finally:
            async with self._condition:
                self._committing = False
                self._condition.notify_all()
