"""Offline replay: run a trace through the same routing and decision core as the worker.

Compliance staff use it to try a policy on past traffic; tests use it to check the worker.
A trace is JSONL, one input record a line, in arrival order (`sendguard capture` writes one):

    {"topic": "sms.send-intents", "timestamp": "2026-11-22T10:00:00+08:00", "value": {...}}
    {"topic": "sms.send-intents", "timestamp": 1795312800000, "key": "13812345678", "value": {...}}
    {"topic": "sms.send-intents", "timestamp": "...", "raw": "bytes that are not JSON"}

`timestamp` is RFC 3339 with an offset or epoch milliseconds; `key` is optional; `"raw": null`
is a record without a value (a tombstone), `raw_base64` a value that is not UTF-8.

The output is JSONL, every record the worker would publish: {"topic", "key", "value"}.
Records the worker publishes to one of its own input topics are fed back right after the
record that caused them. Intents held for quiet hours are released before the first record at
or after their release time (the worker's clock ticks every second), and what is still held at
the end of the trace is released then, each decided at its own release time. Dead letters
name partition 0 and the line's offset within its topic.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, NamedTuple

import orjson

from app.rules.core import RecipientState, handle, next_release, release_due
from app.rules.policy import Policy
from app.rules.records import OBSERVATION, RECIPIENT_EVENTS, Emit, Source, parse_rfc3339_ms
from app.rules.routing import BULK, CONSENT, INTENT, PRIORITY, REPLY, lane_of, route
from app.runtime.settings import Settings

INPUT_KINDS = {"send_intents": INTENT, "priority_intents": INTENT, "consent_events": CONSENT,
               "carrier_replies": REPLY}


class TraceError(ValueError):
    """A trace line is not of the documented form; the message is one line naming it."""


class TraceRecord(NamedTuple):
    """One input record of a trace: value None is a record without a value (a tombstone)."""

    topic: str
    timestamp_ms: int
    key: bytes | None
    value: bytes | None


class TraceErrors:
    """Collects a trace's bad lines, one message each, keeping the first `shown`."""

    def __init__(self, shown: int = 20) -> None:
        self.count = 0
        self.messages: list[str] = []
        self._shown = shown

    def __call__(self, error: TraceError) -> None:
        self.count += 1
        if len(self.messages) < self._shown:
            self.messages.append(str(error))

    def report(self) -> list[str]:
        """The lines to print: each kept message, then how many more there were."""
        more = self.count - len(self.messages)
        return self.messages + ([f"... and {more} more bad trace lines"] if more else [])


_EPOCH_MS = re.compile(r"[0-9]{1,15}")
_MAX_MS = 10**15  # (the year 33658: a larger "timestamp" is a mistake, and would overflow)


