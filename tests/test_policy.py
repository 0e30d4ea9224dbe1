"""Policy validation: the shipped example loads; every kind of mistake is named by path."""

import copy
import datetime
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import contracts
from app.rules.policy import PolicyError, load_policy, parse_cap, parse_clock_range, parse_policy

EXAMPLE = contracts.example_policy_path()


def example() -> dict:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_example_policy_loads_with_its_values() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.version
    assert "京东" in policy.tenants["jd"].signatures
    assert policy.categories["marketing"].consent == "opt_in"
    assert policy.categories["verification"].consent == "none"
    assert [c.text for c in policy.categories["verification"].caps] == ["1/1m", "5/1h", "10/24h"]
    assert policy.categories["marketing"].quiet_hours == (21 * 60, 8 * 60)
    assert policy.global_caps[0].count == 40 and policy.global_caps[0].window_s == 86400
    assert policy.dedup_window_s == 86400
    marketing = policy.categories["marketing"]
    assert [c.text for c in marketing.recipient_caps] == ["1/7d"]  # across tenants
    assert marketing.caps == ()  # no per-tenant cap under the recipient's


@pytest.mark.parametrize(
    ("text", "count", "seconds"),
    [("1/1m", 1, 60), ("5/1h", 5, 3600), ("10/24h", 10, 86400), ("1/7d", 1, 604800),
     ("2/59s", 2, 59)],
)
def test_caps_parse(text: str, count: int, seconds: int) -> None:
    cap = parse_cap(text)
    assert (cap.count, cap.window_s, cap.text) == (count, seconds, text)


@pytest.mark.parametrize("text", ["5/1hr", "0/1h", "5/0h", "5", "/1h", "five/1h", "5/1 h"])
def test_bad_caps_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="cap"):
        parse_cap(text)


