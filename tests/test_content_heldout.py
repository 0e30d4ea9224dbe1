"""The held-out content set (tests/data/content-heldout.tsv) through `sendguard replay`.

Each text goes to its own recipient, with a marketing grant for its tenant first, so only the
content rules can drop it. The score is printed; every text must be decided as labelled.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import orjson
import pytest

from app.rules.policy import load_policy
from app.rules.records import APPROVED, DROPPED, iso_ms
from app.runtime.settings import Settings
from app.tools.replay import replay

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
START_MS = 1_796_004_000_000  # 2026-11-30 10:40 in Shanghai: daytime
SIGNATURE = re.compile(r"【([^】]*)】")


@pytest.mark.parametrize("name", ["content-heldout.tsv", "content-heldout-2.tsv"])
def test_content_heldout_through_replay(name: str) -> None:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    settings = Settings.from_env({})
    trace: list[bytes] = []
    for n, row in enumerate(rows):
        tenant = row["note"].split()[0].removeprefix("tenant=").rstrip(";,")
        found = SIGNATURE.search(row["content"])
        phone, ts = f"+86139{n:08d}", START_MS + n * 2000
        trace.append(orjson.dumps({"topic": settings.topic("consent_events"),
            "timestamp": iso_ms(ts), "value": {
                "event_id": f"g{n}", "phone": phone, "tenant": tenant, "category": "marketing",
                "action": "grant", "source": "signup_form", "occurred_at": iso_ms(ts),
                "evidence": {"form_id": "reg-9"}}}))
        trace.append(orjson.dumps({"topic": settings.topic("send_intents"),
            "timestamp": iso_ms(ts + 1000), "value": {
                "msg_id": f"c{n}", "tenant": tenant, "category": row["category"],
                "signature": found.group(1) if found else "", "phone": phone,
                "content": row["content"]}}))
    decided = {settings.topic(APPROVED), settings.topic(DROPPED)}
    out = [orjson.loads(line) for line in
           replay(settings, load_policy(ROOT / "policy.example.toml"), trace)]
    reasons = {r["value"]["msg_id"]: r["value"]["reason"] for r in out if r["topic"] in decided}
    wrong = [f"  {row['expected']} -> {reasons.get(f'c{n}')}: {row['content']!r}"
             for n, row in enumerate(rows) if reasons.get(f"c{n}") != row["expected"]]
    print(f"\n{name}: {len(rows) - len(wrong)} of {len(rows)} decided as labelled")
    print("\n".join(wrong))
    assert not wrong