def parse_timestamp(value: object) -> int:
    """A trace timestamp: RFC 3339 text with an offset, or epoch milliseconds (an integer, or
    a string of digits, as Kafka tools print them) -> epoch ms; ValueError saying why not."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _MAX_MS:
        return value
    if isinstance(value, str):
        text = value.strip()
        if _EPOCH_MS.fullmatch(text):
            return int(text)
        try:
            timestamp_ms = parse_rfc3339_ms(text)
        except ValueError:
            pass
        else:
            if timestamp_ms >= 0:  # a Kafka record's timestamp is never before the epoch
                return timestamp_ms
    raise ValueError(f"{_shown(value)} is neither RFC 3339 with an offset "
                     f"(2026-11-22T10:00:00+08:00) nor epoch milliseconds")


def _shown(value: object, limit: int = 40) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _field(record: dict[str, Any], name: str) -> Any:
    if name not in record:
        raise TraceError(f'missing field "{name}"')
    return record[name]


def _parse_line(line: str | bytes, topics: Collection[str] | None) -> TraceRecord:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise TraceError(f"not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise TraceError("not a JSON object")
    topic = _field(record, "topic")
    if not isinstance(topic, str):
        raise TraceError('field "topic": must be a string')
    if topics is not None and topic not in topics:
        raise TraceError(f'field "topic": {_shown(topic)} is not one of the worker\'s input '
                         f"topics ({', '.join(topics)}; SENDGUARD_TOPIC_* rename them)")
    timestamp = _field(record, "timestamp")
    try:
        timestamp_ms = parse_timestamp(timestamp)
    except ValueError as exc:
        raise TraceError(f'field "timestamp": {exc}') from None
    key = record.get("key")
    if key is not None and not isinstance(key, str):
        raise TraceError('field "key": must be a string or null')
    value: bytes | None
    if "raw" in record:
        raw = record["raw"]
        if raw is not None and not isinstance(raw, str):
            raise TraceError('field "raw": must be a string or null')
        value = None if raw is None else raw.encode("utf-8")
    elif "value" in record:
        value = orjson.dumps(record["value"])
    elif "raw_base64" in record:
        try:
            value = base64.b64decode(record["raw_base64"], validate=True)
        except (TypeError, ValueError):
            raise TraceError('field "raw_base64": must be base64 text') from None
    else:
        raise TraceError('missing field "value" (or "raw")')
    return TraceRecord(topic, timestamp_ms, key.encode("utf-8") if key else None, value)


def read_trace(lines: Iterable[str | bytes], topics: Collection[str] | None = None,
               on_error: Callable[[TraceError], None] | None = None) -> Iterator[TraceRecord]:
    """Yield a TraceRecord for each non-blank trace line.

    `topics`: the accepted topic names (any when None). A bad line raises TraceError
    ("trace line N: ..."), or with `on_error` is passed to it and skipped.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield _parse_line(line, topics)
        except TraceError as exc:
            error = TraceError(f"trace line {number}: {exc}")
            if on_error is None:
                raise error from None
            on_error(error)


def until_first_error(lines: Iterable[str | bytes], topics: Collection[str],
                      errors: TraceErrors) -> Iterator[TraceRecord]:
    """The trace's records up to its first bad line; the rest is read only to collect every
    bad line in `errors` (a decision after a skipped line could be wrong)."""
    for record in read_trace(lines, topics, errors):
        if not errors.count:
            yield record


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

    def feed(self, topic: str, timestamp_ms: int, key: bytes | None,
             value: bytes | None) -> list[Emit]:
        """Process one input record (and whatever it feeds back); return external emits."""
        emitted: list[Emit] = self.release(timestamp_ms)
        pending: deque[tuple[str, int, bytes | None, bytes | None]] = deque(
            [(topic, timestamp_ms, key, value)])
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


def replay(settings: Settings, policy: Policy, lines: Iterable[str | bytes],
           errors: TraceErrors | None = None, backlog: bool = False) -> Iterator[bytes]:
    """Yield one JSON output line (bytes, no newline) per record the worker would publish.

    In trace order: a worker that keeps up. With `backlog`, as a worker that finds the whole
    trace queued: the priority lane's records first, then the bulk lane's, each in trace order
    (topics/README.md, "Lanes"). A bad line raises TraceError; with `errors`, every bad line
    is collected there instead, and nothing more is decided after the first (the rest is only
    checked).
    """
    replayer = Replayer(settings, policy)
    records: Iterable[TraceRecord] = read_trace(lines, replayer.kinds) if errors is None else \
        until_first_error(lines, replayer.kinds, errors)
    if backlog:
        records = priority_first(list(records), replayer.kinds, policy,
                                 frozenset({settings.topic("priority_intents")}))
    for record in records:
        for emit in replayer.feed(*record):
            yield replayer.output_line(emit)
    if errors is not None and errors.count:
        return
    for emit in replayer.finish():
        yield replayer.output_line(emit)


def priority_first(records: list[TraceRecord], kinds: dict[str, str], policy: Policy,
                   priority_topics: frozenset[str]) -> list[TraceRecord]:
    """The records of the priority lane, then the others, each in their order."""
    def lane(record: TraceRecord) -> str:
        routed = route(kinds[record.topic], Source(record.topic, 0, 0, record.timestamp_ms),
                       record.key, record.value, policy)
        return (lane_of(routed.value, record.topic in priority_topics)
                if routed.topic == RECIPIENT_EVENTS else BULK)

    lanes = [lane(record) for record in records]
    return ([r for r, la in zip(records, lanes, strict=True) if la == PRIORITY]
            + [r for r, la in zip(records, lanes, strict=True) if la != PRIORITY])
