"""SendGuard's benchmark: the gate against the Kafka client's limit and a naive Faust agent.

    .venv/bin/python benchmarks/run.py [--intents N] [--runs K] [--quick] [--profile DIR]

Launches Apache Kafka with deploy/brokers.py (or uses $KAFKA_BOOTSTRAP_SERVERS), pre-fills the
input topics once with realistic traffic (benchmarks/traffic.py), then, on that broker and
those records, measures K times each, interleaved: a plain aiokafka passthrough, a naive Faust
agent, `sendguard worker` (exactly-once, full example policy) and two such workers. Every run
has a fresh consumer group / app id and fresh output topics. Then the decision core alone
in-process, p50/p99 end-to-end latency at 2,000 intents/s, and RocksDB memory per million
recipients with 5 million in state (benchmarks/memory.py). One hop and the lanes
(benchmarks/lanes.py): one worker on the same traffic keyed by E.164 recipient and by msg_id
(interleaved with the others), latency at 2,000/s keyed by recipient, and verification codes
sent while a campaign's backlog drains, with and without the priority lane. Prints a table;
the last line is machine-readable (RESULT ...).

Throughput = input records (intents + consent events; each variant writes one output record
per input record) per second between the first and last output record's broker append time
(benchmarks/measure.py says why), median over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

import brokers  # noqa: E402

from app import contracts  # noqa: E402
from app.rules.policy import load_policy  # noqa: E402
from app.runtime.settings import load_topic_specs  # noqa: E402
from benchmarks import core_bench, lanes, latency, traffic  # noqa: E402
from benchmarks.measure import (  # noqa: E402
    LOG_APPEND,
    Counted,
    Process,
    count_outputs,
    cpu_seconds,
    create_topics,
    decision_identity,
    delete_topics,
    free_port,
    machine_busy_seconds,
    median,
    percentile,
    publish,
    python,
    unique,
)

POLICY = contracts.example_policy_path()
SPECS = load_topic_specs({})
OUTPUT_IDS = ("approved", "dropped", "consent_outcomes", "dead_letter")


@dataclass
class Sample:
    """One measured run of one variant."""

    rate: float
    count: int
    cpu_s: float
    rss_mib: float = 0.0
    note: str = ""
    machine_cpu_s: float = 0.0  # every process's, over the same window as cpu_s
    broker_cpu_s: float | None = None  # when the benchmark started the broker itself
    window_s: float = 0.0

    @property
    def cores_busy(self) -> float:
        return self.machine_cpu_s / self.window_s if self.window_s else 0.0

    @property
    def run_cpu_s(self) -> float:
        """The machine's CPU over the run, never less than the measured processes' and the
        broker's: per-process and per-core counters are sampled apart, and on a short run their
        sum can exceed the machine's by a few ticks."""
        return max(self.machine_cpu_s, self.cpu_s + (self.broker_cpu_s or 0.0))


@dataclass
class Window:
    """CPU counters when every measured process was ready: what a run's CPU is counted from."""

    procs: list[Process]
    cpu: list[float]
    broker_pid: int | None
    broker_cpu: float = 0.0
    machine_cpu: float = field(default_factory=machine_busy_seconds)
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def open(cls, procs: list[Process], broker_pid: int | None) -> Window:
        return cls(procs, [cpu_seconds(p.pid) for p in procs], broker_pid,
                   cpu_seconds(broker_pid) if broker_pid else 0.0)


@dataclass
class Bench:
    bootstrap: str
    prefix: str
    workdir: Path
    data: traffic.Traffic
    intents_topic: str
    consents_topic: str
    replies_topic: str
    stall_s: float
    broker_pid: int | None = None
    profile: Path | None = None
    worker_env: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"


