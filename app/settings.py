"""Runtime settings: environment variables, overridden by command-line options.

Everything an operator sets per deployment lives here (the broker, topic names, the processing
guarantee, ports); everything compliance staff set lives in the policy file.
"""

from __future__ import annotations

import hmac
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.kafka_security import KafkaSecurity, KafkaSecurityError
from app.privacy import DEVELOPMENT_SECRET, MIN_SECRET_BYTES, StateSealer

TOPICS_FILE = Path(__file__).resolve().parent.parent / "topics" / "topics.toml"
GUARANTEES = ("at_least_once", "exactly_once")
ENVIRONMENTS = ("development", "production")
FIRST_STARTS = ("earliest", "latest")  # app/first_start.py
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic from topics/topics.toml, its name resolved against the environment."""

    id: str
    name: str
    env: str
    role: str
    partitions: int
    config: dict[str, str]


def load_topic_specs(env: dict[str, str] | None = None) -> dict[str, TopicSpec]:
    """Topic specs by logical id; SENDGUARD_TOPIC_* env vars rename topics."""
    env = os.environ if env is None else env
    data = tomllib.loads(TOPICS_FILE.read_text(encoding="utf-8"))
    specs = {}
    for topic_id, spec in data["topics"].items():
        config = {k: str(v) for k, v in spec.get("config", {}).items()}
        retention_env = f"{spec['env']}_RETENTION_MS"
        if retention_env in env:
            config["retention.ms"] = env[retention_env]
        _check_retention(retention_env, config.get("retention.ms"),
                         int(spec.get("min_retention_days", 0)))
        specs[topic_id] = TopicSpec(
            id=topic_id,
            name=env.get(spec["env"], spec["name"]),
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


def _env_int(env: dict[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {env[name]!r}") from exc


def _env_seconds(env: dict[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number of seconds, got {env[name]!r}") from exc
    if not 0 < value < 3600:
        raise SystemExit(f"{name} must be between 0 and 3600 seconds, got {value}")
    return value


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
    # while batches are decided (app/eos.py), so a short interval no longer stalls the agents.
    commit_interval_s: float = 0.1
    # Events an agent takes at once (app/batches.py): only what was already delivered, so a
    # batch never waits to fill; the bound caps the work done between two commits.
    batch_max_events: int = 1000
    api_token: str = ""
    environment: str = "development"
    state_secret: str = ""
    sweep_lag_s: int = 3600
    recipient_partitions: int = 8
    first_start: str = "earliest"  # where a new consumer group reads send intents from
    topics: dict[str, TopicSpec] = field(default_factory=load_topic_specs)
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)  # TLS / SASL

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = dict(os.environ if env is None else env)
        topics = load_topic_specs(env)
        try:
            kafka_security = KafkaSecurity.from_env(env)
        except KafkaSecurityError as exc:
            raise SystemExit(f"Kafka security settings: {exc}") from None
        settings = cls(
            bootstrap=env.get("KAFKA_BOOTSTRAP_SERVERS", cls.bootstrap),
            app_id=env.get("SENDGUARD_APP_ID", cls.app_id),
            processing_guarantee=env.get("SENDGUARD_PROCESSING_GUARANTEE",
                                         cls.processing_guarantee),
            store=env.get("SENDGUARD_STORE", cls.store),
            data_dir=env.get("SENDGUARD_DATA_DIR", cls.data_dir),
            web_host=env.get("SENDGUARD_WEB_HOST", cls.web_host),
            web_port=_env_int(env, "SENDGUARD_WEB_PORT", cls.web_port),
            log_level=env.get("SENDGUARD_LOG_LEVEL", cls.log_level),
            api_token=env.get("SENDGUARD_API_TOKEN", cls.api_token),
            environment=env.get("SENDGUARD_ENV", cls.environment),
            state_secret=_secret(env),
            sweep_lag_s=_env_int(env, "SENDGUARD_SWEEP_LAG_S", cls.sweep_lag_s),
            replication_factor=_env_int(env, "SENDGUARD_REPLICATION_FACTOR",
                                        cls.replication_factor),
            standby_replicas=_env_int(env, "SENDGUARD_STANDBY_REPLICAS", cls.standby_replicas),
            commit_interval_s=_env_seconds(env, "SENDGUARD_COMMIT_INTERVAL_S",
                                           cls.commit_interval_s),
            batch_max_events=_env_int(env, "SENDGUARD_BATCH_MAX_EVENTS", cls.batch_max_events),
            recipient_partitions=topics["recipient_events"].partitions,
            first_start=env.get("SENDGUARD_FIRST_START", cls.first_start),
            topics=topics,
            kafka_security=kafka_security,
        )
        settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
        if settings.processing_guarantee not in GUARANTEES:
            raise SystemExit(
                f"processing guarantee must be one of {', '.join(GUARANTEES)}, "
                f"got {settings.processing_guarantee!r}"
            )
        if settings.first_start not in FIRST_STARTS:
            raise SystemExit(f"SENDGUARD_FIRST_START must be one of {', '.join(FIRST_STARTS)}, "
                             f"got {settings.first_start!r}")
        if settings.environment not in ENVIRONMENTS:
            raise SystemExit(f"SENDGUARD_ENV must be one of {', '.join(ENVIRONMENTS)}, "
                             f"got {settings.environment!r}")
        if settings.environment == "production" and not settings.state_secret:
            raise SystemExit("SENDGUARD_STATE_SECRET (or SENDGUARD_STATE_SECRET_FILE) is "
                             "required in production: it keys the hashes that replace phone "
                             "numbers in state and encrypts stored values")
        if settings.state_secret and len(settings.state_secret.encode()) < MIN_SECRET_BYTES:
            raise SystemExit(f"SENDGUARD_STATE_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        return settings

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
