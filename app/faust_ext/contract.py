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

import ast
import hashlib
import importlib
import inspect
import textwrap
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
COLLECTION = "faust.tables.base:Collection"
APP = "faust.app.base:App"
RECOVERY_STATE = "faust.tables.recovery:Recovery()"
TABLE = "faust.tables.table:Table()"

PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    CONSUMER: ("_wait_next_records", "_to_message", "_add_gap", "_n_acked", "_should_commit",
               "_commit_offsets", "_drain_messages", "_getmany", "_new_consumer_thread"),
    CONSUMER_STATE: ("_buffered_partitions", "_stopped", "_read_offset", "_commit_every",
                     "_committed_offset", "_acked", "_acked_index", "_gap",
                     "_paused_partitions"),
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
    COLLECTION: ("_new_store",),
    APP: ("_new_transport",),
    # standby.py: what Recovery._slurp_changelogs reads and writes for a standby record
    RECOVERY_STATE: ("standby_tps", "active_tps", "tp_to_table", "standby_offsets", "buffers",
                     "standby_remaining_total", "tables"),
    TABLE: ("_on_changelog_event", "standby_buffer_size", "apply_changelog_batch"),
}

# The seam's own private names (tests check that none is also an upstream one it uses).
OWN_PRIVATE = frozenset({
    "__init_callback", "_active", "_app", "_batched", "_buffer", "_changelog_sent",
    "_commit_one", "_committing", "_condition", "_deliver_now", "_event", "_flowing",
    "_forget_acked", "_generation", "_is_raw", "_message_in", "_message_out", "_note_fetched",
    "_changelog_topics", "_changelogs_generation", "_handles", "_on_sent", "_partition",
    "_partitions", "_paused", "_pending", "_pressure", "_queue",
    "_recovery", "_resync_since", "_send_batch", "_send_batches", "_sensors", "_tables",
    "_transactional_id", "_transactional_ids",
})

