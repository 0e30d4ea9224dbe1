"""The worker's HTTP pages: /metrics, /healthz, /readyz and /recipients/{phone}."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

import faust
from faust.exceptions import SameNode
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from app.rules.phones import InvalidPhone, normalise_phone
from app.rules.policy import Policy
from app.runtime import metrics
from app.runtime.settings import Settings
from app.runtime.state import TABLE_NAME, Recipients
from app.tools.explain import explain


def add_pages(faust_app: faust.App, settings: Settings, policy: Policy,
              recipients: Recipients) -> None:
    """The pages, on `faust_app`'s web server."""

    @faust_app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset in content_type=, so the full header goes in headers=.
        metrics.flush()
        return web.bytes(generate_latest(REGISTRY),
                         headers={"Content-Type": CONTENT_TYPE_LATEST})

    @faust_app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        """Liveness: the process serves requests."""
        return web.json({"status": "ok", "policy_version": policy.version})

    @faust_app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        """Readiness: partitions assigned and table state recovered."""
        ready = (faust_app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
                 and not faust_app.rebalancing)
        return web.json({"ready": ready, "policy_version": policy.version},
                        status=200 if ready else 503)

    @faust_app.page("/recipients/{phone}")
    async def recipient(web: Any, request: Any, phone: str) -> Any:
        return await explain_recipient(faust_app, settings, policy, recipients, web, request, phone)


async def explain_recipient(faust_app: faust.App, settings: Settings, policy: Policy,
                            recipients: Recipients, web: Any, request: Any, phone: str) -> Any:
    """Compliance staff's "why?": consent, cap usage and recent decisions of one number,
    answered by the worker that holds its partition."""
    if not settings.accepts_bearer(request.headers.get("Authorization", "")):
        return web.json({"error": "a valid bearer token is required"}, status=401)
    try:
        e164 = normalise_phone(unquote(phone), policy.default_region)
    except InvalidPhone as exc:
        return web.json({"error": f"invalid phone: {exc}"}, status=400)
    try:  # the recipient's partition is chosen by its number (app/runtime/lanes.py)
        return await faust_app.router.route_req(TABLE_NAME, e164.encode(), web, request)
    except SameNode:
        state = recipients.states().load(recipients.sealer.recipient_key(e164))
        return web.json(explain(e164, state, policy, int(time.time() * 1000)))