def _sample(counted: Counted, window: Window, expected: int) -> Sample:
    """Rate from the first output appended after every process was ready (for two workers,
    after the group settled: the first worker starts alone and is rebalanced when the
    second joins), to the last. CPU from when they were ready until counting ended: the
    measured processes', the broker's (if started here) and the whole machine's."""
    procs = window.procs
    cpu = sum(cpu_seconds(p.pid) - c for p, c in zip(procs, window.cpu, strict=True))
    machine_cpu = machine_busy_seconds() - window.machine_cpu
    window_s = time.monotonic() - window.started
    broker_cpu = (cpu_seconds(window.broker_pid) - window.broker_cpu
                  if window.broker_pid else None)
    note = "" if counted.distinct >= expected else f"INCOMPLETE {counted.distinct}/{expected}"
    if counted.count > counted.distinct:
        note += f" DUPLICATES {counted.count - counted.distinct} committed twice"
    since_ms = max(p.ready_at for p in procs) * 1000 if len(procs) > 1 else 0
    if since_ms:
        early = sum(1 for t in counted.append_ms if t < since_ms)
        note += f" ({early} records before the group settled not counted)"
    return Sample(counted.rate(since_ms), counted.count, cpu, note=note,
                  machine_cpu_s=machine_cpu, broker_cpu_s=broker_cpu, window_s=window_s)


def _broker_part(sample: Sample) -> str:
    return f" (broker {sample.broker_cpu_s:.1f} CPU s)" if sample.broker_cpu_s is not None else ""


def _per_record_part(sample: Sample) -> str:
    """Machine CPU per record, and the measured processes' and the broker's share."""
    if not sample.count:
        return ""
    broker = (f", broker {sample.broker_cpu_s / sample.count * 1e6:.0f}"
              if sample.broker_cpu_s is not None else "")
    return (f" {sample.run_cpu_s / sample.count * 1e6:.0f} us machine CPU per record "
            f"(measured processes {sample.cpu_s / sample.count * 1e6:.0f}{broker})")


def machine_cpu_per_record(samples: list[Sample]) -> float:
    """Median machine CPU-seconds per record over the runs (all processes, as cores busy)."""
    return median([s.run_cpu_s / s.count for s in samples if s.count and s.run_cpu_s])


def cpu_2w_ratio(one_worker: list[Sample], two_workers: list[Sample]) -> float:
    """Machine CPU per record with two workers over that with one (medians; 0 if either is
    missing): what a second worker costs beyond its share of the work."""
    one, two = machine_cpu_per_record(one_worker), machine_cpu_per_record(two_workers)
    return two / one if one and two else 0.0


def scale_ceiling(one_worker: list[Sample], cores: int) -> str | None:
    """What this machine allows two workers at most, from the one-worker runs' CPU per record
    counted over the whole machine (worker, broker, the counting consumer, the OS): the cores
    divided by that cost, against one worker's rate. A ceiling, not a forecast: two workers
    cost at least as much per record as one (each commits its own transactions)."""
    runs = [s for s in one_worker if s.count and s.rate and s.run_cpu_s]
    if not runs:
        return None
    per_record = median([s.run_cpu_s / s.count for s in runs])
    worker = median([s.cpu_s / s.count for s in runs])
    brokers = [s.broker_cpu_s / s.count for s in runs if s.broker_cpu_s is not None]
    broker = median(brokers) if brokers else None
    parts = f"the worker {worker * 1e6:.0f}"
    if broker is not None:
        parts += f", the broker {broker * 1e6:.0f}"
    parts += f", everything else {max(0.0, per_record - worker - (broker or 0.0)) * 1e6:.0f}"
    most = cores / per_record
    return (f"  scale-out ceiling on this machine: one worker's runs cost {per_record * 1e6:.0f} "
            f"us of machine CPU per record ({parts}); {cores} cores at that cost decide at most "
            f"{most:,.0f} records/s, {most / median([s.rate for s in runs]):.2f} x one worker")


def run_passthrough(bench: Bench, run: int) -> Sample:
    out = f"{bench.prefix}.pt{run}.out"
    create_topics(bench.bootstrap, {out: 4}, LOG_APPEND)
    proc = Process([python(), "-m", "benchmarks.passthrough", "--bootstrap", bench.bootstrap,
                    "--inputs", f"{bench.intents_topic},{bench.consents_topic}",
                    "--output", out, "--group", unique(f"{bench.prefix}-pt")],
                   {}, bench.log(f"passthrough-{run}"), "passthrough ready").start()
    return _measure_one(bench, proc, out, [out])


def run_naive(bench: Bench, run: int) -> Sample:
    out = f"{bench.prefix}.naive{run}.out"
    app_id = unique(f"{bench.prefix}-naive")
    create_topics(bench.bootstrap, {out: 4}, LOG_APPEND)
    proc = Process([python(), "-m", "benchmarks.naive", "--bootstrap", bench.bootstrap,
                    "--inputs", f"{bench.intents_topic},{bench.consents_topic}",
                    "--output", out, "--app-id", app_id,
                    "--data-dir", str(bench.workdir / f"naive-{run}")],
                   {}, bench.log(f"naive-{run}"), "Worker ready").start()
    return _measure_one(bench, proc, out, [out, f"{app_id}-"])


