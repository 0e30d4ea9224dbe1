""""Why did this user get / not get that message?": a recipient's state, made readable.

Pure: the recipient's state document (see app/core.py) and the policy in, a JSON-able answer
out. The web endpoint and `sendguard explain` serve it. The recipient's own number appears as
asked; any other phone-like digits in stored evidence are masked.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from app import caps, consent
from app.policy import Policy
from app.records import iso_ms

_PHONE_LIKE = re.compile(r"\+?\d[\d \-]{6,}\d")


def _mask_digits(text: str, keep: str) -> str:
    def mask(match: re.Match[str]) -> str:
        found = match.group(0)
        digits = re.sub(r"\D", "", found)
        if keep and digits and keep.lstrip("+").endswith(digits[-8:]):
            return found
        return found[:3] + "*" * max(len(found) - 7, 1) + found[-4:]
    return _PHONE_LIKE.sub(mask, text)


def _masked(value: Any, keep: str) -> Any:
    if isinstance(value, str):
        return _mask_digits(value, keep)
    if isinstance(value, dict):
        return {k: _masked(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, keep) for v in value]
    return value


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
                            "source": source, "event_id": event_id}
            consents.append({"tenant": tenant, "category": category, "mode": mode,
                             "status": status, "deciding_event": deciding})
    usage = []
    sent: dict[str, list[int]] = state.get("sent") or {}
    for scope, times in sorted(sent.items()):
        if scope == caps.GLOBAL_SCOPE:
            tenant, category, scope_caps = None, None, policy.global_caps
        else:
            tenant, _, category = scope.partition("|")
            scope_caps = policy.categories[category].caps if category in policy.categories \
                else ()
        usage.append({
            "tenant": tenant, "category": category,
            "caps": [{"cap": cap.text,
                      "used": len(times) - bisect.bisect_right(times, now_ms - cap.window_s * 1000),
                      "limit": cap.count} for cap in scope_caps],
            "last_approved_at": iso_ms(times[-1]) if times else None,
        })
    recent = sorted(((entry[0], msg_id, entry[2], entry[3], entry[4] if len(entry) > 4 else None)
                     for msg_id, entry in (state.get("seen") or {}).items()), reverse=True)
    return _masked({
        "phone": phone,
        "policy_version": policy.version,
        "as_of": iso_ms(now_ms),
        "consent": consents,
        "consent_ledger": [
            {"tenant": key.split("|")[0], "category": key.split("|")[1], "action": e[0],
             "occurred_at": iso_ms(e[1]), "source": e[2], "event_id": e[3]}
            for key, e in sorted((state.get("consent") or {}).items())
        ],
        "cap_usage": usage,
        "recent_decisions": [
            {"msg_id": msg_id, "reason": reason, "detail": detail, "tenant": tenant,
             "decided_at": iso_ms(ms)} for ms, msg_id, reason, detail, tenant in recent[:50]
        ],
        "held": [{"msg_id": h[4]["msg_id"], "release_at": iso_ms(h[0])}
                 for h in state.get("held") or []],
        "erased_at": iso_ms(state["erased"]) if "erased" in state else None,
    }, phone)
