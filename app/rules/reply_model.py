"""A learned second reader of MO replies: it catches refusals worded in ways no rule lists.

Seven rounds of rules, each measured on replies nobody had seen, missed 4-11% of refusals: people
refuse in more ways than rules can list. This reader is a logistic regression over character
1-4-grams and word 1-2-grams of the folded reply (the same folding the rules read), trained on
every labelled corpus in tests/data except the newest held-out set (app/tools/reply_training.py,
`make reply-model`). It only ever widens: `classify_reply` asks it about a reply the rules
leave as nothing or a help request, and a score of at least THRESHOLD makes that reply an
unsubscribe (fail safe: a false stop is repaired by a new opt-in, a missed one is not). What it
saw is kept in the audit trail: the score and the n-grams that weighed most.

Pure and bounded: it reads at most READ_CHARS characters of the reply as the rules prepare it
(folded, disguises undone: `replies.prepared_reply`). The weights are package data
(reply_model.json), read once at import like code; a missing or damaged file stops the import,
so no worker runs without its reader.
"""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from typing import Final

WEIGHTS_FILE: Final = "reply_model.json"
READ_CHARS: Final = 400  # of the folded reply: SMS-sized; longer replies are read by the rules
RAW_CHARS: Final = 4 * READ_CHARS  # of the prepared reply, before runs are collapsed
NGRAMS: Final = (1, 2, 3, 4)
CUES: Final = 3  # n-grams named in the audit trail
_TOKEN: Final = re.compile(r"[a-z0-9\u00c0-\u024f]+|[\u3400-\u9fff]")
_SPACE: Final = re.compile(r"\s+")
_LETTER: Final = re.compile(r"[^\W_]")
_RUN: Final = re.compile(r"([^\w\s])\1+")


def read_text(prepared: str) -> str:
    """What the reader reads of a reply as the rules prepare it (`replies.prepared_reply`):
    from its first letter, runs of spaces and of one symbol collapsed, cut to READ_CHARS."""
    first = _LETTER.search(prepared)
    if first is None:
        return ""
    head = prepared[first.start():first.start() + RAW_CHARS]
    return _RUN.sub(r"\1", _SPACE.sub(" ", head)).strip()[:READ_CHARS]


def features(prepared: str) -> set[str]:
    """Character n-grams (with ^ and $ for the ends) and word 1-2-grams of `read_text`."""
    read = read_text(prepared)
    out: set[str] = set()
    framed = f"^{read}$"
    for n in NGRAMS:
        for i in range(len(framed) - n + 1):
            out.add(f"c{n}:{framed[i:i + n]}")
    tokens = _TOKEN.findall(read)
    for i, token in enumerate(tokens):
        out.add(f"w:{token}")
        if i + 1 < len(tokens):
            out.add(f"b:{token}_{tokens[i + 1]}")
    return out


def _shown(feature: str) -> str:
    """A feature as the audit trail shows it: "b:my_number" is "my number"."""
    kind, _, text = feature.partition(":")
    return text.replace("_", " ") if kind == "b" else text.strip("^$")


def probability(score: float) -> float:
    """The logistic function, safe at any score."""
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))


class ReplyModel:
    """Weights by feature, a bias, and the score from which a reply counts as a refusal."""

    def __init__(self, weights: dict[str, float], bias: float, threshold: float,
                 version: str) -> None:
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        self.version = version

    def refusal(self, prepared: str) -> tuple[float, list[str]]:
        """The probability that the reply refuses, and the n-grams that pushed it up most."""
        score = self.bias
        pushes: list[tuple[float, str]] = []
        for feature in features(prepared):
            weight = self.weights.get(feature)
            if weight is not None:
                score += weight
                if weight > 0 and not feature.startswith(("c1:", "c2:")):
                    pushes.append((weight, feature))
        pushes.sort(reverse=True)
        return probability(score), [_shown(feature) for _, feature in pushes[:CUES]]

    def cue(self, prepared: str) -> str | None:
        """The audit keyword of a refusal this reader finds ("learned 0.97: 别再|烦"), or None
        below the threshold."""
        p, cues = self.refusal(prepared)
        if p < self.threshold:
            return None
        return f"learned {p:.2f}: " + "|".join(cues)


def from_json(document: str) -> ReplyModel:
    """A model from the JSON `app/tools/reply_training.py` writes; ValueError if malformed."""
    data = json.loads(document)
    if not isinstance(data, dict):
        raise ValueError("reply model: not a JSON object")
    weights = data.get("weights")
    bias, threshold = data.get("bias"), data.get("threshold")
    if not isinstance(weights, dict) or not isinstance(bias, (int, float)) \
            or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
        raise ValueError("reply model: needs weights, bias and a threshold between 0 and 1")
    checked: dict[str, float] = {}
    for feature, weight in weights.items():
        if not isinstance(weight, (int, float)):
            raise ValueError(f"reply model: weight of {feature!r} is not a number")
        checked[str(feature)] = float(weight)
    return ReplyModel(checked, float(bias), float(threshold), str(data.get("version", "")))


def packaged() -> ReplyModel:
    """The model shipped with the package (read by app/rules/replies.py at import)."""
    return from_json(resources.files("app.rules").joinpath(WEIGHTS_FILE)
                     .read_text(encoding="utf-8"))
