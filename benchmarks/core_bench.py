"""The decision core alone, in-process: app.rules.core.handle over pre-built envelopes.

Envelopes are built once, outside the timing, by the worker's own first hop
(app.rules.routing.route)
from the benchmark traffic (consent events first, then intents, in time order). Two figures:

- core: handle() on per-recipient state dicts held in a Python dict (the rules alone);
- core + state codec: as the worker's decide step does per event, the state is orjson-decoded
  before and encoded after each call (the worker's RocksDB values are those bytes).

Each is timed in CPU time of this (single-threaded) process, best of `repeat` passes over the
events with fresh state: the machine is shared, and wall time would count other processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from app import contracts
from app.rules.core import handle
from app.rules.policy import Policy, load_policy
from app.rules.records import Source
from app.rules.routing import CONSENT, INTENT, route
from benchmarks.traffic import Traffic

POLICY = contracts.example_policy_path()


@dataclass
class CoreResult:
    events: int
    core_per_s: float
    codec_per_s: float
    reasons: dict[str, int]


def envelopes(traffic: Traffic, policy: Policy) -> list[tuple[str, dict[str, Any]]]:
    """(recipient key, envelope) per record, consents first, as the decide agent gets them."""
    out = []
    for kind, topic, records in ((CONSENT, "sms.consent-events", traffic.consents),
                                 (INTENT, "sms.send-intents", traffic.intents)):
        for offset, record in enumerate(records):
            emit = route(kind, Source(topic, 0, offset, record.ts), record.key, record.value,
                         policy)
            if emit.topic == "recipient_events":
                out.append((str(emit.key), emit.value))
    return out


def run(traffic: Traffic, policy: Policy | None = None, repeat: int = 3) -> CoreResult:
    policy = policy or load_policy(POLICY)
    events = envelopes(traffic, policy)
    reasons: dict[str, int] = {}
    core_s = codec_s = float("inf")
    for _ in range(repeat):
        states: dict[str, dict[str, Any]] = {}
        reasons = {}
        started = time.process_time()
        for key, envelope in events:
            for emit in handle(envelope, states.setdefault(key, {}), policy):
                reason = emit.value.get("reason") or emit.value.get("result")
                reasons[reason] = reasons.get(reason, 0) + 1
        core_s = min(core_s, time.process_time() - started)

        stored: dict[str, bytes] = {}
        started = time.process_time()
        for key, envelope in events:
            before = stored.get(key)
            state = orjson.loads(before) if before else {}
            handle(envelope, state, policy)
            stored[key] = orjson.dumps(state)
        codec_s = min(codec_s, time.process_time() - started)
    return CoreResult(len(events), len(events) / core_s, len(events) / codec_s, reasons)


if __name__ == "__main__":
    from benchmarks.traffic import generate

    result = run(generate(20_000))
    print(f"{result.events} events: core {result.core_per_s:,.0f}/s, "
          f"with state codec {result.codec_per_s:,.0f}/s; {result.reasons}")