def test_quiet_hours_may_cross_midnight_but_not_be_empty() -> None:
    assert parse_clock_range("21:00-08:00") == (1260, 480)
    assert parse_clock_range("08:00-21:30") == (480, 1290)
    for bad in ("21:00-21:00", "25:00-08:00", "9-17", "21:00–08:00"):
        with pytest.raises(ValueError):
            parse_clock_range(bad)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("version"), "policy.version"),
        (lambda d: d["categories"]["marketing"].update(consent="optin"),
         "categories.marketing.consent"),
        (lambda d: d["categories"].pop("notification"), "categories.notification: missing"),
        (lambda d: d["categories"].update(promo={"consent": "opt_in"}), "categories.promo"),
        (lambda d: d["categories"]["verification"].update(caps=["5/1hr"]),
         "categories.verification.caps"),
        (lambda d: d["categories"]["marketing"].update(quiet_hours="9pm-8am"),
         "categories.marketing.quiet_hours"),
        (lambda d: d["global"].update(timezone="China/Beijing"), "global.timezone"),
        (lambda d: d["global"].update(dedup_window="one day"), "global.dedup_window"),
        (lambda d: d["global"].update(require_consent_evidence="yes"),
         "global.require_consent_evidence"),
        (lambda d: d["global"].update(cap=["40/24h"]), "global.cap: unknown key"),
        (lambda d: d["tenants"]["jd"].update(signatures=[]), "tenants.jd.signatures"),
        (lambda d: d["tenants"]["jd"].update(signatures=["【京东】"]), "without 【】"),
        (lambda d: d["tenants"]["jd"].update(ports=["10690-001"]), "tenants.jd.ports"),
        (lambda d: d.update(tenants={}), "tenants: at least one"),
        (lambda d: d["categories"]["marketing"].update(unsubscribe_notice=[]),
         "categories.marketing.unsubscribe_notice: marketing must carry a way to refuse"),
        (lambda d: d["replies"].update(dlr_window="3 days"), "replies.dlr_window"),
        (lambda d: d["categories"]["marketing"].update(recipient_caps=["1/week"]),
         "categories.marketing.recipient_caps: '1/week' is not a cap"),
        (lambda d: d["tenants"]["jd"].update(ports=["１０６９０００１"]),
         "tenants.jd.ports: '１０６９０００１' is not a number"),
        # Unsafe whatever was meant: refused, one line naming the key.
        (lambda d: d["categories"]["marketing"].update(consent="none"),
         "categories.marketing.consent: must be opt_in, not 'none'"),
        (lambda d: d["categories"]["marketing"].update(consent="opt_out"),
         "categories.marketing.consent: must be opt_in, not 'opt_out'"),
        (lambda d: d["tenants"]["cmb"]["ports"].append("1069000112345"),
         "tenants.cmb.ports: '1069000112345' is also tenant 'jd''s port"),
        (lambda d: d["tenants"]["meituan"]["signatures"].append("京东"),
         "tenants.meituan.signatures: '京东' is also registered to tenant 'jd'"),
        (lambda d: d["tenants"]["cmb"]["signatures"].append("京\u200b东到 家"),
         "tenants.cmb.signatures: '京\\u200b东到 家' is also registered to tenant 'jd'"),
        (lambda d: d["tenants"]["cmb"]["signatures"].append("\u3000"),
         "tenants.cmb.signatures: '\\u3000' is blank"),
        (lambda d: d["categories"]["marketing"]["unsubscribe_notice"].append(" "),
         "categories.marketing.unsubscribe_notice: ' ' is blank"),
        (lambda d: d["categories"]["marketing"].update(unsubscribe_notice=["\u200b"]),
         "categories.marketing.unsubscribe_notice: '\\u200b' is blank"),
        (lambda d: d["categories"]["marketing"].update(unsubscribe_notice=["。！ "]),
         "categories.marketing.unsubscribe_notice: '。！ ' is blank"),
        (lambda d: d["content"]["banned_phrases"].append("\t"),
         "content.banned_phrases: '\\t' is blank"),
        (lambda d: d["tenants"].update({"*": {"signatures": ["某"]}}),
         'tenants."*": a tenant\'s name must not be blank, "*"'),
        (lambda d: d["tenants"].update({"a|b": {"signatures": ["某"]}}), 'tenants."a|b"'),
        (lambda d: d.update(tenants=5), "tenants: must be a table, not an integer"),
        (lambda d: d["categories"].update(marketing="x"),
         "categories.marketing: must be a table, not a string"),
        (lambda d: d["zones"].update({"+1": 5}), 'zones."+1": must be a string'),
        (lambda d: d["global"].update(timezone="x" * 300), "global.timezone: unknown"),
    ],
)
def test_each_mistake_is_reported_with_its_path(mutate, message: str) -> None:
    data = example()
    mutate(data)
    with pytest.raises(PolicyError) as err:
        parse_policy(data, source="p.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("p.toml: invalid policy")
    assert "\n" not in str(err.value)


def test_one_tenants_port_may_extend_anothers() -> None:
    """Replies go to the longest port that prefixes the number: a strict prefix is not
    ambiguous, an identical port is (refused above)."""
    data = example()
    data["tenants"]["cmb"]["ports"] = ["10690001"]  # a prefix of jd's 1069000112345
    policy = parse_policy(data)
    assert policy.tenant_for_port("10690001123459") == "jd"
    assert policy.tenant_for_port("106900019") == "cmb"


def test_one_problem_is_one_line_however_the_keys_are_written() -> None:
    data = example()
    data["tenants"]["a\nb"] = {"signatures": ["某"], "ports": ["x\u2028y"]}
    data["categories"]["marketing"]["consent"] = "none"
    with pytest.raises(PolicyError) as err:
        parse_policy(data, source="p.toml")
    text = str(err.value)
    assert text.splitlines() == [text]
    assert 'tenants."a\\nb".ports: \'x\\u2028y\' is not a number' in text
    assert "; categories.marketing.consent: must be opt_in" in text


def test_all_problems_are_listed_at_once() -> None:
    data = example()
    data["categories"]["marketing"]["consent"] = "maybe"
    data["global"]["timezone"] = "Nowhere/Else"
    with pytest.raises(PolicyError) as err:
        parse_policy(data)
    assert "categories.marketing.consent" in str(err.value)
    assert "global.timezone" in str(err.value)


# --- wrong types at every key: a PolicyError naming the key, never another exception -------

WRONG_VALUES: dict[str, Any] = {
    "a table": {"x": 1}, "an array": [1], "a string": "x", "an integer": 5, "a boolean": True,
    "a float": 1.5, "a date or time": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
}
# Keys the example leaves out, which a policy may hold.
OPTIONAL_KEYS = [("categories", "verification", "recipient_caps"),
                 ("categories", "notification", "unsubscribe_notice"),
                 ("global", "quiet_hours_action")]


def _kind(value: Any) -> str:
    for kind, sample in WRONG_VALUES.items():
        if type(value) is type(sample):
            return kind
    raise AssertionError(value)


def _positions(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of every key and array element under `node`."""
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, value in items:
        yield (*path, key), value
        yield from _positions(value, (*path, key))


def _dotted(path: tuple) -> str:
    """The key a problem at `path` is reported under (an element's: its array's)."""
    keys = [k for k in path if isinstance(k, str)]
    if len(keys) == 1 and keys[0] in ("version",):
        keys = ["policy", *keys]
    return ".".join(k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k, ensure_ascii=False)
                    for k in keys)


def _set(data: dict, path: tuple, value: Any) -> None:
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def test_every_wrong_type_at_every_key_is_a_policy_error_naming_it() -> None:
    base = example()
    positions = [*_positions(base), *((path, None) for path in OPTIONAL_KEYS)]
    tried = 0
    for path, original in positions:
        for kind, wrong in WRONG_VALUES.items():
            if original is not None and kind == _kind(original):
                continue
            data = copy.deepcopy(base)
            _set(data, path, copy.deepcopy(wrong))
            with pytest.raises(PolicyError) as err:  # any other exception fails the test
                parse_policy(data, source="p.toml")
            text = str(err.value)
            assert f"{_dotted(path)}: " in text, (path, kind, text)
            assert "\n" not in text
            tried += 1
    assert len(positions) > 50 and tried > 300
    print(f"\n{tried} wrong-typed policies, {len(positions)} key positions: each refused")


def test_a_document_that_is_not_a_table_is_refused() -> None:
    for value in ([], "x", 5, None):
        with pytest.raises(PolicyError, match="policy: must be a table"):
            parse_policy(value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("version = \n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(bad)


def test_marketing_refusal_wording_defaults_when_the_policy_names_none() -> None:
    data = example()
    del data["categories"]["marketing"]["unsubscribe_notice"]
    policy = parse_policy(data)
    assert "拒收请回复R" in policy.categories["marketing"].unsubscribe_notice
    assert policy.dlr_window_s == 72 * 3600
