"""Structured logs: one JSON object per line, with phone numbers masked everywhere.

Phone numbers are personal data (PIPL): whatever a log message or a traceback holds, a run of
digits that could be a phone number leaves the process as 138****5678.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import orjson

# A phone: an optional +, then 8 to 15 digits, possibly split by single spaces or dashes. The
# bounds are digits only, so letters or CJK text around a number ("手机13812345678已退订",
# "otp13812345678") do not hide it. Not phones, left alone: ISO dates (2026-11-22, so
# timestamps and policy versions stay readable) and the digits after a decimal point or in a
# dotted version (0.123456789, 1.2.20261122). Any other long digit run (an order number, epoch
# milliseconds) is masked too: better a masked id than a leaked number.
_PHONE_LIKE = re.compile(
    r"(?P<date>(?<!\d)\d{4}-\d{2}-\d{2}(?!\d))"
    r"|(?<!\d)(?<!\d\.)\+?\d(?:[ \-]?\d){7,14}(?!\d)"
)


def mask_text(text: str) -> str:
    """Mask every phone-like run of digits: keep the first 3 and last 4 digits."""
    def mask(match: re.Match[str]) -> str:
        found = match.group(0)
        if match.group("date"):
            return found
        digits = re.sub(r"\D", "", found)
        plus = "+" if found.startswith("+") else ""
        return f"{plus}{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    return _PHONE_LIKE.sub(mask, text)


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "msg", "exc"?} per line; phone numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_text(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig for the worker: every logger through the JSON formatter on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
    }
