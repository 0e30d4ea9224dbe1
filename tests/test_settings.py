"""Every setting is checked at start: a bad value stops the command with one line that names
the variable and what it allows, never a traceback, and never a secret's value."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.runtime import environment
from app.runtime.settings import Settings
from app.runtime.worker import prepare_data_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("name", "value", "allows"), [
    ("SENDGUARD_LOG_LEVEL", "verbose", "one of critical, error, warning, info, debug"),
    ("SENDGUARD_STANDBY_REPLICAS", "-3", "an integer, 0 (none) or more"),
    ("SENDGUARD_REPLICATION_FACTOR", "0", "an integer from 1"),
    ("SENDGUARD_BATCH_MAX_EVENTS", "0", "an integer from 1 to 1000000"),
    ("SENDGUARD_BATCH_MAX_EVENTS", "lots", "an integer from 1 to 1000000"),
    ("SENDGUARD_WEB_PORT", "70000", "a TCP port, 1-65535"),
    ("SENDGUARD_PROCESSING_GUARANTEE", "exactly-once", "one of at_least_once, exactly_once"),
    ("SENDGUARD_STORE", "redis://", "one of rocksdb://, memory://"),
    ("SENDGUARD_ENV", "prod", "one of development, production"),
    ("SENDGUARD_SWEEP_LAG_S", "-1", "whole seconds, 0 or more"),
    ("SENDGUARD_COMMIT_INTERVAL_S", "soon", "seconds, more than 0 and less than 3600"),
    ("SENDGUARD_BROKER_WAIT_S", "0", "seconds, more than 0 and at most 3600"),
    ("SENDGUARD_STATE_MEMORY_MIB", "4", "MiB, an integer from 8"),
    ("SENDGUARD_APP_ID", "send guard", "letters, digits"),
    ("SENDGUARD_DATA_DIR", "", "a directory path"),
    ("KAFKA_BOOTSTRAP_SERVERS", "localhost", "host:port"),
    ("KAFKA_BOOTSTRAP_SERVERS", "a:9092,b:port", "host:port"),
    ("SENDGUARD_TOPIC_APPROVED", "sms approved", "a Kafka topic name"),
])
def test_a_bad_value_is_one_line_naming_the_variable(name: str, value: str, allows: str
                                                      ) -> None:
    with pytest.raises(SystemExit) as stop:
        Settings.from_env({name: value})
    message = str(stop.value)
    assert "\n" not in message
    assert message.startswith(f"{name}=") and allows in message


def test_each_bad_variable_has_its_line() -> None:
    with pytest.raises(SystemExit) as stop:
        Settings.from_env({"SENDGUARD_STANDBY_REPLICAS": "-3", "SENDGUARD_LOG_LEVEL": "loud"})
    lines = str(stop.value).splitlines()
    assert sorted(line.split("=")[0] for line in lines) == ["SENDGUARD_LOG_LEVEL",
                                                            "SENDGUARD_STANDBY_REPLICAS"]


def test_a_command_line_option_is_named_as_such() -> None:
    with pytest.raises(SystemExit, match=r"^--web-port=0: expected a TCP port"):
        Settings.from_env({}, web_port=0)
    with pytest.raises(SystemExit, match=r"^--bootstrap=nohost: expected host:port"):
        Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": "a:1"}, bootstrap="nohost")


def test_good_values_are_read_as_before() -> None:
    settings = Settings.from_env({
        "SENDGUARD_LOG_LEVEL": "DEBUG", "SENDGUARD_STANDBY_REPLICAS": "0",
        "SENDGUARD_REPLICATION_FACTOR": "3", "SENDGUARD_BATCH_MAX_EVENTS": "1",
        "KAFKA_BOOTSTRAP_SERVERS": "k1:9092, k2:9093", "SENDGUARD_BROKER_WAIT_S": "2.5",
        "SENDGUARD_STORE": "memory://", "SENDGUARD_WEB_PORT": "8080"}, data_dir="/tmp/x")
    assert (settings.log_level, settings.standby_replicas, settings.replication_factor,
            settings.batch_max_events, settings.bootstrap, settings.broker_wait_s,
            settings.store, settings.web_port, settings.data_dir) == \
        ("debug", 0, 3, 1, "k1:9092,k2:9093", 2.5, "memory://", 8080, "/tmp/x")
    assert Settings.from_env({}) == Settings()  # the defaults are the dataclass's


def test_every_checked_variable_is_a_setting() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    for name, info in environment.Environment.model_fields.items():
        assert fields[name] == info.default, name
        assert info.description, f"{info.alias}: say what it allows"
    assert set(environment.NAMES.values()) >= {
        "KAFKA_BOOTSTRAP_SERVERS", "SENDGUARD_LOG_LEVEL", "SENDGUARD_BROKER_WAIT_S"}


def test_secrets_are_never_repeated() -> None:
    secret = "short-secret"
    with pytest.raises(SystemExit) as stop:
        Settings.from_env({"SENDGUARD_STATE_SECRET": secret})
    assert secret not in str(stop.value) and "SENDGUARD_STATE_SECRET" in str(stop.value)
    assert "SENDGUARD_API_TOKEN" in environment.SECRETS


@pytest.mark.parametrize("command", [
    ["create-topics"], ["worker", "--policy", str(ROOT / "policy.example.toml")]])
def test_the_command_prints_one_line_and_no_traceback(command: list[str], tmp_path: Path
                                                       ) -> None:
    env = {**os.environ, "SENDGUARD_LOG_LEVEL": "verbose", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "app.tools.cli", *command], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "SENDGUARD_LOG_LEVEL=verbose: expected one of critical, error, warning, info, debug"]


def test_the_data_directory_is_made_with_its_parents(tmp_path: Path) -> None:
    made = prepare_data_dir(str(tmp_path / "var" / "lib" / "sendguard"))
    assert made.is_dir()
    assert prepare_data_dir(str(made)) == made  # already there: fine


def test_an_unusable_data_directory_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SystemExit) as stop:
        prepare_data_dir(str(blocker / "state"))
    assert str(stop.value) == (f"data directory {blocker / 'state'} (SENDGUARD_DATA_DIR, "
                               f"--data-dir): cannot create it: Not a directory")
