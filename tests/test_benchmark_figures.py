"""The benchmark's CPU accounting (benchmarks/run.py, benchmarks/measure.py) and its one hop and
lanes figures (benchmarks/lanes.py), without Kafka."""

from __future__ import annotations

import math
import time

import orjson

from app.rules.phones import normalise_phone
from benchmarks import lanes, traffic
from benchmarks.latency import Latency
from benchmarks.measure import machine_busy_seconds
from benchmarks.run import Sample, cpu_2w_ratio, scale_ceiling


def test_machine_busy_seconds_counts_this_process_burning_cpu() -> None:
    before = machine_busy_seconds()
    started = time.process_time()
    while time.process_time() - started < 0.3:
        pass
    assert machine_busy_seconds() - before >= 0.25


def test_scale_ceiling_is_the_cores_over_the_machine_cpu_per_record() -> None:
    # 10,000 records at 5,000/s with 3 s of the machine's CPU: 300 us a record, 2 cores
    # decide at most 6,667/s, 1.33 x one worker.
    one = Sample(5_000.0, 10_000, 1.6, machine_cpu_s=3.0, broker_cpu_s=0.9, window_s=2.0)
    line = scale_ceiling([one], cores=2)
    assert line is not None
    assert "300 us of machine CPU per record" in line
    assert "(the worker 160, the broker 90, everything else 50)" in line
    assert "at most 6,667 records/s, 1.33 x one worker" in line
    assert one.cores_busy == 1.5


def test_scale_ceiling_without_a_broker_pid_or_runs() -> None:
    external = Sample(5_000.0, 10_000, 1.6, machine_cpu_s=2.5, window_s=2.0)
    line = scale_ceiling([external], cores=4)
    assert line is not None and "broker" not in line and "everything else 90" in line
    assert "2.00 x one worker" in scale_ceiling([Sample(5_000.0, 10_000, 1.6, machine_cpu_s=4.0,
                                                        window_s=2.0)], cores=4)
    assert scale_ceiling([], cores=2) is None


def test_scale_ceiling_never_counts_less_than_the_worker_and_broker_used() -> None:
    # A short run: the machine's counter shows fewer ticks than the two processes' own.
    short = Sample(5_000.0, 10_000, 1.6, machine_cpu_s=2.0, broker_cpu_s=0.9, window_s=2.0)
    line = scale_ceiling([short], cores=2)
    assert line is not None
    assert "250 us of machine CPU per record" in line and "everything else 0)" in line


def test_recipient_keyed_traffic_is_in_its_recipients_partition_msg_id_keyed_by_chance() -> None:
    data = traffic.generate(2_000)
    by_recipient = lanes.rekeyed(data.intents, "recipient")
    assert by_recipient[0].key == normalise_phone(orjson.loads(data.intents[0].value)["phone"]
                                                  ).encode()
    assert by_recipient[0].key.startswith(b"+86")
    assert lanes.in_place(by_recipient) == 1.0
    assert lanes.in_place(data.intents) < 0.2  # keyed by the number as written
    assert 0.05 < lanes.in_place(lanes.rekeyed(data.intents, "msg_id")) < 0.2  # about 1 in 8
    assert lanes.rekeyed(data.consents, "msg_id")[0].key.startswith(b"form-")


def test_campaign_is_marketing_to_distinct_recipients_with_consent_first() -> None:
    campaign = traffic.campaign(1_000)
    values = [orjson.loads(r.value) for r in campaign.intents]
    assert {v["category"] for v in values} == {"marketing"}
    assert len({normalise_phone(v["phone"]) for v in values}) == 1_000
    assert all(v["msg_id"].startswith(lanes.CAMPAIGN_PREFIX) for v in values)
    assert 0.7 < sum(orjson.loads(c.value)["action"] == "grant"
                     for c in campaign.consents) / 1_000 < 0.9
    assert max(c.ts for c in campaign.consents) < min(r.ts for r in campaign.intents)


def test_lanes_summary_fields() -> None:
    with_lane = lanes.Backlog(True, 1_000, 1_000, drain_per_s=4_500.0,
                              code_ms=[float(ms) for ms in range(1, 101)])
    without = lanes.Backlog(False, 1_000, 1_000, drain_per_s=5_000.0, code_ms=[30_000.0])
    lat = Latency(approved_ms=[100.0, 250.0])
    lines, fields = lanes.summary({"e164-keyed": 7_000.0, "msg_id-keyed": 5_000.0}, lat,
                                  {True: with_lane, False: without}, 50.0,
                                  {"e164-keyed": 4_000.0, "msg_id-keyed": 3_200.0})
    assert fields == {"one_hop_ratio": 1.4, "p99_e164_ms": 250.0, "code_p99_backlog_ms": 99.0,
                      "code_p99_nolane_ms": 30_000.0, "drain_ratio": 0.9}
    assert "drain rate with the lane / without: 0.900" in lines[-1]
    assert "4,000 against 3,200 records, 1.25 x" in lines[1]
    _, missing = lanes.summary({"sendguard": 5_000.0}, None, {}, 50.0)
    assert all(math.isnan(value) for value in missing.values())


def test_cpu_2w_ratio_is_the_machine_cpu_per_record_two_over_one() -> None:
    # one worker: 300 us a record (median of 280, 300, 900); two: 360 (median of 330, 360, 400)
    one = [Sample(5_000.0, 10_000, 2.0, machine_cpu_s=cpu) for cpu in (2.8, 3.0, 9.0)]
    two = [Sample(5_000.0, 10_000, 2.5, machine_cpu_s=cpu) for cpu in (3.3, 3.6, 4.0)]
    assert abs(cpu_2w_ratio(one, two) - 1.2) < 1e-9
    assert cpu_2w_ratio(one, []) == 0.0
