"""What a second worker costs: one and two `sendguard worker`s, interleaved, on the same records.

    .venv/bin/python benchmarks/scale.py [--intents N] [--runs K]
        [--variant NAME:WORKERS[:VAR=VALUE,...]] ...

The default variants are one worker and two workers as benchmarks/run.py runs them; each
--variant adds one (e.g. `2w-nostandby:2:SENDGUARD_STANDBY_REPLICAS=0`; `CODE=DIR` runs that
variant's workers from another checkout, e.g. `git archive BASE | tar -x -C DIR`). Per run it prints
the CPU per record of the workers, of the broker (when started here) and of the whole
machine; then, per variant, the medians and their ratio to the first variant. On a shared
machine the workers' and the broker's own counters (from /proc) are the figures to compare:
the machine's includes whatever else runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

import brokers  # noqa: E402

from benchmarks import measure, traffic  # noqa: E402
from benchmarks.measure import Process, create_topics, median, publish, unique  # noqa: E402
from benchmarks.run import Bench, Sample, machine, run_sendguard  # noqa: E402

DEFAULT_VARIANTS = ["1w:1", "2w:2"]


def parse_variant(text: str) -> tuple[str, int, dict[str, str]]:
    name, workers, *rest = text.split(":", 2)
    env = dict(item.split("=", 1) for item in rest[0].split(",")) if rest and rest[0] else {}
    return name, int(workers), env


def per_record(samples: list[Sample], part: str) -> float:
    """Median microseconds per record of one part: workers, broker or machine."""
    values = {
        "workers": [s.cpu_s / s.count for s in samples if s.count],
        "broker": [s.broker_cpu_s / s.count for s in samples
                   if s.count and s.broker_cpu_s is not None],
        "machine": [s.run_cpu_s / s.count for s in samples if s.count],
    }[part]
    return median(values) * 1e6


def batch_sizes(procs: list[Process]) -> str:
    """Mean events per agent batch and records per fetch, from each worker's /metrics."""
    means = []
    for proc in procs:
        url = f"http://127.0.0.1:{proc.web_port}/metrics"  # type: ignore[attr-defined]
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                text = answer.read().decode()
        except OSError:
            continue
        sums: dict[str, float] = {}
        for line in text.splitlines():
            for metric in ("sendguard_agent_batch_events", "sendguard_fetch_batch_records"):
                for end in ("_sum", "_count"):
                    if line.startswith(metric + end):
                        label = (line.split("agent=\"")[1].split("\"")[0]
                                 if "agent=" in line else "fetch")
                        key = f"{label}{end}"
                        sums[key] = sums.get(key, 0.0) + float(line.rsplit(" ", 1)[1])
        means.append(" ".join(f"{label} {sums[label + '_sum'] / sums[label + '_count']:.0f}"
                              for label in ("repartition", "decide", "fetch")
                              if sums.get(label + "_count")))
    return "; ".join(means)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--intents", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME:WORKERS[:VAR=VALUE,...] (repeatable)")
    parser.add_argument("--profile", type=Path,
                        help="py-spy each variant's first run into DIR/<variant>/")
    parser.add_argument("--only-given", action="store_true",
                        help="run only the --variant ones, not the default 1w and 2w")
    args = parser.parse_args(argv)
    variants = [parse_variant(v) for v in
                ([] if args.only_given else DEFAULT_VARIANTS) + args.variant]

    print(f"machine: {machine()}", flush=True)
    broker = brokers.broker_from_env_or_start("kafka")
    prefix = unique("scale")
    workdir = Path(tempfile.mkdtemp(prefix="sendguard-scale-"))
    samples: dict[str, list[Sample]] = {name: [] for name, _, _ in variants}
    try:
        data = traffic.generate(args.intents)
        bench = Bench(broker.bootstrap, prefix, workdir, data, f"{prefix}.intents",
                      f"{prefix}.consents", f"{prefix}.replies", stall_s=120.0,
                      broker_pid=broker.pid)
        create_topics(bench.bootstrap, {bench.intents_topic: 4, bench.consents_topic: 4,
                                        bench.replies_topic: 4})
        publish(bench.bootstrap, bench.consents_topic, data.consents)
        publish(bench.bootstrap, bench.intents_topic, data.intents)
        print(f"broker {broker.bootstrap}; {data.total} records; logs in {workdir}", flush=True)
        for run in range(args.runs):
            for index, (name, workers, env) in enumerate(variants):
                bench.worker_env = {k: v for k, v in env.items() if k != "CODE"}
                measure.ROOT = Path(env.get("CODE", ROOT))  # where Process starts workers
                started = time.monotonic()
                # (a distinct run number per variant and run: it names the topics and app id)
                profile = args.profile / name if args.profile and not run else None
                if profile is not None:
                    profile.mkdir(parents=True, exist_ok=True)
                seen: list[str] = []
                sample = run_sendguard(bench, run * len(variants) + index, workers, profile,
                                       lambda procs, seen=seen: seen.append(batch_sizes(procs)))
                samples[name].append(sample)
                broker_us = (sample.broker_cpu_s or 0.0) / sample.count * 1e6
                print(f"  run {run + 1} {name:14} {sample.rate:7,.0f}/s  workers "
                      f"{sample.cpu_s / sample.count * 1e6:4.0f} us/rec  broker "
                      f"{broker_us:4.0f}  machine {sample.run_cpu_s / sample.count * 1e6:5.0f}"
                      f"  cores busy {sample.cores_busy:.2f}  "
                      f"({time.monotonic() - started:.0f}s) {sample.note}", flush=True)
                print(f"      mean batch: {seen[0] if seen else '?'}", flush=True)
    finally:
        broker.stop()
    base = variants[0][0]
    print(f"\nmedians of {args.runs} runs, us per record (ratio to {base}):")
    for name, _, env in variants:
        parts = []
        for part in ("workers", "broker", "machine"):
            value, ref = per_record(samples[name], part), per_record(samples[base], part)
            parts.append(f"{part} {value:5.0f} ({value / ref if ref else 0:.3f})")
        spread = ", ".join(f"{(s.cpu_s + (s.broker_cpu_s or 0)) / s.count * 1e6:.0f}"
                           for s in samples[name])
        print(f"  {name:14} {'  '.join(parts)}  workers+broker per run: {spread}  {env or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