# upstream "module:qualified.name" -> (sha256 of its source, what in app/faust_ext/ copies,
# overrides or relies on it). After an upgrade, `python -m app.faust_ext.contract` prints the
# new digests of the ones that changed, once they are re-read.
FINGERPRINTS: dict[str, tuple[str, str]] = {
    "faust.app.base:App._new_transport": (
        "42db531312dd776fc3937154a32f19eeb9ad7d4ebc2722a92d081a2d271baea1",
        "transport.py SeamApp._new_transport (overrides it)"),
    "faust.app.base:App.flow_control": (
        "9a4f2fc43e317265144aae39114ee79523d4a5b1b3ae012dc85d138516d04b2b",
        "transport.py SeamApp.flow_control (overrides it)"),
    "mode.utils.queues:FlowControlEvent.resume": (
        "4dcdc1253fd0dcb40de18a3702503c01d21e9da7e5e55b122fb92615f27648d9",
        "transport.py KeepQueuesOnResume.resume"),
    "faust.transport.base:Transport.create_consumer": (
        "46cc2bf5ab14acfab4e00d77004a1f4b9306b7f4f86293b6708d11bfce11188a",
        "transport.py Transport.create_consumer"),
    "faust.transport.base:Transport.create_producer": (
        "2de47ba78c944b4a74a3aadb0af9fea93cdb11999597a7e7ce0f4922fac7396b",
        "transport.py Transport.create_producer"),
    "faust.transport.base:Transport.create_transaction_manager": (
        "fb9c5da92d5023a81576c585043b9387b233fc5b8f37f26ea1cd52aa9fb118a0",
        "transport.py Transport.create_transaction_manager"),
    "faust.transport.consumer:Consumer.getmany": (
        "4b168d84882a70d6e3e2f9804430a63b92f8fd117d3187cbb4aeb54305bda34e",
        "consumer.py BatchDelivery.getmany (a copy)"),
    "faust.transport.consumer:Consumer._drain_messages": (
        "44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417",
        "consumer.py BatchDelivery._drain_messages (a copy)"),
    "faust.transport.consumer:ThreadDelegateConsumer._getmany": (
        "f9d47aa9010b5ff2b874ba65f927871f3612718d8a9db00b58601554a35236c4",
        "consumer.py BatchDelivery._getmany (extends it)"),
    "faust.transport.conductor:ConductorCompiler.build": (
        "837cf521368c1ee4b22c235a2b137f665eca03d0e3e01b5ddedb65232ee73bf2",
        "consumer.py FastDelivery (does what its on_message does)"),
    "faust.transport.conductor:Conductor._update_callback_map": (
        "37598771880d27baf413d0f0c939fc885be437d24a22c00509865c2dfbb283e0",
        "consumer.py BatchDelivery._deliver_now (a FastDelivery per partition handler)"),
    "faust.streams:Stream._py_aiter": (
        "3a48ee257a65435b482d51edb74f2993a67867949b1ef89b49fea893769e0614",
        "batches.py event_batches (what a stream does per event)"),
    "faust.transport.consumer:Consumer.track_message": (
        "217d7f1399a4cd8e15a43a64ecf50413b9b738058e5433e057f0dc3927a3fc03",
        "batches.py event_batches (inlined)"),
    "faust.streams:current_event": (
        "3b821f1a78d86a58234dfe781fbf539775b00e66fdac9489c1c398a2d81d7e9d",
        "batches.py set_current_event (sets what it reads)"),
    "faust.tables.base:Collection.send_changelog": (
        "3dd3884e1b5fc0e1612bc688b83d9318a1805ddc49700d3b6b37bade73c3905d",
        "sender.py BatchSender.add_changelog"),
    "faust.tables.base:Collection._on_changelog_sent": (
        "60122c86a120d82cffa95da4c22323e12d67fa82f3112f08ac7f8edde7c47826",
        "sender.py BatchSender._on_changelog_sent (a copy)"),
    "faust.transport.consumer:TransactionManager.commit": (
        "fbb29c3467ac8bfad1c36d7b87f31940f0b3912a6ccc239cd8b58aee02a3e60b",
        "sender.py transactional_id (its id format)"),
    "faust.transport.drivers.aiokafka:Producer.send": (
        "0b5bd08f52e5e2a90ff6307dbfc3c97afb01cb2687835e8fe8486c5bcad02dc1",
        "sender.py BatchSender.flush (sends to the transactional clients as it does)"),
    "faust.transport.consumer:TransactionManager.send": (
        "b8d126be9f10fc6987627523f550b79158457c2daa17278b6a012936f4cd2138",
        "eos.py SourcePartitionTransactionManager.send (overrides it)"),
    "faust.transport.drivers.aiokafka:Producer.begin_transaction": (
        "970978bd2a00bb12d8408d4f5a785f70c71ddbb5b06f35353461000cbd08fe6e",
        "eos.py GatedProducer (per-producer transaction dicts)"),
    "faust.transport.drivers.aiokafka:Producer.maybe_begin_transaction": (
        "3457d161832d684e7c27e3f083a14b040c6df7cf716c573e982026b1b67e3c95",
        "eos.py GatedProducer.maybe_begin_transaction"),
    "faust.transport.drivers.aiokafka:Producer.commit_transactions": (
        "70091e6f431974e9cc7cc7d07e03e839aa5aadc5effe7a2b8fb23071f1364171",
        "eos.py GatedProducer.commit_transactions (a concurrent copy)"),
    "faust.transport.producer:ProducerBuffer.put": (
        "bf26dfbc01d910885635a5a8cb83726ba90f7eac819404564bbfdba2856900a3",
        "eos.py TrackedQueue (its only writer)"),
    "faust.transport.producer:ProducerBuffer._handle_pending": (
        "c39087ada5d4e3aaa92887d43161df80157b2cf7a5f720ccba2f6bb5c68df441",
        "eos.py TrackedQueue (its only reader)"),
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._highwaters": (
        "a7f4f97d9f32aca2777713e22671d70eae4b3ae51541bb09a90448ce83acefce",
        "eos.py CommittedEndConsumerThread._highwaters"),
    "faust.transport.drivers.aiokafka:Consumer._new_consumer_thread": (
        "0870ec53dea75083995e3565c0f0a25a1c63ecceaeb238e92e2585e3623af5a9",
        "eos.py ExactlyOnceConsumer._new_consumer_thread"),
    "faust.transport.consumer:Consumer.force_commit": (
        "cc094614d22c70fb03606f8e5b940fddedcc7d46648d53ae6ec53cab1546be13",
        "eos.py ExactlyOnceConsumer.force_commit"),
    "faust.transport.consumer:Consumer._commit_offsets": (
        "1a6979904118844111259d182ca1c6e92ccc16364ccbe55c58e59d6e254a7adb",
        "eos.py ExactlyOnceConsumer.force_commit (calls it with the gate's offsets)"),
    "faust.transport.consumer:Consumer.ack": (
        "5fcf41cf45153475de3790dc56fec1b83335956dc8b3bf7ff6bbb2b57627f03f",
        "eos.py ExactlyOnceConsumer._forget_acked"),
    "faust.transport.consumer:Consumer.commit_and_end_transactions": (
        "892377824b11a2ee5c19d59363236844e4b7f8fe39120da6f59fc784f973be7c",
        "eos.py ExactlyOnceConsumer.commit_and_end_transactions"),
    "faust.transport.consumer:Consumer.on_partitions_revoked": (
        "d04b7ae72c6fc206924a2879d6c90dd383f3e8ba6f4b10a19ca99a921eb8f4db",
        "eos.py ExactlyOnceConsumer.on_partitions_revoked (extends it)"),
    "faust.stores.rocksdb:Store._get": (
        "7ae8dfd6d7754a5952ae162d4d5cf0d51a8a020ed730a4a7c7dc7f7c84e73fb8",
        "tables.py raw_access"),
    "faust.stores.rocksdb:Store._set": (
        "4227e561e288d9413bf663a3a67940fd4976f5484e70e49445858ce4d400d26e",
        "tables.py raw_access"),
    "faust.stores.rocksdb:Store._db_for_partition": (
        "cb7e67d5f9efc4bced7b7ab09a55fe717c352daad5b693594e3f7ca52a98787f",
        "tables.py partition_db"),
    "faust.tables.base:Collection._new_store": (
        "914a2bda605d38f5b5bdf07f2d0b01ef565dd036b2b3e5391c54321094daf4b5",
        "bounded_store.py BoundedTable._new_store (extends it)"),
    "faust.app.base:App.Table": (
        "e49f205922bb5121659c410e6a8edb1bc8009068dbb5b097c73f4a1868cc47bb",
        "bounded_store.py BoundedTable (built by it from the app's Table setting, with "
        "state_memory among its keyword arguments)"),
    "faust.stores.rocksdb:Store.__init__": (
        "c7c0fa2989e8ab4a4349ff29df8258471624a160cb549e6735c367d9b2fefd19",
        "bounded_store.py BoundedTable._new_store (replaces the rocksdb_options it sets, "
        "before any partition opens)"),
    "faust.stores.rocksdb:Store._open_for_partition": (
        "1dc4e0113d67379dd61c0a396fa92636577d5fc6be60d4312253fa566080377b",
        "bounded_store.py BoundedRocksDBOptions.open (opens every partition)"),
    "faust.stores.rocksdb:RocksDBOptions.open": (
        "ff87e92d69e2f487e2657c1df266543f4733d4acad3dd18fa5c86f239d8e340d",
        "bounded_store.py BoundedRocksDBOptions.open (overrides it)"),
    "faust.stores.rocksdb:RocksDBOptions.as_options": (
        "d2a1bea17736d2eb2f8d2da592ef843f31bd9583b17b3fcbb2ebd84c15051660",
        "bounded_store.py BoundedRocksDBOptions.as_options (overrides it; sets at least "
        "what it sets)"),
    "faust.sensors.prometheus:PrometheusMonitor.on_message_in": (
        "ca24793cbc41deb7998cef2c78cf95604dbe96de13e1ae599d8d66797920470d",
        "sensor.py FaustSensor.on_message_in, on_messages_in"),
    "faust.sensors.prometheus:PrometheusMonitor.on_message_out": (
        "347089e00334fd7546abf1575e47741961403cdb2022ff71a923d13ad487fc1d",
        "sensor.py FaustSensor.on_messages_out"),
    "faust.sensors.prometheus:PrometheusMonitor.on_table_get": (
        "cc6b84a3bb0a39b9417d60dd348530c757b99966857c233fa87ffdd9f495584e",
        "sensor.py FaustSensor.on_table_get"),
    "faust.sensors.prometheus:PrometheusMonitor.track_tp_end_offset": (
        "85f7fca946f5c2be97a61d160d015c22d683c7fc6bdb6525b47433f999cba185",
        "sensor.py FaustSensor.track_tp_end_offset"),
    "aiokafka.producer.producer:AIOKafkaProducer.create_batch": (
        "c4efda4bb7a09741e168138a54cdeeef2b87d5a99215ffcdef307037514c5359",
        "sender.py BatchSender._send_batches (fills the batch it makes)"),
    "aiokafka.producer.producer:AIOKafkaProducer.send_batch": (
        "bf42b0f0c5c0646db4cc15b54a81103fe948473a2969149bd9277fe2ca1b5235",
        "sender.py BatchSender._send_batch"),
    "aiokafka.producer.message_accumulator:BatchBuilder.append": (
        "657d76f55157d9cac2981d5e76453c688425dbe14f271017a8904df4d5543a76",
        "sender.py BatchSender._send_batches (None when the batch is full)"),
    "aiokafka.producer.transaction_manager:TransactionManager.is_in_transaction": (
        "29bec6ded8baf597a1194eb6286112012b472c52455b706d1c62751332454297",
        "eos.py GatedProducer.maybe_begin_transaction"),
    "aiokafka.producer.transaction_manager:TransactionManager.is_empty_transaction": (
        "124ac059b2a77809e64e360ce7a26b092e1191f5b5757a90b75480b87ecf2761",
        "eos.py GatedProducer.maybe_begin_transaction"),
    "aiokafka.producer.transaction_manager:TransactionManager.partitions_to_add": (
        "a591d8c59649c8b5aa92a9f0a562e62065c8bee4a324ae3e8cab00e48c5d5fa2",
        "eos.py GatedProducer.maybe_begin_transaction"),
    "faust.tables.recovery:Recovery._slurp_changelogs": (
        "2e29833a409e00037f4e8434b51c8c59bca728b189a95c140277ffd82f1752ec",
        "standby.py StandbyApplier.take (does what it does with a standby record)"),
    "faust.tables.recovery:Recovery._restart_recovery": (
        "597f90c1743b6bb3bf5aa5cb3d73d234c70f4956e149cc292074f4abcbe83e9a",
        "standby.py (seeks each standby partition before resuming it and flow control; "
        "records of a standby partition it has not resumed are dropped)"),
    "faust.transport.consumer:Consumer.pause_partitions": (
        "27a1c94bdacd54de06593ec4eb040b32e9e7c9534e9af041f6ed66723df5f922",
        "standby.py StandbyApplier.take (a paused standby partition: _paused_partitions)"),
    "faust.transport.consumer:Consumer.resume_partitions": (
        "afe6b7c02a41d63cd46d47a03f09b547c85289c108de21d682970057d1015c3b",
        "standby.py StandbyApplier.take (resumed by recovery after its seek)"),
    "faust.tables.recovery:Recovery.flush_buffers": (
        "6fa9c17f1071018c49cb6d411a34fb4a2c2ac4f41c3de650bbee15831abd6f1f",
        "standby.py (applies the buffers StandbyApplier fills)"),
    "faust.stores.rocksdb:Store.apply_changelog_batch": (
        "ea3344d369fc4ab5e3cdace30565691136035a463acb7b2551fdc0b8af71643b",
        "standby.py StandbyApplier.take (it reads only each event's message)"),
    "faust.tables.base:Collection.on_changelog_event": (
        "5a4fa48fd7c3fd102cf594a9113dfe78d7824de3117b1258d0d1dca6d66b0bf9",
        "standby.py StandbyApplier._handles (only tables where it does nothing)"),
    "aiokafka.consumer.consumer:AIOKafkaConsumer.end_offsets": (
        "f4b19078581881ba0194c1535dd39420ab7b5262d000460f83f5f1c8088750a5",
        "eos.py CommittedEndConsumerThread._highwaters (read_committed: the last stable offset)"),
}


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
    """'module:Qual.name' -> the object, as stored on its class (not bound)."""
    module_name, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split(".") if qualname else ():
        obj = inspect.getattr_static(obj, part) if isinstance(obj, type) else getattr(obj, part)
    return obj


def source(path: str) -> str:
    """The source of the upstream function at `path`; for one wrapped by a descriptor (a
    property, mode's cached_property or Service.task), its `def` in its class's source."""
    obj = resolve(path)
    obj = getattr(obj, "fget", None) or getattr(obj, "__func__", None) or obj
    try:
        return inspect.getsource(obj)
    except TypeError:
        owner_path, _, name = path.rpartition(".")
        owner_source = textwrap.dedent(inspect.getsource(resolve(owner_path)))
        for node in ast.walk(ast.parse(owner_source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                return ast.get_source_segment(owner_source, node) or ""
        raise


def fingerprint(path: str) -> str:
    """sha256 of the source of the upstream function at `path`."""
    return hashlib.sha256(source(path).encode()).hexdigest()


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


def main() -> int:
    """Print the fingerprints that changed, with their new digests (after re-reading them)."""
    for path in FINGERPRINTS:
        try:
            digest = fingerprint(path)
        except (AttributeError, ImportError, OSError, TypeError) as exc:
            print(f"{path}: gone ({type(exc).__name__}: {exc})")
            continue
        if digest != FINGERPRINTS[path][0]:
            print(f"{path}: {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
