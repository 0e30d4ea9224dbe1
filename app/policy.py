"""The policy file: what compliance staff edit, validated once at start.

Every number the rules use (caps, windows, quiet hours, the dedup window) is a setting here,
never a constant in code. Validation collects every problem with its path, so a typo in a
category name or a cap like "5/1hr" fails the start with a message that says where and why,
instead of silently disabling a rule. Unknown keys are errors for the same reason.

Some rules are refused because they would make the gate unsafe, whatever compliance staff
meant: marketing without opt-in, a reply port or a signature shared by two tenants (a refusal
could not be attributed, a signature's use would widen), a blank unsubscribe notice or banned
phrase (every text would carry it). Every problem is one line naming its dotted key, and the
whole message is one line: the CLI prints it, no traceback, whatever the file holds.
"""

from __future__ import annotations

import datetime
import json
import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CATEGORIES: Final = ("verification", "notification", "marketing")
CONSENT_MODES: Final = ("none", "opt_out", "opt_in")
QUIET_HOURS_ACTIONS: Final = ("drop", "defer")

# re.ASCII: \d alone also takes full-width and other scripts' digits.
_DURATION: Final = re.compile(r"(\d+)([smhd])", re.ASCII)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CAP: Final = re.compile(r"(\d+)/(\d+[smhd])", re.ASCII)
_CLOCK_RANGE: Final = re.compile(
    r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", re.ASCII)
_PORT: Final = re.compile(r"\d{4,21}", re.ASCII)
_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")  # a TOML key written without quotes
# "*" is every tenant in a revoke and in the caps' recipient scope ("*|marketing"); "|"
# separates tenant and category in state keys.
_RESERVED_TENANT: Final = "*"
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
    caps: tuple[Cap, ...] = ()  # per recipient × tenant
    quiet_hours: tuple[int, int] | None = None  # (start, end) in minutes after midnight
    unsubscribe_notice: tuple[str, ...] = ()
    recipient_caps: tuple[Cap, ...] = ()  # per recipient, across every tenant


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


def _key(path: str, name: str) -> str:
    """`path.name` as TOML writes a dotted key: `tenants.jd.ports`, `zones."+852"`."""
    return f"{path}.{name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)}"


def _kind(value: object) -> str:
    """What a TOML value is, in TOML's words, for "must be X, not Y"."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, (datetime.date, datetime.time)):  # (a datetime is a date)
        return "a date or time"
    return type(value).__name__  # not from TOML: a direct caller's


def _has_content(text: str) -> bool:
    """Whether the text holds a letter, digit or symbol: a phrase of spaces, punctuation or
    invisible characters alone would be found in (or folded out of) every text."""
    return any(unicodedata.category(c)[0] in "LNS" for c in text)


def _fold(signature: str) -> str:
    """A signature as compared between tenants: width, case, spaces and invisible characters
    folded, so that two spellings of one name are one signature (wider, not narrower)."""
    return "".join(c for c in unicodedata.normalize("NFKC", signature)
                   if unicodedata.category(c)[0] not in "ZC").casefold()


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # (OSError: a name too long, a folder)
        return False
    return True


def _one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped as repr() writes them."""
    return "".join(ascii(c)[1:-1] if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in text)


class _Checker:
    """Reads TOML values, recording every problem with its dotted key; never raises."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def table(self, data: Any, path: str, allowed: set[str] | None) -> dict[str, Any] | None:
        """`data` if it is a table (its keys outside `allowed` reported), else None."""
        if not isinstance(data, dict):
            self.add(path, f"must be a table, not {_kind(data)}")
            return None
        if allowed is not None:
            for key in sorted(set(data) - allowed):
                self.add(_key(path, key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return data

    def string(self, data: dict[str, Any], key: str, path: str, default: str | None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.add(_key(path, key), f"must be a non-empty string, not {_kind(value)}"
                     if key in data else "must be a non-empty string")
            return default or ""
        if not value.strip():
            self.add(_key(path, key), "must be a non-empty string")
            return default or ""
        return value

    def strings(self, data: dict[str, Any], key: str, path: str,
                phrases: bool = False) -> list[str]:
        """A list of non-blank strings; `phrases`: each must hold a letter, digit or symbol."""
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(_key(path, key), "must be an array of strings, not "
                     + (_kind(value) if not isinstance(value, list) else "an array holding "
                        + _kind(next(v for v in value if not isinstance(v, str)))))
            return []
        kept = []
        for text in value:
            if not text.strip() or (phrases and not _has_content(text)):
                self.add(_key(path, key), f"{text!r} is blank" + (
                    ": a phrase needs a letter, digit or symbol, or it is found in every text"
                    if phrases else ""))
            else:
                kept.append(text)
        return kept

    def caps(self, data: dict[str, Any], key: str, path: str) -> tuple[Cap, ...]:
        caps = []
        for text in self.strings(data, key, path):
            try:
                caps.append(parse_cap(text))
            except ValueError as exc:
                self.add(_key(path, key), str(exc))
        return tuple(caps)

    def duration(self, data: dict[str, Any], key: str, path: str, default: str) -> int:
        try:
            return parse_duration(self.string(data, key, path, default))
        except ValueError as exc:
            self.add(_key(path, key), str(exc))
            return parse_duration(default)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raise PolicyError, one line listing every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(_one_line(f"{path}: cannot read policy file: {exc.strerror}")) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(_one_line(f"{path}: not valid TOML: {exc}")) from exc
    return parse_policy(data, source=str(path))


def parse_policy(data: object, source: str = "<memory>") -> Policy:
    """Validate an already-parsed policy document (anything: a non-table is refused too)."""
    check = _Checker()
    top = check.table(data, "policy", {
        "version", "global", "tenants", "categories", "replies", "zones", "content",
    }) or {}
    version = check.string(top, "version", "policy", None)

    glob = check.table(top.get("global", {}), "global", {
        "caps", "timezone", "default_region", "dedup_window", "require_consent_evidence",
        "quiet_hours_action",
    }) or {}
    quiet_action = glob.get("quiet_hours_action", "drop")
    if not isinstance(quiet_action, str) or quiet_action not in QUIET_HOURS_ACTIONS:
        check.add("global.quiet_hours_action", f"must be one of {', '.join(QUIET_HOURS_ACTIONS)}")
    timezone = check.string(glob, "timezone", "global", "Asia/Shanghai")
    if not _zone_ok(timezone):
        check.add("global.timezone", f"unknown IANA time zone {timezone!r}")
    region = check.string(glob, "default_region", "global", "CN")
    if not re.fullmatch(r"[A-Z]{2}", region):
        check.add("global.default_region", f"{region!r} is not an ISO country code like CN")
    dedup_window_s = check.duration(glob, "dedup_window", "global", "24h")
    require_evidence = glob.get("require_consent_evidence", True)
    if not isinstance(require_evidence, bool):
        check.add("global.require_consent_evidence", "must be true or false")
    global_caps = check.caps(glob, "caps", "global")

    tenants = _tenants(check, top)
    categories = _categories(check, top)

    replies = check.table(top.get("replies", {}), "replies",
                          {"dlr_revoke_error_codes", "dlr_window"}) or {}
    dlr_codes = (check.strings(replies, "dlr_revoke_error_codes", "replies")
                 if "dlr_revoke_error_codes" in replies else ["MBBLACK", "W-BLACK"])
    dlr_window_s = check.duration(replies, "dlr_window", "replies", "72h")
    zones: dict[str, str] = {}
    for prefix, zone in (check.table(top.get("zones", {}), "zones", None) or {}).items():
        path = _key("zones", prefix)
        if not re.fullmatch(r"\+[0-9]{1,15}", prefix):
            check.add(path, "keys are E.164 prefixes like \"+1415\"")
        if not isinstance(zone, str):
            check.add(path, f"must be a string naming an IANA time zone, not {_kind(zone)}")
        elif not _zone_ok(zone):
            check.add(path, f"unknown IANA time zone {zone!r}")
        else:
            zones[prefix] = zone
    content = check.table(top.get("content", {}), "content", {"banned_phrases"}) or {}
    banned = check.strings(content, "banned_phrases", "content", phrases=True)
    if check.errors:
        raise PolicyError(_one_line(f"{source}: invalid policy: {'; '.join(check.errors)}"))
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


def _tenants(check: _Checker, top: dict[str, Any]) -> dict[str, TenantPolicy]:
    """The [tenants.NAME] tables. A port or a signature belongs to one tenant: a refusal sent
    to a shared port could not be attributed, and a shared signature widens its use."""
    tenants: dict[str, TenantPolicy] = {}
    table = check.table(top.get("tenants", {}), "tenants", None)
    if table is not None and not table:
        check.add("tenants", "at least one [tenants.NAME] table is required")
    port_owner: dict[str, str] = {}
    signature_owner: dict[str, str] = {}
    for name, raw in (table or {}).items():
        path = _key("tenants", name)
        if not name.strip() or name == _RESERVED_TENANT or "|" in name:
            check.add(path, "a tenant's name must not be blank, \"*\" (every tenant) "
                            "or hold \"|\"")
        tenant = check.table(raw, path, {"signatures", "ports"})
        if tenant is None:
            continue
        signatures = check.strings(tenant, "signatures", path, phrases=True)
        if tenant.get("signatures", []) == []:
            check.add(_key(path, "signatures"), "at least one signature is required")
        for sig in signatures:
            if "【" in sig or "】" in sig:
                check.add(_key(path, "signatures"), f"write {sig!r} without 【】")
            owner = signature_owner.setdefault(_fold(sig), name)
            if owner != name:
                check.add(_key(path, "signatures"), f"{sig!r} is also registered to tenant "
                          f"{owner!r}: a signature belongs to one tenant")
        ports = check.strings(tenant, "ports", path)
        for port in ports:
            if not _PORT.fullmatch(port):
                check.add(_key(path, "ports"), f"{port!r} is not a number like 106900001234")
            owner = port_owner.setdefault(port, name)
            if owner != name:
                check.add(_key(path, "ports"), f"{port!r} is also tenant {owner!r}'s port: a "
                          f"reply to it could not be attributed to one tenant")
        tenants[name] = TenantPolicy(name, frozenset(signatures), tuple(ports))
    return tenants


def _categories(check: _Checker, top: dict[str, Any]) -> dict[str, CategoryPolicy]:
    """The three [categories.NAME] tables. Marketing is opt-in and carries a way to refuse."""
    categories: dict[str, CategoryPolicy] = {}
    table = check.table(top.get("categories", {}), "categories", set(CATEGORIES))
    if table is None:
        return categories
    for name in CATEGORIES:
        path = _key("categories", name)
        if name not in table:
            check.add(path, f"missing (all of {', '.join(CATEGORIES)} are required)")
            continue
        cat = check.table(table[name], path, {
            "consent", "caps", "recipient_caps", "quiet_hours", "unsubscribe_notice",
        })
        if cat is None:
            continue
        consent = cat.get("consent")
        if not isinstance(consent, str) or consent not in CONSENT_MODES:
            check.add(_key(path, "consent"), f"must be one of {', '.join(CONSENT_MODES)}")
        elif name == "marketing" and consent != "opt_in":
            check.add(_key(path, "consent"), f"must be opt_in, not {consent!r}: marketing needs "
                      f"the recipient's explicit consent (MIIT 2015)")
        quiet = None
        quiet_text = cat.get("quiet_hours", "")
        if not isinstance(quiet_text, str):
            check.add(_key(path, "quiet_hours"), "must be a string like 21:00-08:00")
        elif quiet_text:
            try:
                quiet = parse_clock_range(quiet_text)
            except ValueError as exc:
                check.add(_key(path, "quiet_hours"), str(exc))
        notices = check.strings(cat, "unsubscribe_notice", path, phrases=True)
        if name == "marketing" and "unsubscribe_notice" not in cat:
            notices = list(DEFAULT_UNSUBSCRIBE_NOTICE)
        elif name == "marketing" and cat["unsubscribe_notice"] == []:
            check.add(_key(path, "unsubscribe_notice"), "marketing must carry a way to refuse "
                      "(MIIT 2015); list at least one phrase")
        categories[name] = CategoryPolicy(
            consent=str(consent),
            caps=check.caps(cat, "caps", path),
            quiet_hours=quiet,
            unsubscribe_notice=tuple(notices),
            recipient_caps=check.caps(cat, "recipient_caps", path),
        )
    return categories
