"""Reply corpora scored end to end through `sendguard replay`: grant, reply, marketing intent.

The development corpus (tests/data/replies.tsv) was written alongside the classifier; the
held-out one (tests/data/replies-heldout.tsv) was written before the classifier was changed and
is never tuned on. Both scores are printed; the README reports them.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from app.rules.policy import load_policy
from app.rules.records import APPROVED, DROPPED
from app.runtime.settings import Settings
from app.tools.replay import replay
from tests.kafka_io import trace_line
from tests.reply_trace import CORPORA, load, records, score

POLICY = Path(__file__).resolve().parents[1] / "policy.example.toml"
START_MS = 1_796_000_000_000  # 2026-11-30 01:33 UTC = 09:33 in Shanghai: daytime


def replay_reasons(path: Path, tag: str) -> dict[str, str]:
    settings = Settings.from_env({})
    trace = [trace_line(settings.topic(topic_id), ts, orjson.dumps(value))
             for topic_id, value, ts in records(load(path), START_MS, tag)]
    out = [orjson.loads(line) for line in replay(settings, load_policy(POLICY), trace)]
    decided = {settings.topic(APPROVED), settings.topic(DROPPED)}
    return {r["value"]["msg_id"]: r["value"]["reason"] for r in out if r["topic"] in decided}


# The floor each set is held to: 0.99 where it was reached; below it, the figure measured now
# (tests/data/README.md), so a change may not lose what was reached.
# Below the target: on held-out-7 in precision, whose remaining false stops are fail-safe
# judgment calls (tests/data/README.md), and on held-out-17, the clean set (never tuned on).
FLOORS: dict[str, tuple[float, float]] = {
    "held-out-7": (0.98, 0.99), "held-out-17": (0.98, 0.99), "held-out-32": (0.99, 0.99)}


@pytest.mark.parametrize(("name", "path"), CORPORA)
def test_replies_end_to_end_through_replay(name: str, path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path.name} is not in this checkout")
    replies = load(path)
    result = score(replies, replay_reasons(path, name), name)
    print(f"\nend to end (replay) {result.line(name)}")
    for miss in result.misses:
        print(f"  {miss}")
    precision, recall = FLOORS.get(name, (0.99, 0.99))
    assert result.precision >= precision and result.recall >= recall, result.line(name)
