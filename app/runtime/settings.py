"""Runtime settings: environment variables, overridden by command-line options.

Everything an operator sets per deployment lives here (the broker, topic names, the processing
guarantee, ports); everything compliance staff set lives in the policy file.
"""

from __future__ import annotations

import hmac
import os
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app import contracts
from app.faust_ext.memory_budget import StateMemory, state_memory
from app.runtime import environment
from app.runtime.environment import KAFKA_NAME, SettingsError
from app.runtime.kafka_security import KafkaSecurity, KafkaSecurityError
from app.runtime.privacy import DEVELOPMENT_SECRET, MIN_SECRET_BYTES, StateSealer

DAY_MS = 86_400_000
# Command-line options that override a variable, named in an error about their value.
FLAGS = {"bootstrap": "--bootstrap", "processing_guarantee": "--processing-guarantee",
         "web_port": "--web-port", "data_dir": "--data-dir"}


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic from topics/topics.toml, its name resolved against the environment."""

    id: str
    name: str
    env: str
    role: str
    partitions: int
    config: dict[str, str]


def load_topic_specs(environ: Mapping[str, str] | None = None) -> dict[str, TopicSpec]:
    """Topic specs by logical id; SENDGUARD_TOPIC_* env vars rename topics."""
    env = os.environ if environ is None else environ
    data = tomllib.loads(contracts.topics_toml())
    specs = {}
    for topic_id, spec in data["topics"].items():
        name = env.get(spec["env"], spec["name"])
        if not KAFKA_NAME.fullmatch(name):
            raise SystemExit(f"{spec['env']}={shlex.quote(name)}: expected a Kafka topic name, "
                             f"1-200 letters, digits, '.', '_' or '-'")
        config = {k: str(v) for k, v in spec.get("config", {}).items()}
        retention_env = f"{spec['env']}_RETENTION_MS"
        if retention_env in env:
            config["retention.ms"] = env[retention_env]
        _check_retention(retention_env, config.get("retention.ms"),
                         int(spec.get("min_retention_days", 0)))
        specs[topic_id] = TopicSpec(
            id=topic_id,
            name=name,
            env=spec["env"],
            role=spec["role"],
            partitions=int(spec["partitions"]),
            config=config,
        )
    return specs


def _check_retention(name: str, retention_ms: str | None, min_days: int) -> None:
    """Send records and consent history must be kept at least `min_days` (topics.toml)."""
    if retention_ms is None:
        return
    try:
        value = int(retention_ms)
    except ValueError as exc:
        raise SystemExit(f"{name} must be milliseconds (an integer), got {retention_ms!r}") \
            from exc
    if value != -1 and value < min_days * DAY_MS:
        raise SystemExit(f"{name}={value} keeps records under the {min_days} days that "
                         f"topics/topics.toml requires for this topic (-1 keeps them forever)")


def _secret(env: dict[str, str]) -> str:
    """SENDGUARD_STATE_SECRET, or the first line of the file SENDGUARD_STATE_SECRET_FILE names."""
    path = env.get("SENDGUARD_STATE_SECRET_FILE")
    if path and not env.get("SENDGUARD_STATE_SECRET"):
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SystemExit(f"SENDGUARD_STATE_SECRET_FILE: {exc}") from exc
    return env.get("SENDGUARD_STATE_SECRET", "")


@dataclass(frozen=True)
class Settings:
    """Deployment settings; see README "Configuration" for every variable."""

    bootstrap: str = "127.0.0.1:9092"
    app_id: str = "sendguard"
    processing_guarantee: str = "exactly_once"
    store: str = "rocksdb://"
    data_dir: str = "var/sendguard"
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    log_level: str = "info"
    replication_factor: int = 1
    standby_replicas: int = 1
    # Exactly-once makes a decision visible when its transaction commits, twice (two hops).
    # At 2,000 intents/s, 0.1 s gave p50 340-422 ms against 433-534 ms for 0.2 s (three
    # interleaved pairs, same throughput); Faust's 2.8 s default gave seconds. Commits run
    # while batches are decided (app/faust_ext/eos.py), so a short interval no longer stalls
    # the agents.
    commit_interval_s: float = 0.1
    # Events an agent takes at once (app/faust_ext/batches.py): only what was already
    # delivered, so a batch never waits to fill; the bound caps the work done between two
    # commits.
    batch_max_events: int = 1000
    api_token: str = ""
    environment: str = "development"
    state_secret: str = ""
    sweep_lag_s: int = 3600
    broker_wait_s: float = 30.0  # how long create-topics and the worker wait for a broker
    recipient_partitions: int = 8
    first_start: str = "earliest"  # where a new consumer group reads send intents from
    # RocksDB's memory for the recipients table, all its partitions on this worker together
    # (app/faust_ext/state_memory.py); state itself is on disk.
    state_memory_mib: int = 512
    topics: dict[str, TopicSpec] = field(default_factory=load_topic_specs)
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)  # TLS / SASL

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the environment, command-line `overrides` (by field name) over it.

        Every value is checked here: a bad one stops the command (SystemExit) with one line
        per variable that names it and says what it allows.
        """
        env = dict(os.environ if env is None else env)
        others = {k: v for k, v in overrides.items() if k not in environment.NAMES}
        try:
            checked = environment.read(
                env, {k: v for k, v in overrides.items() if k not in others}, FLAGS)
        except SettingsError as exc:
            raise SystemExit(str(exc)) from None
        topics = load_topic_specs(env)
        try:
            kafka_security = KafkaSecurity.from_env(env)
        except KafkaSecurityError as exc:
            raise SystemExit(f"Kafka security settings: {exc}") from None
        settings = cls(
            **checked.model_dump(),
            state_secret=_secret(env),
            recipient_partitions=topics["recipient_events"].partitions,
            topics=topics,
            kafka_security=kafka_security,
        )
        settings = replace(settings, **{k: v for k, v in others.items() if v is not None})
        if settings.environment == "production" and not settings.state_secret:
            raise SystemExit("SENDGUARD_STATE_SECRET (or SENDGUARD_STATE_SECRET_FILE) is "
                             "required in production: it keys the hashes that replace phone "
                             "numbers in state and encrypts stored values")
        if settings.state_secret and len(settings.state_secret.encode()) < MIN_SECRET_BYTES:
            raise SystemExit(f"SENDGUARD_STATE_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        try:
            settings.state_memory()
        except ValueError as exc:
            raise SystemExit(f"SENDGUARD_STATE_MEMORY_MIB={settings.state_memory_mib}: {exc} "
                             f"of the recipients table") from None
        return settings

    def state_memory(self) -> StateMemory:
        """RocksDB options for the recipients table within SENDGUARD_STATE_MEMORY_MIB."""
        return state_memory(self.state_memory_mib, self.recipient_partitions)

    def sealer(self) -> StateSealer:
        """Keyed hashing and encryption of state; the development secret when none is set."""
        return StateSealer(self.state_secret or DEVELOPMENT_SECRET)

    def topic(self, topic_id: str) -> str:
        return self.topics[topic_id].name

    def accepts_bearer(self, authorization: str) -> bool:
        """Whether an Authorization header carries the API token; never when none is set.

        Compared in constant time (a plain != leaks how long a prefix matched), on bytes so a
        header with non-ASCII characters is a plain no rather than an exception.
        """
        if not self.api_token:
            return False
        return hmac.compare_digest(authorization.encode("utf-8", "surrogateescape"),
                                   f"Bearer {self.api_token}".encode("utf-8", "surrogateescape"))
