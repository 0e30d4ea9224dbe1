"""Held-out scenarios (tests/data/scenarios-heldout.jsonl), each replayed on fresh state.

Written from the fail-safe rules of issue 16 before any of them was implemented, and frozen:
consent evidence and actions, wide and misdated revokes, delivery reports, refusal
instructions and banned phrases in disguise, numbers that are not mobiles, timestamps that are
not RFC 3339, and caps across tenants. `@N` in a value is the scenario's start + N seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from app.rules.policy import load_policy
from app.rules.records import APPROVED, DROPPED, iso_ms
from app.runtime.settings import Settings
from app.tools.replay import replay

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "data" / "scenarios-heldout.jsonl"
START_MS = 1_796_004_000_000  # 2026-11-30 10:40 in Shanghai: daytime
SETTINGS = Settings.from_env({})
POLICY = load_policy(ROOT / "policy.example.toml")


def _load() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in SCENARIOS.read_bytes().splitlines() if line.strip()]


def _times(value: Any) -> Any:
    """Replace "@N" with the RFC 3339 time N seconds after the scenario's start."""
    if isinstance(value, dict):
        return {k: _times(v) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("@") and value[1:].isdigit():
        return iso_ms(START_MS + int(value[1:]) * 1000)
    return value


def reasons(scenario: dict[str, Any]) -> dict[str, str]:
    trace = [orjson.dumps({"topic": SETTINGS.topic(r["topic"]),
                           "timestamp": iso_ms(START_MS + r["at"] * 1000),
                           "value": _times(r["value"])}) for r in scenario["records"]]
    decided = {SETTINGS.topic(APPROVED), SETTINGS.topic(DROPPED)}
    out = [orjson.loads(line) for line in replay(SETTINGS, POLICY, trace)]
    return {r["value"]["msg_id"]: r["value"]["reason"] for r in out if r["topic"] in decided}


@pytest.mark.parametrize("scenario", _load(), ids=lambda s: s["name"])
def test_heldout_scenario(scenario: dict[str, Any]) -> None:
    assert reasons(scenario) == scenario["expect"]
