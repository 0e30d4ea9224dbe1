"""The Faust worker: two thin agents around the decision core.

    sms.send-intents ─┐
    sms.consent-events ┼─ repartition ─► sendguard.recipient-events ─ decide ─► sms.approved
    sms.carrier-replies┘   (route)          (keyed by recipient)      (core)   sms.dropped
                                                                               sms.dead-letter
The `recipients` table (changelog sendguard-recipients-changelog) holds each recipient's state,
co-partitioned with sendguard.recipient-events. Neither holds a phone number: keys are a keyed
hash of the recipient, values are sealed (app/privacy.py), here at the boundary, so the core
and replay work on plain data. Both agents catch per record: Faust acks and
skips an event whose agent raised, so an exception would otherwise lose an intent silently.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import faust
import orjson
from faust.exceptions import SameNode
from faust.sensors.prometheus import FaustMetrics
from faust.stores.base import SerializedStore
from faust.types import TP, EventT
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from app import batches, eos, metrics, records
from app.batches import BatchSender, event_batches, set_current_event, with_turns
from app.core import fail_closed, handle, next_release, prune, release_due
from app.explain import explain
from app.logs import logging_config
from app.phones import InvalidPhone, normalise_phone
from app.policy import Policy
from app.privacy import StateSealer
from app.records import APPROVED, DROPPED, OBSERVATION, RECIPIENT_EVENTS, Emit, Source, dead_letter
from app.routing import CONSENT, INTENT, REPLY, TICK, route
from app.settings import Settings

log = logging.getLogger(__name__)

TABLE_NAME = "recipients"
# Keys no phone can collide with: the per-partition index of held intents, and clock ticks.
HELD_INDEX_KEY = b"\x00held-index:"
TICK_KEY = b"\x00tick"
TICK_INTERVAL_S = 1.0
SWEEP_KEYS_PER_TICK = 100  # idle-state pruning: keys visited per partition per tick
DECISION_TOPICS = (APPROVED, DROPPED)
PRODUCER_BATCH_BYTES = 256 * 1024


def faust_broker_url(bootstrap: str) -> str:
    """'h1:9092,h2:9092' -> 'kafka://h1:9092;kafka://h2:9092' (Faust's list form)."""
    return ";".join(f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip())


# Faust reads every setting from an environment variable of its own name (BROKER_URL,
# PROCESSING_GUARANTEE, WEB_PORT, TIMEZONE, ...) over the arguments below, so a variable meant
# for another program (Celery's BROKER_URL, a platform's WEB_PORT) would silently reconfigure
# the worker. With this prefix it reads only SENDGUARD_FAUST_<NAME>, set on purpose (e.g.
# SENDGUARD_FAUST_PRODUCER_LINGER=0.005 to try a setting). Faust's own APP_ENV_PREFIX still
# replaces the prefix.
FAUST_ENV_PREFIX = "SENDGUARD_FAUST_"


def create_app(settings: Settings, policy: Policy) -> faust.App:
    """Build the Faust app; nothing connects until a faust.Worker starts it."""
    batches.install()
    if settings.processing_guarantee == "exactly_once":
        eos.install()
    metrics.meter_fetch_batches()
    sealer = settings.sealer()
    if not settings.state_secret:
        log.warning("SENDGUARD_STATE_SECRET is not set: state is keyed and sealed with the "
                    "public development secret (refused with SENDGUARD_ENV=production)")
    app = faust.App(
        settings.app_id,
        env_prefix=FAUST_ENV_PREFIX,
        broker=faust_broker_url(settings.bootstrap),
        store=settings.store,
        processing_guarantee=settings.processing_guarantee,
        topic_partitions=settings.recipient_partitions,
        topic_replication_factor=settings.replication_factor,
        # Standby workers keep a warm copy of the table, so a partition that moves after a
        # worker stops resumes without replaying its whole changelog.
        table_standby_replicas=settings.standby_replicas,
        broker_commit_interval=settings.commit_interval_s,
        datadir=settings.data_dir,
        web_host=settings.web_host,
        web_port=settings.web_port,
        consumer_auto_offset_reset="earliest",
        broker_credentials=settings.kafka_security.faust_credentials(),
        # Records up to the topics' limits (topics.toml): a dead letter of a 1 MB input is
        # 1.4 MB, so the aiokafka default (1 MB) would fail the send and crash the agent.
        producer_max_request_size=records.MAX_RECORD_BYTES,
        # Agents send a batch's records at once: 256 KiB producer batches instead of the 16 KiB
        # default cut produce requests (measured +25-50% records/s, docs/performance.md).
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
    )
    eos.keep_queues_on_repeated_resume(app)
    raw: dict[str, Any] = {"key_serializer": "raw", "value_serializer": "raw"}
    names = {topic_id: spec.name for topic_id, spec in settings.topics.items()}
    kinds = {names["send_intents"]: INTENT, names["consent_events"]: CONSENT,
             names["carrier_replies"]: REPLY}
    inputs = app.topic(*kinds, **raw)
    recipient_events = app.topic(
        names[RECIPIENT_EVENTS], partitions=settings.recipient_partitions, **raw
    )
    recipients = app.Table(
        TABLE_NAME, default=None, partitions=settings.recipient_partitions,
        key_type=bytes, value_type=bytes,  # raw: the core's state is orjson-encoded here
        extra_topic_configs={"max.message.bytes": str(records.MAX_RECORD_BYTES)},
    )

    def publish(sender: BatchSender, emit: Emit, timestamp_ms: int | None, source: TP) -> None:
        metrics.count_emit(emit)
        if emit.topic == OBSERVATION:
            return
        key = emit.key.encode() if emit.key is not None else None
        value = orjson.dumps(emit.value)
        if emit.topic == RECIPIENT_EVENTS:
            key = sealer.recipient_key(emit.key or "")
            value = sealer.seal(value, key)
        sender.add(names[emit.topic], key, value, timestamp_ms, source)

    def route_message(message: faust.types.Message) -> list[Emit]:
        source = _source(message)
        try:
            return [route(kinds[message.topic], source, message.key, message.value, policy)]
        except Exception as exc:
            log.exception("routing failed; dead-lettered (%s)", type(exc).__name__)
            return [dead_letter(source, "route", "internal_error", repr(exc), message.key,
                                message.value, policy.version)]

    def index_held(states: StateCache, partition: int, changes: dict[str, int | None]) -> None:
        """Per partition, which recipients hold deferred intents and when the next is due."""
        index_key = HELD_INDEX_KEY + str(partition).encode()
        index = states.load(index_key)
        for recipient, due in changes.items():
            if due is None:
                index.pop(recipient, None)
            else:
                index[recipient] = due
        states.save(index_key, index)

    def decide_message(message: faust.types.Message, states: StateCache) -> list[Emit]:
        key: bytes = message.key
        plain: bytes | None = None
        try:
            plain = sealer.open(message.value, key)
            envelope = orjson.loads(plain)
            if envelope["kind"] == TICK:
                emits = release_held(states, message.partition, envelope["ts"])
                sweep(states, message.partition, envelope["ts"])
                return emits
            latest_ms[message.partition] = max(latest_ms.get(message.partition, 0),
                                               envelope["ts"])
            state = states.load(key)
            held_before = next_release(state)
            emits = handle(envelope, state, policy)
            states.save(key, state)
            if next_release(state) != held_before:
                index_held(states, message.partition, {key.decode(): next_release(state)})
            return emits
        except Exception as exc:
            log.exception("deciding failed; dead-lettered (%s)", type(exc).__name__)
            return fail_closed(_source(message), key, plain or message.value, exc, policy)

    latest_ms: dict[int, int] = {}  # per partition: the latest record time decided here
    sweep_from: dict[int, bytes | None] = {}  # per partition: where the next sweep starts

    def sweep(states: StateCache, partition: int, wall_ms: int) -> None:
        """Prune a few recipients' state per tick, so an idle recipient's state disappears.

        Pruning is otherwise done on a recipient's next event. "Now" is the latest record time
        decided on this partition (never ahead of the clock), less settings.sweep_lag_s for
        records that arrive out of order, so the sweep never prunes what a decision could
        still read. RocksDB stores only: the memory store has no per-partition order.
        """
        db = _partition_db(recipients, partition)
        if db is None or partition not in latest_ms:
            return
        now_ms = min(wall_ms, latest_ms[partition]) - settings.sweep_lag_s * 1000
        cursor, keys = db.iter(), []
        start = sweep_from.get(partition)
        cursor.seek(start) if start is not None else cursor.seek_to_first()
        while cursor.valid() and len(keys) < SWEEP_KEYS_PER_TICK:
            keys.append(cursor.key())
            cursor.next()
        sweep_from[partition] = cursor.key() if cursor.valid() else None
        del cursor
        for key in keys:
            # Not the held index, nor Faust's own keys (the changelog offset it persists in
            # the same database, b"__faust\0offset__").
            if not sealer.is_recipient_key(key):
                continue
            state = states.load(key)
            prune(state, now_ms, policy)
            states.save(key, state)

    def release_held(states: StateCache, partition: int, now_ms: int) -> list[Emit]:
        index = states.load(HELD_INDEX_KEY + str(partition).encode())
        emits: list[Emit] = []
        changes: dict[str, int | None] = {}
        for recipient, due in sorted(index.items(), key=lambda item: item[1]):
            if due > now_ms:
                break
            key = recipient.encode()
            state = states.load(key)
            emits += release_due(state, now_ms, policy)
            states.save(key, state)
            changes[recipient] = next_release(state)
        if changes:
            index_held(states, partition, changes)
        return emits

    @app.task
    async def refuse_silent_at_least_once() -> None:
        check_transactions(app, settings)

    @app.agent(inputs, name="repartition")
    async def repartition(stream: faust.StreamT) -> None:
        """Parse each input record and re-key it by recipient (or dead-letter it)."""
        sender = BatchSender(app)
        async for events in event_batches(stream, settings.batch_max_events, "repartition"):
            async with eos.processing_batch(app, events) as wanted, sender.batch():
                async for event in with_turns(wanted):
                    for emit in route_message(event.message):
                        timestamp_ms = emit.value["ts"] if emit.topic == RECIPIENT_EVENTS else None
                        publish(sender, emit, timestamp_ms, event.message.tp)

    @app.agent(recipient_events, name="decide")
    async def decide(stream: faust.StreamT) -> None:
        """Decide each recipient event against the recipient's state; each state is written
        back once per batch (one changelog record per recipient, not per event)."""
        sender = BatchSender(app)
        async for events in event_batches(stream, settings.batch_max_events, "decide"):
            async with eos.processing_batch(app, events) as wanted, sender.batch():
                states = StateCache(recipients, sealer)
                decided: list[tuple[Emit, int, TP]] = []
                async for event in with_turns(wanted):
                    set_current_event(event)
                    states.event = event
                    # Records keep the input's time, so derived consent events fed back
                    # through sms.consent-events are decided at the time replay gives them.
                    timestamp_ms = round(event.message.timestamp * 1000)
                    decided += [(emit, timestamp_ms, event.message.tp)
                                for emit in decide_message(event.message, states)]
                states.write_back(sender)
                now = time.time()
                for emit, timestamp_ms, source in decided:
                    publish(sender, emit, timestamp_ms, source)
                    if emit.topic in DECISION_TOPICS:
                        metrics.DECISION_LATENCY.observe(max(0.0, now - timestamp_ms / 1000))

    @app.timer(interval=TICK_INTERVAL_S)
    async def tick() -> None:
        """Wake each of this worker's partitions: held intents are released on time (also
        those held before the policy stopped deferring) and idle state is swept.

        Ticks bypass the transactions (Faust's plain producer): sent in the transaction of the
        partition they wake, they would be invisible to it until it commits, which on an idle
        partition needs a consumed record, the tick itself: the transaction times out and the
        worker is fenced. A tick is a signal, lost or repeated harmlessly.
        """
        value = sealer.seal(orjson.dumps({"kind": TICK, "ts": int(time.time() * 1000)}),
                            TICK_KEY)
        topic = recipient_events.get_topic_name()
        for tp in app.assignor.assigned_actives():
            if tp.topic == topic:
                await app.producer.send(topic, TICK_KEY, value, tp.partition, None, None)

    # Faust's own sensor (offsets, events, sends, rebalances), served with SendGuard's
    # metrics at /metrics.
    app.monitor = metrics.FaustSensor(
        metrics=FaustMetrics.create(metrics.faust_sensor_registry(), "faust"))
    metrics.configure(policy, names, lambda: _estimated_keys(recipients))

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset in content_type=, so the full header goes in headers=.
        metrics.flush()
        return web.bytes(generate_latest(REGISTRY),
                         headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        """Liveness: the process serves requests."""
        return web.json({"status": "ok", "policy_version": policy.version})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        """Readiness: partitions assigned and table state recovered."""
        ready = app.tables.recovery.completed.is_set() and not app.rebalancing
        return web.json({"ready": ready, "policy_version": policy.version},
                        status=200 if ready else 503)

    @app.page("/recipients/{phone}")
    async def recipient(web: Any, request: Any, phone: str) -> Any:
        """Compliance staff's "why?": consent, cap usage and recent decisions of one number."""
        if not settings.accepts_bearer(request.headers.get("Authorization", "")):
            return web.json({"error": "a valid bearer token is required"}, status=401)
        try:
            e164 = normalise_phone(unquote(phone), policy.default_region)
        except InvalidPhone as exc:
            return web.json({"error": f"invalid phone: {exc}"}, status=400)
        key = sealer.recipient_key(e164)
        try:
            return await app.router.route_req(TABLE_NAME, key, web, request)
        except SameNode:
            state = StateCache(recipients, sealer).load(key)
            return web.json(explain(e164, state, policy, int(time.time() * 1000)))

    app.sendguard_agents = (repartition, decide)  # type: ignore[attr-defined]
    return app


class StateCache:
    """The recipient states one batch reads and writes: each key is read from the table once,
    decoded per event (so an event that fails leaves no half-done change), and written back
    once, sealed, at the end of the batch, in the changelog partition of the event that last
    changed it."""

    def __init__(self, table: Any, sealer: StateSealer) -> None:
        self._table = table
        self._sealer = sealer
        store = table.data
        if isinstance(store, SerializedStore):
            # RocksDB, raw keys and values: one read of the event's partition, where Table.get
            # checks existence, reads again and runs the (identity) codec: ~4% of the CPU.
            self._get, self._set, self._del = store._get, store._set, store._del
        else:
            self._get, self._set = table.get, store.__setitem__
            self._del = lambda key: store.pop(key, None)
        self._stored: dict[bytes, bytes | None] = {}  # plaintext as read from the table
        self._current: dict[bytes, bytes | None] = {}  # plaintext after this batch's events
        self._writers: dict[bytes, EventT] = {}
        self.event: EventT | None = None  # the event being decided (set by the agent)

    def load(self, key: bytes) -> dict[str, Any]:
        if key in self._current:
            plain = self._current[key]
        else:
            sealed = self._get(key)
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
                self._del(key)
            else:
                self._set(key, value)
            sender.add_changelog(self._table, key, value, event.message.tp)
        self._stored.clear()
        self._current.clear()
        self._writers.clear()


def check_transactions(app: faust.App, settings: Settings) -> None:
    """Faust runs transactions only in a faust.Worker and says nothing otherwise: refuse."""
    if settings.processing_guarantee == "exactly_once" and not app.in_transaction:
        raise RuntimeError("exactly_once is configured but the app is not running in a "
                           "faust.Worker, so Faust would run at-least-once: refusing")


def _partition_db(table: Any, partition: int) -> Any:
    """The RocksDB (rocksdict) database of one table partition, or None for other stores."""
    open_db = getattr(table.data, "_db_for_partition", None)
    return open_db(partition) if open_db is not None else None


def _estimated_keys(table: Any) -> float:
    """Keys in this worker's local store (RocksDB's estimate; exact for memory)."""
    store = table.data
    dbs = getattr(store, "_dbs", None)
    if dbs is None:
        return float(len(store))
    total = 0
    for db in list(dbs.values()):
        try:
            total += int(db.property_int_value("rocksdb.estimate-num-keys") or 0)
        except Exception:  # a closing store during a rebalance; the gauge is an estimate
            continue
    return float(total)


def _source(message: faust.types.Message) -> Source:
    return Source(message.topic, message.partition, message.offset,
                  round(message.timestamp * 1000))


def prepare_data_dir(path: str) -> Path:
    """Create the state directory with its parents (Faust creates only the last level), or
    stop with one line saying why it cannot be used."""
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SystemExit(f"data directory {path} (SENDGUARD_DATA_DIR, --data-dir): cannot "
                         f"create it: {exc.strerror or exc}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise SystemExit(f"data directory {path} (SENDGUARD_DATA_DIR, --data-dir): not "
                         f"writable by this user (uid {os.getuid()})")
    return directory


def run_worker(settings: Settings, policy: Policy) -> None:
    """Create topics, then run the worker until it is stopped (SIGINT/SIGTERM)."""
    from app.admin import ensure_topics
    from app.first_start import apply_first_start

    prepare_data_dir(settings.data_dir)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(ensure_topics(settings))
    loop.run_until_complete(apply_first_start(settings))
    app = create_app(settings, policy)
    if settings.processing_guarantee == "exactly_once":
        eos.discard_local_tables(Path(app.conf.tabledir))
    worker = faust.Worker(app, loglevel=settings.log_level.upper(), loop=loop,
                          logging_config=logging_config(settings.log_level))
    worker.execute_from_commandline()
