"""Runtime settings: environment variables, overridden by command-line options.

Everything an operator sets per deployment lives here (the broker, topic names, the processing
guarantee, ports); everything compliance staff set lives in the policy file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

TOPICS_FILE = Path(__file__).resolve().parent.parent / "topics" / "topics.toml"
GUARANTEES = ("at_least_once", "exactly_once")


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
        specs[topic_id] = TopicSpec(
            id=topic_id,
            name=env.get(spec["env"], spec["name"]),
            env=spec["env"],
            role=spec["role"],
            partitions=int(spec["partitions"]),
            config={k: str(v) for k, v in spec.get("config", {}).items()},
        )
    return specs


def _env_int(env: dict[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {env[name]!r}") from exc


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
    api_token: str = ""
    recipient_partitions: int = 8
    topics: dict[str, TopicSpec] = field(default_factory=load_topic_specs)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = dict(os.environ if env is None else env)
        topics = load_topic_specs(env)
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
            replication_factor=_env_int(env, "SENDGUARD_REPLICATION_FACTOR",
                                        cls.replication_factor),
            standby_replicas=_env_int(env, "SENDGUARD_STANDBY_REPLICAS", cls.standby_replicas),
            recipient_partitions=topics["recipient_events"].partitions,
            topics=topics,
        )
        settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
        if settings.processing_guarantee not in GUARANTEES:
            raise SystemExit(
                f"processing guarantee must be one of {', '.join(GUARANTEES)}, "
                f"got {settings.processing_guarantee!r}"
            )
        return settings

    def topic(self, topic_id: str) -> str:
        return self.topics[topic_id].name
