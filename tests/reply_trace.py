"""Score reply corpora end to end, as users see them: a marketing grant, the reply, then a
marketing intent that must be `opted_out` exactly when the reply refuses.

Each labelled reply gets its own recipient, so the replies cannot affect one another. The same
records go through `sendguard replay` (tests/test_replies_end_to_end.py) and through a worker
on the launched Kafka (tests/test_replies_kafka.py).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.rules.records import iso_ms

DATA = Path(__file__).parent / "data"
DEV = DATA / "replies.tsv"
HELD_OUT = DATA / "replies-heldout.tsv"
HELD_OUT_2 = DATA / "replies-heldout-2.tsv"
HELD_OUT_3 = DATA / "replies-heldout-3.tsv"
HELD_OUT_4 = DATA / "replies-heldout-4.tsv"
HELD_OUT_5 = DATA / "replies-heldout-5.tsv"
HELD_OUT_6 = DATA / "replies-heldout-6.tsv"
HELD_OUT_7 = DATA / "replies-heldout-7.tsv"
HELD_OUT_8 = DATA / "replies-heldout-8.tsv"
HELD_OUT_9 = DATA / "replies-heldout-9.tsv"
HELD_OUT_10 = DATA / "replies-heldout-10.tsv"
HELD_OUT_11 = DATA / "replies-heldout-11.tsv"
HELD_OUT_12 = DATA / "replies-heldout-12.tsv"
HELD_OUT_13 = DATA / "replies-heldout-13.tsv"
HELD_OUT_14 = DATA / "replies-heldout-14.tsv"
HELD_OUT_15 = DATA / "replies-heldout-15.tsv"
HELD_OUT_16 = DATA / "replies-heldout-16.tsv"
HELD_OUT_17 = DATA / "replies-heldout-17.tsv"
HELD_OUT_18 = DATA / "replies-heldout-18.tsv"
HELD_OUT_19 = DATA / "replies-heldout-19.tsv"
HELD_OUT_20 = DATA / "replies-heldout-20.tsv"
HELD_OUT_21 = DATA / "replies-heldout-21.tsv"
HELD_OUT_22 = DATA / "replies-heldout-22.tsv"
HELD_OUT_23 = DATA / "replies-heldout-23.tsv"
HELD_OUT_24 = DATA / "replies-heldout-24.tsv"
HELD_OUT_25 = DATA / "replies-heldout-25.tsv"
HELD_OUT_26 = DATA / "replies-heldout-26.tsv"
HELD_OUT_27 = DATA / "replies-heldout-27.tsv"
HELD_OUT_28 = DATA / "replies-heldout-28.tsv"
HELD_OUT_29 = DATA / "replies-heldout-29.tsv"
HELD_OUT_30 = DATA / "replies-heldout-30.tsv"
HELD_OUT_31 = DATA / "replies-heldout-31.tsv"
HELD_OUT_32 = DATA / "replies-heldout-32.tsv"
# Every corpus by the name its scores are printed under: the development corpus, then the
# held-out sets in the order they were written (tests/data/README.md).
CORPORA = (("development", DEV), ("held-out", HELD_OUT), ("held-out-2", HELD_OUT_2),
           ("held-out-3", HELD_OUT_3), ("held-out-4", HELD_OUT_4), ("held-out-5", HELD_OUT_5),
           ("held-out-6", HELD_OUT_6), ("held-out-7", HELD_OUT_7), ("held-out-8", HELD_OUT_8),
           ("held-out-9", HELD_OUT_9), ("held-out-10", HELD_OUT_10),
           ("held-out-11", HELD_OUT_11), ("held-out-12", HELD_OUT_12),
           ("held-out-13", HELD_OUT_13), ("held-out-14", HELD_OUT_14),
           ("held-out-15", HELD_OUT_15), ("held-out-16", HELD_OUT_16),
           ("held-out-17", HELD_OUT_17), ("held-out-18", HELD_OUT_18),
           ("held-out-19", HELD_OUT_19), ("held-out-20", HELD_OUT_20),
           ("held-out-21", HELD_OUT_21), ("held-out-22", HELD_OUT_22),
           ("held-out-23", HELD_OUT_23), ("held-out-24", HELD_OUT_24),
           ("held-out-25", HELD_OUT_25), ("held-out-26", HELD_OUT_26),
           ("held-out-27", HELD_OUT_27), ("held-out-28", HELD_OUT_28),
           ("held-out-29", HELD_OUT_29), ("held-out-30", HELD_OUT_30),
           ("held-out-31", HELD_OUT_31), ("held-out-32", HELD_OUT_32))
TENANT, SIGNATURE, PORT = "meituan", "美团", "106900005678"  # policy.example.toml
FIRST_PHONE = 13_900_000_000  # +86 139: an allocated mobile range


@dataclass(frozen=True)
class Reply:
    text: str
    label: str
    category: str


def load(path: Path, contract: bool = True) -> list[Reply]:
    """A corpus file: tab-separated `text, label[, category]` with a header line. With
    `contract`, a question how to refuse (category howto_unsubscribe) is scored as the refusal
    the contract makes it, whatever its label: held-out 18's author was told, wrongly, that
    "how do I stop?" is none (tests/data/README.md gives its scores both ways)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    replies = [Reply(row[0], row[1], row[2] if len(row) > 2 else "") for row in rows[1:] if row]
    return [Reply(r.text, "unsubscribe", r.category)
            if contract and r.category == "howto_unsubscribe" else r for r in replies]


