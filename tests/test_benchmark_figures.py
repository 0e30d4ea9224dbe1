"""The benchmark's CPU accounting (benchmarks/run.py, benchmarks/measure.py), without Kafka."""

from __future__ import annotations

import time

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


def test_cpu_2w_ratio_is_the_machine_cpu_per_record_two_over_one() -> None:
    # one worker: 300 us a record (median of 280, 300, 900); two: 360 (median of 330, 360, 400)
    one = [Sample(5_000.0, 10_000, 2.0, machine_cpu_s=cpu) for cpu in (2.8, 3.0, 9.0)]
    two = [Sample(5_000.0, 10_000, 2.5, machine_cpu_s=cpu) for cpu in (3.3, 3.6, 4.0)]
    assert abs(cpu_2w_ratio(one, two) - 1.2) < 1e-9
    assert cpu_2w_ratio(one, []) == 0.0
