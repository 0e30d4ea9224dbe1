"""Resident memory and disk of recipients held in state: RocksDB as the worker opens it.

    python -m benchmarks.memory                     # 5 million recipients, minutes; one JSON line
    python -m benchmarks.memory --quick             # 200,000 recipients, seconds
    python -m benchmarks.memory --faust-defaults    # Faust's own options, for comparison

Runs in its own process so its RSS is clean. A pool of recipient states is made by the real
core (a marketing grant with evidence, then a notification, a verification code and a
marketing message a few hours apart: the README's "typical recipient"). Each recipient is
written as the worker writes it: the key is the keyed hash of its number (32 hex characters),
the value its state sealed under that key (AES-GCM, a fresh nonce each, so no two values are
alike and none compresses), into the partition Kafka's default partitioner gives the key, one
put per recipient, through the options the worker gives its table for the memory budget
(app/faust_ext/memory_budget.py, default SENDGUARD_STATE_MEMORY_MIB). Every key is then read
back once, in another order, as a worker that touches every recipient does.

RSS is read before the databases open (the baseline: Python, the core, the pool), every tenth
of the way (progress on stderr), after the writes and after the reads; the peak is the
kernel's high-water mark. mib_per_million is the growth over the baseline at the end, over the
recipients: with a bounded cache it falls as recipients grow, so it is only comparable at the
same count (the default, 5 million). Disk is every file of the databases after a final flush.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from aiokafka.partitioner import murmur2
from faust.stores.rocksdb import RocksDBOptions

from app import contracts
from app.faust_ext.bounded_store import BoundedRocksDBOptions
from app.faust_ext.memory_budget import DEFAULT_BUDGET_MIB, state_memory
from app.rules.core import handle
from app.rules.policy import load_policy
from app.rules.records import Source
from app.rules.routing import CONSENT, INTENT, route
from app.runtime.privacy import StateSealer
from benchmarks.measure import rss_mib as _rss_of
from benchmarks.traffic import daytime_start, intent_value, phone_of

POLICY = contracts.example_policy_path()
PARTITIONS = 8
FULL, QUICK = 5_000_000, 200_000
POOL = 1000  # distinct plaintext states; sealing makes every stored value distinct
SECRET = "sendguard benchmark secret, not a real one"


def recipient_state(rank: int, t0: int, rng: random.Random, policy: object) -> bytes:
    """One recipient's state after a grant and three messages, as the worker stores it."""
    phone = phone_of(rank)
    state: dict[str, object] = {}
    grant = {"event_id": f"form-{rank:08d}", "phone": phone, "tenant": "meituan",
             "category": "marketing", "action": "grant", "source": "signup_form",
             "occurred_at": "2026-11-01T12:00:00+08:00",
             "evidence": {"form_id": "reg-v3", "ip": f"10.{rank % 250}.{rank % 199}.7"}}
    events = [(CONSENT, orjson.dumps(grant), t0)]
    for n, category in enumerate(("notification", "verification", "marketing")):
        value = intent_value(rank * 4 + n, phone, category, rng, prefix="m")
        if category == "marketing":
            value["tenant"], value["signature"] = "meituan", "美团"
            value["content"] = "【美团】双11神券20元已到账，外卖满30可用。拒收请回复R"
        events.append((INTENT, orjson.dumps(value), t0 + (n + 1) * 3 * 3_600_000))
    for offset, (kind, raw, ts) in enumerate(events):
        envelope = route(kind, Source("bench", 0, offset, ts), None, raw, policy).value
        handle(envelope, state, policy)
    return orjson.dumps(state)


def partition_of(key: bytes, partitions: int) -> int:
    """Kafka's default partitioner (aiokafka's, as the worker's producer uses)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def rss_mib() -> float:
    return _rss_of(os.getpid())


def peak_rss_mib() -> float:
    """The process's resident high-water mark (VmHWM)."""
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def table_properties(db: Any) -> dict[str, int]:
    """Sizes from RocksDB's aggregated SST properties: 'index block size', 'filter block
    size', 'data block size' (bytes)."""
    sizes = {}
    for item in (db.property_value("rocksdb.aggregated-table-properties") or "").split(";"):
        name, _, value = item.partition("=")
        name = name.split("(")[0].strip()
        if value.strip().isdigit():
            sizes[name] = int(value)
    return sizes


