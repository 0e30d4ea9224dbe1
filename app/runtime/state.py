"""The decide agent's state: recipient states read and written once per batch (`StateCache`),
and what the agent keeps per partition of sendguard.recipient-events (`Recipients`): the
latest record time decided, the index of held intents, and where the idle-state sweep goes on.

Keys are keyed hashes of the recipient and values are sealed (app/runtime/privacy.py), here at the
boundary, so the core and replay work on plain data.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import faust
import orjson
from faust.types import EventT

from app.faust_ext.batches import set_current_event
from app.faust_ext.sender import BatchSender
from app.faust_ext.tables import partition_db, raw_access
from app.rules.core import fail_closed, handle, next_release, prune, release_due
from app.rules.policy import Policy
from app.rules.records import Emit, Source
from app.rules.routing import TICK
from app.runtime.privacy import StateSealer

log = logging.getLogger(__name__)

TABLE_NAME = "recipients"
# Keys no phone can collide with: the per-partition index of held intents.
HELD_INDEX_KEY = b"\x00held-index:"
SWEEP_KEYS_PER_TICK = 100  # idle-state pruning: keys visited per partition per tick


def source_of(message: faust.types.Message) -> Source:
    """Where a record came from, as decisions and dead letters name it."""
    return Source(message.topic, message.partition, message.offset,
                  round(message.timestamp * 1000))


class StateCache:
    """The recipient states one batch reads and writes: each key is read from the table once,
    decoded per event (so an event that fails leaves no half-done change), and written back
    once, sealed, at the end of the batch, in the changelog partition of the event that last
    changed it."""

    def __init__(self, table: Any, sealer: StateSealer) -> None:
        self._table = table
        self._sealer = sealer
        self._read, self._write, self._delete = raw_access(table)
        self._stored: dict[bytes, bytes | None] = {}  # plaintext as read from the table
        self._current: dict[bytes, bytes | None] = {}  # plaintext after this batch's events
        self._writers: dict[bytes, EventT] = {}
        self.event: EventT | None = None  # the event being decided (set by the agent)

    def load(self, key: bytes) -> dict[str, Any]:
        if key in self._current:
            plain = self._current[key]
        else:
            sealed = self._read(key)
            plain = self._sealer.open(sealed, key) if sealed else None
            self._stored[key] = self._current[key] = plain
        return orjson.loads(plain) if plain else {}

    def save(self, key: bytes, state: dict[str, Any]) -> None:
        self._current[key] = orjson.dumps(state) if state else None
        if self.event is not None:
            self._writers[key] = self.event

    def write_back(self, sender: BatchSender) -> None:
        """Write each changed state to the store and queue its changelog record, once."""
        for key, plain in self._current.items():
            if plain == self._stored[key]:
                continue
            event = self._writers[key]
            set_current_event(event)  # the store's partition
            value = None if plain is None else self._sealer.seal(plain, key)
            if value is None:
                self._delete(key)
            else:
                self._write(key, value)
            sender.add_changelog(self._table, key, value, event.message.tp)
        self._stored.clear()
        self._current.clear()
        self._writers.clear()


class Recipients:
    """The recipients table and what the decide agent keeps per partition beside it."""

    def __init__(self, table: Any, sealer: StateSealer, policy: Policy,
                 sweep_lag_s: int) -> None:
        self.table = table
        self.sealer = sealer
        self.policy = policy
        self.sweep_lag_s = sweep_lag_s
        self.latest_ms: dict[int, int] = {}  # per partition: the latest record time decided
        self.sweep_from: dict[int, bytes | None] = {}  # per partition: where the sweep goes on

    def states(self) -> StateCache:
        """A StateCache for one batch."""
        return StateCache(self.table, self.sealer)

    def decide_message(self, message: faust.types.Message, states: StateCache) -> list[Emit]:
        """Decide one recipient event (or a tick) against its state; fail closed on an error."""
        key = cast(bytes, message.key)  # raw keys: bytes
        plain: bytes | None = None
        try:
            plain = self.sealer.open(cast(bytes, message.value), key)
            envelope = orjson.loads(plain)
            if envelope["kind"] == TICK:
                emits = self.release_held(states, message.partition, envelope["ts"])
                self.sweep(states, message.partition, envelope["ts"])
                return emits
            self.latest_ms[message.partition] = max(self.latest_ms.get(message.partition, 0),
                                                    envelope["ts"])
            state = states.load(key)
            held_before = next_release(state)
            emits = handle(envelope, state, self.policy)
            states.save(key, state)
            if next_release(state) != held_before:
                self.index_held(states, message.partition, {key.decode(): next_release(state)})
            return emits
        except Exception as exc:
            log.exception("deciding failed; dead-lettered (%s)", type(exc).__name__)
            return fail_closed(source_of(message), key, plain or message.value, exc,
                               self.policy)

    def index_held(self, states: StateCache, partition: int,
                   changes: dict[str, int | None]) -> None:
        """Per partition, which recipients hold deferred intents and when the next is due."""
        index_key = HELD_INDEX_KEY + str(partition).encode()
        index = states.load(index_key)
        for recipient, due in changes.items():
            if due is None:
                index.pop(recipient, None)
            else:
                index[recipient] = due
        states.save(index_key, index)

    def release_held(self, states: StateCache, partition: int, now_ms: int) -> list[Emit]:
        """Release the intents held on this partition that are due at `now_ms`."""
        index = states.load(HELD_INDEX_KEY + str(partition).encode())
        emits: list[Emit] = []
        changes: dict[str, int | None] = {}
        for recipient, due in sorted(index.items(), key=lambda item: item[1]):
            if due > now_ms:
                break
            key = recipient.encode()
            state = states.load(key)
            emits += release_due(state, now_ms, self.policy)
            states.save(key, state)
            changes[recipient] = next_release(state)
        if changes:
            self.index_held(states, partition, changes)
        return emits

    def sweep(self, states: StateCache, partition: int, wall_ms: int) -> None:
        """Prune a few recipients' state per tick, so an idle recipient's state disappears.

        Pruning is otherwise done on a recipient's next event. "Now" is the latest record time
        decided on this partition (never ahead of the clock), less the sweep lag for records
        that arrive out of order, so the sweep never prunes what a decision could still read.
        RocksDB stores only: the memory store has no per-partition order.
        """
        db = partition_db(self.table, partition)
        if db is None or partition not in self.latest_ms:
            return
        now_ms = min(wall_ms, self.latest_ms[partition]) - self.sweep_lag_s * 1000
        cursor, keys = db.iter(), cast(list[bytes], [])
        start = self.sweep_from.get(partition)
        cursor.seek(start) if start is not None else cursor.seek_to_first()
        while cursor.valid() and len(keys) < SWEEP_KEYS_PER_TICK:
            keys.append(cursor.key())
            cursor.next()
        self.sweep_from[partition] = cursor.key() if cursor.valid() else None
        del cursor
        for key in keys:
            # Not the held index, nor Faust's own keys (the changelog offset it persists in
            # the same database, b"__faust\0offset__").
            if not self.sealer.is_recipient_key(key):
                continue
            state = states.load(key)
            prune(state, now_ms, self.policy)
            states.save(key, state)
