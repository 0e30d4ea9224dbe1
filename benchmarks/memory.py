"""Resident memory per million recipients held in state: RocksDB as the worker opens it.

    python -m benchmarks.memory --recipients 100000 --dir /tmp/x    # prints one JSON line

Runs in its own process so its RSS is clean. Each recipient's state is made by the real core
(a marketing grant with evidence, then a notification, a verification code and a marketing
message a few hours apart: the README's "typical recipient"), encoded with orjson as the worker
stores it, and written into 8 partition databases opened with Faust's own RocksDBOptions (the
worker's store: 64 MiB write buffers x 3, a 2 GiB block cache per partition, bloom filters).
The databases are flushed to SST files and every key is read back once, as a worker that
touches every recipient does. RSS is read before the databases open, after the writes, and
after the flush and reads; the per-million figure is the last minus the first, over the
recipients. The worker's fixed footprint (Faust, aiokafka, buffers) comes on top.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import shutil
import tempfile
import time
from pathlib import Path

import orjson
from faust.stores.rocksdb import RocksDBOptions

from app import contracts
from app.rules.core import handle
from app.rules.policy import load_policy
from app.rules.records import Source
from app.rules.routing import CONSENT, INTENT, route
from benchmarks.measure import rss_mib as _rss_of
from benchmarks.traffic import daytime_start, intent_value, phone_of

POLICY = contracts.example_policy_path()
PARTITIONS = 8


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


def measure(recipients: int, directory: Path) -> dict[str, float]:
    policy = load_policy(POLICY)
    rng = random.Random(3)
    t0 = int(daytime_start().timestamp() * 1000)
    started = time.monotonic()
    # States are built first and kept alive, so the RSS delta below is the databases' alone.
    keys = [("+86" + phone_of(rank)).encode() for rank in range(recipients)]
    values = [recipient_state(rank, t0, rng, policy) for rank in range(recipients)]
    value_bytes = sum(len(v) for v in values)
    build_s = time.monotonic() - started
    gc.collect()
    rss_start = rss_mib()
    options = RocksDBOptions()
    dbs = [options.open(directory / f"recipients-{p}.db") for p in range(PARTITIONS)]
    rss_open = rss_mib()
    for key, value in zip(keys, values, strict=True):
        dbs[int(hashlib.md5(key).hexdigest(), 16) % PARTITIONS].put(key, value)
    rss_written = rss_mib()
    for db in dbs:
        db.flush()
    for key in keys:
        assert dbs[int(hashlib.md5(key).hexdigest(), 16) % PARTITIONS].get(key) is not None
    gc.collect()
    rss_read = rss_mib()
    disk = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
    for db in dbs:
        db.close()
    per_million = (rss_read - rss_start) / recipients * 1_000_000
    return {"recipients": recipients, "value_bytes_avg": value_bytes / recipients,
            "rss_start_mib": rss_start, "rss_open_mib": rss_open,
            "rss_written_mib": rss_written, "rss_read_mib": rss_read,
            "disk_mib": disk / 2**20, "mib_per_million": per_million, "build_s": build_s}


def rss_mib() -> float:
    import os

    return _rss_of(os.getpid())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--dir")
    args = parser.parse_args()
    directory = Path(args.dir or tempfile.mkdtemp(prefix="sendguard-mem-"))
    try:
        print(orjson.dumps(measure(args.recipients, directory)).decode(), flush=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
