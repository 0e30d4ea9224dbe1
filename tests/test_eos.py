"""Exactly-once is never silently lost (Faust runs transactions only in a faust.Worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.policy import load_policy
from app.settings import Settings
from app.worker import check_transactions, create_app

EXAMPLE = Path(__file__).resolve().parents[1] / "policy.example.toml"


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
