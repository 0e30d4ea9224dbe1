"""Train the learned reader of MO replies (app/rules/reply_model.py) from labelled corpora.

    python -m app.tools.reply_training --out app/rules/reply_model.json tests/data/replies.tsv ...

(`make reply-model` names the corpora.) The reader reads replies as the rules prepare them, so
this imports the rules, and with them the model file it replaces (it must load). A corpus is
tab-separated `text, label[, category]` with a header line; `unsubscribe` is a refusal, every
other label is not. Logistic regression by AdaGrad, L2-regularised, in a fixed order with a
fixed seed, so the same corpora give the same file. The file records each corpus's sha256:
tests/test_reply_model.py fails when a corpus changed and the model was not trained again.
Never train on a held-out set before its one clean measurement (tests/data/README.md).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import random
from pathlib import Path

from app.rules.replies import prepared_reply
from app.rules.reply_model import features, probability

EPOCHS = 12
L2 = 1e-4
RATE = 0.3
SEED = 7
THRESHOLD = 0.9  # a reply the rules leave alone is a refusal from this probability on
KEEP = 1e-3  # weights smaller than this are dropped from the file
DIGITS = 4


def load(path: Path) -> list[tuple[str, bool]]:
    """(text, is a refusal) per line of a corpus. A question how to refuse is a refusal by the
    contract (topics/README.md), whatever its label: held-out 18's author labelled them none."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(row[0], row[1] == "unsubscribe" or row[2:3] == ["howto_unsubscribe"])
            for row in rows[1:] if row]


def train(rows: list[tuple[str, bool]], epochs: int = EPOCHS, l2: float = L2,
          rate: float = RATE, seed: int = SEED) -> tuple[dict[str, float], float]:
    """Weights by feature and the bias, deterministic for the same rows."""
    data = sorted({(tuple(sorted(features(prepared_reply(text)))), 1.0 if refusal else 0.0)
                   for text, refusal in rows})
    weights: dict[str, float] = {}
    squares: dict[str, float] = {}
    bias, bias_squares = 0.0, 0.0
    shuffler = random.Random(seed)
    for _ in range(epochs):
        shuffler.shuffle(data)
        for feats, label in data:
            error = probability(bias + sum(weights.get(f, 0.0) for f in feats)) - label
            for f in feats:
                grad = error + l2 * weights.get(f, 0.0)
                squares[f] = squares.get(f, 0.0) + grad * grad
                weights[f] = weights.get(f, 0.0) - rate * grad / math.sqrt(squares[f] + 1e-8)
            bias_squares += error * error
            bias -= rate * error / math.sqrt(bias_squares + 1e-8)
    return weights, bias


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_document(corpora: list[Path]) -> dict[str, object]:
    """The JSON document of a model trained on `corpora` (paths as given)."""
    rows = [row for path in corpora for row in load(path)]
    weights, bias = train(rows)
    kept = {f: round(w, DIGITS) for f, w in sorted(weights.items()) if abs(w) >= KEEP}
    body = json.dumps(kept, ensure_ascii=False, sort_keys=True)
    return {
        "version": hashlib.sha256(f"{body}{bias:.{DIGITS}f}{THRESHOLD}".encode()).hexdigest()[:12],
        "threshold": THRESHOLD,
        "bias": round(bias, DIGITS),
        "trained_on": {path.name: digest(path) for path in corpora},
        "replies": len(rows),
        "settings": {"epochs": EPOCHS, "l2": L2, "rate": RATE, "seed": SEED, "keep": KEEP},
        "weights": kept,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("corpora", type=Path, nargs="+")
    args = parser.parse_args(argv)
    document = model_document(args.corpora)
    args.out.write_text(json.dumps(document, ensure_ascii=False, indent=0, sort_keys=True)
                        + "\n", encoding="utf-8")
    print(f"{args.out}: {len(document['weights'])} weights "  # type: ignore[arg-type]
          f"from {document['replies']} replies, version {document['version']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
