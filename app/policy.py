"""The policy file: what compliance staff edit, validated once at start.

Every number the rules use (caps, windows, quiet hours, the dedup window) is a setting here,
never a constant in code. Validation collects every problem with its path, so a typo in a
category name or a cap like "5/1hr" fails the start with a message that says where and why,
instead of silently disabling a rule. Unknown keys are errors for the same reason.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CATEGORIES: Final = ("verification", "notification", "marketing")
CONSENT_MODES: Final = ("none", "opt_out", "opt_in")
QUIET_HOURS_ACTIONS: Final = ("drop", "defer")

_DURATION: Final = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CAP: Final = re.compile(r"(\d+)/(\d+[smhd])")
_CLOCK_RANGE: Final = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_PORT: Final = re.compile(r"\d{4,21}")
_T = TypeVar("_T")


class PolicyError(ValueError):
    """The policy file is invalid; the message lists every problem found."""


@dataclass(frozen=True, slots=True)
class Cap:
    """At most `count` approved messages in any rolling window of `window_s` seconds."""

    count: int
    window_s: int
    text: str


# Marketing's refusal wording when the policy names none (platform practice, domain brief).
DEFAULT_UNSUBSCRIBE_NOTICE: Final = (
    "拒收请回复R", "回TD退订", "回T退订", "退订回T", "Reply STOP to opt out",
)


@dataclass(frozen=True, slots=True)
class CategoryPolicy:
    consent: str
    caps: tuple[Cap, ...] = ()
    quiet_hours: tuple[int, int] | None = None  # (start, end) in minutes after midnight
    unsubscribe_notice: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TenantPolicy:
    name: str
    signatures: frozenset[str]
    ports: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    # dicts, not Mappings: compiled, a lookup in a dict is done in C (several per decision)
    tenants: dict[str, TenantPolicy]
    categories: dict[str, CategoryPolicy]
    global_caps: tuple[Cap, ...] = ()
    timezone: str = "Asia/Shanghai"
    default_region: str = "CN"
    dedup_window_s: int = 86400
    require_consent_evidence: bool = True
    dlr_revoke_error_codes: frozenset[str] = frozenset({"MBBLACK", "W-BLACK"})
    dlr_window_s: int = 259200
    quiet_hours_action: str = "drop"
    zones: dict[str, str] = field(default_factory=dict)
    banned_phrases: tuple[str, ...] = ()
    source: str = field(default="<memory>", compare=False)
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived(self, name: str, build: Callable[[Policy], _T]) -> _T:
        """`build(self)`, computed once per policy: the rules' lookup tables (cap bounds,
        folded phrases) are a function of the immutable policy, not of each message."""
        try:
            return self._derived[name]  # type: ignore[no-any-return]
        except KeyError:
            value = self._derived[name] = build(self)
            return value

    def tenant_for_port(self, number: object) -> str | None:
        """The tenant whose port is the longest prefix of the number replied to, if any."""
        if not isinstance(number, str):
            return None
        best, best_len = None, 0
        for tenant in self.tenants.values():
            for port in tenant.ports:
                if len(port) > best_len and number.startswith(port):
                    best, best_len = tenant.name, len(port)
        return best


def parse_duration(text: str) -> int:
    """'90s', '30m', '24h', '7d' -> seconds."""
    match = _DURATION.fullmatch(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 90s, 30m, 24h or 7d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_cap(text: str) -> Cap:
    """'5/1h' -> Cap(5, 3600, '5/1h')."""
    match = _CAP.fullmatch(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0 or int(match.group(2)[:-1]) == 0:
        raise ValueError(f"{text!r} is not a cap like 5/1h (count/window, window in s, m, h, d)")
    return Cap(int(match.group(1)), parse_duration(match.group(2)), text)


def parse_clock_range(text: str) -> tuple[int, int]:
    """'21:00-08:00' -> (1260, 480); the range may cross midnight."""
    match = _CLOCK_RANGE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a range like 21:00-08:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"{text!r} is an empty range")
    return start, end


class _Checker:
    """Reads a TOML table, recording every problem with its dotted path."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def table(self, data: Any, path: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.errors.append(f"{path}: must be a table")
            return {}
        for key in sorted(set(data) - allowed):
            self.errors.append(f"{path}.{key}: unknown key (allowed: {', '.join(sorted(allowed))})")
        return data

    def string(self, data: dict[str, Any], key: str, path: str, default: str | None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.errors.append(f"{path}.{key}: must be a non-empty string")
            return default or ""
        return value

    def strings(self, data: dict[str, Any], key: str, path: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.errors.append(f"{path}.{key}: must be a list of non-empty strings")
            return []
        return value

    def caps(self, data: dict[str, Any], path: str) -> tuple[Cap, ...]:
        caps = []
        for text in self.strings(data, "caps", path):
            try:
                caps.append(parse_cap(text))
            except ValueError as exc:
                self.errors.append(f"{path}.caps: {exc}")
        return tuple(caps)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raise PolicyError listing every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from exc
    return parse_policy(data, source=str(path))


def parse_policy(data: dict[str, Any], source: str = "<memory>") -> Policy:
    """Validate an already-parsed policy document."""
    check = _Checker()
    top = check.table(data, "policy", {
        "version", "global", "tenants", "categories", "replies", "zones", "content",
    })
    version = check.string(top, "version", "policy", None)

    glob = check.table(top.get("global", {}), "global", {
        "caps", "timezone", "default_region", "dedup_window", "require_consent_evidence",
        "quiet_hours_action",
    })
    quiet_action = glob.get("quiet_hours_action", "drop")
    if quiet_action not in QUIET_HOURS_ACTIONS:
        check.errors.append(
            f"global.quiet_hours_action: must be one of {', '.join(QUIET_HOURS_ACTIONS)}")
    timezone = check.string(glob, "timezone", "global", "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        check.errors.append(f"global.timezone: unknown IANA time zone {timezone!r}")
    region = check.string(glob, "default_region", "global", "CN")
    if not re.fullmatch(r"[A-Z]{2}", region):
        check.errors.append(f"global.default_region: {region!r} is not an ISO country code like CN")
    dedup_window_s = 86400
    try:
        dedup_window_s = parse_duration(check.string(glob, "dedup_window", "global", "24h"))
    except ValueError as exc:
        check.errors.append(f"global.dedup_window: {exc}")
    require_evidence = glob.get("require_consent_evidence", True)
    if not isinstance(require_evidence, bool):
        check.errors.append("global.require_consent_evidence: must be true or false")

    tenants: dict[str, TenantPolicy] = {}
    tenants_table = check.table(top.get("tenants", {}), "tenants", set(top.get("tenants", {})))
    if not tenants_table:
        check.errors.append("tenants: at least one [tenants.NAME] table is required")
    for name, raw in tenants_table.items():
        path = f"tenants.{name}"
        tenant = check.table(raw, path, {"signatures", "ports"})
        signatures = check.strings(tenant, "signatures", path)
        if not signatures:
            check.errors.append(f"{path}.signatures: at least one signature is required")
        for sig in signatures:
            if "【" in sig or "】" in sig:
                check.errors.append(f"{path}.signatures: write {sig!r} without 【】")
        ports = check.strings(tenant, "ports", path)
        for port in ports:
            if not _PORT.fullmatch(port):
                check.errors.append(f"{path}.ports: {port!r} is not a number like 106900001234")
        tenants[name] = TenantPolicy(name, frozenset(signatures), tuple(ports))

    categories: dict[str, CategoryPolicy] = {}
    cats_table = check.table(top.get("categories", {}), "categories", set(CATEGORIES))
    for name in CATEGORIES:
        path = f"categories.{name}"
        if name not in cats_table:
            check.errors.append(f"{path}: missing (all of {', '.join(CATEGORIES)} are required)")
            continue
        cat = check.table(cats_table[name], path, {
            "consent", "caps", "quiet_hours", "unsubscribe_notice",
        })
        consent = cat.get("consent")
        if consent not in CONSENT_MODES:
            check.errors.append(f"{path}.consent: must be one of {', '.join(CONSENT_MODES)}")
        quiet = None
        quiet_text = cat.get("quiet_hours", "")
        if not isinstance(quiet_text, str):
            check.errors.append(f"{path}.quiet_hours: must be a string like 21:00-08:00")
        elif quiet_text:
            try:
                quiet = parse_clock_range(quiet_text)
            except ValueError as exc:
                check.errors.append(f"{path}.quiet_hours: {exc}")
        notices = check.strings(cat, "unsubscribe_notice", path)
        if name == "marketing" and "unsubscribe_notice" not in cat:
            notices = list(DEFAULT_UNSUBSCRIBE_NOTICE)
        elif name == "marketing" and not notices:
            check.errors.append(f"{path}.unsubscribe_notice: marketing must carry a way to "
                                f"refuse (MIIT 2015); list at least one phrase")
        categories[name] = CategoryPolicy(
            consent=str(consent),
            caps=check.caps(cat, path),
            quiet_hours=quiet,
            unsubscribe_notice=tuple(notices),
        )

    global_caps = check.caps(glob, "global")
    replies = check.table(top.get("replies", {}), "replies",
                          {"dlr_revoke_error_codes", "dlr_window"})
    dlr_codes = (check.strings(replies, "dlr_revoke_error_codes", "replies")
                 if "dlr_revoke_error_codes" in replies else ["MBBLACK", "W-BLACK"])
    dlr_window_s = 259200
    try:
        dlr_window_s = parse_duration(check.string(replies, "dlr_window", "replies", "72h"))
    except ValueError as exc:
        check.errors.append(f"replies.dlr_window: {exc}")
    zones: dict[str, str] = {}
    for prefix, zone in check.table(top.get("zones", {}), "zones",
                                    set(top.get("zones", {}))).items():
        if not re.fullmatch(r"\+\d{1,15}", prefix):
            check.errors.append(f"zones.{prefix}: keys are E.164 prefixes like \"+1415\"")
        try:
            ZoneInfo(zone)
            zones[prefix] = zone
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            check.errors.append(f"zones.{prefix}: unknown IANA time zone {zone!r}")
    content = check.table(top.get("content", {}), "content", {"banned_phrases"})
    banned = check.strings(content, "banned_phrases", "content")
    if check.errors:
        raise PolicyError(f"{source}: invalid policy:\n  " + "\n  ".join(check.errors))
    return Policy(
        version=version,
        tenants=tenants,
        categories=categories,
        global_caps=global_caps,
        timezone=timezone,
        default_region=region,
        dedup_window_s=dedup_window_s,
        require_consent_evidence=bool(require_evidence),
        dlr_revoke_error_codes=frozenset(dlr_codes),
        dlr_window_s=dlr_window_s,
        quiet_hours_action=str(quiet_action),
        zones=zones,
        banned_phrases=tuple(banned),
        source=source,
    )