def progress(stage: str, done: int, total: int, started: float) -> None:
    print(f"  {stage} {done:>10,} / {total:,}  RSS {rss_mib():7.0f} MiB  "
          f"{time.monotonic() - started:6.0f}s", file=sys.stderr, flush=True)


def measure(recipients: int, directory: Path, budget_mib: int, partitions: int,
            faust_defaults: bool = False) -> dict[str, Any]:
    policy = load_policy(POLICY)
    rng = random.Random(3)
    t0 = int(daytime_start().timestamp() * 1000)
    pool = [recipient_state(rank, t0, rng, policy) for rank in range(POOL)]
    sealer = StateSealer(SECRET)
    memory = state_memory(budget_mib, partitions)
    options = RocksDBOptions() if faust_defaults else BoundedRocksDBOptions(memory)
    rss_start = rss_mib()
    dbs = [options.open(directory / f"recipients-{p}.db") for p in range(partitions)]
    rss_open = rss_mib()
    step = max(1, recipients // 10)
    started = time.monotonic()
    value_bytes = 0
    for rank in range(recipients):
        key = sealer.recipient_key("+86" + phone_of(rank))
        value = sealer.seal(pool[rank % POOL], key)
        value_bytes += len(value)
        dbs[partition_of(key, partitions)].put(key, value)
        if (rank + 1) % step == 0:
            progress("written", rank + 1, recipients, started)
    write_s = time.monotonic() - started
    rss_written = rss_mib()
    started = time.monotonic()
    for n, rank in enumerate(range(recipients - 1, -1, -1)):  # the other way round
        key = sealer.recipient_key("+86" + phone_of(rank))
        if dbs[partition_of(key, partitions)].get(key) is None:
            raise SystemExit(f"recipient {rank} was written and is not found")
        if (n + 1) % step == 0:
            progress("read", n + 1, recipients, started)
    read_s = time.monotonic() - started
    rss_read, rss_peak = rss_mib(), peak_rss_mib()
    cache_mib = (options.cache.get_usage() / 2**20
                 if isinstance(options, BoundedRocksDBOptions) else float("nan"))
    for db in dbs:
        db.flush()
    disk = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
    tables = [table_properties(db) for db in dbs]
    index_filter = sum(t.get("index block size", 0) + t.get("filter block size", 0)
                       for t in tables)
    for db in dbs:
        db.close()
    growth = rss_read - rss_start
    return {
        "recipients": recipients, "partitions": partitions,
        "options": "faust-defaults" if faust_defaults else "budget",
        "budget_mib": budget_mib, "value_bytes_avg": value_bytes / recipients,
        "rss_start_mib": rss_start, "rss_open_mib": rss_open, "rss_written_mib": rss_written,
        "rss_read_mib": rss_read, "rss_peak_mib": rss_peak, "cache_usage_mib": cache_mib,
        "rss_growth_mib": growth, "peak_growth_mib": rss_peak - rss_start,
        "within_budget": rss_peak <= rss_start + budget_mib,
        "mib_per_million": growth / recipients * 1_000_000,
        "disk_mib": disk / 2**20, "disk_bytes_per_recipient": disk / recipients,
        "index_filter_bytes_per_recipient": index_filter / recipients,
        "write_s": write_s, "read_s": read_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, help=f"default {FULL:,} ({QUICK:,} quick)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} recipients")
    parser.add_argument("--budget-mib", type=int, default=DEFAULT_BUDGET_MIB,
                        help="SENDGUARD_STATE_MEMORY_MIB (default %(default)s)")
    parser.add_argument("--partitions", type=int, default=PARTITIONS)
    parser.add_argument("--faust-defaults", action="store_true",
                        help="open with Faust's own RocksDBOptions (no budget), to compare")
    parser.add_argument("--dir")
    args = parser.parse_args()
    recipients = args.recipients or (QUICK if args.quick else FULL)
    directory = Path(args.dir or tempfile.mkdtemp(prefix="sendguard-mem-"))
    try:
        result = measure(recipients, directory, args.budget_mib, args.partitions,
                         args.faust_defaults)
        print(orjson.dumps(result).decode(), flush=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
