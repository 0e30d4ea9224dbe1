"""Log masking: every phone a log line could hold leaves as 138****5678; dates stay readable."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from app.runtime.logs import JsonFormatter, mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # next to CJK text, letters or an underscore: the bounds are digits, not words
        ("手机13812345678已退订", "手机138****5678已退订"),
        ("用户13812345678回复TD", "用户138****5678回复TD"),
        ("otp13812345678", "otp138****5678"),
        ("x_13812345678", "x_138****5678"),
        ("phone=13812345678,", "phone=138****5678,"),
        ("call 13812345678.", "call 138****5678."),  # at the end of a sentence
        # the written forms upstream services send
        ("13812345678", "138****5678"),
        ("+8613812345678", "+861******5678"),
        ("+86 138 1234 5678", "+861******5678"),
        ("+86-138-1234-5678", "+861******5678"),
        ("138-1234-5678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("8613812345678", "861******5678"),
        ("008613812345678", "008********5678"),
        ("0086 138 1234 5678", "008********5678"),
        ("+1 415 555 0100", "+141****0100"),
        ("010-12345678", "010****5678"),
        # full-width digits are digits too
        ("１３８１２３４５６７８", "１３８****５６７８"),
        # two numbers side by side stay two numbers
        ("13812345678 13912345678", "138****5678 139****5678"),
        ("13812345678,13912345678", "138****5678,139****5678"),
        ("2026-11-22 13812345678", "2026-11-22 138****5678"),
    ],
)
def test_phones_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T02:00:11.000Z",
        "decided at 2026-11-22T02:00:11.000+08:00 by policy 2026-11-22.1",
        "2026-11-22 02:00:11,123",
        "msg_id demo-00012 key b'\\x00tick' partition 7 offset 1234567",  # short ids stay
        "faust-streaming 0.15.0, aiokafka 0.12.0, build 1.2.20261122",  # version strings
        "took 0.1234567891s",  # decimal fractions
        "30000000000000004 is no phone",  # longer than E.164 allows
        "",
    ],
)
def test_dates_versions_and_short_ids_stay(text: str) -> None:
    assert mask_text(text) == text


def test_long_digit_ids_are_masked_on_purpose() -> None:
    """An 11-digit order number cannot be told from a phone; masking it is the safe side."""
    assert mask_text("order 20261122-0001") == "order 202*****0001"
    assert mask_text("订单13812345678") == "订单138****5678"


def test_formatter_masks_message_and_traceback() -> None:
    try:
        raise ValueError("bad recipient 手机13812345678")
    except ValueError:
        record = logging.LogRecord("sendguard", logging.ERROR, __file__, 1,
                                   "reply from %s at %s", ("用户+8613812345678",
                                                            "2026-11-22T02:00:11.000Z"),
                                   exc_info=sys.exc_info())
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    print(f"\n{line}")
    assert entry["msg"] == "reply from 用户+861******5678 at 2026-11-22T02:00:11.000Z"
    assert "13812345678" not in line and "138****5678" in entry["exc"]
