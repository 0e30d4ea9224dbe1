""""Why did this user get / not get that message?": a recipient's state, made readable.

Pure: the recipient's state document (see app/rules/core.py) and the policy in, a JSON-able answer
out. The web endpoint and `sendguard explain` serve it. The recipient's own number appears as
asked. Free text that upstream services or the core wrote (a decision's `detail`, a consent
event's `source`) has any phone in it masked by the one masker logs use; dates, versions and
identifiers (msg_id, event_id: what staff search by) are shown as stored.
"""

from __future__ import annotations

import bisect
from typing import Any

from app.rules import caps, consent
from app.rules.policy import Policy
from app.rules.records import iso_ms
from app.runtime.logs import mask_text


def _free_text(text: Any) -> Any:
    """Free text may quote another person's number (an upstream's note, a bad field echoed)."""
    return mask_text(text) if isinstance(text, str) else text


def explain(phone: str, state: dict[str, Any], policy: Policy, now_ms: int) -> dict[str, Any]:
    """The recipient's consent per tenant × category, cap usage, recent and held decisions."""
    consents = []
    for tenant in sorted(policy.tenants):
        for category in consent.CONSENT_CATEGORIES:
            mode = policy.categories[category].consent
            entry = consent.latest(state, tenant, category)
            if entry is None:
                status = "granted" if mode == "opt_out" else "no_consent" if mode == "opt_in" \
                    else "not_needed"
                deciding = None
            else:
                action, occurred_ms, source, event_id = entry
                status = "granted" if action == consent.GRANT else "revoked"
                deciding = {"action": action, "occurred_at": iso_ms(occurred_ms),
                            "source": _free_text(source), "event_id": event_id}
            consents.append({"tenant": tenant, "category": category, "mode": mode,
                             "status": status, "deciding_event": deciding})
    usage = []
    sent: dict[str, list[int]] = state.get("sent") or {}
    for scope, times in sorted(sent.items()):
        if scope == caps.GLOBAL_SCOPE:
            tenant, category, scope_caps = None, None, policy.global_caps
        else:  # tenant "*": the category's recipient caps, across every tenant
            tenant, _, category = scope.rpartition("|")
            found = policy.categories.get(category)
            scope_caps = () if found is None else (
                found.recipient_caps if tenant == caps.GLOBAL_SCOPE else found.caps)
        usage.append({
            "tenant": tenant, "category": category,
            "caps": [{"cap": cap.text,
                      "used": len(times) - bisect.bisect_right(times, now_ms - cap.window_s * 1000),
                      "limit": cap.count} for cap in scope_caps],
            "last_approved_at": iso_ms(times[-1]) if times else None,
        })
    recent = sorted(((entry[0], msg_id, entry[2], entry[3], entry[4] if len(entry) > 4 else None)
                     for msg_id, entry in (state.get("seen") or {}).items()), reverse=True)
    return {
        "phone": phone,
        "policy_version": policy.version,
        "as_of": iso_ms(now_ms),
        "consent": consents,
        "consent_ledger": [
            {"tenant": key.split("|")[0], "category": key.split("|")[1], "action": e[0],
             "occurred_at": iso_ms(e[1]), "source": _free_text(e[2]), "event_id": e[3]}
            for key, e in sorted((state.get("consent") or {}).items())
        ],
        "cap_usage": usage,
        "recent_decisions": [
            {"msg_id": msg_id, "reason": reason, "detail": _free_text(detail), "tenant": tenant,
             "decided_at": iso_ms(ms)} for ms, msg_id, reason, detail, tenant in recent[:50]
        ],
        "held": [{"msg_id": h[4]["msg_id"], "release_at": iso_ms(h[0])}
                 for h in state.get("held") or []],
        "erased_at": iso_ms(state["erased"]) if "erased" in state else None,
    }
