"""The compiled core (app/native.py): used only when current, and deciding as Python does."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from app import contracts, native

ROOT = Path(__file__).resolve().parents[1]


def fake_build(app_dir: Path) -> Path:
    """A build directory whose manifest matches the sources in `app_dir` (empty extensions)."""
    compiled = app_dir / "_compiled"
    compiled.mkdir()
    files = [f"{name}{EXTENSION_SUFFIXES[0]}" for name in (*native.MODULES, "native__mypyc")]
    for name in files:
        (compiled / name).write_bytes(b"")
    (compiled / native.MANIFEST).write_text(json.dumps({
        "suffix": EXTENSION_SUFFIXES[0], "sources": native.source_digests(app_dir),
        "files": files}))
    return compiled


@pytest.fixture
def app_copy(tmp_path: Path) -> Path:
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    for name in native.MODULES:
        shutil.copy(ROOT / "app" / "rules" / f"{name}.py", app_dir / f"{name}.py")
    return app_dir


def test_a_build_of_the_sources_as_they_are_is_current(app_copy: Path) -> None:
    assert native.current_build(fake_build(app_copy))


def test_an_edited_source_is_never_shadowed_by_its_old_build(app_copy: Path) -> None:
    compiled = fake_build(app_copy)
    with (app_copy / "caps.py").open("a") as source:
        source.write("\n# edited\n")
    assert not native.current_build(compiled)


def test_a_partial_or_foreign_build_is_not_used(app_copy: Path) -> None:
    compiled = fake_build(app_copy)
    (compiled / f"core{EXTENSION_SUFFIXES[0]}").unlink()
    assert not native.current_build(compiled)
    manifest = json.loads((compiled / native.MANIFEST).read_text())
    (compiled / f"core{EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    (compiled / native.MANIFEST).write_text(json.dumps({**manifest, "suffix": ".other.so"}))
    assert not native.current_build(compiled)
    (compiled / native.MANIFEST).write_text("{")
    assert not native.current_build(compiled)
    assert not native.current_build(app_copy / "nowhere")


def _loaded(env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "-c", "import app.rules.core, app.native; "
         "print(app.native.ACTIVE, app.rules.core.__file__.endswith('.py'))"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True,
    ).stdout.strip()


def test_every_rules_module_is_compiled() -> None:
    """A rules module left out of MODULES cannot be imported by a compiled one: the strict
    build fails (as it did for replies_world.py), and a lax one silently runs pure Python."""
    sources = {path.stem for path in (ROOT / "app" / "rules").glob("*.py")} - {"__init__"}
    assert sources == set(native.MODULES)


def test_all_or_nothing_and_the_switch() -> None:
    assert _loaded({native.DISABLE_ENV: "0"}) == "False True"
    expected = "True False" if native.current_build() else "False True"
    assert _loaded({native.DISABLE_ENV: "1"}) == expected


@pytest.mark.skipif(not native.current_build() and not os.environ.get("CI"),
                    reason="no current build (make native); in CI a missing build fails")
def test_compiled_and_pure_modules_decide_byte_identically(tmp_path: Path) -> None:
    """The differential check of benchmarks/core_identity.py, small: traffic and fuzz."""
    outputs = []
    for flag in ("0", "1"):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.core_identity", "all", "--intents", "2000",
             "--pickle", str(tmp_path / "traffic.pkl"), "--fuzz-seeds", "2",
             "--fuzz-events", "4000"],
            cwd=ROOT, env={**os.environ, native.DISABLE_ENV: flag}, capture_output=True,
            text=True, check=True)
        outputs.append([line.rpartition(" native=")[0] for line in done.stdout.splitlines()])
        modes = {line.rpartition(" native=")[2] for line in done.stdout.splitlines()}
        assert modes == {"compiled" if flag == "1" else "python"}, modes  # never vacuous
    assert len(outputs[0]) == 7
    assert outputs[0] == outputs[1]


def test_fail_closed_carries_a_corrupt_phone_along_as_python_does() -> None:
    """Compiled code checks declared types; where the rules may see anything (a corrupt
    internal envelope) the parameter is Any, so both decide the same."""
    import orjson

    from app.rules.core import fail_closed
    from app.rules.policy import load_policy
    from app.rules.records import Source

    raw = orjson.dumps({"kind": "intent", "value": {"msg_id": "m"}, "phone": 5, "ts": 1})
    emits = fail_closed(Source("t", 0, 1, 2), b"k", raw, ValueError("x"),
                        load_policy(contracts.example_policy_path()))
    assert [(e.topic, e.key) for e in emits] == [("dead_letter", None), ("dropped", 5)]


def test_no_rules_module_binds_a_name_twice() -> None:
    """A second module-level pattern of the same name silently replaces the first for every
    function that reads it (it happened twice in replies.py): each name is bound once."""
    for path in sorted((Path(__file__).resolve().parents[1] / "app" / "rules").glob("*.py")):
        names: list[str] = []
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.append(node.target.id)
            elif isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        twice = sorted({name for name in names if names.count(name) > 1})
        assert not twice, f"{path.name} binds {twice} more than once"
