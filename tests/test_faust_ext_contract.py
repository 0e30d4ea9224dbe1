"""The seam's contract with faust-streaming, aiokafka and mode (app/faust_ext/contract.py):
an upgrade fails here, in seconds and without a broker, naming what to re-read.

- the installed versions are the ones pinned in pyproject.toml and locks/runtime.txt;
- no upstream function the seam copies, overrides or relies on changed (sha256 of its source);
- every private name the seam uses exists on the real objects, and a missing one stops the
  worker at start with UpstreamChanged naming it;
- the seam lists every private name it uses, and nothing outside it uses one.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.metadata
import re
import tomllib
from pathlib import Path
from typing import Any

import aiokafka
import faust
import pytest
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.transport.consumer import Fetcher
from faust.transport.drivers import aiokafka as aiokafka_driver
from prometheus_client import CollectorRegistry

from app.faust_ext import contract
from app.faust_ext.contract import UpstreamChanged
from app.faust_ext.transport import SeamApp

ROOT = Path(__file__).resolve().parents[1]
SEAM = ROOT / "app" / "faust_ext"
UPSTREAM_PRIVATE = {name for names in contract.PRIVATE_NAMES.values() for name in names
                    if name.startswith("_")}


def _pin(package: str) -> tuple[str, str]:
    """(pyproject.toml's exact pin, locks/runtime.txt's version) of `package`."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["dependencies"]
    [pin] = [d for d in dependencies if re.match(rf"{package}(\[[^\]]*\])?==", d)]
    lock = (ROOT / "locks" / "runtime.txt").read_text(encoding="utf-8")
    [locked] = re.findall(rf"^{package}==(\S+)", lock, flags=re.MULTILINE)
    return pin.split("==")[1].split()[0], locked


@pytest.mark.parametrize("package", contract.PINNED)
def test_the_installed_version_is_the_pinned_one(package: str) -> None:
    pinned, locked = _pin(package)
    installed = importlib.metadata.version(package)
    assert installed == pinned == locked, (
        f"{package} {installed} is installed, the seam is written for {pinned} (lock: "
        f"{locked}): {contract.UPGRADE_HINT}")


def test_no_upstream_function_the_seam_depends_on_changed() -> None:
    drifted = contract.drifted()
    assert not drifted, "\n".join(["", *drifted, contract.UPGRADE_HINT])


def _instances(tmp_path: Path) -> dict[str, Any]:
    """A real (stock Faust, never started) object of every owner checked on an instance."""
    app = faust.App("contract", broker="kafka://127.0.0.1:9", store="rocksdb://",
                    datadir=str(tmp_path))

    async def kafka_producer() -> Any:
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers="127.0.0.1:9",
                                             transactional_id="contract")
        await producer.stop()
        return producer

    table = app.Table("contract")
    return {
        contract.CONSUMER_STATE: app.consumer,
        contract.FETCHER_STATE: Fetcher(app),
        contract.CONDUCTOR_STATE: app.topics,
        contract.PRODUCER_BUFFER_STATE: app.producer.buffer,
        contract.KAFKA_PRODUCER_STATE: asyncio.run(kafka_producer()),
        contract.PROMETHEUS_MONITOR_STATE: PrometheusMonitor(
            metrics=FaustMetrics.create(CollectorRegistry(), "faust")),
        contract.ROCKSDB_STORE_STATE: table.data,
        contract.RECOVERY_STATE: app.tables.recovery,
        contract.TABLE: table,
    }


def test_every_private_name_the_seam_uses_exists_upstream(tmp_path: Path) -> None:
    instances = _instances(tmp_path)
    assert type(instances[contract.CONSUMER_STATE]) is aiokafka_driver.Consumer  # stock
    missing = []
    for owner in contract.PRIVATE_NAMES:
        try:
            contract.require(owner, instances[owner] if owner.endswith("()") else None)
        except UpstreamChanged as exc:
            missing.append(str(exc))
    assert not missing, "\n".join(missing)


def test_a_missing_private_name_stops_the_worker_at_start_naming_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(faust.transport.consumer.Consumer, "_add_gap")  # renamed upstream
    app = SeamApp("renamed", broker="kafka://127.0.0.1:9", store="memory://")
    with pytest.raises(UpstreamChanged, match=r"aiokafka:Consumer has no _add_gap"):
        app.consumer  # noqa: B018  (built when the worker starts)


def _private_names(path: Path, defined: bool = True) -> set[str]:
    """Every `_name` (not a dunder) a module reads, writes or imports, and (`defined`) every
    function or class it defines by such a name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif defined and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.startswith("_") and not n.endswith("__")}


def test_the_seam_lists_every_private_name_it_uses() -> None:
    """A new crossing must be added to contract.PRIVATE_NAMES (checked above) or, if it is
    the seam's own, to OWN_PRIVATE."""
    used = set().union(*(_private_names(path) for path in SEAM.glob("*.py")))
    unlisted = used - UPSTREAM_PRIVATE - contract.OWN_PRIVATE
    assert not unlisted, f"private names not in contract.PRIVATE_NAMES: {sorted(unlisted)}"
    assert not contract.OWN_PRIVATE & UPSTREAM_PRIVATE
    assert not contract.OWN_PRIVATE - used, "OWN_PRIVATE lists names no longer used"


def test_nothing_outside_the_seam_uses_an_upstream_private_name() -> None:
    """What `git grep` checks by hand: Faust's, aiokafka's and mode's private names only in
    app/faust_ext/ and its tests (tests/test_faust_ext_*.py)."""
    outside = [path for folder in ("app", "benchmarks", "deploy", "tests")
               for path in (ROOT / folder).rglob("*.py")
               if SEAM not in path.parents and not path.name.startswith("test_faust_ext_")
               and "_compiled" not in path.parts]
    found = {f"{path.relative_to(ROOT)}: {name}" for path in outside
             for name in _private_names(path, defined=False) & UPSTREAM_PRIVATE}
    assert not found, sorted(found)


def test_the_seam_never_falls_back_silently_on_an_upstream_name() -> None:
    """`getattr(obj, "_name", default)` or `hasattr(obj, "_name")` on an upstream name would
    turn a rename into a quiet change of behaviour; `contract.require` raises instead."""
    probes = []
    for path in [*SEAM.glob("*.py"), *(ROOT / "app").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value in UPSTREAM_PRIVATE | {"pending", "schema"}):
                probes.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not probes


def test_an_app_faust_built_without_the_seam_stops_at_start() -> None:
    """Were `App._new_transport` renamed, Faust would build its stock transport and the seam
    would silently not run: the start-up check refuses."""
    app = SeamApp("start-check", broker="kafka://127.0.0.1:9", store="memory://")
    app.Table("t", default=None)
    app.check_started()  # the seam's transport and flow control, a memory store
    stock = SeamApp("bypassed", broker="kafka://127.0.0.1:9", store="memory://")
    stock.transport = aiokafka_driver.Transport(stock.conf.broker_consumer, stock)
    with pytest.raises(UpstreamChanged, match="_new_transport"):
        stock.check_started()