def _measure_one(bench: Bench, proc: Process, out: str, topics: list[str]) -> Sample:
    """Wait for one started process, count its outputs, stop it, delete its topics."""
    try:
        proc.wait_ready()
        window = Window.open([proc], bench.broker_pid)
        counted = count_outputs(bench.bootstrap, [out], bench.data.total, bench.stall_s)
        return _sample(counted, window, bench.data.total)
    finally:
        proc.stop()
        _forget(bench, topics)


def _forget(bench: Bench, prefixes: list[str]) -> None:
    """Delete a finished run's topics: its 200,000-record outputs and changelogs would
    otherwise stay on the broker, which compacts and indexes them while the next variants
    are measured on the same 2 cores."""
    for prefix in prefixes:
        delete_topics(bench.bootstrap, prefix)


def sendguard_topics(bench: Bench, tag: str, fresh_inputs: bool = False) -> dict[str, str]:
    topics = {spec_id: f"{bench.prefix}.{tag}.{spec.name}" for spec_id, spec in SPECS.items()}
    if not fresh_inputs:
        topics.update(send_intents=bench.intents_topic, consent_events=bench.consents_topic,
                      carrier_replies=bench.replies_topic)
    return topics


def sendguard_worker(bench: Bench, tag: str, topics: dict[str, str], n: int) -> Process:
    """`sendguard worker` exactly as users run it (exactly-once is the default)."""
    port = free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bench.bootstrap,
        "SENDGUARD_APP_ID": f"{bench.prefix}-{tag}",
        "SENDGUARD_DATA_DIR": str(bench.workdir / f"{tag}-w{n}"),
        "SENDGUARD_WEB_PORT": str(port),
        "SENDGUARD_LOG_LEVEL": "info",
        **{SPECS[spec_id].env: name for spec_id, name in topics.items()},
        **bench.worker_env,
    }
    proc = Process([python(), "-m", "app.tools.cli", "worker", "--policy", str(POLICY)], env,
                   bench.log(f"{tag}-w{n}"), "Worker ready")
    proc.web_port = port  # type: ignore[attr-defined]
    return proc


def wait_readyz(proc: Process, timeout: float = 180.0) -> None:
    """Until /readyz says partitions are assigned and table state recovered."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{proc.web_port}/readyz"  # type: ignore[attr-defined]
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if proc.proc is not None and proc.proc.poll() is not None:
            raise RuntimeError(f"worker exited:\n{proc.log_tail()}")
        time.sleep(0.3)
    raise RuntimeError(f"worker not ready in {timeout}s:\n{proc.log_tail()}")


def run_sendguard(bench: Bench, run: int, workers: int, profile: Path | None = None,
                  on_counted: Callable[[list[Process]], None] | None = None) -> Sample:
    """One run of `workers` workers; with `profile`, py-spy each into that directory;
    `on_counted` sees the workers once their outputs are counted, before they stop."""
    tag = f"sg{workers}w{run}"
    topics = sendguard_topics(bench, tag)
    create_topics(bench.bootstrap, {topics[i]: SPECS[i].partitions for i in OUTPUT_IDS},
                  LOG_APPEND)
    procs = [sendguard_worker(bench, tag, topics, n) for n in range(workers)]
    profilers: list[subprocess.Popen[bytes]] = []
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.wait_ready()
        window = Window.open(procs, bench.broker_pid)
        if profile is not None:
            profilers = [subprocess.Popen(
                [str(Path(python()).parent / "py-spy"), "record", "--pid", str(proc.pid),
                 "--rate", "200", "--format", "raw", "-o",
                 str(profile / ("sendguard-worker.txt" if workers == 1
                                else f"sendguard-x{workers}-w{n}.txt"))],
                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
                for n, proc in enumerate(procs)]
        counted = count_outputs(bench.bootstrap, [topics[i] for i in OUTPUT_IDS],
                                bench.data.total, bench.stall_s, decision_identity)
        sample = _sample(counted, window, bench.data.total)
        sample.rss_mib = sum(p.rss_mib() for p in procs)
        if on_counted is not None:
            on_counted(procs)
        if counted.by_topic[topics["dead_letter"]]:
            sample.note += f" dead letters: {counted.by_topic[topics['dead_letter']]}"
        return sample
    finally:
        for profiler in profilers:
            profiler.send_signal(2)
        for profiler in profilers:
            profiler.wait(60)
        for proc in procs:
            proc.stop()
        _forget(bench, [f"{bench.prefix}.{tag}.", f"{bench.prefix}-{tag}-"])


def _profile_dir(profile: Path | None, variant: str) -> Path | None:
    """Where a keyed variant's profile goes: a folder of its own under `profile`."""
    if profile is None:
        return None
    folder = profile / variant
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_latency(bench: Bench, rate: float, seconds: float, keyed: bool = False
                ) -> latency.Latency:
    """Keyed as before one hop, or `keyed` by recipient as app.client sends (benchmarks/
    latency.py)."""
    tag = "late164" if keyed else "lat"
    topics = sendguard_topics(bench, tag, fresh_inputs=True)
    worker = sendguard_worker(bench, tag, topics, 0).start()
    try:
        worker.wait_ready()
        wait_readyz(worker)
        return latency.measure(bench.bootstrap, topics["send_intents"], topics["approved"],
                               topics["dropped"], rate, seconds, drain_s=bench.stall_s,
                               priority_topic=topics["priority_intents"] if keyed else None)
    finally:
        worker.stop()


