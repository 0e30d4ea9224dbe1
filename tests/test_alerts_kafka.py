"""The alert path end to end, with real parts: a worker on the launched Kafka, a real
Prometheus loading the project's alert rules and scraping it, a real Alertmanager with the
project's routing, and a webhook receiver here. A dead letter and an unsubscribe spike must
each reach the webhook, with its absolute runbook URL.

Only the timing is the test's own: 1 s scrape and evaluation intervals, the two alerts' `for`
dropped, Alertmanager's grouping waits at 1 s, every receiver pointed at the webhook. The alert
expressions, the routing tree and the runbook base URL are the project's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests.conftest import ROOT, brokers, free_port
from tests.kafka_io import publish

pytestmark = pytest.mark.kafka

PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus"
ALERTMANAGER_CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
TESTED = ("SendGuardDeadLetters", "SendGuardUnsubscribeRateSpike")
MEITUAN_PORT = "106900005678"  # policy.example.toml: replies to it are meituan's
REPLIES = 25  # above the alert's 20 unsubscribes an hour


def binary(*names: str) -> str:
    """Debian names the Alertmanager binary prometheus-alertmanager; upstream, alertmanager."""
    for name in names:
        if path := shutil.which(name):
            return path
    pytest.fail(f"{names[0]} comes from Debian's packages; `make test` installs it "
                f"(deploy/system-deps.sh)")


class Webhook:
    """Alertmanager's webhook receiver: keeps every alert it is sent."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        received = self.alerts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.extend(json.loads(body)["alerts"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def firing(self, alertname: str) -> list[dict[str, Any]]:
        return [alert for alert in list(self.alerts)
                if alert["labels"]["alertname"] == alertname and alert["status"] == "firing"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def start(tmp_path: Path, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def test_a_dead_letter_and_an_unsubscribe_spike_reach_the_webhook(
        worker_factory, kafka: str, tmp_path: Path, webhook: Webhook) -> None:
    prometheus = binary("prometheus")
    alertmanager = binary("prometheus-alertmanager", "alertmanager")

    # Alertmanager: the project's routes, every receiver sending to the webhook, no waiting.
    am_config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    am_config["route"].update(group_wait="1s", group_interval="1s")
    am_config["receivers"] = [
        {"name": receiver["name"],
         "webhook_configs": [{"url": webhook.url, "send_resolved": False}]}
        for receiver in am_config["receivers"]]
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(am_config))
    am_port = free_port()

    # The project's alert rules, the two tested ones firing as soon as their expression holds.
    rules = yaml.safe_load((PROMETHEUS_CONFIG / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule["alert"] in TESTED:
                rule.pop("for", None)
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(rules))
    project = yaml.safe_load((PROMETHEUS_CONFIG / "prometheus.yml").read_text())
    runbook = project["global"]["external_labels"]["runbook"]

    worker = worker_factory().start()
    topics = worker.topics
    target = f"127.0.0.1:{worker.env['SENDGUARD_WEB_PORT']}"
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                   "external_labels": project["global"]["external_labels"]},
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [
            f"127.0.0.1:{am_port}"]}]}]},
        "rule_files": [str(tmp_path / "alerts.yml")],
        "scrape_configs": [{"job_name": "sendguard", "scrape_interval": "1s",
                            "static_configs": [{"targets": [target]}]}],
    }))
    prom_port = free_port()
    procs = [
        start(tmp_path, "alertmanager", [
            alertmanager, f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="]),
        start(tmp_path, "prometheus", [
            prometheus, f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}"]),
    ]
    try:
        def query(expr: str) -> list[dict[str, Any]]:
            url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode(
                {"query": expr})
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    return json.loads(response.read())["data"]["result"]
            except OSError:
                return []

        # The zero series must be scraped before the events: that is what makes them count.
        intents = topics["send_intents"]
        zero = (f'sendguard_dead_letters_total{{source_topic="{intents}", stage="route", '
                f'error_class="not_json"}} == 0 and on () '
                f'sendguard_unsubscribes_total{{tenant="meituan"}} == 0')
        deadline = time.monotonic() + 60
        while not query(zero):
            assert time.monotonic() < deadline, "Prometheus never scraped the zero series"
            worker.check_alive()
            time.sleep(0.5)

        now = int(time.time() * 1000)
        received_at = datetime.fromtimestamp(now / 1000, UTC).isoformat()
        publish(kafka, intents, [(None, b"this is not JSON", now)])
        publish(kafka, topics["carrier_replies"], [
            (None, orjson.dumps({"type": "mo", "reply_id": f"td-{n}",
                                 "phone": f"1381234{n:04d}", "to": MEITUAN_PORT, "text": "TD",
                                 "received_at": received_at}), now + n)
            for n in range(REPLIES)])

        deadline = time.monotonic() + 90
        while not all(webhook.firing(name) for name in TESTED):
            if time.monotonic() > deadline:
                pytest.fail(f"webhook got {webhook.alerts}; Prometheus alerts: "
                            f"{query('ALERTS')}\n{worker.log_tail(20)}")
            worker.check_alive()
            time.sleep(0.5)

        dead_letter = webhook.firing("SendGuardDeadLetters")[0]
        assert dead_letter["labels"]["source_topic"] == intents
        assert dead_letter["labels"]["error_class"] == "not_json"
        assert dead_letter["annotations"]["runbook_url"] == f"{runbook}#sendguarddeadletters"
        spike = webhook.firing("SendGuardUnsubscribeRateSpike")[0]
        assert spike["labels"]["tenant"] == "meituan"
        assert spike["annotations"]["runbook_url"] == \
            f"{runbook}#sendguardunsubscriberatespike"
        for alert in (dead_letter, spike):
            url = urllib.parse.urlparse(alert["annotations"]["runbook_url"])
            assert url.scheme in ("http", "https") and url.netloc, url
            assert alert["labels"]["severity"] == "warn"
        print(f"\nwebhook: {spike['annotations']['description']!r}; "
              f"{dead_letter['annotations']['summary']!r}")
    finally:
        for proc in procs:
            brokers.terminate(proc, timeout=20)
