"""The monitoring config is valid and consistent: promtool checks and unit-tests the rules,
Alertmanager's config loads, every alert links to its runbook section by an absolute URL, and
the dashboard's queries parse as PromQL and read only metrics the worker exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.rules.policy import load_policy
from app.runtime import metrics
from app.runtime.settings import Settings
from app.runtime.worker import create_app

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "deploy" / "prometheus"
ALERTMANAGER = ROOT / "deploy" / "alertmanager"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "sendguard.json"
RUNBOOK = ROOT / "docs" / "runbook.md"
EXAMPLE = ROOT / "policy.example.toml"
ROWS = ["Intake", "Decisions by reason and tenant", "Consent and replies", "Latency", "Lag",
        "Exactly-once health"]
# Concrete values for Grafana's variables, so a panel's query is plain PromQL.
VARIABLES = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h", "job": "sendguard",
             "instance": "w1:6066", "tenant": "meituan"}
NOT_METRICS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
               "and", "or", "unless", "inf", "nan"}


def tool(name: str, *args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    if shutil.which(name) is None:
        pytest.fail(f"{name} comes from Debian's prometheus and prometheus-alertmanager "
                    f"packages; `make test` installs them (deploy/system-deps.sh)")
    return subprocess.run([name, *args], capture_output=True, text=True, cwd=cwd)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return tool("promtool", *args)


@pytest.fixture(scope="module")
def worker_samples() -> list[Any]:
    """Every sample a worker's /metrics serves at start (the example policy, default topics)."""
    create_app(Settings(), load_policy(EXAMPLE))
    metrics.flush()
    return [sample for family in text_string_to_metric_families(
        generate_latest(REGISTRY).decode()) for sample in family.samples]


@pytest.fixture(scope="module")
def exported(worker_samples) -> set[str]:
    """The metric names a worker exports, with their suffixes (_total, _bucket, ...), and
    Prometheus's own `up`. Faust's labelled metrics have no sample until their first value,
    so their names come from their type."""
    names = {sample.name for sample in worker_samples} | {"up"}
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
                "summary": ("_count", "_sum"), "gauge": ("",)}
    for family in REGISTRY.collect():
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not functions, labels or keywords)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\boffset\s+\w+", " ", expr)
    expr = re.sub(r"(?<![\w:])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", " ", expr)
    return {match.group(0) for match in re.finditer(r"[a-zA-Z_:][\w:]*", expr)
            if match.group(0).lower() not in NOT_METRICS
            and not expr[match.end():].lstrip().startswith("(")}


def test_metric_names_finds_metrics_only() -> None:
    assert metric_names(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x=~"$y|all"}[5m]))) > 1e-9 '
        'and on (i) b offset 1d or c:rule * 2 unless sum(d) without (j)') == \
        {"a_bucket", "b", "c:rule", "d"}


