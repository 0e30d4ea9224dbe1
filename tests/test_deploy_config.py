"""The full-stack files are valid without a Docker engine: docker-compose.yml against the
Compose specification's JSON Schema, the Dockerfile through a linter, and every file the
stack mounts exists."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".venv" / "tools"  # filled by `make test` (see Makefile: tools)


def compose_schema() -> dict:
    """The Compose specification schema, as shipped in the docker-compose wheel."""
    wheels = sorted(TOOLS.glob("docker_compose-*.whl"))
    if not wheels:
        pytest.fail("the Compose schema is fetched by `make tools` (pip download docker-compose)")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        return json.loads(wheel.read("compose/config/compose_spec.json"))


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_file_matches_the_compose_specification() -> None:
    validator = Draft7Validator(compose_schema())
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_check_can_fail() -> None:
    broken = compose()
    broken["services"]["worker"]["depends_on"] = {"create-topics": {"condition": "whenever"}}
    broken["services"]["kafka"]["portz"] = ["9092"]
    assert list(Draft7Validator(compose_schema()).iter_errors(broken))


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


def dockerfilelint() -> str:
    found = TOOLS / "node_modules" / ".bin" / "dockerfilelint"
    if not found.exists():
        pytest.fail("dockerfilelint is installed by `make tools` (npm, into .venv/tools)")
    return str(found)


def test_dockerfile_passes_the_linter() -> None:
    result = subprocess.run([dockerfilelint(), str(ROOT / "deploy" / "Dockerfile")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    assert subprocess.run([dockerfilelint(), str(bad)], capture_output=True).returncode != 0


def test_dockerfile_builds_what_the_stack_runs() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "USER sendguard" in dockerfile  # not root
    for copied in ("app", "topics", "pyproject.toml", "policy.example.toml"):
        assert copied in dockerfile
    assert shutil.which("python3")
