"""Consent that fails safe: a refusal is never lost or narrowed by how it is written, by the
tenant or time it names, or by what other traffic (or a prune) came in between."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from app.rules import consent
from app.rules.core import handle, prune
from app.rules.records import CONSENT_EVENTS, CONSENT_OUTCOMES
from app.rules.routing import CONSENT, REPLY
from tests.test_consent import JD_PORT, PHONE, POLICY, T0, Recipient

DLR_WINDOW_MS = POLICY.dlr_window_s * 1000
EARLY = "2026-11-20T10:00:00+08:00"  # before T0: a grant at this time, then a revoke


def granted(*tenants: str) -> Recipient:
    r = Recipient()
    for tenant in tenants:
        assert r.consent("grant", tenant=tenant, at=EARLY)["result"] == "applied"
    return r


@pytest.mark.parametrize("prechecked", [True, "true", "True", " TRUE ", 1, "1", "yes", "on",
                                        "y", 2, -1, 0.5, "checked", "是", [], {"a": 1}])
def test_a_truthy_prechecked_in_any_json_form_is_rejected(prechecked: Any) -> None:
    r = Recipient()
    outcome = r.consent("grant", evidence={"form_id": "reg-v3", "prechecked": prechecked})
    assert (outcome["result"], outcome["reason"]) == ("rejected", "prechecked")
    assert r.send() == "no_consent"


@pytest.mark.parametrize("key", ["preChecked", "pre_checked", "Pre-Checked", "preticked"])
def test_prechecked_is_found_under_any_spelling_of_its_key(key: str) -> None:
    outcome = Recipient().consent("grant", evidence={"form_id": "reg-v3", key: "true"})
    assert outcome["reason"] == "prechecked"


@pytest.mark.parametrize("prechecked", [False, 0, 0.0, "false", "False", "0", "no", "off",
                                        "", " ", "n", None])
def test_a_false_prechecked_is_neither_consent_nor_evidence(prechecked: Any) -> None:
    r = Recipient()
    alone = r.consent("grant", evidence={"prechecked": prechecked})
    assert (alone["result"], alone["reason"]) == ("rejected", "no_evidence")
    empty = r.consent("grant", evidence={"form_id": "", "ip": None, "prechecked": prechecked})
    assert empty["reason"] == "no_evidence"
    assert r.send() == "no_consent"
    real = r.consent("grant", evidence={"form_id": "reg-v3", "prechecked": prechecked})
    assert real["result"] == "applied"
    assert r.send() == "ok"


@pytest.mark.parametrize("action", ["REVOKE", " revoke ", "Revoke\n", "\u3000REVOKE"])
def test_action_is_matched_case_insensitively_and_trimmed(action: str) -> None:
    r = granted("meituan")
    outcome = r.consent(action, at="2026-11-21T10:00:00+08:00")
    assert outcome["result"] == "applied"
    assert outcome["read_as"]["action"] == "revoke"
    assert r.send() == "opted_out"
    again = Recipient()
    assert again.consent(" Grant ")["result"] == "applied"
    assert again.send() == "ok"


@pytest.mark.parametrize("action", ["opt-out", "unsubscribe", "maybe", None, 7, "revoked"])
def test_an_unrecognised_action_is_read_as_a_revoke(action: Any) -> None:
    r = granted("meituan")
    outcome = r.consent(action, at="2026-11-21T10:00:00+08:00")
    assert (outcome["result"], outcome["reason"]) == ("applied", None)
    assert outcome["read_as"]["action"] == "revoke"
    assert "read as a revoke" in outcome["detail"]
    assert r.send() == "opted_out"


@pytest.mark.parametrize("action", ["subscribe", "opt_in", "OPT-IN", "granted"])
def test_a_grant_by_another_name_is_rejected_not_revoked(action: str) -> None:
    r = granted("meituan")
    outcome = r.consent(action, at="2026-11-21T10:00:00+08:00")
    assert (outcome["result"], outcome["reason"]) == ("rejected", "invalid_event")
    assert r.send() == "ok"  # changes nothing either way


def test_a_revoke_without_an_event_id_is_still_applied_once() -> None:
    r = granted("meituan")
    value = {"phone": PHONE, "tenant": "meituan", "category": "marketing", "action": "revoke",
             "source": "support", "occurred_at": "2026-11-21T10:00:00+08:00"}
    [first] = r.feed(CONSENT, value)
    assert first.value["result"] == "applied"
    assert r.send() == "opted_out"
    [again] = r.feed(CONSENT, value)
    assert again.value["result"] == "duplicate"
    [grant] = r.feed(CONSENT, {**value, "action": "grant", "evidence": {"form_id": "x"}})
    assert (grant.value["result"], grant.value["reason"]) == ("rejected", "invalid_event")


@pytest.mark.parametrize("tenant", ["acme", "JD", " jd", "x" * 200])
def test_a_revoke_for_a_tenant_the_policy_does_not_know_revokes_every_tenant(tenant) -> None:
    r = granted("meituan", "jd", "cmb")
    outcome = r.consent("revoke", tenant=tenant, at="2026-11-21T10:00:00+08:00")
    assert outcome["result"] == "applied"
    assert outcome["read_as"]["tenant"] == "*"
    assert "widened: unknown tenant" in outcome["detail"]
    assert {r.send(tenant=t) for t in ("meituan", "jd", "cmb")} == {"opted_out"}


def test_a_revoke_for_a_known_tenant_stays_with_that_tenant() -> None:
    r = granted("meituan", "jd")
    outcome = r.consent("revoke", tenant="jd", at="2026-11-21T10:00:00+08:00")
    assert (outcome["read_as"]["tenant"], outcome["detail"]) == ("jd", None)
    assert (r.send(tenant="jd"), r.send(tenant="meituan")) == ("opted_out", "ok")


@pytest.mark.parametrize("at", ["1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
                                "0001-01-01T00:00:00+08:00", "1999-12-31T23:59:59Z",
                                "2026-11-27T10:00:00Z", "9999-12-31T23:59:59-08:00"])
def test_an_implausible_occurred_at_is_replaced_by_the_record_time(at: str) -> None:
    r = granted("meituan")
    revoke = r.consent("revoke", at=at)
    assert revoke["result"] == "applied"  # not stale against the earlier grant
    assert "occurred_at replaced by the record's timestamp" in revoke["detail"]
    assert revoke["read_as"]["occurred_at"] == "2026-11-25T09:46:40.000Z"  # T0
    assert r.send() == "opted_out"
    if at[:4] not in ("1970", "1999", "2026"):  # (years a strict parser may refuse outright)
        return
    # Grants alike.
    later = Recipient()
    grant = later.consent("grant", at=at)
    assert grant["result"] == "applied"
    assert "occurred_at replaced" in grant["detail"]
    assert grant["read_as"]["occurred_at"] == "2026-11-25T09:46:40.000Z"


def test_a_plausible_occurred_at_is_kept_and_one_slightly_ahead_is_clamped_silently() -> None:
    r = Recipient()
    outcome = r.consent("grant", at="2000-01-01T00:00:00Z")
    assert (outcome["result"], outcome["detail"]) == ("applied", None)
    assert outcome["read_as"]["occurred_at"] == "2000-01-01T00:00:00.000Z"
    ahead = r.consent("revoke", at="2026-11-26T09:00:00Z")  # 23 h after T0
    assert (ahead["detail"], ahead["read_as"]["occurred_at"]) == (None,
                                                                  "2026-11-25T09:46:40.000Z")


@pytest.mark.parametrize("at", ["not a time", None, 20261121, "2026-11-21 10:00"])
def test_a_revoke_with_an_unusable_occurred_at_is_applied_at_the_record_time(at: Any) -> None:
    r = granted("meituan")
    outcome = r.consent("revoke", at=at)
    assert outcome["result"] == "applied"
    assert outcome["read_as"]["occurred_at"] == "2026-11-25T09:46:40.000Z"
    assert r.send() == "opted_out"
    assert Recipient().consent("grant", at=at)["reason"] == "invalid_event"


def test_an_mo_reply_with_an_epoch_received_at_still_revokes() -> None:
    r = granted("meituan")
    emits = r.reply("TD", at="1970-01-01T00:00:00Z")
    [event] = [e for e in emits if e.topic == CONSENT_EVENTS]
    assert event.value["occurred_at"] == "2026-11-25T10:46:40.000Z"  # the reply's record time
    assert [e.value["result"] for e in emits if e.topic == CONSENT_OUTCOMES] == ["applied"]
    assert r.send() == "opted_out"


def dlr(r: Recipient, msg_id: str, ts: int, code: Any = "MBBLACK",
        status: str = "UNDELIV") -> str | None:
    """Feed a delivery report; the tenant its derived revoke names, None if none."""
    emits = r.feed(REPLY, {"type": "dlr", "msg_id": msg_id, "phone": PHONE, "status": status,
                           "error_code": code, "reported_at": "2026-11-21T10:00:00+08:00"}, ts)
    events = [e.value for e in emits if e.topic == CONSENT_EVENTS]
    return events[0]["tenant"] if events else None


@pytest.mark.parametrize(("after_ms", "tenant"), [(DLR_WINDOW_MS - 1, "meituan"),
                                                   (DLR_WINDOW_MS, "meituan"),
                                                   (DLR_WINDOW_MS + 1, "*"),
                                                   (DLR_WINDOW_MS + 3_600_000, "*")])
@pytest.mark.parametrize("between", ["nothing", "prune", "intent"])
def test_a_blacklisting_report_names_the_tenant_only_within_the_window_whatever_came_between(
        after_ms: int, tenant: str, between: str) -> None:
    r = granted("meituan", "jd")
    assert r.send(tenant="meituan", ts=T0) == "ok"
    msg_id = f"m{r.offset - 1}"
    report_ms = T0 + after_ms
    if between == "prune":  # as the worker's idle sweep does, at the report's time
        prune(r.state, report_ms, POLICY)
    elif between == "intent":  # an unrelated intent, for another tenant, just before
        r.send(tenant="jd", category="notification", ts=report_ms - 1)
    assert dlr(r, msg_id, report_ms) == tenant


def test_a_blacklisting_report_for_a_message_that_was_not_approved_revokes_every_tenant():
    r = granted("jd")
    assert r.send(tenant="meituan", ts=T0) == "no_consent"
    assert dlr(r, f"m{r.offset - 1}", T0 + 1000) == "*"
    assert r.send(tenant="jd", ts=T0 + 2000) == "opted_out"


@pytest.mark.parametrize("code", ["mbblack", " MBBLACK ", "MBBlack\t", "w-black", "ＭＢＢＬＡＣＫ"])
def test_error_codes_are_matched_case_insensitively_and_trimmed(code: str) -> None:
    r = granted("meituan")
    assert dlr(r, "never-seen", T0, code=code) == "*"
    assert r.send() == "opted_out"


def test_a_blacklisting_code_in_the_status_field_counts_too() -> None:
    r = granted("meituan")
    assert dlr(r, "never-seen", T0, code=None, status="MBBLACK") == "*"
    assert dlr(Recipient(), "never-seen", T0, code="DELIVRD", status="DELIVRD") is None


def test_the_policys_codes_are_matched_however_they_are_written() -> None:
    policy = dataclasses.replace(POLICY, dlr_revoke_error_codes=frozenset({" mbblack", "Q:99"}))
    state: dict[str, Any] = {}
    envelope = {"kind": REPLY, "topic": "r", "partition": 0, "offset": 1, "ts": T0,
                "phone": PHONE, "value": {"type": "dlr", "msg_id": "x", "phone": PHONE,
                                          "status": "UNDELIV", "error_code": "MBBLACK"}}
    assert [e.topic for e in handle(envelope, state, policy)][1] == CONSENT_EVENTS
    assert consent.latest(state, "jd", "marketing")[0] == "revoke"


def test_a_revoke_derived_for_a_tenant_no_longer_in_the_policy_revokes_every_tenant() -> None:
    """A delivery report for a message of a tenant since removed from the policy."""
    r = granted("meituan", "jd")
    r.state["seen"] = {"old": [T0, "t:0:1", "ok", None, "gone"]}
    assert dlr(r, "old", T0 + 1000) == "gone"  # the derived event names it as sent...
    assert r.send(tenant="jd", ts=T0 + 2000) == "opted_out"  # ...and it blocks every tenant


@pytest.mark.parametrize("kind", ["MO", " mo ", "Mo"])
def test_reply_type_is_matched_case_insensitively(kind: str) -> None:
    r = granted("meituan")
    emits = r.feed(REPLY, {"type": kind, "reply_id": "r1", "phone": PHONE, "to": JD_PORT + "1",
                           "text": "TD", "received_at": "2026-11-21T10:00:00+08:00"})
    assert [e.value["tenant"] for e in emits if e.topic == CONSENT_EVENTS] == ["jd"]