def test_rules_are_valid() -> None:
    result = promtool("check", "rules", "recording.yml", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_unit_tests_pass() -> None:
    result = promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def rules(name: str) -> list[dict]:
    groups = yaml.safe_load((PROMETHEUS / name).read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_alert_is_unit_tested_and_links_to_its_runbook_section() -> None:
    tested = {case["alertname"]
              for test in yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
              for case in test.get("alert_rule_test", [])}
    headings = {line.removeprefix("## ").strip().lower()
                for line in RUNBOOK.read_text().splitlines() if line.startswith("## ")}
    for rule in rules("alerts.yml"):
        assert rule["alert"] in tested, rule["alert"]
        base, anchor = rule["annotations"]["runbook_url"].split("#")
        assert base == "{{ $externalLabels.runbook }}", rule["alert"]
        assert anchor == rule["alert"].lower() and anchor in headings, anchor
        assert rule["labels"]["severity"] in ("page", "warn")


def test_runbook_links_are_absolute() -> None:
    """The external label the links are built from is a full URL, and it is what the alert
    unit tests expect in front of each anchor."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    url = urlparse(config["global"]["external_labels"]["runbook"])
    assert url.scheme in ("http", "https") and url.netloc, url
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    for test in tests:
        base = test["external_labels"]["runbook"]
        for case in test.get("alert_rule_test", []):
            for alert in case.get("exp_alerts", []):
                assert alert["exp_annotations"]["runbook_url"].startswith(base + "#")


def test_unit_tests_start_only_series_the_worker_exports_at_start(worker_samples) -> None:
    """A counter series the alert tests start at 0 must be one the worker serves at 0 before
    any record, or the tests would hide an alert missing its first event."""
    at_start = {(sample.name, tuple(sorted(sample.labels.items())))
                for sample in worker_samples}
    checked = 0
    for test in yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]:
        for series in test["input_series"]:
            name, _, labels = series["series"].partition("{")
            if not (name.startswith("sendguard_") and name.endswith("_total")
                    and series["values"].startswith("0")):
                continue
            pairs = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', labels)))
            assert (name, pairs) in at_start, series["series"]
            checked += 1
    assert checked >= 10


def test_rules_read_only_exported_metrics(exported) -> None:
    recorded = {rule["record"] for rule in rules("recording.yml")}
    for name in ("recording.yml", "alerts.yml"):
        for rule in rules(name):
            used = metric_names(rule["expr"])
            assert used and used <= exported | recorded, f"{name}: {used - exported - recorded}"


def test_prometheus_routes_alerts_to_alertmanager() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["recording.yml", "alerts.yml"]
    targets = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert compose["alertmanager"]["image"].startswith("prom/alertmanager:")
    assert "./deploy/alertmanager:/etc/alertmanager:ro" in compose["alertmanager"]["volumes"]
    assert "alertmanager" in compose["prometheus"]["depends_on"]
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["alertmanager.yml", "receivers.example.yml"])
def test_alertmanager_config_is_valid_and_routes_by_severity(name: str) -> None:
    result = tool("amtool", "check-config", name, cwd=ALERTMANAGER)
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((ALERTMANAGER / name).read_text())
    route = config["route"]
    assert route["receiver"] == "sendguard-warn"
    assert route["routes"] == [{"matchers": ['severity="page"'], "receiver": "sendguard-page",
                                "repeat_interval": "1h"}]
    receivers = {receiver["name"] for receiver in config["receivers"]}
    assert receivers == {"sendguard-page", "sendguard-warn"}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def queries(board: dict) -> list[tuple[str, str]]:
    """(where, expr) of every panel target and annotation."""
    found = [(panel["title"], target["expr"]) for panel in board["panels"]
             for target in panel.get("targets", [])]
    found += [(f"annotation {a['name']}", a["expr"])
              for a in board["annotations"]["list"] if "expr" in a]
    return found


def concrete(expr: str) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda match: VARIABLES[match.group(1)], expr)


def test_dashboard_queries_parse_as_promql(tmp_path: Path) -> None:
    found = queries(dashboard())
    rule_file = tmp_path / "dashboard_rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{n}", "expr": concrete(expr)}
        for n, (_, expr) in enumerate(found)]}]}))
    result = promtool("check", "rules", str(rule_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(found)} rules found" in result.stdout


def test_the_promql_check_can_fail(tmp_path: Path) -> None:
    rule_file = tmp_path / "bad.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "d", "rules": [
        {"record": "dashboard:bad", "expr": concrete("sum by (x) (rate(a[$__rate_interval])")}]}]}))
    assert promtool("check", "rules", str(rule_file)).returncode != 0


def test_dashboard_reads_only_exported_metrics(exported) -> None:
    board = dashboard()
    for where, expr in queries(board):
        used = metric_names(expr)
        assert used, expr
        assert used <= exported, f"{where}: {used - exported}"
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            (name,) = re.findall(r"label_values\((\w+)", variable["query"]["query"])
            assert name in exported, variable["name"]


def test_dashboard_imports_into_any_grafana() -> None:
    """No hard-coded datasource: every query goes through the ${datasource} variable, and the
    tenant and worker variables filter the panels."""
    board = dashboard()
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert {"tenant", "instance"} <= set(variables)

    def datasources(node: Any) -> list[dict]:
        if isinstance(node, dict):
            own = [node["datasource"]] if isinstance(node.get("datasource"), dict) else []
            return own + [d for value in node.values() for d in datasources(value)]
        return [d for value in node for d in datasources(value)] if isinstance(node, list) else []

    for datasource in datasources(board):
        if datasource["type"] != "grafana":  # the built-in annotations
            assert datasource == {"type": "prometheus", "uid": "${datasource}"}, datasource
    row = ""
    for panel in board["panels"]:
        row = panel["title"] if panel["type"] == "row" else row
        for target in panel.get("targets", []):
            assert 'instance=~"$instance"' in target["expr"], panel["title"]
            if row == "Decisions by reason and tenant":
                assert 'tenant=~"$tenant"' in target["expr"], panel["title"]
    policy = [a for a in board["annotations"]["list"] if "policy_version" in a.get("expr", "")]
    assert policy and "sendguard_build_info" in policy[0]["expr"]


def test_dashboard_rows() -> None:
    panels = dashboard()["panels"]
    assert [panel["title"] for panel in panels if panel["type"] == "row"] == ROWS
    assert panels[0]["type"] == "row"
    assert all(panel["targets"] for panel in panels if panel["type"] != "row")


def test_every_sendguard_metric_is_documented() -> None:
    documented = RUNBOOK.read_text()
    for family in REGISTRY.collect():
        if family.name.startswith("sendguard_"):
            assert f"`{family.name}" in documented, family.name
