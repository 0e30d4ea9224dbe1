"""Reply classification alone: time for long replies (linear), and throughput on short ones.

    python -m benchmarks.replies_bench

Long replies of 1 KB, 100 KB and 1 MB (UTF-8) in the shapes that once took quadratic time;
a reply over app.rules.replies.MAX_REPLY_CHARS is no SMS and is a refusal unread, so the longest
that is read (39 KB) is timed too. CPU time of this process, best of `repeat`.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

from app.rules.replies import classify_reply

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "replies.tsv"
SIZES = (("1KB", 1_000), ("39KB", 39_000), ("100KB", 100_000), ("1MB", 1_000_000))


def long_replies(size: int) -> dict[str, str]:
    """Replies of about `size` UTF-8 bytes."""
    chinese = "你好，请问快递什么时候能到？我在家等着呢，谢谢。"
    return {
        "ordinary Chinese, TD at the end": (chinese * (size // 70 + 1))[:size // 3 - 3] + "，TD",
        "退订 + 。 flood": "退订" + "。" * (size // 3 - 2),
        "English questions": ("does stop cost anything? " * (size // 25 + 1))[:size],
        "distinct refusal-like clauses": "".join(f"退订收费吗{i}？" for i in range(size // 20)),
    }


def best_ms(call: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        call()
        best = min(best, time.process_time() - started)
    return best * 1000


def main() -> None:
    for label, size in SIZES:
        for shape, text in long_replies(size).items():
            ms = best_ms(lambda text=text: classify_reply(text))  # type: ignore[misc]
            print(f"classify {label}: {ms:.1f} ms  ({shape}, {len(text):,} characters: "
                  f"{classify_reply(text).intent.value})")
    with CORPUS.open(encoding="utf-8", newline="") as fh:
        texts = [row[0] for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)][1:]
    ms = best_ms(lambda: [classify_reply(text) for text in texts])
    print(f"classify the {len(texts)} corpus replies: {ms:.1f} ms "
          f"({len(texts) / ms * 1000:,.0f} replies/s)")


if __name__ == "__main__":
    main()