def run_backlog(bench: Bench, campaign: traffic.Traffic, lane: bool, rate: float
                ) -> lanes.Backlog:
    """Codes at `rate`/s while `campaign` drains, with or without the lane (lanes.py)."""
    tag = "lane" if lane else "nolane"
    topics = sendguard_topics(bench, tag, fresh_inputs=True)
    try:
        result = lanes.backlog(bench.bootstrap, topics, campaign, lane,
                               lambda: sendguard_worker(bench, tag, topics, 0), rate,
                               bench.stall_s)
        print(result.line(), flush=True)
        return result
    finally:
        _forget(bench, [f"{bench.prefix}.{tag}.", f"{bench.prefix}-{tag}-"])


def run_memory(recipients: int) -> dict[str, float]:
    out = subprocess.run([python(), "-m", "benchmarks.memory", "--recipients", str(recipients)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()
    return (f"{platform.node()}: {os.cpu_count()} cores ({cpu}), Python "
            f"{platform.python_version()}, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--intents", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--rate", type=float, default=2000.0, help="offered rate for latency")
    parser.add_argument("--latency-seconds", type=float, default=30.0)
    parser.add_argument("--memory-recipients", type=int, default=5_000_000,
                        help="recipients in state for the memory figure (minutes at 5 million)")
    parser.add_argument("--backlog", type=int, default=200_000,
                        help="marketing intents queued in front of the codes")
    parser.add_argument("--code-rate", type=float, default=50.0,
                        help="verification codes/s sent while the backlog drains")
    parser.add_argument("--profile", type=Path,
                        help="py-spy every worker of the first SendGuard runs into DIR")
    parser.add_argument("--only", help="comma-separated parts to run (default: all): "
                        "passthrough, naive, sendguard, sendguard x2, e164-keyed, "
                        "msg_id-keyed, core, latency, backlog, memory")
    parser.add_argument("--worker-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the SendGuard workers, to try a setting "
                        "(Faust reads e.g. SENDGUARD_FAUST_PRODUCER_LINGER from it)")
    args = parser.parse_args(argv)
    if args.quick:
        args.intents = min(args.intents, 2_000)
        args.runs = 1
        args.latency_seconds = min(args.latency_seconds, 3.0)
        args.memory_recipients = min(args.memory_recipients, 5_000)
        args.backlog = min(args.backlog, 20_000)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    print(f"machine: {machine()}", flush=True)
    started = time.monotonic()
    broker = brokers.broker_from_env_or_start("kafka")
    prefix = unique("bench")
    workdir = Path(tempfile.mkdtemp(prefix="sendguard-bench-"))
    try:
        data = traffic.generate(args.intents)
        print(f"broker {broker.bootstrap} ({broker.kind}); traffic: {len(data.intents)} intents "
              f"({data.marketing} marketing, {data.verification} verification) and "
              f"{len(data.consents)} consent events; {data.distinct_recipients} distinct of "
              f"{data.population} recipients; logs in {workdir}", flush=True)
        bench = Bench(broker.bootstrap, prefix, workdir, data, f"{prefix}.intents",
                      f"{prefix}.consents", f"{prefix}.replies",
                      stall_s=30.0 if args.quick else 180.0, broker_pid=broker.pid,
                      profile=args.profile,
                      worker_env=dict(item.split("=", 1) for item in args.worker_env))
        if bench.worker_env:
            print(f"SendGuard workers run with {bench.worker_env}", flush=True)
        create_topics(bench.bootstrap, {bench.intents_topic: 4, bench.consents_topic: 4,
                                        bench.replies_topic: 4})
        took = publish(bench.bootstrap, bench.consents_topic, data.consents)
        took += publish(bench.bootstrap, bench.intents_topic, data.intents)
        print(f"pre-filled {data.total} records in {took:.1f}s", flush=True)

        keyed = lanes.prefill_keyed(bench, data, [name for name in lanes.KEYINGS if
                                                  not args.only or name in args.only.split(",")])
        variants: dict[str, Callable[[Bench, int], Sample]] = {
            "passthrough": run_passthrough,
            "naive": run_naive,
            "sendguard": lambda b, r: run_sendguard(b, r, 1, b.profile if r == 0 else None),
            "sendguard x2": lambda b, r: run_sendguard(b, r, 2, b.profile if r == 0 else None),
            **{name: lambda _, r, kb=kb, name=name: run_sendguard(
                kb, r, 1, _profile_dir(kb.profile, name) if r == 0 else None)
               for name, kb in keyed.items()},
        }
        if args.only:
            variants = {k: v for k, v in variants.items() if k in args.only.split(",")}
        for run in range(args.runs):
            for name, fn in variants.items():
                sample = fn(bench, run)
                bench.samples.setdefault(name, []).append(sample)
                print(f"  run {run + 1} {name:13} {sample.rate:9,.0f} records/s  "
                      f"{sample.count} records  {sample.cpu_s:6.1f} CPU s  "
                      f"{sample.cores_busy:.2f} cores busy{_broker_part(sample)}"
                      f"{_per_record_part(sample)} {sample.note}", flush=True)
                if sample.note.startswith("INCOMPLETE"):
                    print(f"    see logs in {workdir}", flush=True)

        def wanted(part: str) -> bool:
            return not args.only or part in args.only.split(",")

        core = core_bench.run(data, load_policy(POLICY)) if wanted("core") else None
        if core is not None:
            print(f"  core: {core.events} events, {core.core_per_s:,.0f}/s "
                  f"({core.codec_per_s:,.0f}/s with the state codec)", flush=True)
        lat = run_latency(bench, args.rate, args.latency_seconds) if wanted("latency") else None
        lat_e164 = (run_latency(bench, args.rate, args.latency_seconds, keyed=True)
                    if wanted("latency") else None)
        campaign = traffic.campaign(args.backlog) if wanted("backlog") else None
        backlogs = {lane: run_backlog(bench, campaign, lane, args.code_rate)
                    for lane in (False, True)} if campaign is not None else {}
        mem = run_memory(args.memory_recipients) if wanted("memory") else None
        print(f"measured in {time.monotonic() - started:.0f}s", flush=True)
        rates = {name: median([s.rate for s in samples])
                 for name, samples in bench.samples.items()}
        per_cpu = {name: median([s.count / s.cpu_s for s in samples if s.cpu_s > 0])
                   for name, samples in bench.samples.items()}
        extra = lanes.summary(rates, lat_e164, backlogs, args.code_rate, per_cpu)
        report(bench, core, lat, mem, args, extra)  # its RESULT line is the last line
    finally:
        if broker.kind == "external":
            delete_topics(broker.bootstrap, prefix)
        broker.stop()
    return 0


def report(bench: Bench, core: core_bench.CoreResult | None, lat: latency.Latency | None,
           mem: dict[str, float] | None, args: argparse.Namespace,
           extra: tuple[list[str], dict[str, float]] = ([], {})) -> None:
    """The table and the RESULT line; `extra`: lines and RESULT fields of lanes.summary."""
    rates = {name: median([s.rate for s in samples]) for name, samples in bench.samples.items()}
    print(f"\nThroughput, {bench.data.total:,} records ({len(bench.data.intents):,} intents + "
          f"{len(bench.data.consents):,} consent events), median of {args.runs}:")
    print(f"  {'variant':14}{'records/s':>11}{'records/CPU-s':>15}{'cores busy':>12}"
          f"{'machine us/rec':>16}  runs (machine us/rec)")
    for name, samples in bench.samples.items():
        per_cpu = median([s.count / s.cpu_s for s in samples if s.cpu_s > 0])
        busy = median([s.cores_busy for s in samples])
        runs = ", ".join(f"{s.rate:,.0f} ({s.run_cpu_s / s.count * 1e6:.0f})"
                         for s in samples if s.count)
        print(f"  {name:14}{rates[name]:11,.0f}{per_cpu:15,.0f}{busy:12.2f}"
              f"{machine_cpu_per_record(samples) * 1e6:16.0f}  {runs}")
    sg = rates.get("sendguard", 0.0)
    ratio = {
        "passthrough_ratio": sg / rates["passthrough"] if rates.get("passthrough") else 0.0,
        "naive_ratio": sg / rates["naive"] if rates.get("naive") else 0.0,
        "scale_ratio": rates.get("sendguard x2", 0.0) / sg if sg else 0.0,
        "cpu_2w_ratio": cpu_2w_ratio(bench.samples.get("sendguard", []),
                                     bench.samples.get("sendguard x2", [])),
    }
    print(f"  SendGuard / passthrough {ratio['passthrough_ratio']:.3f} (target >= 0.15), "
          f"/ naive {ratio['naive_ratio']:.2f} (>= 2), two / one worker "
          f"{ratio['scale_ratio']:.2f} (>= 1.6); machine CPU per record, two / one worker "
          f"{ratio['cpu_2w_ratio']:.3f} (<= 1.15)")
    ceiling = scale_ceiling(bench.samples.get("sendguard", []), os.cpu_count() or 1)
    if ceiling:
        print(ceiling)
    rss = [s.rss_mib for s in bench.samples.get("sendguard", []) if s.rss_mib]
    if rss:
        print(f"  one worker's RSS at the end of a run: {median(rss):.0f} MiB")
    nan = float("nan")
    if core is not None:
        print(f"Decision core in-process: {core.core_per_s:,.0f} decisions/s "
              f"({core.codec_per_s:,.0f}/s with orjson state decode/encode per event; "
              f"target >= 100,000)")
    p99 = nan
    if lat is not None:
        p50, p99 = percentile(lat.approved_ms, 50), percentile(lat.approved_ms, 99)
        print(f"Latency at {lat.offered_rate:,.0f} intents/s offered ({lat.offered} intents, "
              f"{lat.decided} decided, {len(lat.approved_ms)} approved): p50 {p50:.0f} ms, "
              f"p99 {p99:.0f} ms, max {max(lat.approved_ms, default=nan):.0f} ms; "
              f"verification codes p50 {percentile(lat.verification_ms, 50):.0f} ms, "
              f"p99 {percentile(lat.verification_ms, 99):.0f} ms (target p99 < 500 ms)")
    if mem is not None:
        print(f"State memory: {mem['recipients']:,} recipients, {mem['value_bytes_avg']:.0f} B "
              f"each, RocksDB RSS {mem['rss_read_mib'] - mem['rss_start_mib']:.0f} MiB (peak "
              f"{mem['peak_growth_mib']:.0f} MiB over a {mem['rss_start_mib']:.0f} MiB baseline, "
              f"budget {mem['budget_mib']} MiB), disk {mem['disk_mib']:.1f} MiB -> "
              f"{mem['mib_per_million']:.0f} MiB per million (target <= 150 at 5 million)")
    for line in extra[0]:
        print(line)
    fields = "".join(f" {name}={value:.3f}" if name.endswith("ratio") else f" {name}={value:.0f}"
                     for name, value in extra[1].items())
    print(f"RESULT passthrough_ratio={ratio['passthrough_ratio']:.4f} "
          f"naive_ratio={ratio['naive_ratio']:.3f} scale_ratio={ratio['scale_ratio']:.3f} "
          f"core_per_s={core.core_per_s if core else nan:.0f} p99_ms={p99:.0f} "
          f"mib_per_million={mem['mib_per_million'] if mem else nan:.0f} "
          f"cpu_2w_ratio={ratio['cpu_2w_ratio']:.3f}{fields}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
