"""Exactly-once is never silently lost: Faust runs transactions only in a faust.Worker, and
the worker refuses to run exactly_once otherwise."""

from __future__ import annotations

import pytest

from app import contracts
from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.runtime.worker import check_transactions, create_app

EXAMPLE = contracts.example_policy_path()


def test_exactly_once_outside_a_faust_worker_is_refused() -> None:
    """Faust would silently run at-least-once; the worker's start-up task refuses instead."""
    settings = Settings.from_env({})
    with pytest.raises(RuntimeError, match="at-least-once"):
        check_transactions(create_app(settings, load_policy(EXAMPLE)), settings)
    in_worker = create_app(settings, load_policy(EXAMPLE))
    in_worker.in_worker = True  # what faust.Worker sets
    check_transactions(in_worker, settings)
    at_least_once = Settings.from_env({"SENDGUARD_PROCESSING_GUARANTEE": "at_least_once"})
    check_transactions(create_app(at_least_once, load_policy(EXAMPLE)), at_least_once)


def test_commit_interval_is_short_by_default_and_configurable() -> None:
    assert Settings.from_env({}).commit_interval_s == 0.1
    assert Settings.from_env({"SENDGUARD_COMMIT_INTERVAL_S": "1.5"}).commit_interval_s == 1.5
    for bad in ("soon", "0", "-1"):
        with pytest.raises(SystemExit, match="SENDGUARD_COMMIT_INTERVAL_S"):
            Settings.from_env({"SENDGUARD_COMMIT_INTERVAL_S": bad})
