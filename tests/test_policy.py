"""Policy validation: the shipped example loads; every kind of mistake is named by path."""

import tomllib
from pathlib import Path

import pytest

from app import contracts
from app.policy import PolicyError, load_policy, parse_cap, parse_clock_range, parse_policy

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
    ],
)
def test_each_mistake_is_reported_with_its_path(mutate, message: str) -> None:
    data = example()
    mutate(data)
    with pytest.raises(PolicyError) as err:
        parse_policy(data, source="p.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("p.toml: invalid policy")


def test_all_problems_are_listed_at_once() -> None:
    data = example()
    data["categories"]["marketing"]["consent"] = "maybe"
    data["global"]["timezone"] = "Nowhere/Else"
    with pytest.raises(PolicyError) as err:
        parse_policy(data)
    assert "categories.marketing.consent" in str(err.value)
    assert "global.timezone" in str(err.value)


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
