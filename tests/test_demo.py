"""The demo's clean-up, without a broker: a failed run keeps the worker log it points you to."""

from __future__ import annotations

from pathlib import Path

from app.tools import demo


def _workdir(tmp_path: Path) -> Path:
    workdir = tmp_path / "sendguard-demo-x"
    (workdir / "state").mkdir(parents=True)
    (workdir / "state" / "table.sst").write_bytes(b"\x00" * 16)
    (workdir / "worker.log").write_text('{"level": "error", "msg": "boom"}\n')
    return workdir


def test_a_failed_demo_keeps_the_worker_log(tmp_path: Path) -> None:
    workdir = _workdir(tmp_path)
    kept_log = tmp_path / "var" / "demo-worker.log"  # var/ does not exist yet
    kept = demo.remove_workdir(workdir, failed=True, kept_log=kept_log)
    assert kept == kept_log
    assert kept_log.read_text() == '{"level": "error", "msg": "boom"}\n'
    assert not workdir.exists()


def test_a_successful_demo_leaves_nothing(tmp_path: Path) -> None:
    workdir = _workdir(tmp_path)
    kept_log = tmp_path / "var" / "demo-worker.log"
    assert demo.remove_workdir(workdir, failed=False, kept_log=kept_log) is None
    assert not workdir.exists() and not kept_log.exists()


def test_the_kept_log_is_in_the_gitignored_var_directory() -> None:
    root = Path(demo.__file__).resolve().parents[2]
    kept_log = demo.KEPT_LOG
    assert kept_log == root / "var" / "demo-worker.log"
    assert "var/" in (root / ".gitignore").read_text().splitlines()
