"""Do two versions of the decision core decide the same? Digests of everything they output.

    python -m benchmarks.core_identity traffic [--intents 200000] [--pickle FILE]
    python -m benchmarks.core_identity fuzz [--seeds 8] [--events 20000]
    python -m benchmarks.core_identity compare [--rev main] [--native 0|1] [--fuzz-events N]

`traffic` runs `app.rules.core.handle` over the benchmark traffic (as benchmarks/core_bench.py
does),
once on states kept as dicts and once through the orjson state codec (as the worker does), and
prints sha256 digests of every emit (topic, key, orjson value bytes) and of every final state's
bytes (without DERIVED_FIELDS: caches that older code does not write). `fuzz` does the same on
random events built to reach every path: malformed intents, consent events and replies of every
shape, retried msg_ids and redelivered records, record times out of order and across nights
(quiet-hours defer and drop), ticks that release held intents, the idle sweep's prune,
erasures, blacklisting delivery reports, states stripped of `seen_min` and `sent_due` as if
written by older code, under three policies (the example's; one deferring with short windows;
one with notification quiet hours and more caps). An exception inside `handle` is an output too
(its type and text: the worker dead-letters them). `compare` runs both on the sources of another
revision (`git archive`, pure Python) and on this tree (its compiled modules unless --native 0)
in subprocesses and says whether every digest matches.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_795_000_000_000  # ms, 2026-11-18 (a Wednesday) 05:46 UTC


class Digest:
    def __init__(self) -> None:
        self.emits = hashlib.sha256()
        self.count = 0

    def add(self, emits: list[Any] | Exception) -> None:
        if isinstance(emits, Exception):
            self.emits.update(f"EXC {type(emits).__name__}: {emits}\n".encode())
            return
        for emit in emits:
            self.count += 1
            self.emits.update(f"{emit.topic}\0{emit.key}\0".encode() + orjson.dumps(emit.value)
                              + b"\n")


# State fields newer code adds that older code neither writes nor reads: caches of what the rest
# of the state implies (app/rules/caps.py's sent_due), left out so that the rest is compared to
# the byte.
DERIVED_FIELDS = ("sent_due",)


def states_digest(states: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for key, state in states.items():
        value = orjson.loads(state) if isinstance(state, bytes) else state
        data = orjson.dumps({k: v for k, v in value.items() if k not in DERIVED_FIELDS})
        digest.update(key.encode() + b"\0" + data + b"\n")
    return digest.hexdigest()[:16]


Step = tuple[str, str, Any]  # (what, recipient key, envelope or ts)


def run_steps(steps: list[Step], policy: Any) -> dict[str, str]:
    """Each step on states held as dicts, then on states held as orjson bytes."""
    from app.rules.core import handle, prune

    out: dict[str, str] = {}
    for codec in (False, True):
        digest, states = Digest(), {}
        for what, key, item in steps:
            before = states.get(key)
            if codec:
                state = orjson.loads(before) if before else {}
            else:
                state = before if before is not None else {}
            try:
                if what == "sweep":
                    prune(state, item, policy)
                    result: list[Any] | Exception = []
                elif what == "strip":  # as written by code from before seen_min (and sent_due)
                    state.pop("seen_min", None)
                    state.pop("sent_due", None)
                    result = []
                else:
                    result = handle(item, state, policy)
            except Exception as exc:  # the worker dead-letters it: its text is output too
                result = exc
            digest.add(result)
            states[key] = orjson.dumps(state) if codec else state
        name = "codec" if codec else "core"
        out[f"{name}_emits"] = f"{digest.emits.hexdigest()[:16]} ({digest.count})"
        out[f"{name}_states"] = states_digest(states)
    return out


def traffic_steps(intents: int, pickled: str | None, policy: Any) -> list[Step]:
    from benchmarks.core_bench import envelopes

    if pickled and Path(pickled).exists():
        traffic = pickle.loads(Path(pickled).read_bytes())
    else:
        from benchmarks.traffic import generate

        traffic = generate(intents)
        if pickled:  # the traffic's times depend on the day: keep it for the other side
            Path(pickled).write_bytes(pickle.dumps(traffic))
    return [("handle", key, envelope) for key, envelope in envelopes(traffic, policy)]


# --- fuzz ------------------------------------------------------------------------------------

def policies() -> list[Any]:
    import tomllib

    from app.rules.policy import parse_policy

    data = tomllib.loads((ROOT / "policy.example.toml").read_text(encoding="utf-8"))
    defer = {**data, "global": {**data["global"], "quiet_hours_action": "defer",
                                "dedup_window": "2h", "require_consent_evidence": False},
             "replies": {**data["replies"], "dlr_window": "5h"}}
    strict = {**data, "global": {**data["global"], "caps": ["3/1h", "6/1d"],
                                 "quiet_hours_action": "defer", "dedup_window": "30m"},
              "categories": {**data["categories"],
                             "notification": {"consent": "opt_in", "caps": ["2/10m", "4/2h"],
                                              "quiet_hours": "22:30-07:15"}},
              "zones": {"+852": "Asia/Hong_Kong", "+1415": "America/Los_Angeles",
                        "+44": "Europe/London"}}
    return [parse_policy(data, "example"), parse_policy(defer, "defer"),
            parse_policy(strict, "strict")]


_PHONES = ["13812345678", "+86 139 0000 1111", "8615000002222", "0086 186 0000 3333",
           "+1 415 555 0100", "+44 7911 123456", "+852 9123 4567", "+61 412 345 678",
           "+1 800 555 0199", "１３８１２３４５６７８", "12345", "", None, 13812345678]
_TENANTS = ["jd", "cmb", "meituan", "acme", "", None, 7, "x" * 130]
_SIGS = {"jd": ["京东", "京东到家"], "cmb": ["招商银行"], "meituan": ["美团"]}
_CATEGORIES = ["verification", "notification", "marketing", "marketing", "promo", "", None]
_BODIES = ["您的订单已发货", "验证码123456，5分钟内有效", "双11神券到账拒收请回复R",
           "周末特惠回TD退订", "特惠 Reply STOP to opt out", "特惠ＲＥＰＬＹ ＳＴＯＰ",
           "公安局通知您", "恭喜中奖了", "请回复T退订", "退订回T", "reply stop", "text stop now",
           "Ａｂｃ１２３ café", "ﬁne ｶﾀｶﾅ", "x" * 200, "", "a【b】c", "您的账单已出 回复R查询"]
_TIMES = ["2026-11-18T10:00:00+08:00", "2026-11-17T00:00:00Z", "2099-01-01T00:00:00Z",
          "2026-11-18T10:00:00", "yesterday", 12, None, "2026-11-19T03:00:00.5+00:00"]


def _pick(rng: random.Random, options: list[Any]) -> Any:
    return options[rng.randrange(len(options))]


_GOOD_BODIES = {"verification": ["验证码123456，5分钟内有效", "Your code is 1234"],
                "notification": ["您的订单已发货", "您的账单已出，本期应还100元"],
                "marketing": ["双11神券到账拒收请回复R", "周末特惠回TD退订", "特惠退订回T",
                              "Sale Reply STOP to opt out",
                              "特惠ＲＥＰＬＹ ＳＴＯＰ ｔｏ ｏｐｔ ｏｕｔ"]}


def _intent(rng: random.Random, msg_ids: list[str], phone: Any, now_ms: int) -> dict[str, Any]:
    if rng.random() < 0.8:  # a good one, mostly
        tenant = _pick(rng, list(_SIGS))
        sig = _pick(rng, _SIGS[tenant])
        category = _pick(rng, ["verification", "notification", "marketing", "marketing"])
        content: Any = f"【{sig}】{_pick(rng, _GOOD_BODIES[category])}"
    else:
        tenant = _pick(rng, _TENANTS) if rng.random() < 0.3 else _pick(rng, list(_SIGS))
        sig = _pick(rng, _SIGS.get(tenant, ["淘宝"])) if rng.random() < 0.9 else "美团"
        category = _pick(rng, _CATEGORIES)
        body = _pick(rng, _BODIES)
        content = f"【{sig}】{body}" if rng.random() < 0.9 else body
        if rng.random() < 0.1:
            content = _pick(rng, [None, 42, ["x"], ""])
    msg_id = _pick(rng, msg_ids[-300:]) if msg_ids and rng.random() < 0.1 else (
        f"m-{rng.randrange(10**9)}")
    value: dict[str, Any] = {"msg_id": msg_id, "tenant": tenant, "signature": sig,
                             "category": category, "phone": phone, "content": content}
    if rng.random() < 0.1:
        value["campaign_id"] = _pick(rng, ["c-1", 5, None, "c" * 2000])
    if rng.random() < 0.1:
        value["expires_at"] = _pick(rng, _TIMES)
    if rng.random() < 0.03:
        value["extra"] = {"nested": [1, 2]}
    if rng.random() < 0.01:
        value["msg_id"] = "y" * 140
    msg_ids.append(value["msg_id"])
    return value


def _consent(rng: random.Random, phone: Any, now_ms: int, event_ids: list[str]) -> dict[str, Any]:
    from app.rules.records import iso_ms

    draw = rng.random()
    action = ("grant" if draw < 0.6 else "revoke" if draw < 0.8 else "erase" if draw < 0.83
              else _pick(rng, ["grant", "revoke", "bogus", None]))
    event_id = (_pick(rng, event_ids[-100:]) if event_ids and rng.random() < 0.05
                else f"e-{rng.randrange(10**9)}")
    event_ids.append(event_id)
    occurred = iso_ms(now_ms - rng.randrange(-3_600_000, 86_400_000))
    value: dict[str, Any] = {"event_id": event_id, "phone": phone, "action": action,
                             "tenant": _pick(rng, list(_SIGS)),
                             "category": _pick(rng, ["marketing", "marketing", "notification"]),
                             "source": "form", "occurred_at": occurred,
                             "evidence": {"form": "f1"}}
    if draw > 0.83 or rng.random() < 0.1:  # mess up a field or two
        for _ in range(rng.randrange(1, 3)):
            field, options = _pick(rng, [
                ("event_id", ["", None, 3, "z" * 200]),
                ("tenant", ["*", "acme", None, "", 5, "t" * 200]),
                ("category", ["all", "verification", None]),
                ("source", [None, 9, "s" * 300]),
                ("occurred_at", _TIMES),
                ("evidence", [{}, {"prechecked": True}, "yes", None])])
            value[field] = _pick(rng, options)
    return value


def _reply(rng: random.Random, phone: Any, msg_ids: list[str], now_ms: int) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {"type": "mo", "reply_id": f"r-{rng.randrange(10**6)}", "phone": phone,
                "to": _pick(rng, ["1069000112345", "1065502010999", "106900005678", "999",
                                  None]),
                "text": _pick(rng, ["TD", "退订", "T", "STOP", "STOPALL", "YES", "好的", "R",
                                    "unsubscribe please", "取消订阅", None, "Ｔ Ｄ"]),
                "received_at": _pick(rng, _TIMES)}
    return {"type": _pick(rng, ["dlr", "dlr", "dlr", "other", None]),
            "msg_id": _pick(rng, msg_ids) if msg_ids else "m-0", "phone": phone,
            "status": _pick(rng, ["DELIVRD", "UNDELIV", None]),
            "error_code": _pick(rng, ["MBBLACK", "W-BLACK", "000", None]),
            "reported_at": _pick(rng, _TIMES)}


def fuzz_steps(seed: int, events: int, policy: Any) -> list[Step]:
    from app.rules.records import Source
    from app.rules.routing import CONSENT, INTENT, RECIPIENT_EVENTS, REPLY, TICK, route

    rng = random.Random(seed)
    phones = [_pick(rng, _PHONES) for _ in range(8)] + [f"1390000{i:04d}" for i in range(20)]
    msg_ids: list[str] = []
    event_ids: list[str] = []
    steps: list[Step] = []
    sent: list[Step] = []
    now_ms = T0 + seed * 3_600_000
    offset = 0
    topics = {INTENT: "sms.send-intents", CONSENT: "sms.consent-events", REPLY: "sms.replies"}
    while len(steps) < events:
        now_ms += rng.randrange(0, 240_000)  # days go by, nights included
        ts = now_ms - rng.randrange(0, 7_200_000) if rng.random() < 0.05 else now_ms
        draw = rng.random()
        if draw < 0.05 and sent:  # a redelivered input record, exactly as before
            steps.append(_pick(rng, sent[-200:]))
            continue
        if draw < 0.08:
            for key in dict.fromkeys(key for _, key, _ in steps[-5:]):
                steps.append(("handle", key, {"kind": TICK, "ts": ts}))
            continue
        if draw < 0.1 and steps:
            steps.append(("sweep", _pick(rng, steps)[1], ts - rng.randrange(0, 3_600_000)))
            continue
        if draw < 0.11 and steps:
            steps.append(("strip", _pick(rng, steps)[1], None))
            continue
        phone = _pick(rng, phones)
        kind = INTENT if draw < 0.75 else CONSENT if draw < 0.92 else REPLY
        value = (_intent(rng, msg_ids, phone, ts) if kind == INTENT
                 else _consent(rng, phone, ts, event_ids) if kind == CONSENT
                 else _reply(rng, phone, msg_ids, ts))
        offset += 1
        emit = route(kind, Source(topics[kind], offset % 3, offset, ts), b"k",
                     orjson.dumps(value), policy)
        if emit.topic == RECIPIENT_EVENTS:
            step: Step = ("handle", str(emit.key), emit.value)
            steps.append(step)
            sent.append(step)
    return steps


# --- driver ----------------------------------------------------------------------------------

def _native() -> str:
    import app.native

    return "compiled" if app.native.ACTIVE else "python"


def _print(label: str, result: dict[str, str]) -> None:
    print(label, " ".join(f"{k}={v}" for k, v in result.items()), flush=True)


def compare(rev: str, native: str, fuzz_seeds: int, fuzz_events: int, intents: int,
            pickled: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="core-identity-") as tmp:
        archive = subprocess.run(["git", "archive", rev, "app"], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        pickled = pickled or str(Path(tmp) / "traffic.pkl")
        args = ["--fuzz-seeds", str(fuzz_seeds), "--fuzz-events", str(fuzz_events),
                "--intents", str(intents), "--pickle", pickled]
        outputs = []
        for app_dir, env in ((tmp, {"SENDGUARD_NATIVE": "0"}), (str(ROOT),
                                                                  {"SENDGUARD_NATIVE": native})):
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.core_identity", "all", "--app", app_dir,
                 *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stdout, done.stderr)
                return 2
            outputs.append(done.stdout.splitlines())
    same = True
    for old, new in zip(*outputs, strict=True):
        old_label, _, old_rest = old.partition(" ")
        _, _, new_rest = new.partition(" ")
        match = old_rest.split(" native=")[0] == new_rest.split(" native=")[0]
        same &= match
        print(("same " if match else "DIFFERENT ") + old_label, new_rest)
    print(f"{rev} (python) vs this tree ({outputs[1][0].split('native=')[-1]}): "
          + ("identical" if same else "DIFFERENT"))
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("traffic", "fuzz", "all", "compare"))
    parser.add_argument("--app", help="directory holding the app package to test")
    parser.add_argument("--intents", type=int, default=200_000)
    parser.add_argument("--pickle", help="traffic pickle (written if missing)")
    parser.add_argument("--fuzz-seeds", type=int, default=8)
    parser.add_argument("--fuzz-events", type=int, default=20_000)
    parser.add_argument("--rev", default="main")
    parser.add_argument("--native", default="1", choices=("0", "1"))
    args = parser.parse_args(argv)
    if args.mode == "compare":
        return compare(args.rev, args.native, args.fuzz_seeds, args.fuzz_events, args.intents,
                       args.pickle)
    if args.app:
        sys.path.insert(0, args.app)
    from app.rules.policy import load_policy

    native = _native()
    if args.mode in ("traffic", "all"):
        policy = load_policy(ROOT / "policy.example.toml")
        _print(f"traffic-{args.intents}",
               {**run_steps(traffic_steps(args.intents, args.pickle, policy), policy),
                "native": native})
    if args.mode in ("fuzz", "all"):
        for seed in range(args.fuzz_seeds):
            for policy in policies():
                steps = fuzz_steps(seed, args.fuzz_events, policy)
                _print(f"fuzz-seed{seed}-{policy.source}",
                       {**run_steps(steps, policy), "native": native})
    return 0


if __name__ == "__main__":
    sys.exit(main())
