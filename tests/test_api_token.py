"""The explain endpoint's bearer token check (Settings.accepts_bearer), without a worker."""

from __future__ import annotations

import hmac

import pytest

from app.runtime import settings as settings_module
from app.runtime.settings import Settings

TOKEN = "s3cret-token"


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (f"Bearer {TOKEN}", True),
        ("", False),
        (TOKEN, False),
        (f"bearer {TOKEN}", False),
        (f"Bearer {TOKEN[:-1]}", False),  # a prefix of the token
        (f"Bearer {TOKEN}x", False),
        (f"Bearer {TOKEN} ", False),
        ("Bearer s3cret-tökén", False),  # non-ASCII: a no, not an exception (a 500)
        ("Bearer \udcff", False),  # undecodable bytes as aiohttp hands them over
    ],
)
def test_only_the_exact_token_is_accepted(header: str, accepted: bool) -> None:
    assert Settings(api_token=TOKEN).accepts_bearer(header) is accepted


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer None"])
def test_no_token_configured_means_no_access(header: str) -> None:
    assert Settings(api_token="").accepts_bearer(header) is False


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain != stops at the first differing byte; hmac.compare_digest must decide."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(settings_module.hmac, "compare_digest", recording)
    settings = Settings(api_token=TOKEN)
    assert settings.accepts_bearer(f"Bearer {TOKEN}")
    assert not settings.accepts_bearer("Bearer wrong")
    print(f"\ncompare_digest calls: {len(calls)}")
    assert len(calls) == 2
