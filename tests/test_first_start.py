"""SENDGUARD_FIRST_START: earliest by default (nothing done), latest or a one-line refusal."""

from __future__ import annotations

import pytest

from app.runtime.first_start import apply_first_start
from app.runtime.settings import Settings


def test_the_default_is_earliest_and_touches_no_broker() -> None:
    settings = Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert settings.first_start == "earliest"
    assert Settings.from_env({"SENDGUARD_FIRST_START": "latest"}).first_start == "latest"


async def test_earliest_leaves_the_offsets_alone() -> None:
    settings = Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert await apply_first_start(settings) is None


def test_another_value_is_refused_naming_the_choices() -> None:
    with pytest.raises(SystemExit, match="SENDGUARD_FIRST_START=newest: expected one of "
                                         "earliest, latest"):
        Settings.from_env({"SENDGUARD_FIRST_START": "newest"})
