"""The learned reader of replies (app/rules/reply_model.py): trained on the corpora as they are,
reproducible, and only ever widening what the rules decide."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.rules import reply_model
from app.rules.replies import ReplyIntent, classify_reply
from app.tools import reply_training

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "app" / "rules" / reply_model.WEIGHTS_FILE
DATA = ROOT / "tests" / "data"


def shipped() -> dict[str, object]:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_model_was_trained_on_the_corpora_as_they_are_now() -> None:
    trained_on = shipped()["trained_on"]
    assert isinstance(trained_on, dict) and "replies.tsv" in trained_on
    for name, digest in trained_on.items():
        assert reply_training.digest(DATA / name) == digest, \
            f"{name} changed since the model was trained: run `make reply-model`"


def test_every_corpus_in_tests_data_but_the_newest_held_out_set_is_trained_on() -> None:
    """A held-out set is trained on only after its one clean measurement; all but the last
    written have had it (tests/data/README.md)."""
    held_out = sorted((p.name for p in DATA.glob("replies-heldout*.tsv")),
                      key=lambda name: int(name[len("replies-heldout-"):-4] or 1)
                      if name != "replies-heldout.tsv" else 1)
    trained_on = set(shipped()["trained_on"])  # type: ignore[arg-type]
    assert trained_on >= {"replies.tsv", *held_out[:-1]}
    assert held_out[-1] not in trained_on, f"{held_out[-1]} is the clean set: never train on it"


def test_training_is_reproducible_and_learns() -> None:
    rows = [("stop texting me", True), ("别再发了", True), ("remove my number", True),
            ("thanks, see you at 5", False), ("好的收到", False), ("what time do you open", False)]
    first, bias = reply_training.train(rows, epochs=20)
    again, bias_again = reply_training.train(list(reversed(rows)), epochs=20)
    assert (first, bias) == (again, bias_again)
    model = reply_model.ReplyModel(first, bias, 0.5, "toy")
    assert model.refusal("please stop texting me")[0] > 0.5
    assert model.refusal("好的，明天见")[0] < 0.5


@pytest.mark.parametrize("document", [
    "[]",
    '{"weights": {}, "bias": 0, "threshold": 1.5}',
    '{"weights": {"w:stop": "high"}, "bias": 0, "threshold": 0.9}',
    '{"weights": {}, "threshold": 0.9}',
])
def test_a_damaged_model_file_is_refused(document: str) -> None:
    with pytest.raises(ValueError, match="reply model"):
        reply_model.from_json(document)


@pytest.mark.parametrize("text", [
    "Dun send me liao lah", "别再send message给我", "Don't want it. Don't send it.",
    "你们这样违反《通信短信息服务管理规定》知道吗",
])
def test_refusals_no_rule_lists_are_read_by_the_learned_reader(text: str) -> None:
    reply = classify_reply(text)
    assert reply.intent is ReplyIntent.UNSUBSCRIBE
    assert reply.keyword is not None and reply.keyword.startswith("learned ")


@pytest.mark.parametrize(("text", "intent"), [
    ("I do not wish to unsubscribe", ReplyIntent.NONE),  # a denied refusal: not overridden
    ("别停发，我每天都看", ReplyIntent.NONE),
    ("Sent STOP by mistake, please start again", ReplyIntent.RESUBSCRIBE),
    ("好的收到，谢谢", ReplyIntent.NONE),
])
def test_the_learned_reader_never_overrides_a_denial_or_a_resubscribe(
        text: str, intent: ReplyIntent) -> None:
    assert classify_reply(text).intent is intent


def test_the_reader_reads_a_bounded_prefix() -> None:
    long = "好的收到" * 100_000
    assert len(reply_model.read_text(long)) == reply_model.READ_CHARS
    assert len(reply_model.features(long)) <= 4 * reply_model.READ_CHARS + 2 * 400