def records(replies: list[Reply], start_ms: int, tag: str = "r", first_phone: int = FIRST_PHONE
            ) -> list[tuple[str, dict[str, Any], int]]:
    """(topic id, value, timestamp ms) for every reply: grant, reply, marketing intent.

    Timestamps step by one second per record; keep `start_ms` in Shanghai daytime so quiet
    hours do not interfere (the last record comes len(replies) * 3 seconds later). Recipients
    are `first_phone` onwards: corpora sent to one worker need ranges of their own."""
    out: list[tuple[str, dict[str, Any], int]] = []
    ts = start_ms
    for n, reply in enumerate(replies):
        phone = f"+86{first_phone + n}"
        out.append(("consent_events", {
            "event_id": f"{tag}-grant-{n}", "phone": phone, "tenant": TENANT,
            "category": "marketing", "action": "grant", "source": "signup_form",
            "occurred_at": "2026-11-01T10:00:00Z",
            "evidence": {"form_id": "reg-v3", "ip": "203.0.113.7"}}, ts))
        out.append(("carrier_replies", {
            "type": "mo", "reply_id": f"{tag}-mo-{n}", "phone": phone, "to": PORT,
            "text": reply.text, "received_at": iso_ms(ts + 1000)}, ts + 1000))
        out.append(("send_intents", {
            "msg_id": f"{tag}-mk-{n}", "tenant": TENANT, "signature": SIGNATURE,
            "category": "marketing", "phone": phone,
            "content": f"【{SIGNATURE}】双12神券已到账，拒收请回复R"}, ts + 2000))
        ts += 3000
    return out


@dataclass
class Score:
    """Precision and recall of `opted_out` against the `unsubscribe` label."""

    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_pos + self.false_pos
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_pos + self.false_neg
        return self.true_pos / wanted if wanted else 1.0

    def line(self, name: str) -> str:
        return (f"{name}: {self.total} replies, precision {self.precision:.3f}, "
                f"recall {self.recall:.3f} ({self.false_pos} false stops, "
                f"{self.false_neg} missed refusals)")


def score(replies: list[Reply], reasons: dict[str, str], tag: str = "r") -> Score:
    """Score the decisions (msg_id -> reason) of the intents `records` built."""
    result = Score(total=len(replies))
    for n, reply in enumerate(replies):
        reason = reasons.get(f"{tag}-mk-{n}")
        assert reason in ("ok", "opted_out"), (reply, reason)  # nothing else may interfere
        refused = reply.label == "unsubscribe"
        stopped = reason == "opted_out"
        if refused and stopped:
            result.true_pos += 1
        elif stopped:
            result.false_pos += 1
            result.misses.append(f"false stop [{reply.category}] {reply.text!r}")
        elif refused:
            result.false_neg += 1
            result.misses.append(f"missed [{reply.category}] {reply.text!r}")
    return result
