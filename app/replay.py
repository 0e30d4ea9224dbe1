"""Offline replay: run a trace through the same routing and decision core as the worker.

Compliance staff use it to try a policy on past traffic; tests use it to check the worker.
A trace is JSONL, one input record a line, in arrival order:

    {"topic": "sms.send-intents", "timestamp": "2026-11-22T10:00:00+08:00", "value": {...}}
    {"topic": "sms.send-intents", "timestamp": "...", "raw": "bytes that are not JSON"}

`timestamp` is the record's Kafka timestamp: RFC 3339 with an offset, 1970 or later; `key`
is optional (a string). A line not of this form stops the replay with its line number; what
`value` or `raw` holds is never checked here: it is decided or dead-lettered as the worker would.

The output is JSONL, every record the worker would publish: {"topic", "key", "value"}.
Records the worker publishes to one of its own input topics are fed back right after the
record that caused them. Intents held for quiet hours are released before the first record at
or after their release time (the worker's clock ticks every second), and what is still held at
the end of the trace is released then, each decided at its own release time. Dead letters
name partition 0 and the line's offset within its topic.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from app.core import RecipientState, handle, next_release, release_due
from app.policy import Policy
from app.records import OBSERVATION, RECIPIENT_EVENTS, Emit, Source, parse_rfc3339_ms
from app.routing import CONSENT, INTENT, REPLY, route
from app.settings import Settings

INPUT_KINDS = {"send_intents": INTENT, "consent_events": CONSENT, "carrier_replies": REPLY}


class TraceError(ValueError):
    """A trace line is not of the documented form."""


def read_trace(lines: Iterable[str | bytes]) -> Iterator[tuple[str, int, bytes | None, bytes]]:
    """Yield (topic, timestamp_ms, key, value bytes) for each non-blank trace line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield _trace_record(orjson.loads(line))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise TraceError(f"trace line {number}: {exc!r}") from exc


def _trace_record(record: Any) -> tuple[str, int, bytes | None, bytes]:
    """One trace line's record as (topic, timestamp_ms, key, value); TypeError, KeyError or
    ValueError when it is not of the documented form (what its payload holds is not checked:
    that is the worker's input, decided or dead-lettered as the worker would)."""
    if not isinstance(record, dict):
        raise TypeError("a trace line must be a JSON object")
    topic, key = record["topic"], record.get("key")
    if not isinstance(topic, str):
        raise TypeError("topic must be a string")
    if key is not None and not isinstance(key, str):
        raise TypeError("key must be a string or null")
    timestamp_ms = parse_rfc3339_ms(record["timestamp"])
    if timestamp_ms < 0:  # a Kafka record's timestamp is never before the epoch
        raise ValueError("timestamp is before 1970-01-01T00:00:00Z")
    value = (str(record["raw"]).encode("utf-8") if "raw" in record
             else orjson.dumps(record["value"]))
    return topic, timestamp_ms, key.encode("utf-8") if key else None, value


class Replayer:
    """Holds per-recipient state in memory, exactly as the worker's table would."""

    def __init__(self, settings: Settings, policy: Policy) -> None:
        self.policy = policy
        self.names = {topic_id: spec.name for topic_id, spec in settings.topics.items()}
        self.kinds = {self.names[topic_id]: kind for topic_id, kind in INPUT_KINDS.items()}
        self.state: dict[str, RecipientState] = {}
        self.held: dict[str, int] = {}  # recipient key -> when its next held intent is due
        self._offsets: dict[str, int] = defaultdict(int)

    def release(self, now_ms: int) -> list[Emit]:
        """Release held intents due by `now_ms`, as the worker's clock ticks would."""
        emitted: list[Emit] = []
        for key, due in sorted(self.held.items(), key=lambda item: item[1]):
            if due > now_ms:
                break
            state = self.state[key]
            emitted += release_due(state, now_ms, self.policy)
            self._after(key, state)
        return emitted

    def finish(self) -> list[Emit]:
        """At the end of the trace, release what is still held (each at its own time)."""
        return self.release(max(self.held.values(), default=0))

    def _after(self, key: str, state: RecipientState) -> None:
        due = next_release(state)
        if due is None:
            self.held.pop(key, None)
        else:
            self.held[key] = due
        if not state:
            del self.state[key]

    def feed(self, topic: str, timestamp_ms: int, key: bytes | None, value: bytes) -> list[Emit]:
        """Process one input record (and whatever it feeds back); return external emits."""
        emitted: list[Emit] = self.release(timestamp_ms)
        pending = deque([(topic, timestamp_ms, key, value)])
        while pending:
            topic, timestamp_ms, key, value = pending.popleft()
            kind = self.kinds.get(topic)
            if kind is None:
                raise TraceError(f"{topic!r} is not one of the worker's input topics")
            source = Source(topic, 0, self._offsets[topic], timestamp_ms)
            self._offsets[topic] += 1
            routed = route(kind, source, key, value, self.policy)
            if routed.topic != RECIPIENT_EVENTS:
                emitted.append(routed)
                continue
            recipient = routed.key or ""
            state = self.state.setdefault(recipient, {})
            for emit in handle(routed.value, state, self.policy):
                if emit.topic == OBSERVATION:
                    continue
                if emit.topic in INPUT_KINDS:
                    pending.append((self.names[emit.topic], timestamp_ms,
                                    emit.key.encode() if emit.key else None,
                                    orjson.dumps(emit.value)))
                emitted.append(emit)
            self._after(recipient, state)
        return emitted

    def output_line(self, emit: Emit) -> bytes:
        record: dict[str, Any] = {"topic": self.names[emit.topic], "key": emit.key,
                                  "value": emit.value}
        return orjson.dumps(record)


def replay(settings: Settings, policy: Policy, lines: Iterable[str | bytes]) -> Iterator[bytes]:
    """Yield one JSON output line (bytes, no newline) per record the worker would publish."""
    replayer = Replayer(settings, policy)
    for topic, timestamp_ms, key, value in read_trace(lines):
        for emit in replayer.feed(topic, timestamp_ms, key, value):
            yield replayer.output_line(emit)
    for emit in replayer.finish():
        yield replayer.output_line(emit)
