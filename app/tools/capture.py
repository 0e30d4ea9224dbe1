"""`sendguard capture`: past traffic from the input topics into a trace for `sendguard replay`.

Records are chosen by their timestamp, --from <= t < --to. Each partition of the three input
topics is read from the first record at or after --from (found by timestamp) up to the first
at or after --to plus END_GRACE_MS, or the end of what is committed now: record timestamps
are the producers' clocks, not quite in order, and a transaction marker carries the broker's.
Only committed records are read (read_committed: an aborted transaction's records were never
decided). Each partition is spooled to a temporary file, then the partitions are merged by
record timestamp, each kept in its own offset order (the order the worker read it in).

The worker publishes the consent events it derives from replies and delivery reports to
sms.consent-events, where they come back to it as duplicates. Replay derives them again from
the same replies, so such an event is left out of the trace when the reply or report it came
from is in it (replay then decides exactly what the worker did); an event whose cause lies
before the range is kept, so no refusal is lost.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from tqdm import tqdm

from app.rules.records import bounded_id, iso_ms
from app.runtime.admin import topic_partitions
from app.runtime.settings import Settings
from app.tools.masking import PhoneMasker
from app.tools.replay import INPUT_KINDS

STALL_S = 60.0  # no record and no progress this long: give up rather than hang
END_GRACE_MS = 5 * 60_000  # read this far past --to for records from clocks behind


class CaptureError(Exception):
    """The capture cannot be made (no broker, no such topic); one line for the user."""


@dataclass
class Capture:
    """What a capture wrote."""

    counts: Counter[str] = field(default_factory=Counter)  # records written, by topic
    echoes: int = 0  # derived consent events left out (replay derives them again)
    masked_numbers: int = 0
    unmatched_numbers: int = 0


@dataclass
class _Partition:
    tp: TopicPartition
    start: int
    end: int
    spool: IO[bytes]


async def capture(settings: Settings, start_ms: int, end_ms: int | None, output: IO[bytes],
                  masker: PhoneMasker | None = None, progress: bool | None = None) -> Capture:
    """Write the input topics' committed records of [start_ms, end_ms) to `output` as a
    trace. `progress`: a bar on stderr (None: only on a terminal)."""
    topics = [settings.topic(topic_id) for topic_id in INPUT_KINDS]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap, group_id=None, enable_auto_commit=False,
        isolation_level="read_committed", auto_offset_reset="earliest",
        request_timeout_ms=30000, **settings.kafka_security.aiokafka_kwargs())
    result = Capture()
    with ExitStack() as stack:
        try:
            await consumer.start()
            partitions = await _ranges(consumer, settings, topics, start_ms, end_ms, stack)
            causes = await _spool(consumer, partitions, (start_ms, end_ms), progress)
        except KafkaError as exc:
            raise CaptureError(f"cannot read from Kafka at {settings.bootstrap} "
                               f"({settings.kafka_security.describe()}): "
                               f"{type(exc).__name__}") from None
        finally:
            await consumer.stop()
        for partition in partitions:
            partition.spool.seek(0)
        for line in _merge([p.spool for p in partitions], causes, result, masker):
            output.write(line)
    if masker is not None:
        result.masked_numbers, result.unmatched_numbers = masker.numbers, masker.unmatched
    return result


async def _ranges(consumer: AIOKafkaConsumer, settings: Settings, topics: list[str],
                  start_ms: int, end_ms: int | None, stack: ExitStack) -> list[_Partition]:
    """Each input partition with the offsets of the time range, and a spool file."""
    try:
        found = await topic_partitions(settings, topics)
    except LookupError as exc:
        raise CaptureError(str(exc)) from None
    tps = [TopicPartition(topic, p) for topic, partitions in found.items() for p in partitions]
    committed_end = await consumer.end_offsets(tps)  # the last stable offsets
    starts = await consumer.offsets_for_times({tp: start_ms for tp in tps})
    ends = await consumer.offsets_for_times(
        {tp: end_ms + END_GRACE_MS for tp in tps}) if end_ms is not None else {}
    partitions = []
    for tp in tps:
        end = committed_end[tp]
        found_end = ends.get(tp)
        if found_end is not None:
            end = min(end, found_end.offset)
        found_start = starts[tp]
        start = end if found_start is None else min(found_start.offset, end)
        spool = stack.enter_context(
            tempfile.TemporaryFile(prefix="sendguard-capture-"))  # noqa: SIM115
        partitions.append(_Partition(tp, start, end, spool))
    return partitions


async def _spool(consumer: AIOKafkaConsumer, partitions: list[_Partition],
                 window: tuple[int, int | None], progress: bool | None) -> set[str]:
    """Read each partition's range into its spool; return the ids of the consent events the
    worker derives from the replies and reports read (see the module docstring)."""
    causes: set[str] = set()
    start_ms, end_ms = window[0], window[1] if window[1] is not None else 2**63
    by_tp = {p.tp: p for p in partitions}
    consumer.assign(list(by_tp))
    active = set()
    for p in partitions:
        if p.start < p.end:
            consumer.seek(p.tp, p.start)
            active.add(p.tp)
    consumer.pause(*(tp for tp in by_tp if tp not in active))
    total = sum(p.end - p.start for p in partitions)
    done_offsets = dict.fromkeys(by_tp, 0)
    last_progress = time.monotonic()
    with tqdm(total=total, unit=" records", unit_scale=True, desc="capture", file=sys.stderr,
              disable=None if progress is None else not progress, dynamic_ncols=True) as bar:
        while active:
            batches = await consumer.getmany(*active, timeout_ms=1000, max_records=10000)
            for tp, records in batches.items():
                partition = by_tp[tp]
                for record in records:
                    if record.offset >= partition.end:
                        break
                    if start_ms <= record.timestamp < end_ms:
                        partition.spool.write(_spool_line(tp.topic, record, causes))
            for tp in list(active):
                position = await consumer.position(tp)
                partition = by_tp[tp]
                moved = min(position, partition.end) - partition.start
                if moved > done_offsets[tp]:
                    bar.update(moved - done_offsets[tp])
                    done_offsets[tp] = moved
                    last_progress = time.monotonic()
                if position >= partition.end:
                    active.discard(tp)
                    consumer.pause(tp)
            if active and time.monotonic() - last_progress > STALL_S:
                stuck = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(active))
                raise CaptureError(f"no progress for {STALL_S:.0f} s reading {stuck}")
    return causes


def _spool_line(topic: str, record: Any, causes: set[str]) -> bytes:
    """`<timestamp, 15 digits> <JSON>`: sortable by its first 15 bytes. The JSON holds the
    value as base64 (masking and the trace's form come at the merge) and, for a consent
    event derived by a worker, its id ("echo")."""
    echo = None
    try:
        value = orjson.loads(record.value) if record.value is not None else None
    except orjson.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        if value.get("type") == "mo" and isinstance(value.get("reply_id"), str):
            causes.add(f"reply:{bounded_id(value['reply_id'])}")
        elif value.get("type") == "dlr" and isinstance(value.get("msg_id"), str):
            causes.add(f"dlr:{bounded_id(value['msg_id'])}:{value.get('error_code')}")
        elif value.get("source") in ("reply", "dlr") and isinstance(value.get("event_id"), str):
            echo = value["event_id"]
    timestamp = record.timestamp
    key, raw = record.key, record.value
    spooled = {"topic": topic, "timestamp": timestamp, "echo": echo,
               "key": None if key is None else key.decode("utf-8", "replace"),
               "value": None if raw is None else base64.b64encode(raw).decode("ascii")}
    return b"%015d %s\n" % (timestamp, orjson.dumps(spooled))


def _merge(spools: list[IO[bytes]], causes: set[str], result: Capture,
           masker: PhoneMasker | None) -> Iterator[bytes]:
    """The spooled partitions merged by timestamp, each in its own order, as trace lines."""
    for spooled in heapq.merge(*spools, key=lambda line: line[:15]):
        line = orjson.loads(spooled[16:])
        if line["echo"] is not None and line["echo"] in causes:
            result.echoes += 1
            continue
        result.counts[line["topic"]] += 1
        yield orjson.dumps(_trace_line(line, masker)) + b"\n"


def _trace_line(line: dict[str, Any], masker: PhoneMasker | None) -> dict[str, Any]:
    """One record in the replay trace format (see app/tools/replay.py)."""
    out: dict[str, Any] = {"topic": line["topic"], "timestamp": iso_ms(line["timestamp"])}
    encoded = line["value"]
    raw = None if encoded is None else base64.b64decode(encoded)
    value: Any = None
    is_json = False
    if raw is not None:
        with suppress(orjson.JSONDecodeError):
            value, is_json = orjson.loads(raw), True
    key = line["key"]
    if masker is not None:
        key = masker.key(key, value)
    if key is not None:
        out["key"] = key
    if raw is None:
        out["raw"] = None  # a tombstone
    elif is_json:
        out["value"] = value if masker is None else masker.value(value)
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if masker is not None:
            out["raw"] = masker.raw(raw)
        elif text is None:
            out["raw_base64"] = base64.b64encode(raw).decode("ascii")
        else:
            out["raw"] = text
    return out


def write_trace(settings: Settings, start_ms: int, end_ms: int | None, path: str,
                masker: PhoneMasker | None) -> Capture:
    """Capture into `path` ("-": standard output). A file is written under a temporary name
    readable only by its owner (it holds personal data) and renamed when complete."""
    if path == "-":
        result = asyncio.run(capture(settings, start_ms, end_ms, sys.stdout.buffer, masker))
        sys.stdout.buffer.flush()
        return result
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            result = asyncio.run(capture(settings, start_ms, end_ms, out, masker))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return result


def run(args: Any, settings: Settings) -> int:
    """`sendguard capture` as parsed by app.tools.cli; return the exit code (2: bad options)."""
    from app.tools.replay import parse_timestamp

    try:
        start_ms = parse_timestamp(args.start)
        end_ms = None if args.end is None else parse_timestamp(args.end)
    except ValueError as exc:
        return _fail(f"--from/--to: {exc}")
    if end_ms is not None and end_ms <= start_ms:
        return _fail(f"--to ({iso_ms(end_ms)}) must be after --from ({iso_ms(start_ms)})")
    report = sys.stderr if args.output == "-" else sys.stdout
    if args.mask_phones:
        print("sendguard capture: phone numbers are replaced by fake ones of the same kind; "
              "message texts, reply texts and consent evidence are copied as they are",
              file=sys.stderr)
    else:
        print(f"sendguard capture: {args.output} will hold personal data (recipients' phone "
              "numbers): keep it as you keep the topics, and use --mask-phones for a trace "
              "to share", file=sys.stderr)
    masker = PhoneMasker(args.region) if args.mask_phones else None
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # a failure is told in one line
    try:
        result = write_trace(settings, start_ms, end_ms, args.output, masker)
    except CaptureError as exc:
        print(f"sendguard capture: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        return _fail(f"{args.output}: cannot write ({exc.strerror})")
    until = "now" if end_ms is None else iso_ms(end_ms)
    print(f"captured {sum(result.counts.values()):,} records from {iso_ms(start_ms)} "
          f"to {until} into {args.output}", file=report)
    for topic in [settings.topic(topic_id) for topic_id in INPUT_KINDS]:
        print(f"  {topic:<28} {result.counts[topic]:>10,}", file=report)
    if result.echoes:
        print(f"  ({result.echoes:,} consent events the worker derived from replies and reports "
              "in the trace left out: replay derives them again)", file=report)
    if masker is not None:
        print(f"  ({result.masked_numbers:,} phone numbers masked"
              + (f"; {result.unmatched_numbers:,} had no fake of the same kind and are masked "
                 "as invalid numbers" if result.unmatched_numbers else "") + ")", file=report)
    return 0


def _fail(message: str) -> int:
    print(f"sendguard capture: {message}", file=sys.stderr)
    return 2
