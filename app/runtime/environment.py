"""The deployment's environment variables, each checked once at start.

A bad value stops the command with one line per variable, naming it and saying what it
allows, before anything connects: a typo found at start is cheaper than one found as an
unrelated error minutes later. The Kafka security variables are checked in
app/runtime/kafka_security.py, topic names and retentions in app/runtime/settings.py.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

GUARANTEES = ("at_least_once", "exactly_once")
ENVIRONMENTS = ("development", "production")
FIRST_STARTS = ("earliest", "latest")  # app/runtime/first_start.py
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
STORES = ("rocksdb://", "memory://")
# Kafka's legal topic characters: the app id prefixes the group and the changelog topic.
KAFKA_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}")
# Values never repeated in an error line.
SECRETS = frozenset({"SENDGUARD_API_TOKEN", "SENDGUARD_STATE_SECRET"})


class SettingsError(ValueError):
    """One or more settings are invalid; str() has one line per variable."""


def _bootstrap(value: str) -> str:
    servers = [server.strip() for server in value.split(",")]
    for server in servers:
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(server)
    return ",".join(servers)


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _one_of(values: tuple[str, ...]) -> str:
    return f"one of {', '.join(values)}"


class Environment(BaseModel):
    """The variables, their defaults, and (as descriptions) what each allows."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    bootstrap: Annotated[str, AfterValidator(_bootstrap), Field(
        alias="KAFKA_BOOTSTRAP_SERVERS",
        description="host:port, or several separated by commas")] = "127.0.0.1:9092"
    app_id: Annotated[str, Field(
        alias="SENDGUARD_APP_ID", pattern=f"^{KAFKA_NAME.pattern}$",
        description="1-200 letters, digits, '.', '_' or '-' (it names the consumer group "
                    "and the changelog topic)")] = "sendguard"
    processing_guarantee: Annotated[Literal["at_least_once", "exactly_once"], Field(
        alias="SENDGUARD_PROCESSING_GUARANTEE",
        description=_one_of(GUARANTEES))] = "exactly_once"
    store: Annotated[Literal["rocksdb://", "memory://"], Field(
        alias="SENDGUARD_STORE", description=_one_of(STORES))] = "rocksdb://"
    data_dir: Annotated[str, Field(
        alias="SENDGUARD_DATA_DIR", min_length=1,
        description="a directory path (created with its parents at start)")] = "var/sendguard"
    web_host: Annotated[str, Field(
        alias="SENDGUARD_WEB_HOST", min_length=1,
        description="an address to listen on, e.g. 127.0.0.1 or 0.0.0.0")] = "127.0.0.1"
    web_port: Annotated[int, Field(
        alias="SENDGUARD_WEB_PORT", ge=1, le=65535,
        description="a TCP port, 1-65535")] = 6066
    log_level: Annotated[Literal["critical", "error", "warning", "info", "debug"],
                         BeforeValidator(_lower), Field(
        alias="SENDGUARD_LOG_LEVEL", description=_one_of(LOG_LEVELS))] = "info"
    api_token: Annotated[str, Field(
        alias="SENDGUARD_API_TOKEN", description="any text (empty: endpoint closed)")] = ""
    environment: Annotated[Literal["development", "production"], Field(
        alias="SENDGUARD_ENV", description=_one_of(ENVIRONMENTS))] = "development"
    sweep_lag_s: Annotated[int, Field(
        alias="SENDGUARD_SWEEP_LAG_S", ge=0,
        description="whole seconds, 0 or more")] = 3600
    replication_factor: Annotated[int, Field(
        alias="SENDGUARD_REPLICATION_FACTOR", ge=1, le=32767,
        description="an integer from 1 to the number of brokers")] = 1
    standby_replicas: Annotated[int, Field(
        alias="SENDGUARD_STANDBY_REPLICAS", ge=0, le=1000,
        description="an integer, 0 (none) or more")] = 1
    commit_interval_s: Annotated[float, Field(
        alias="SENDGUARD_COMMIT_INTERVAL_S", gt=0, lt=3600,
        description="seconds, more than 0 and less than 3600")] = 0.1
    batch_max_events: Annotated[int, Field(
        alias="SENDGUARD_BATCH_MAX_EVENTS", ge=1, le=1_000_000,
        description="an integer from 1 to 1000000")] = 1000
    broker_wait_s: Annotated[float, Field(
        alias="SENDGUARD_BROKER_WAIT_S", gt=0, le=3600,
        description="seconds, more than 0 and at most 3600")] = 30.0
    first_start: Annotated[Literal["earliest", "latest"], BeforeValidator(_lower), Field(
        alias="SENDGUARD_FIRST_START", description=_one_of(FIRST_STARTS))] = "earliest"
    state_memory_mib: Annotated[int, Field(
        alias="SENDGUARD_STATE_MEMORY_MIB", ge=8, le=1_048_576,
        description="MiB, an integer from 8 to 1048576 (at least 8 per recipients "
                    "partition)")] = 512


FIELDS = Environment.model_fields
NAMES = {name: info.alias or name for name, info in FIELDS.items()}


def read(env: Mapping[str, str], overrides: Mapping[str, Any] | None = None,
         flags: Mapping[str, str] | None = None) -> Environment:
    """Check the variables `env` holds (and command-line `overrides` of some, by field name;
    `flags` names the option each came from); raise SettingsError with every problem."""
    values: dict[str, Any] = {alias: env[alias] for alias in NAMES.values() if alias in env}
    given = {name: value for name, value in (overrides or {}).items() if value is not None}
    values.update({NAMES[name]: value for name, value in given.items()})
    try:
        return Environment.model_validate(values)
    except ValidationError as exc:
        by_alias = {alias: name for name, alias in NAMES.items()}
        lines = []
        for error in exc.errors():
            alias = str(error["loc"][0])
            name = by_alias[alias]
            label = (flags or {}).get(name, alias) if name in given else alias
            shown = "" if alias in SECRETS else f"={shlex.quote(str(error['input']))}"
            lines.append(f"{label}{shown}: expected {FIELDS[name].description}")
        raise SettingsError("\n".join(lines)) from None
