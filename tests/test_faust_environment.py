"""The worker's Faust app reads only SENDGUARD_FAUST_* variables, never another program's."""

from __future__ import annotations

import pytest

from app import contracts
from app.rules.policy import load_policy
from app.runtime.settings import Settings
from app.runtime.worker import create_app

EXAMPLE = contracts.example_policy_path()


def test_variables_named_like_faust_settings_do_not_reconfigure_the_worker(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # What a shared deployment environment may hold for other programs.
    monkeypatch.setenv("BROKER_URL", "redis://127.0.0.1:6379/0")  # Celery's
    monkeypatch.setenv("PROCESSING_GUARANTEE", "at_least_once")
    monkeypatch.setenv("WEB_PORT", "8000")
    monkeypatch.setenv("BROKER_COMMIT_INTERVAL", "30")
    settings = Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19092"})
    conf = create_app(settings, load_policy(EXAMPLE)).conf
    assert [str(url) for url in conf.broker] == ["kafka://127.0.0.1:19092"]
    assert conf.processing_guarantee.value == "exactly_once"
    assert conf.web_port == settings.web_port
    assert conf.broker_commit_interval == settings.commit_interval_s


def test_a_prefixed_variable_still_tries_a_faust_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDGUARD_FAUST_PRODUCER_LINGER", "0.005")
    conf = create_app(Settings.from_env({}), load_policy(EXAMPLE)).conf
    assert conf.producer_linger == 0.005
