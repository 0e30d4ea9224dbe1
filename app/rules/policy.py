"""The policy file: what compliance staff edit, validated once at start.

Every number the rules use (caps, windows, quiet hours, the dedup window) is a setting here,
never a constant in code. Validation collects every problem with its path, so a typo in a
category name or a cap like "5/1hr" fails the start with a message that says where and why,
instead of silently disabling a rule. Unknown keys are errors for the same reason.

Some rules are refused because they would make the gate unsafe, whatever compliance staff
meant: marketing without opt-in, a reply port or a signature shared by two tenants (a refusal
could not be attributed, a signature's use would widen), a blank unsubscribe notice or banned
phrase (every text would carry it); UNSAFE says so for the reference. Every problem is one
line naming its dotted key, and the whole message is one line: the CLI prints it, no
traceback, whatever the file holds.

KEYS is the single source of the keys: the validator takes from it which keys each table
allows, their defaults, allowed values and patterns; `sendguard policy-reference`
(app/tools/policy_docs.py) renders it as docs/policy.md and policy.schema.json.
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

# Patterns of values, matched whole. Written so that Python and JSON Schema (ECMA-262) read
# them alike: [0-9], never \d (which also takes full-width and other scripts' digits).
_POSITIVE: Final = "0*[1-9][0-9]*"  # a count or length of 1 or more
DURATION_PATTERN: Final = f"({_POSITIVE})([smhd])"
CAP_PATTERN: Final = f"({_POSITIVE})/({_POSITIVE}[smhd])"
CLOCK_RANGE_PATTERN: Final = "([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])"
PORT_PATTERN: Final = "[0-9]{4,21}"
REGION_PATTERN: Final = "[A-Z]{2}"
ZONE_PREFIX_PATTERN: Final = r"\+[0-9]{1,15}"
# A tenant's name: not blank and without "|" (nor "*": Key.reserved).
TENANT_NAME_PATTERN: Final = r"[^|]*[^|\s][^|]*"
_DURATION: Final = re.compile(DURATION_PATTERN)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CAP: Final = re.compile(CAP_PATTERN)
_CLOCK_RANGE: Final = re.compile(CLOCK_RANGE_PATTERN)
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
    # The keys' values as read (their defaults are in KEYS, the only place they are written).
    global_caps: tuple[Cap, ...]
    timezone: str
    default_region: str
    dedup_window_s: int
    require_consent_evidence: bool
    dlr_revoke_error_codes: frozenset[str]
    dlr_window_s: int
    quiet_hours_action: str
    zones: dict[str, str]
    banned_phrases: tuple[str, ...]
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


# --- The keys: what the validator accepts and the reference (docs/policy.md) lists --------

# A key's type, as the reference names it.
STRING: Final = "string"
STRINGS: Final = "list of strings"
CAPS: Final = "cap list"
DURATION: Final = "duration"
CLOCK_RANGE: Final = "clock range"
TIME_ZONE: Final = "time zone"
BOOLEAN: Final = "boolean"
TABLE: Final = "table"

Value = str | bool | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Key:
    """One key of the policy file.

    `path` is dotted as TOML writes it, with a placeholder for a name the file chooses:
    `tenants.<name>.ports`, `zones."<prefix>"`. A path naming one instance of a placeholder
    (`categories.marketing.consent`) refines the generic key for that instance: its own
    default, allowed values or minimum.
    """

    path: str
    kind: str
    meaning: str
    default: Value | None = None  # None: required, or a table (whose keys have defaults)
    required: bool = False
    allowed: tuple[str, ...] = ()  # the only values (a placeholder: the only names)
    pattern: str = ""  # each value (each item of a list) matches it whole
    name_pattern: str = ""  # a placeholder's names match it whole
    reserved: tuple[str, ...] = ()  # names a placeholder may not take
    min_items: int = 0  # of a list's items, or a table's entries

    @property
    def name(self) -> str:
        """The last part of the path: the key as its table holds it."""
        return _split(self.path)[1]

    @property
    def parent(self) -> str:
        """The path of the table holding the key ("" for the top level)."""
        return _split(self.path)[0]

    @property
    def placeholder(self) -> bool:
        return self.name.strip('"').startswith("<")


def _split(path: str) -> tuple[str, str]:
    """(table, key) of a dotted path; a quoted key may hold dots."""
    if path.endswith('"'):
        table, _, key = path[:-1].rpartition('"')
        return table.removesuffix("."), f'"{key}"'
    table, _, key = path.rpartition(".")
    return table, key


KEYS: Final = (
    Key("version", STRING, "Stamped on every decision record, with the reason and detail: "
        "bump it on every change, so that \"why was this dropped?\" has an answer.",
        required=True),
    Key("global", TABLE, "Caps and settings for every tenant and category."),
    Key("tenants", TABLE, "Who may send: one `[tenants.<name>]` table per tenant, at least one.",
        required=True, min_items=1),
    Key("categories", TABLE, "How each category of message is checked: all three tables are "
        "required.", required=True),
    Key("zones", TABLE, "Recipients' time zones by E.164 prefix, over the number's own."),
    Key("content", TABLE, "Phrases no message may carry."),
    Key("replies", TABLE, "How delivery reports revoke consent."),

    Key("global.caps", CAPS, "Caps per recipient across every tenant and category, rolling; a "
        "message must fit every one (detail when broken: `global 40/24h`).", default=(),
        pattern=CAP_PATTERN),
    Key("global.timezone", TIME_ZONE, "Recipients' time zone when the number does not imply "
        "one (quiet hours, calendar days).", default="Asia/Shanghai"),
    Key("global.default_region", STRING, "Numbers written without a country code are read as "
        "numbers of this country (ISO 3166 code).", default="CN", pattern=REGION_PATTERN),
    Key("global.dedup_window", DURATION, "A msg_id seen again within this window is dropped "
        "as `duplicate`; the first decision stands.", default="24h", pattern=DURATION_PATTERN),
    Key("global.require_consent_evidence", BOOLEAN, "A consent grant without evidence (form "
        "id, IP, reply text...) is rejected: a pre-ticked box is not consent (MIIT 2021).",
        default=True),
    Key("global.quiet_hours_action", STRING, "In quiet hours: `drop` (reason `quiet_hours`), "
        "or `defer`: hold the message and decide it again, consent and caps included, when "
        "the window opens, under its original msg_id.", default="drop",
        allowed=QUIET_HOURS_ACTIONS),

    Key("tenants.<name>", TABLE, "One tenant, named as intents name it in `tenant`: not "
        "blank, not `*` (every tenant) and without `|`.", name_pattern=TENANT_NAME_PATTERN,
        reserved=(_RESERVED_TENANT,)),
    Key("tenants.<name>.signatures", STRINGS, "The 【signatures】 registered to this tenant, "
        "written without 【】; a message under another tenant's signature is dropped as "
        "`signature_invalid`.", required=True, min_items=1),
    Key("tenants.<name>.ports", STRINGS, "The 106 numbers (with extension) this tenant sends "
        "from: a reply to one is the tenant's (longest prefix wins, so one tenant's port may "
        "extend another's).", default=(), pattern=PORT_PATTERN),

    Key("categories.<category>", TABLE, "How one category of message is checked.",
        allowed=CATEGORIES),
    Key("categories.<category>.consent", STRING, "`opt_in`: needs the recipient's explicit "
        "grant for this tenant; `opt_out`: sent unless the recipient revoked; `none`: never "
        "blocked by consent (the recipient asked for the code).", required=True,
        allowed=CONSENT_MODES),
    Key("categories.marketing.consent", STRING, "Marketing needs the recipient's explicit "
        "consent (MIIT 2015): `opt_in` only.", required=True, allowed=("opt_in",)),
    Key("categories.<category>.caps", CAPS, "Caps per recipient and tenant, rolling, exact to "
        "the millisecond (detail when broken: `verification 1/1m`).", default=(),
        pattern=CAP_PATTERN),
    Key("categories.<category>.recipient_caps", CAPS, "Caps per recipient across every "
        "tenant, for this category (detail when broken: `marketing recipient 1/7d`).",
        default=(), pattern=CAP_PATTERN),
    Key("categories.<category>.quiet_hours", CLOCK_RANGE, "`HH:MM-HH:MM` in the recipient's "
        "local time, when this category is not sent; may cross midnight; `\"\"`: never quiet.",
        default="", pattern=CLOCK_RANGE_PATTERN),
    Key("categories.<category>.unsubscribe_notice", STRINGS, "Read for marketing only "
        "(below); verification codes and notifications must carry no refusal wording at all.",
        default=()),
    Key("categories.marketing.unsubscribe_notice", STRINGS, "Marketing must carry one of "
        "these phrases (a way to refuse, MIIT 2015), or it is dropped as "
        "`missing_unsubscribe_notice`; each needs a letter, digit or symbol.",
        default=DEFAULT_UNSUBSCRIBE_NOTICE, min_items=1),

    Key('zones."<prefix>"', TIME_ZONE, "The IANA time zone of numbers starting with this "
        "E.164 prefix (`\"+852\" = \"Asia/Hong_Kong\"`); the longest prefix wins. Without one, "
        "the number's own zone; a number spanning several zones is quiet if quiet in any.",
        name_pattern=ZONE_PREFIX_PATTERN),

    Key("content.banned_phrases", STRINGS, "Phrases that drop a message as `banned_content` "
        "(fraud, impersonating officials), matched case-insensitively and full-width folded; "
        "each needs a letter, digit or symbol.", default=()),

    Key("replies.dlr_revoke_error_codes", STRINGS, "Delivery-report error codes meaning the "
        "recipient blacklisted the sender or complained (Huawei MBBLACK, Alibaba W-BLACK): "
        "they revoke marketing for the message's tenant.", default=("MBBLACK", "W-BLACK")),
    Key("replies.dlr_window", DURATION, "How long an approved message's tenant is remembered, "
        "so that a late blacklisting report revokes only that tenant (carriers report up to "
        "72 h after the send); after it, every tenant's marketing.", default="72h",
        pattern=DURATION_PATTERN),
)
KEY: Final = {key.path: key for key in KEYS}

# Refused at load whatever was meant, because the gate would be unsafe (for the reference).
UNSAFE: Final = (
    "marketing with a consent other than `opt_in` (it needs the recipient's explicit "
    "consent, MIIT 2015), or with an empty `unsubscribe_notice` (it must carry a way to "
    "refuse)",
    "a port listed by two tenants: a refusal sent to it could not be attributed to one",
    "a signature listed by two tenants, compared ignoring width, case, spaces and invisible "
    "characters: its use would widen",
    "a signature written with 【】",
    "a blank signature, unsubscribe notice or banned phrase (spaces, punctuation or invisible "
    "characters alone): it would be found in, or folded out of, every text",
    "a tenant named `*` (every tenant), blank, or holding `|`",
)


def key_for(table: str, generic: str, name: str) -> Key:
    """The key `name` of the table at `table` (e.g. "categories.marketing"): its refinement
    for that table if KEYS has one, else the generic key of `generic` ("categories.<category>")."""
    return KEY.get(f"{table}.{name}") or KEY[f"{generic}.{name}"]


def table_keys(path: str) -> set[str] | None:
    """The keys the table at `path` may hold ("" for the top level); None: any name (a
    placeholder's), checked by the caller."""
    keys = [key for key in KEYS if key.parent == path]
    if len(keys) == 1 and keys[0].placeholder:
        return set(keys[0].allowed) if keys[0].allowed else None
    return {key.name for key in keys}


def _text_default(key: Key) -> str:
    if not isinstance(key.default, str):
        raise TypeError(f"KEYS: {key.path} has no text default")
    return key.default


def parse_duration(text: str) -> int:
    """'90s', '30m', '24h', '7d' -> seconds."""
    match = _DURATION.fullmatch(text)  # (the pattern refuses 0)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 90s, 30m, 24h or 7d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_cap(text: str) -> Cap:
    """'5/1h' -> Cap(5, 3600, '5/1h')."""
    match = _CAP.fullmatch(text) if isinstance(text, str) else None  # (refuses 0 as well)
    if not match:
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

    def string(self, data: dict[str, Any], path: str, key: Key) -> str:
        """The string at `key` of the table at `path`, else its default (required: none)."""
        default = None if key.required else _text_default(key)
        value = data.get(key.name, default)
        if not isinstance(value, str):
            self.add(_key(path, key.name), f"must be a non-empty string, not {_kind(value)}"
                     if key.name in data else "must be a non-empty string")
            return default or ""
        if not value.strip():
            self.add(_key(path, key.name), "must be a non-empty string")
            return default or ""
        return value

    def strings(self, data: dict[str, Any], path: str, key: Key,
                phrases: bool = False) -> list[str]:
        """A list of non-blank strings, else its default; `phrases`: each must hold a letter,
        digit or symbol."""
        if key.name not in data:
            return list(key.default) if isinstance(key.default, tuple) else []
        value = data[key.name]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(_key(path, key.name), "must be an array of strings, not "
                     + (_kind(value) if not isinstance(value, list) else "an array holding "
                        + _kind(next(v for v in value if not isinstance(v, str)))))
            return []
        kept = []
        for text in value:
            if not text.strip() or (phrases and not _has_content(text)):
                self.add(_key(path, key.name), f"{text!r} is blank" + (
                    ": a phrase needs a letter, digit or symbol, or it is found in every text"
                    if phrases else ""))
            else:
                kept.append(text)
        return kept

    def caps(self, data: dict[str, Any], path: str, key: Key) -> tuple[Cap, ...]:
        caps = []
        for text in self.strings(data, path, key):
            try:
                caps.append(parse_cap(text))
            except ValueError as exc:
                self.add(_key(path, key.name), str(exc))
        return tuple(caps)

    def duration(self, data: dict[str, Any], path: str, key: Key) -> int:
        try:
            return parse_duration(self.string(data, path, key))
        except ValueError as exc:
            self.add(_key(path, key.name), str(exc))
            return parse_duration(_text_default(key))


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
    top = check.table(data, "policy", table_keys("")) or {}
    version = check.string(top, "policy", KEY["version"])

    glob = check.table(top.get("global", {}), "global", table_keys("global")) or {}
    action_key = KEY["global.quiet_hours_action"]
    quiet_action = glob.get(action_key.name, action_key.default)
    if not isinstance(quiet_action, str) or quiet_action not in action_key.allowed:
        check.add(action_key.path, f"must be one of {', '.join(action_key.allowed)}")
    timezone = check.string(glob, "global", KEY["global.timezone"])
    if not _zone_ok(timezone):
        check.add("global.timezone", f"unknown IANA time zone {timezone!r}")
    region_key = KEY["global.default_region"]
    region = check.string(glob, "global", region_key)
    if not re.fullmatch(region_key.pattern, region):
        check.add(region_key.path, f"{region!r} is not an ISO country code like CN")
    dedup_window_s = check.duration(glob, "global", KEY["global.dedup_window"])
    evidence_key = KEY["global.require_consent_evidence"]
    require_evidence = glob.get(evidence_key.name, evidence_key.default)
    if not isinstance(require_evidence, bool):
        check.add(evidence_key.path, "must be true or false")
    global_caps = check.caps(glob, "global", KEY["global.caps"])

    tenants = _tenants(check, top)
    categories = _categories(check, top)

    replies = check.table(top.get("replies", {}), "replies", table_keys("replies")) or {}
    dlr_codes = check.strings(replies, "replies", KEY["replies.dlr_revoke_error_codes"])
    dlr_window_s = check.duration(replies, "replies", KEY["replies.dlr_window"])
    zones: dict[str, str] = {}
    prefix_key = KEY['zones."<prefix>"']
    for prefix, zone in (check.table(top.get("zones", {}), "zones", table_keys("zones"))
                         or {}).items():
        path = _key("zones", prefix)
        if not re.fullmatch(prefix_key.name_pattern, prefix):
            check.add(path, "keys are E.164 prefixes like \"+1415\"")
        if not isinstance(zone, str):
            check.add(path, f"must be a string naming an IANA time zone, not {_kind(zone)}")
        elif not _zone_ok(zone):
            check.add(path, f"unknown IANA time zone {zone!r}")
        else:
            zones[prefix] = zone
    content = check.table(top.get("content", {}), "content", table_keys("content")) or {}
    banned = check.strings(content, "content", KEY["content.banned_phrases"], phrases=True)
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
    table = check.table(top.get("tenants", {}), "tenants", table_keys("tenants"))
    if table is not None and not table:
        check.add("tenants", "at least one [tenants.NAME] table is required")
    name_key = KEY["tenants.<name>"]
    allowed = table_keys("tenants.<name>")
    signatures_key, ports_key = KEY["tenants.<name>.signatures"], KEY["tenants.<name>.ports"]
    port_owner: dict[str, str] = {}
    signature_owner: dict[str, str] = {}
    for name, raw in (table or {}).items():
        path = _key("tenants", name)
        if name in name_key.reserved or not re.fullmatch(name_key.name_pattern, name):
            check.add(path, "a tenant's name must not be blank, \"*\" (every tenant) "
                            "or hold \"|\"")
        tenant = check.table(raw, path, allowed)
        if tenant is None:
            continue
        signatures = check.strings(tenant, path, signatures_key, phrases=True)
        if tenant.get("signatures", []) == []:
            check.add(_key(path, "signatures"), "at least one signature is required")
        for sig in signatures:
            if "【" in sig or "】" in sig:
                check.add(_key(path, "signatures"), f"write {sig!r} without 【】")
            owner = signature_owner.setdefault(_fold(sig), name)
            if owner != name:
                check.add(_key(path, "signatures"), f"{sig!r} is also registered to tenant "
                          f"{owner!r}: a signature belongs to one tenant")
        ports = check.strings(tenant, path, ports_key)
        for port in ports:
            if not re.fullmatch(ports_key.pattern, port):
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
    table = check.table(top.get("categories", {}), "categories", table_keys("categories"))
    if table is None:
        return categories
    generic = "categories.<category>"
    names, allowed = KEY[generic].allowed, table_keys(generic)
    for name in names:
        path = _key("categories", name)
        if name not in table:
            check.add(path, f"missing (all of {', '.join(names)} are required)")
            continue
        cat = check.table(table[name], path, allowed)
        if cat is None:
            continue
        modes, own = KEY[f"{generic}.consent"].allowed, key_for(path, generic, "consent").allowed
        consent = cat.get("consent")
        if not isinstance(consent, str) or consent not in modes:
            check.add(_key(path, "consent"), f"must be one of {', '.join(modes)}")
        elif consent not in own:
            check.add(_key(path, "consent"), f"must be {' or '.join(own)}, not {consent!r}: "
                      f"{name} needs the recipient's explicit consent (MIIT 2015)")
        quiet = None
        quiet_text = cat.get("quiet_hours", _text_default(KEY[f"{generic}.quiet_hours"]))
        if not isinstance(quiet_text, str):
            check.add(_key(path, "quiet_hours"), "must be a string like 21:00-08:00")
        elif quiet_text:
            try:
                quiet = parse_clock_range(quiet_text)
            except ValueError as exc:
                check.add(_key(path, "quiet_hours"), str(exc))
        notice_key = key_for(path, generic, "unsubscribe_notice")
        notices = check.strings(cat, path, notice_key, phrases=True)
        if notice_key.min_items and cat.get("unsubscribe_notice") == []:
            check.add(_key(path, "unsubscribe_notice"), f"{name} must carry a way to refuse "
                      "(MIIT 2015); list at least one phrase")
        categories[name] = CategoryPolicy(
            consent=str(consent),
            caps=check.caps(cat, path, key_for(path, generic, "caps")),
            quiet_hours=quiet,
            unsubscribe_notice=tuple(notices),
            recipient_caps=check.caps(cat, path, key_for(path, generic, "recipient_caps")),
        )
    return categories
