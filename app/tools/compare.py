"""What a policy change would change: one trace replayed under two policies, side by side.

Both policies are fed the same records in one pass (`sendguard replay --compare`), and each
intent's decision under the old policy is paired with its decision under the new one (by
msg_id, in order: a re-sent msg_id pairs with the new policy's decision of the same
re-send). Approved counts as reason "ok". `--summary` tallies one policy the same way.
Examples name the msg_id and a masked phone, never a full number.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from app.rules.phones import mask_phone
from app.rules.policy import Policy
from app.rules.records import APPROVED, CONSENT_OUTCOMES, DEAD_LETTER, DROPPED, Emit
from app.runtime.settings import Settings
from app.tools.replay import Replayer, TraceRecord

EXAMPLES = 3  # masked examples kept per transition
GROUPS_SHOWN = 4  # tenant/category counts shown per line of text (JSON has them all)


class Decision(NamedTuple):
    """The facts of one decision record that a comparison counts."""

    msg_id: str
    reason: str
    tenant: str | None
    category: str | None
    phone: str | None


@dataclass
class Breakdown:
    """Decisions of one kind (a reason, or an old -> new transition): how many, for whom."""

    count: int = 0
    groups: Counter[tuple[str | None, str | None]] = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)

    def add(self, decision: Decision, example: bool) -> None:
        self.count += 1
        self.groups[decision.tenant, decision.category] += 1
        if example and len(self.examples) < EXAMPLES:
            self.examples.append((decision.msg_id, mask_phone(decision.phone)))

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "by_tenant_category": [{"tenant": t, "category": c, "count": n}
                                   for (t, c), n in _by_count(self.groups)],
            "examples": [{"msg_id": m, "phone": p} for m, p in self.examples],
        }


@dataclass
class Tally:
    """What one policy decided over a trace."""

    policy_version: str
    reasons: dict[str, Breakdown] = field(default_factory=lambda: defaultdict(Breakdown))
    consent_outcomes: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)

    @property
    def intents(self) -> int:
        return sum(b.count for b in self.reasons.values())

    def add(self, emit: Emit) -> Decision | None:
        """Count one emitted record; return it as a Decision if it is one."""
        value = emit.value
        if emit.topic in (APPROVED, DROPPED):
            decision = Decision(str(value["msg_id"]), value["reason"], value["tenant"],
                                value["category"], value["phone"])
            self.reasons[decision.reason].add(decision, example=False)
            return decision
        if emit.topic == CONSENT_OUTCOMES:
            self.consent_outcomes[value["result"], value["reason"]] += 1
        elif emit.topic == DEAD_LETTER:
            self.dead_letters[value["error_class"]] += 1
        return None

    def to_json(self) -> dict[str, Any]:
        total = self.intents
        return {
            "policy_version": self.policy_version,
            "intents": total,
            "reasons": [{"reason": r, "share": round(b.count / total, 4), **b.to_json()}
                        for r, b in sorted(self.reasons.items(), key=_most)],
            "consent_outcomes": [{"result": r, "reason": why, "count": n}
                                 for (r, why), n in _by_count(self.consent_outcomes)],
            "dead_letters": [{"error_class": e, "count": n}
                             for e, n in _by_count(self.dead_letters)],
        }


@dataclass
class Comparison:
    """Two policies' decisions over one trace, paired intent by intent."""

    old: Tally
    new: Tally
    transitions: dict[tuple[str, str], Breakdown] = field(
        default_factory=lambda: defaultdict(Breakdown))

    @property
    def changed(self) -> int:
        return sum(b.count for (old, new), b in self.transitions.items() if old != new)

    def to_json(self) -> dict[str, Any]:
        return {
            "old_policy_version": self.old.policy_version,
            "new_policy_version": self.new.policy_version,
            "intents": self.old.intents,
            "changed": self.changed,
            "transitions": [{"old": old, "new": new, "changed": old != new, **b.to_json()}
                            for (old, new), b in sorted(self.transitions.items(), key=_most)],
            "old": self.old.to_json(),
            "new": self.new.to_json(),
        }


def summarise(settings: Settings, policy: Policy, records: Iterable[TraceRecord]) -> Tally:
    """Replay `records` under `policy` and tally what it decides."""
    replayer, tally = Replayer(settings, policy), Tally(policy.version)
    for record in records:
        for emit in replayer.feed(*record):
            tally.add(emit)
    for emit in replayer.finish():
        tally.add(emit)
    return tally


