"""The monitoring config is valid and consistent: promtool checks and unit-tests the rules,
the dashboard reads only metrics the worker exports, every alert links to its runbook."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "sendguard.json"
RUNBOOK = ROOT / "docs" / "runbook.md"
METRIC = re.compile(r"\b((?:sendguard|faust)_[a-z_]+|sendguard:[a-z0-9_:]+|up)\b")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.fail("promtool comes from Debian's prometheus package; `make test` installs it")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=PROMETHEUS)


def test_rules_are_valid() -> None:
    result = promtool("check", "rules", "recording.yml", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_unit_tests_pass() -> None:
    result = promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def alerts() -> list[dict]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_alert_is_unit_tested_and_links_to_its_runbook_section() -> None:
    tested = {case["alertname"]
              for test in yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
              for case in test.get("alert_rule_test", [])}
    headings = {line.removeprefix("## ").strip().lower()
                for line in RUNBOOK.read_text().splitlines() if line.startswith("## ")}
    for rule in alerts():
        assert rule["alert"] in tested, rule["alert"]
        anchor = rule["annotations"]["runbook_url"].split("#")[1]
        assert anchor in headings, anchor
        assert rule["labels"]["severity"] in ("page", "warn")


def known_metrics() -> set[str]:
    """Names the worker exports (as documented) and the recording rules define."""
    documented = set(METRIC.findall(RUNBOOK.read_text()))
    groups = yaml.safe_load((PROMETHEUS / "recording.yml").read_text())["groups"]
    return documented | {rule["record"] for group in groups for rule in group["rules"]}


def test_dashboard_panels_query_known_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "sendguard" and dashboard["panels"]
    known = known_metrics()
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "prometheus", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = {m.removesuffix("_bucket") for m in METRIC.findall(target["expr"])}
            assert used, target["expr"]
            assert used <= known, f"{panel['title']}: {used - known}"
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in ("up", "throughput", "reason", "unsubscribe", "consent", "dead letter",
                  "latency", "lag"):
        assert topic in titles, topic


def test_rules_use_only_known_metrics() -> None:
    known = known_metrics()
    for name in ("recording.yml", "alerts.yml"):
        for group in yaml.safe_load((PROMETHEUS / name).read_text())["groups"]:
            for rule in group["rules"]:
                used = {m.removesuffix("_bucket") for m in METRIC.findall(rule["expr"])}
                assert used <= known, f"{name}: {used - known}"


def test_prometheus_config_loads_the_rules() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["recording.yml", "alerts.yml"]
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
