"""The Faust worker: wiring of two thin agents, one per lane, around the decision core.

    sms.send-intents ──┐                                                       sms.approved
    sms.consent-events ┼─ bulk ──(hop)─► sendguard.recipient-events ─ bulk ─┐  sms.dropped
    sms.carrier-replies┘   └──────── decided at once when in the recipient's ┼► sms.consent-outcomes
    sms.priority-intents ─ priority ─(hop)─► sendguard.priority-events ─ ... ┘  sms.dead-letter
                            partition (one hop)

The `recipients-v2` table (changelog sendguard-recipients-v2-changelog) holds each recipient's
state in partition murmur2(E.164) % N (app/runtime/lanes.py), co-partitioned with the internal
topics. Neither holds a phone number (app/runtime/state.py).
The agents are in app/runtime/agents.py, the pages in app/runtime/web.py; everything that
touches Faust's
internals is in app/faust_ext/ (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import faust

from app.faust_ext.bounded_store import BoundedTable
from app.faust_ext.eos import discard_local_tables
from app.faust_ext.sensor import FaustSensor
from app.faust_ext.tables import copartitioned, estimated_keys
from app.faust_ext.transport import SeamApp
from app.rules import records
from app.rules.policy import Policy
from app.rules.records import PRIORITY_EVENTS, RECIPIENT_EVENTS
from app.rules.routing import CONSENT, INTENT, REPLY
from app.runtime import metrics
from app.runtime.agents import Gate, Publisher, Router, add_agents
from app.runtime.lanes import Paths
from app.runtime.logs import logging_config
from app.runtime.migration import LegacyStates
from app.runtime.settings import Settings
from app.runtime.state import TABLE_NAME, Recipients
from app.runtime.web import add_pages

log = logging.getLogger(__name__)

PRODUCER_BATCH_BYTES = 256 * 1024
MAX_POLL_RECORDS = 500
RAW: dict[str, Any] = {"key_serializer": "raw", "value_serializer": "raw"}

# Faust reads every setting from an environment variable of its own name (BROKER_URL,
# PROCESSING_GUARANTEE, WEB_PORT, TIMEZONE, ...) over the arguments below, so a variable meant
# for another program (Celery's BROKER_URL, a platform's WEB_PORT) would silently reconfigure
# the worker. With this prefix it reads only SENDGUARD_FAUST_<NAME>, set on purpose (e.g.
# SENDGUARD_FAUST_PRODUCER_LINGER=0.005 to try a setting). Faust's own APP_ENV_PREFIX still
# replaces the prefix.
FAUST_ENV_PREFIX = "SENDGUARD_FAUST_"


def faust_broker_url(bootstrap: str) -> str:
    """'h1:9092,h2:9092' -> 'kafka://h1:9092;kafka://h2:9092' (Faust's list form)."""
    return ";".join(f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip())


def create_app(settings: Settings, policy: Policy, legacy: LegacyStates | None = None
               ) -> faust.App:
    """Build the Faust app; nothing connects until a faust.Worker starts it. `legacy`: the
    state of the release before one hop, while it is being moved (migration.py)."""
    sealer = settings.sealer()
    if not settings.state_secret:
        log.warning("SENDGUARD_STATE_SECRET is not set: state is keyed and sealed with the "
                    "public development secret (refused with SENDGUARD_ENV=production)")
    faust_app = new_faust_app(settings)
    names = {topic_id: spec.name for topic_id, spec in settings.topics.items()}
    kinds = {names["send_intents"]: INTENT, names["consent_events"]: CONSENT,
             names["carrier_replies"]: REPLY, names["priority_intents"]: INTENT}
    internal = {names[RECIPIENT_EVENTS], names[PRIORITY_EVENTS]}
    partitions = settings.recipient_partitions
    # One Faust topic per lane: the lane's inputs, and its internal topic.
    bulk = faust_app.topic(names["send_intents"], names["consent_events"],
                           names["carrier_replies"], names[RECIPIENT_EVENTS], **RAW)
    priority = faust_app.topic(names["priority_intents"], names[PRIORITY_EVENTS], **RAW)
    faust_app.priority_topics = frozenset({names["priority_intents"], names[PRIORITY_EVENTS]})
    recipient_events = faust_app.topic(names[RECIPIENT_EVENTS], partitions=partitions, **RAW)
    table = faust_app.Table(
        TABLE_NAME, default=None, partitions=partitions,
        key_type=bytes, value_type=bytes,  # raw: the core's state is orjson-encoded here
        extra_topic_configs={"max.message.bytes": str(records.MAX_RECORD_BYTES)},
        state_memory=settings.state_memory(),  # BoundedTable: RocksDB within the budget
    )
    recipients = Recipients(table, sealer, policy, settings.sweep_lag_s, legacy)
    paths = Paths(partitions, frozenset({names["priority_intents"]}),
                  lambda topic: copartitioned(faust_app, topic, names[RECIPIENT_EVENTS]))
    gate = Gate(Router(kinds, policy), recipients, Publisher(sealer, names, paths), paths,
                frozenset(internal))
    add_agents(faust_app, settings.batch_max_events, bulk, priority, recipient_events, gate)

    @faust_app.task
    async def check_at_start() -> None:
        check_transactions(faust_app, settings)
        faust_app.check_started()

    # Faust's own sensor (offsets, events, sends, rebalances), served with SendGuard's
    # metrics at /metrics.
    faust_app.monitor = FaustSensor(metrics.faust_sensor_registry())
    metrics.configure(policy, names, lambda: estimated_keys(table))
    add_pages(faust_app, settings, policy, recipients)
    return faust_app


def new_faust_app(settings: Settings) -> SeamApp:
    """The Faust app with SendGuard's settings, on the seam's transport (app/faust_ext/)."""
    return SeamApp(
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
        Table=BoundedTable,  # its RocksDB partitions share SENDGUARD_STATE_MEMORY_MIB
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
        # A fetch is handed over whole; bounded, the priority lane's records (fetched first,
        # app/faust_ext/consumer.py) wait for at most this many bulk records.
        broker_max_poll_records=MAX_POLL_RECORDS,
    )


def check_transactions(faust_app: faust.App, settings: Settings) -> None:
    """Faust runs transactions only in a faust.Worker and says nothing otherwise: refuse."""
    if settings.processing_guarantee == "exactly_once" and not faust_app.in_transaction:
        raise RuntimeError("exactly_once is configured but the app is not running in a "
                           "faust.Worker, so Faust would run at-least-once: refusing")


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
    from app.runtime.admin import ensure_topics
    from app.runtime.first_start import apply_first_start
    from app.runtime.migration import load_legacy

    prepare_data_dir(settings.data_dir)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(ensure_topics(settings))
    loop.run_until_complete(apply_first_start(settings))
    legacy = loop.run_until_complete(load_legacy(settings))
    faust_app = create_app(settings, policy, legacy)
    if settings.processing_guarantee == "exactly_once":
        discard_local_tables(Path(faust_app.conf.tabledir))
    worker = faust.Worker(faust_app, loglevel=settings.log_level.upper(), loop=loop,
                          logging_config=logging_config(settings.log_level))
    worker.execute_from_commandline()
