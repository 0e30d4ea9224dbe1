"""The state sizes docs/architecture.md gives ("State size") are what the core keeps.

Measured on the example policy as JSON bytes of one recipient's state (what the worker seals
and stores); a change that grows the state fails here until the document says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from app.rules import caps
from tests.test_rules import Recipient, at, policy

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def documented(label: str) -> int:
    """The byte count the document gives on the line `label: N bytes`."""
    found = re.search(rf"{re.escape(label)}: ([\d,]+) bytes", DOC)
    assert found, f"docs/architecture.md gives no '{label}: N bytes'"
    return int(found.group(1).replace(",", ""))


def test_a_busy_verification_recipient() -> None:
    """A code every 30 s for ~17 h: the cap lists stay cut to the largest cap count."""
    r = Recipient(policy())
    t0 = at("2026-11-22T00:00:00")
    for i in range(2000):
        r.send(t0 + i * 30_000)
    size = len(orjson.dumps(r.state["sent"]))
    print(f"\ncap state after 2000 codes: {size} bytes")
    assert size == documented("cap state of a recipient sent a code every 30 s for 17 h")


def test_a_typical_recipient() -> None:
    """One marketing opt-in, then three messages a day from two tenants, for a week."""
    r = Recipient(policy())
    r.grant("meituan")
    t0 = at("2026-11-22T09:00:00")
    for day in range(7):
        base = t0 + day * 86_400_000
        r.send(base, "notification", "jd")
        r.send(base + 3 * 3_600_000, "verification", "jd")
        r.send(base + 6 * 3_600_000, "marketing", "meituan")
    caps.prune(r.state, t0 + 7 * 86_400_000, r.policy)
    size = len(orjson.dumps(r.state))
    print(f"\ntypical recipient after a week: {size} bytes")
    assert size == documented("a typical recipient after a week")
