"""Payload timestamps: strictly RFC 3339 with an offset, parsed without ever raising anything but
ValueError, and every epoch ms formatted back without raising at all."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.rules.records import (
    RFC3339_MAX_MS,
    RFC3339_MIN_MS,
    iso_ms,
    parse_rfc3339_ms,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-22T20:00:00+08:00", "2026-11-22T12:00:00.000Z"),
    ("2026-11-22T12:00:00Z", "2026-11-22T12:00:00.000Z"),
    ("2026-11-22t12:00:00z", "2026-11-22T12:00:00.000Z"),
    ("2026-11-22T12:00:00-00:00", "2026-11-22T12:00:00.000Z"),
    ("2026-11-22T07:30:00-04:30", "2026-11-22T12:00:00.000Z"),
    ("2026-11-22T12:00:00.5Z", "2026-11-22T12:00:00.500Z"),
    ("2026-11-22T12:00:00.123456789Z", "2026-11-22T12:00:00.123Z"),  # cut, not rounded
    ("2026-11-22T12:00:00.9999Z", "2026-11-22T12:00:00.999Z"),
    ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"),
    ("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"),
    ("2026-12-31T23:59:60Z", "2027-01-01T00:00:00.000Z"),  # a leap second
    ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"),
    ("0001-01-01T00:00:00+01:00", "0000-12-31T23:00:00.000Z"),
    ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
])
def test_rfc3339_date_times_parse(text: str, expected: str) -> None:
    assert iso_ms(parse_rfc3339_ms(text)) == expected


@pytest.mark.parametrize("text", [
    "2026-11-22T20:00:00",  # no offset
    "2026-11-22 20:00:00+08:00",  # a space: RFC 3339 mentions it only in a note
    "2026-11-22_20:00:00Z",
    "2026-11-22",  # a date alone
    "2026-11-22T20Z", "2026-11-22T20:00Z",  # hours or minutes alone
    "2026-W47-7T20:00:00Z", "2026-W47T20:00:00Z",  # week dates
    "2026-326T20:00:00Z",  # an ordinal date
    "20261122T200000Z", "20261122T20:00:00Z",  # the basic format
    "2026-11-22T20:00:00+0800", "2026-11-22T20:00:00+08", "2026-11-22T20:00:00 +08:00",
    "2026-11-22T20:00:00.Z", "2026-11-22T20:00:00,5Z",
    " 2026-11-22T20:00:00Z", "2026-11-22T20:00:00Z ", "2026-11-22T20:00:00Z\n",
    "２０２６-11-22T20:00:00Z", "٢٠٢٦-11-22T20:00:00Z",  # other digits
    "+2026-11-22T20:00:00Z", "12026-11-22T20:00:00Z", "-0001-01-01T00:00:00Z",
    "2026-11-22T20:00:00.123456789" + "0" * 60 + "Z",  # longer than 64 characters
    "", "now", "tomorrow", "Sun, 22 Nov 2026 20:00:00 +0800",
])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_rfc3339_ms(text)


@pytest.mark.parametrize(("text", "says"), [
    ("2026-02-29T00:00:00Z", "no such date"), ("1900-02-29T00:00:00Z", "no such date"),
    ("2026-04-31T00:00:00Z", "no such date"), ("2026-13-01T00:00:00Z", "no such date"),
    ("2026-00-10T00:00:00Z", "no such date"), ("2026-11-00T00:00:00Z", "no such date"),
    ("2026-11-22T24:00:00Z", "no such time"), ("2026-11-22T23:60:00Z", "no such time"),
    ("2026-11-22T23:59:61Z", "no such time"),
    ("2026-11-22T20:00:00+24:00", "no such offset"),
    ("2026-11-22T20:00:00-08:60", "no such offset"),
])
def test_impossible_dates_times_and_offsets_are_refused(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_rfc3339_ms(text)


@pytest.mark.parametrize("value", [None, 1_795_000_000_000, 1.5, True, b"2026-11-22T20:00:00Z",
                                   ["2026-11-22T20:00:00Z"], {"at": "2026-11-22T20:00:00Z"}])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="string"):
        parse_rfc3339_ms(value)


def test_mutated_timestamps_parse_or_raise_value_error_only() -> None:
    rng = random.Random(3339)
    alphabet = "0123456789999-:T tZz+.,W\u3000２\x00"
    parsed = 0
    for _ in range(30_000):
        text = list("2026-11-22T20:00:00.123+08:00")
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(text))
            edit = rng.random()
            if edit < 0.6:
                text[at] = rng.choice(alphabet)
            elif edit < 0.8:
                del text[at]
            else:
                text.insert(at, rng.choice(alphabet))
        with contextlib.suppress(ValueError):
            parse_rfc3339_ms("".join(text))
            parsed += 1
    assert 1000 < parsed < 29_000  # both sides were reached


def test_parsing_agrees_with_datetime_where_both_apply() -> None:
    rng = random.Random(1)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for _ in range(20_000):
        ms = rng.randrange(-62_135_596_800_000 + 2 * 86_400_000, RFC3339_MAX_MS - 2 * 86_400_000)
        moment = epoch + timedelta(milliseconds=ms)
        zone = timezone(timedelta(minutes=rng.randrange(-23 * 60 - 59, 23 * 60 + 60)))
        assert parse_rfc3339_ms(moment.astimezone(zone).isoformat(timespec="milliseconds")) == ms
        assert iso_ms(ms) == f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


@pytest.mark.parametrize("ms", [-1, -(2**63), 2**63 - 1, RFC3339_MIN_MS - 1, RFC3339_MAX_MS + 1])
def test_formatting_never_raises_and_stays_rfc3339(ms: int) -> None:
    text = iso_ms(ms)
    assert RFC3339_MIN_MS <= parse_rfc3339_ms(text) <= RFC3339_MAX_MS