def compare(settings: Settings, old: Policy, new: Policy,
            records: Iterable[TraceRecord]) -> Comparison:
    """Replay `records` under both policies at once and pair their decisions."""
    result = Comparison(Tally(old.version), Tally(new.version))
    sides = (Replayer(settings, old), Replayer(settings, new))
    tallies = (result.old, result.new)
    waiting: tuple[dict[str, deque[Decision]], ...] = (defaultdict(deque), defaultdict(deque))

    def take(side: int, emits: list[Emit]) -> None:
        for emit in emits:
            decision = tallies[side].add(emit)
            if decision is None:
                continue
            others = waiting[1 - side].get(decision.msg_id)
            if not others:
                waiting[side][decision.msg_id].append(decision)
                continue
            other = others.popleft()
            if not others:
                del waiting[1 - side][decision.msg_id]
            before, after = (decision, other) if side == 0 else (other, decision)
            result.transitions[before.reason, after.reason].add(
                after, example=before.reason != after.reason)

    for record in records:
        take(0, sides[0].feed(*record))
        take(1, sides[1].feed(*record))
    take(0, sides[0].finish())
    take(1, sides[1].finish())
    for side, missing in ((0, "(none)"), (1, "(none)")):  # never expected: counted, not lost
        for decisions in waiting[side].values():
            for decision in decisions:
                pair = (decision.reason, missing) if side == 0 else (missing, decision.reason)
                result.transitions[pair].add(decision, example=True)
    return result


def render_summary(tally: Tally) -> str:
    """`--summary` as text: decisions by reason, then consent outcomes and dead letters."""
    total = tally.intents
    lines = [f"policy {tally.policy_version}: {total:,} intents decided", "",
             f"  {'reason':<28} {'count':>9} {'share':>6}   tenant/category"]
    for reason, b in sorted(tally.reasons.items(), key=_most):
        lines.append(f"  {reason:<28} {b.count:>9,} {b.count / total:>6.1%}   "
                     f"{_groups(b.groups)}")
    lines += ["", *_others(tally)]
    return "\n".join(lines)


def render_comparison(result: Comparison) -> str:
    """`--compare` as text: the transitions that change a decision, then what stays."""
    old, new = result.old, result.new
    lines = [f"policy {old.policy_version} -> {new.policy_version}: {result.changed:,} of "
             f"{old.intents:,} intents decided differently"]
    changed = [(pair, b) for pair, b in sorted(result.transitions.items(), key=_most)
               if pair[0] != pair[1]]
    if changed:
        width = max(len(o) + len(n) for (o, n), _ in changed) + 4
        lines += ["", f"  {'old -> new':<{width}} {'count':>9}   tenant/category"]
        for (o, n), b in changed:
            lines.append(f"  {o + ' -> ' + n:<{width}} {b.count:>9,}   {_groups(b.groups)}")
            examples = ", ".join(f"{m} {p}" for m, p in b.examples)
            lines.append(f"  {'':<{width}} {'':>9}   e.g. {examples}")
    same = Counter({o: b.count for (o, n), b in result.transitions.items() if o == n})
    if same:
        lines += ["", "unchanged: " + ", ".join(f"{r} {n:,}" for r, n in _by_count(same))]
    if _others(old) == _others(new):
        lines += ["", "both policies:", *_others(old)]
    else:
        lines += ["", f"old policy {old.policy_version}:", *_others(old),
                  f"new policy {new.policy_version}:", *_others(new)]
    return "\n".join(lines)


def _others(tally: Tally) -> list[str]:
    outcomes = ", ".join(f"{r}{f' ({why})' if why else ''} {n:,}"
                         for (r, why), n in _by_count(tally.consent_outcomes))
    dead = ", ".join(f"{e} {n:,}" for e, n in _by_count(tally.dead_letters))
    return [f"  consent outcomes: {outcomes or 'none'}", f"  dead letters: {dead or 'none'}"]


def _groups(groups: Counter[tuple[str | None, str | None]]) -> str:
    ranked = _by_count(groups)
    text = ", ".join(f"{t or '-'}/{c or '-'} {n:,}" for (t, c), n in ranked[:GROUPS_SHOWN])
    more = len(ranked) - GROUPS_SHOWN
    return text + (f", +{more} more" if more > 0 else "")


def _by_count(counter: Counter[Any]) -> list[tuple[Any, int]]:
    """Most first, then by key (None first), so the output is the same on every run."""
    return sorted(counter.items(), key=lambda item: (-item[1], _sortable(item[0])))


def _most(item: tuple[Any, Breakdown]) -> tuple[int, Any]:
    return -item[1].count, _sortable(item[0])


def _sortable(key: Any) -> Any:
    if isinstance(key, tuple):
        return tuple(_sortable(k) for k in key)
    return (key is not None, "" if key is None else str(key))
