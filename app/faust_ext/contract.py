"""What the seam takes from faust-streaming, aiokafka and mode: checked at start and by
tests/test_faust_ext_contract.py, so an upgrade fails in seconds, naming what to re-read.

- PINNED: the three distributions, pinned exactly in pyproject.toml and locks/.
- FINGERPRINTS: a sha256 of the source of every upstream function the seam copies, overrides
  or relies on line by line, with where the seam does so.
- PRIVATE_NAMES: every private (or instance-patched) name the seam uses, by upstream owner.
  `require` checks the real objects when the worker builds them and raises UpstreamChanged
  rather than falling back silently.

Imports no Faust: the upstream objects are looked up by name only when asked.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from typing import Any

PINNED = ("faust-streaming", "aiokafka", "mode-streaming")

UPGRADE_HINT = "see docs/architecture.md, 'Upgrading Faust, aiokafka or mode'"

# Upstream owners of private names: "module:Class" is checked on the class (methods and
# class attributes), "module:Class()" on an instance (attributes set by its __init__).
CONSUMER = "faust.transport.drivers.aiokafka:Consumer"
CONSUMER_STATE = "faust.transport.drivers.aiokafka:Consumer()"
FETCHER_STATE = "faust.transport.consumer:Fetcher()"
CONDUCTOR_STATE = "faust.transport.conductor:Conductor()"
CONSUMER_THREAD = "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread"
PRODUCER = "faust.transport.drivers.aiokafka:Producer"
PRODUCER_BUFFER = "faust.transport.producer:ProducerBuffer"
PRODUCER_BUFFER_STATE = "faust.transport.producer:ProducerBuffer()"
KAFKA_PRODUCER_STATE = "aiokafka:AIOKafkaProducer()"
STREAMS = "faust.streams"
PROMETHEUS_MONITOR_STATE = "faust.sensors.prometheus:PrometheusMonitor()"
ROCKSDB_STORE = "faust.stores.rocksdb:Store"
ROCKSDB_STORE_STATE = "faust.stores.rocksdb:Store()"
APP = "faust.app.base:App"

PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    CONSUMER: ("_wait_next_records", "_to_message", "_add_gap", "_n_acked", "_should_commit",
               "_commit_offsets", "_drain_messages", "_getmany", "_new_consumer_thread"),
    CONSUMER_STATE: ("_buffered_partitions", "_stopped", "_read_offset", "_commit_every",
                     "_committed_offset", "_acked", "_acked_index", "_gap"),
    FETCHER_STATE: ("_stopped",),
    CONDUCTOR_STATE: ("_tp_to_callback", "_tp_index"),
    CONSUMER_THREAD: ("_highwaters", "_ensure_consumer"),
    PRODUCER: ("_ensure_producer", "_transaction_producers", "_trn_locks"),
    PRODUCER_BUFFER: ("_handle_pending",),
    PRODUCER_BUFFER_STATE: ("pending",),  # replaced by eos.TrackedQueue
    KAFKA_PRODUCER_STATE: ("_txn_manager",),
    STREAMS: ("_current_event",),
    PROMETHEUS_MONITOR_STATE: ("_metrics",),
    ROCKSDB_STORE: ("_get", "_set", "_del", "_db_for_partition"),
    ROCKSDB_STORE_STATE: ("_dbs",),
    APP: ("_new_transport",),
}

# The seam's own private names (tests check that none is also an upstream one it uses).
OWN_PRIVATE = frozenset({
    "_app", "_buffer", "_commit_one", "_event", "_flowing", "_forget_acked", "_generation",
    "_init_callback", "_is_raw", "_note_fetched", "_on_sent", "_partition", "_partitions",
    "_pending", "_pressure", "_queue", "_send_batch", "_send_batches", "_sensors",
    "_batched", "_on_message_in", "_on_message_out", "_tables", "_transactional_id",
    "_transactional_ids", "_deliver_now",
})

# upstream "module:qualified.name" -> (sha256 of its source, what in the seam depends on it)
FINGERPRINTS: dict[str, tuple[str, str]] = {}


class UpstreamChanged(RuntimeError):
    """An upstream object lacks a name the seam relies on: the installed faust-streaming,
    aiokafka or mode-streaming is not the version the seam was written for."""


def require(owner: str, obj: Any = None) -> None:
    """Raise UpstreamChanged unless `owner` (the class or module it names, else `obj`, an
    instance of it) has every name the seam uses of it."""
    target = resolve(owner) if obj is None else obj
    missing = [name for name in PRIVATE_NAMES[owner] if not hasattr(target, name)]
    if missing:
        raise UpstreamChanged(
            f"{owner} has no {', '.join(missing)}: SendGuard's Faust seam (app/faust_ext/) "
            f"relies on {'them' if len(missing) > 1 else 'it'}; the installed "
            f"faust-streaming/aiokafka/mode-streaming is not the pinned version ({UPGRADE_HINT})")


def resolve(path: str) -> Any:
    """'module:Qual.name' -> the object (a property or cached property: its getter)."""
    module_name, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split(".") if qualname else ():
        owner = obj
        obj = inspect.getattr_static(owner, part) if isinstance(owner, type) else getattr(
            owner, part)
    for unwrap in ("fget", "func", "__func__"):
        obj = getattr(obj, unwrap, obj)
    return obj


def fingerprint(path: str) -> str:
    """sha256 of the source of the upstream function at `path`."""
    return hashlib.sha256(inspect.getsource(resolve(path)).encode()).hexdigest()


def drifted() -> list[str]:
    """One line per fingerprinted upstream function whose source changed (or vanished)."""
    lines = []
    for path, (digest, used_by) in FINGERPRINTS.items():
        try:
            now = fingerprint(path)
        except (AttributeError, ImportError, OSError, TypeError) as exc:
            now = f"gone ({type(exc).__name__})"
        if now != digest:
            lines.append(f"{path} changed upstream ({now[:12]}, pinned {digest[:12]}): re-read "
                         f"it against {used_by}, then update its fingerprint")
    return lines
