"""The consent ledger and carrier replies, without Kafka: ordering, scoping, evidence, ports."""

from __future__ import annotations

import tomllib
from typing import Any

import orjson
import pytest

from app import contracts
from app.rules import consent
from app.rules.core import handle
from app.rules.policy import parse_policy
from app.rules.records import (
    CONSENT_EVENTS,
    CONSENT_OUTCOMES,
    DEAD_LETTER,
    OBSERVATION,
    RECIPIENT_EVENTS,
    Source,
)
from app.rules.routing import CONSENT, INTENT, REPLY, route


def _without_caps() -> Any:
    """The example policy minus frequency caps: these tests send many marketing messages."""
    data = tomllib.loads(contracts.read_text(contracts.EXAMPLE_POLICY))
    data["global"]["caps"] = []
    for category in data["categories"].values():
        category["caps"] = category["recipient_caps"] = []
    return parse_policy(data)


POLICY = _without_caps()
PHONE = "+8613812345678"
T0 = 1_795_600_000_000  # 2026-11-25T09:46:40Z: after every occurred_at below
JD_PORT, MEITUAN_PORT, CMB_PORT = "1069000112345", "106900005678", "1065502010"


class Recipient:
    """One recipient's state, fed events the way the worker's decide agent feeds them."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.offset = 0
        self.observed: list[dict[str, Any]] = []  # facts for metrics, not published

    def feed(self, kind: str, value: dict[str, Any], ts: int = T0) -> list:
        self.offset += 1
        emit = route(kind, Source("in", 0, self.offset, ts), None, orjson.dumps(value), POLICY)
        if emit.topic != RECIPIENT_EVENTS:
            return [emit]
        emits = handle(emit.value, self.state, POLICY)
        self.observed += [e.value for e in emits if e.topic == OBSERVATION]
        return [e for e in emits if e.topic != OBSERVATION]

    def consent(self, action: str, tenant: str = "meituan", category: str = "marketing",
                at: str = "2026-11-20T10:00:00+08:00", event_id: str | None = None,
                evidence: Any = "default", **extra: Any) -> dict[str, Any]:
        value = {"event_id": event_id or f"e{self.offset}", "phone": PHONE, "tenant": tenant,
                 "category": category, "action": action, "source": "signup_form",
                 "occurred_at": at, **extra}
        if evidence == "default":
            value["evidence"] = {"form_id": "reg-v3", "ip": "203.0.113.7"}
        elif evidence is not None:
            value["evidence"] = evidence
        [outcome] = self.feed(CONSENT, value)
        assert outcome.topic == CONSENT_OUTCOMES
        return outcome.value

    def send(self, tenant: str = "meituan", category: str = "marketing",
             ts: int = T0 + 86_400_000) -> str:
        signature = {"meituan": "美团", "jd": "京东", "cmb": "招商银行"}[tenant]
        text = "双11神券已到账，拒收请回复R" if category == "marketing" else "您的订单已发货"
        value = {"msg_id": f"m{self.offset}", "tenant": tenant, "signature": signature,
                 "category": category, "phone": PHONE, "content": f"【{signature}】{text}"}
        [decision] = self.feed(INTENT, value, ts)
        return decision.value["reason"]

    def reply(self, text: str, to: str = MEITUAN_PORT, reply_id: str | None = None,
              at: str = "2026-11-21T10:00:00+08:00") -> list:
        return self.feed(REPLY, {"type": "mo", "reply_id": reply_id or f"r{self.offset}",
                                 "phone": PHONE, "to": to, "text": text,
                                 "received_at": at}, T0 + 3600_000)


def test_marketing_needs_a_grant_and_notifications_need_no_revoke() -> None:
    r = Recipient()
    assert r.send() == "no_consent"
    assert r.send(category="notification") == "ok"
    assert r.send(category="verification") == "ok"
    assert r.consent("grant")["result"] == "applied"
    assert r.send() == "ok"
    assert r.send(tenant="jd") == "no_consent"  # consent is per tenant


def test_latest_event_time_wins_not_arrival() -> None:
    r = Recipient()
    r.consent("grant", at="2026-11-20T10:00:00+08:00")
    r.consent("revoke", at="2026-11-21T10:00:00+08:00", evidence=None)
    late_old_grant = r.consent("grant", at="2026-11-20T12:00:00+08:00")
    assert late_old_grant["result"] == "stale"
    assert r.send() == "opted_out"
    assert r.consent("grant", at="2026-11-22T09:00:00+08:00")["result"] == "applied"
    assert r.send() == "ok"


def test_on_a_tie_the_revoke_wins_in_either_order() -> None:
    for first, second in (("grant", "revoke"), ("revoke", "grant")):
        r = Recipient()
        r.consent(first, at="2026-11-20T10:00:00+08:00")
        r.consent(second, at="2026-11-20T10:00:00+08:00")
        assert r.send() == "opted_out", (first, second)


def test_duplicate_event_ids_are_applied_once() -> None:
    r = Recipient()
    assert r.consent("grant", event_id="same")["result"] == "applied"
    assert r.consent("grant", event_id="same")["result"] == "duplicate"
    assert r.consent("revoke", event_id="same", at="2026-11-23T00:00:00Z")["result"] \
        == "duplicate"
    assert r.send() == "ok"


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [({"prechecked": True, "form_id": "x"}, "prechecked"), (None, "no_evidence"),
     ({}, "no_evidence")],
)
def test_prechecked_and_evidence_less_grants_are_rejected(evidence: Any, reason: str) -> None:
    r = Recipient()
    outcome = r.consent("grant", evidence=evidence)
    assert (outcome["result"], outcome["reason"]) == ("rejected", reason)
    assert outcome["detail"]
    assert r.send() == "no_consent"


def test_a_revoke_is_applied_whatever_its_evidence_or_formalities() -> None:
    r = Recipient()
    r.consent("grant", at="2026-11-01T00:00:00Z")  # before the record time T0
    outcome = r.consent("revoke", evidence={"prechecked": True}, at="not a time",
                        category="bogus")
    assert outcome["result"] == "applied"
    assert r.send() == "opted_out"
    assert r.send(category="notification") == "opted_out"  # unknown category: all


@pytest.mark.parametrize(
    ("tenant", "category", "grant_is"),
    [("*", "marketing", "wide_grant"), ("meituan", "all", "wide_grant"),
     ("acme", "marketing", "unknown_tenant")],
)
def test_grants_must_name_one_known_tenant_and_category(tenant, category, grant_is) -> None:
    r = Recipient()
    assert r.consent("grant", tenant=tenant, category=category)["reason"] == grant_is


def test_invalid_events_are_recorded_as_rejected() -> None:
    r = Recipient()
    for outcome in (r.consent("subscribe"), r.consent("grant", at="yesterday"),
                    r.consent("grant", tenant=None), r.consent("grant", evidence=["x"])):
        assert (outcome["result"], outcome["reason"]) == ("rejected", "invalid_event")
        assert outcome["read_as"] is None
    assert r.send() == "no_consent"


def test_wide_revokes_scope_by_tenant_and_category() -> None:
    r = Recipient()
    r.consent("grant", tenant="meituan")
    r.consent("grant", tenant="jd")
    r.consent("revoke", tenant="*", category="marketing", at="2026-11-21T00:00:00Z")
    assert r.send(tenant="meituan") == "opted_out"
    assert r.send(tenant="jd") == "opted_out"
    assert r.send(tenant="jd", category="notification") == "ok"
    r.consent("revoke", tenant="cmb", category="all", at="2026-11-21T00:00:00Z")
    assert r.send(tenant="cmb", category="notification") == "opted_out"
    assert r.send(tenant="cmb", category="verification") == "ok"
    # A newer specific grant re-enables that tenant only.
    r.consent("grant", tenant="jd", at="2026-11-22T00:00:00Z")
    assert r.send(tenant="jd") == "ok"
    assert r.send(tenant="meituan") == "opted_out"


def test_td_to_a_tenant_port_revokes_that_tenant_at_once_and_publishes_the_event() -> None:
    r = Recipient()
    r.consent("grant", tenant="meituan")
    r.consent("grant", tenant="jd")
    emits = r.reply(" ＴＤ！", to=MEITUAN_PORT + "99", reply_id="mo-1")
    [event] = [e for e in emits if e.topic == CONSENT_EVENTS]
    assert event.key == PHONE
    assert event.value["event_id"] == "reply:mo-1"
    assert (event.value["tenant"], event.value["category"], event.value["action"],
            event.value["source"]) == ("meituan", "marketing", "revoke", "reply")
    assert event.value["evidence"]["text"] == " ＴＤ！"
    assert [e.value["result"] for e in emits if e.topic == CONSENT_OUTCOMES] == ["applied"]
    assert r.send(tenant="meituan") == "opted_out"
    assert r.send(tenant="jd") == "ok"
    # The published event coming back through sms.consent-events changes nothing.
    [echo] = r.feed(CONSENT, event.value)
    assert echo.value["result"] == "duplicate"


def test_unsubscribe_to_an_unknown_port_revokes_every_tenants_marketing() -> None:
    r = Recipient()
    r.consent("grant", tenant="meituan")
    r.consent("grant", tenant="jd")
    r.reply("退订", to="10690999")
    assert r.send(tenant="meituan") == "opted_out"
    assert r.send(tenant="jd") == "opted_out"
    assert r.send(tenant="jd", category="notification") == "ok"


def test_stopall_revokes_every_tenant_and_category_but_verification() -> None:
    r = Recipient()
    r.consent("grant", tenant="jd")
    r.reply("STOPALL", to=JD_PORT)
    assert r.send(tenant="jd") == "opted_out"
    assert r.send(tenant="cmb", category="notification") == "opted_out"
    assert r.send(tenant="cmb", category="verification") == "ok"


def test_ordinary_replies_change_nothing() -> None:
    r = Recipient()
    r.consent("grant", tenant="meituan")
    for text in ("T恤多少钱", "TD是什么意思", "好的", "不退订", "Stop by tomorrow?"):
        assert r.reply(text) == []
    assert r.send() == "ok"
    assert r.observed == [{"reply": "none"}] * 5  # still counted, for the dashboards


def test_resubscribe_only_undoes_an_opt_out() -> None:
    r = Recipient()
    assert r.reply("YES") == []  # never opted in: a YES is not consent
    assert r.send() == "no_consent"
    r.consent("grant", tenant="meituan")
    r.reply("TD")
    assert r.send() == "opted_out"
    emits = r.reply("START", at="2026-11-21T11:00:00+08:00")
    assert [e.value["action"] for e in emits if e.topic == CONSENT_EVENTS] == ["grant"]
    assert r.send() == "ok"


def test_blacklisting_delivery_report_revokes_the_messages_tenant() -> None:
    r = Recipient()
    r.consent("grant", tenant="meituan")
    r.consent("grant", tenant="jd")
    assert r.send(tenant="meituan", ts=T0) == "ok"
    msg_id = f"m{r.offset - 1}"  # send() names the intent before feeding it
    for status, code in (("DELIVRD", None), ("UNDELIV", "MK:0001")):
        assert r.feed(REPLY, {"type": "dlr", "msg_id": msg_id, "phone": PHONE,
                              "status": status, "error_code": code,
                              "reported_at": "2026-11-21T10:00:00+08:00"}) == []
    emits = r.feed(REPLY, {"type": "dlr", "msg_id": msg_id, "phone": PHONE, "status": "UNDELIV",
                           "error_code": "MBBLACK", "reported_at": "2026-11-21T10:00:00+08:00"})
    assert [o["dlr_status"] for o in r.observed] == ["DELIVRD", "UNDELIV", "UNDELIV"]
    [event] = [e for e in emits if e.topic == CONSENT_EVENTS]
    assert (event.value["tenant"], event.value["source"]) == ("meituan", "dlr")
    assert r.send(tenant="meituan") == "opted_out"
    assert r.send(tenant="jd") == "ok"


def test_a_late_blacklisting_report_still_names_the_messages_tenant() -> None:
    r = Recipient()
    r.consent("grant", tenant="meituan")
    r.consent("grant", tenant="jd")
    assert r.send(tenant="meituan", ts=T0) == "ok"
    msg_id = f"m{r.offset - 1}"
    two_days = T0 + 2 * 86_400_000  # after the dedup window, inside the 72 h DLR window
    emits = r.feed(REPLY, {"type": "dlr", "msg_id": msg_id, "phone": PHONE, "status": "UNDELIV",
                           "error_code": "MBBLACK", "reported_at": "2026-11-27T10:00:00+08:00"},
                   two_days)
    [event] = [e for e in emits if e.topic == CONSENT_EVENTS]
    assert event.value["tenant"] == "meituan"
    assert r.send(tenant="jd", ts=two_days + 1000) == "ok"


def test_a_future_dated_grant_does_not_outrank_the_refusals_after_it() -> None:
    r = Recipient()
    assert r.consent("grant", at="2099-01-01T00:00:00Z")["result"] == "applied"
    assert r.send() == "ok"
    [*_, outcome] = r.reply("TD", at="2026-11-25T18:00:00+08:00")  # after the grant
    assert outcome.value["result"] == "applied"
    assert r.send() == "opted_out"


def test_blacklisting_report_for_an_unknown_message_revokes_all_marketing() -> None:
    r = Recipient()
    r.consent("grant", tenant="jd")
    r.feed(REPLY, {"type": "dlr", "msg_id": "never-seen", "phone": PHONE, "status": "UNDELIV",
                   "error_code": "W-BLACK", "reported_at": "2026-11-21T10:00:00+08:00"})
    assert r.send(tenant="jd") == "opted_out"


@pytest.mark.parametrize("value", [{"type": "mo", "phone": PHONE},
                                   {"type": "dlr", "phone": PHONE},
                                   {"type": "fax", "phone": PHONE}])
def test_malformed_replies_are_dead_lettered(value: dict) -> None:
    [emit] = Recipient().feed(REPLY, value)
    assert emit.topic == DEAD_LETTER
    assert emit.value["error_class"] == "invalid_reply"


def test_port_mapping_uses_the_longest_prefix() -> None:
    assert POLICY.tenant_for_port(MEITUAN_PORT + "1") == "meituan"
    assert POLICY.tenant_for_port(CMB_PORT + "77") == "cmb"
    assert POLICY.tenant_for_port("1069") is None
    assert POLICY.tenant_for_port(None) is None


def test_ledger_latest_picks_the_newest_entry_in_scope() -> None:
    state = {"consent": {"jd|marketing": ["grant", 5, "form", "a"],
                         "*|all": ["revoke", 4, "reply", "b"],
                         "cmb|all": ["revoke", 9, "reply", "c"]}}
    assert consent.latest(state, "jd", "marketing")[3] == "a"
    assert consent.latest(state, "cmb", "marketing")[3] == "c"
    assert consent.latest(state, "meituan", "notification")[3] == "b"
    assert consent.latest({}, "jd", "marketing") is None
