"""Privacy of state without Kafka: keyed hashes, sealed values, erasure, secret and retention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.rules.routing import CONSENT
from app.runtime.privacy import DEVELOPMENT_SECRET, SealError, StateSealer
from app.runtime.settings import Settings
from tests.test_rules import CN, Recipient, at, policy

SECRET = "a-test-secret-of-enough-length"


def test_recipient_keys_are_stable_keyed_hashes_without_the_number() -> None:
    sealer = StateSealer(SECRET)
    key = sealer.recipient_key(CN)
    assert key == StateSealer(SECRET).recipient_key(CN)  # stable: partitions and joins alike
    assert len(key) == 32 and bytes.fromhex(key.decode())
    assert b"13812345678" not in key
    assert key != StateSealer(SECRET + "x").recipient_key(CN)  # keyed: no secret, no lookup
    assert key != sealer.recipient_key("+8613812345679")


def test_sealed_values_hide_the_plaintext_and_detect_tampering() -> None:
    sealer = StateSealer(SECRET)
    key = sealer.recipient_key(CN)
    plain = b'{"phone": "+8613812345678"}'
    sealed = sealer.seal(plain, key)
    assert b"13812345678" not in sealed
    assert sealed != sealer.seal(plain, key)  # a fresh nonce each time
    assert sealer.open(sealed, key) == plain
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for bad, bad_key in ((flipped, key), (sealed, sealer.recipient_key("+14155550100")),
                         (plain, key), (b"", key)):
        with pytest.raises(SealError):
            sealer.open(bad, bad_key)
    with pytest.raises(SealError):
        StateSealer(SECRET + "x").open(sealed, key)


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="SENDGUARD_STATE_SECRET"):
        Settings.from_env({"SENDGUARD_ENV": "production"})
    with pytest.raises(SystemExit, match="at least 16 bytes"):
        Settings.from_env({"SENDGUARD_ENV": "production", "SENDGUARD_STATE_SECRET": "short"})
    with pytest.raises(SystemExit, match="SENDGUARD_ENV"):
        Settings.from_env({"SENDGUARD_ENV": "prod"})
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    settings = Settings.from_env({"SENDGUARD_ENV": "production",
                                  "SENDGUARD_STATE_SECRET_FILE": str(secret_file)})
    assert settings.state_secret == SECRET
    dev = Settings.from_env({})
    assert dev.state_secret == "" and dev.sealer().recipient_key(CN) == \
        StateSealer(DEVELOPMENT_SECRET).recipient_key(CN)


def test_record_retention_is_configurable_but_not_below_five_months() -> None:
    days_180 = str(180 * 86_400_000)
    settings = Settings.from_env({"SENDGUARD_TOPIC_APPROVED_RETENTION_MS": days_180})
    assert settings.topics["approved"].config["retention.ms"] == days_180
    assert Settings.from_env({}).topics["dropped"].config["retention.ms"] == "13824000000"
    forever = Settings.from_env({"SENDGUARD_TOPIC_CONSENT_EVENTS_RETENTION_MS": "-1"})
    assert forever.topics["consent_events"].config["retention.ms"] == "-1"
    with pytest.raises(SystemExit, match="153 days"):
        Settings.from_env({"SENDGUARD_TOPIC_DROPPED_RETENTION_MS": str(30 * 86_400_000)})
    # Intents are not send records: a week is their default, and shorter is allowed.
    short = Settings.from_env({"SENDGUARD_TOPIC_SEND_INTENTS_RETENTION_MS": "86400000"})
    assert short.topics["send_intents"].config["retention.ms"] == "86400000"


# --- erasure -----------------------------------------------------------------------------

def consent_event(r: Recipient, action: str, when: str, event_id: str,
                  tenant: str = "meituan") -> dict[str, Any]:
    value = {"event_id": event_id, "phone": CN, "tenant": tenant, "category": "marketing",
             "action": action, "source": "privacy_request" if action == "erase" else "form",
             "occurred_at": when, "evidence": {"form_id": "f1"}}
    return r.feed(CONSENT, value, at(when[:19]))[-1].value


def test_erasure_keeps_only_the_opt_outs() -> None:
    r = Recipient(policy())
    r.grant("meituan")
    consent_event(r, "revoke", "2026-11-20T09:00:00+08:00", "rv-jd", tenant="jd")
    assert r.reason(at("2026-11-22T10:00:00"), category="marketing", tenant="meituan") == "ok"
    assert set(r.state) >= {"seen", "sent", "consent"}

    outcome = consent_event(r, "erase", "2026-11-22T11:00:00+08:00", "erase-1")
    assert (outcome["action"], outcome["result"]) == ("erase", "applied")
    assert set(r.state) == {"consent", "erased", "events"}
    assert list(r.state["consent"]) == ["jd|marketing"]  # the opt-out, nothing else
    assert r.state["events"] == {"erase-1": at("2026-11-22T11:00:00")}

    later = at("2026-11-22T12:00:00")
    assert r.reason(later, category="marketing", tenant="jd") == "opted_out"  # never re-enabled
    assert r.reason(later, category="marketing", tenant="meituan") == "no_consent"
    assert r.reason(later, category="verification", tenant="jd") == "ok"


def test_an_old_grant_after_erasure_is_stale_and_a_new_one_applies() -> None:
    r = Recipient(policy())
    consent_event(r, "grant", "2026-11-20T09:00:00+08:00", "g-old")
    consent_event(r, "erase", "2026-11-22T11:00:00+08:00", "erase-1")
    # The old grant again (a re-published topic, or a late copy): its id was erased too.
    assert consent_event(r, "grant", "2026-11-20T09:00:00+08:00", "g-old")["result"] == "stale"
    assert consent_event(r, "erase", "2026-11-22T11:00:00+08:00", "erase-1")["result"] == \
        "duplicate"
    assert consent_event(r, "grant", "2026-11-22T12:00:00+08:00", "g-new")["result"] == \
        "applied"
    assert r.reason(at("2026-11-22T13:00:00"), category="marketing", tenant="meituan") == "ok"


def test_held_intents_are_dropped_as_erased() -> None:
    r = Recipient(policy(**{"global.quiet_hours_action": "defer"}))
    r.grant()
    assert r.send(at("2026-11-22T23:15:00"), category="marketing", tenant="meituan") is None
    held_id = f"m{r.offset - 1}"
    emits = r.feed(CONSENT, {"event_id": "erase-2", "phone": CN, "tenant": "*",
                             "category": "all", "action": "erase", "source": "privacy_request",
                             "occurred_at": "2026-11-23T01:00:00+08:00"},
                   at("2026-11-23T01:00:00"))
    dropped, outcome = (e.value for e in emits)
    assert (dropped["msg_id"], dropped["reason"]) == (held_id, "erased")
    assert "erase-2" in dropped["detail"] and outcome["result"] == "applied"
    assert "held" not in r.state
    assert r.tick(at("2026-11-23T08:00:01")) == []

