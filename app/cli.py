"""`sendguard` command line: worker, replay, create-topics, demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from app.policy import Policy, PolicyError, load_policy
from app.settings import Settings

DEFAULT_POLICY = "policy.example.toml"


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        bootstrap=getattr(args, "bootstrap", None),
        processing_guarantee=getattr(args, "processing_guarantee", None),
        web_port=getattr(args, "web_port", None),
        data_dir=getattr(args, "data_dir", None),
    )


def _policy(args: argparse.Namespace) -> Policy:
    try:
        return load_policy(args.policy)
    except PolicyError as exc:
        raise SystemExit(str(exc)) from exc


def cmd_worker(args: argparse.Namespace) -> int:
    from app.admin import BrokerAuthError
    from app.worker import run_worker

    try:
        run_worker(_settings(args), _policy(args))
    except BrokerAuthError as exc:
        raise SystemExit(f"sendguard worker: {exc}") from None
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from app import replay_cli

    return replay_cli.run(args, _settings(args), DEFAULT_POLICY)


def cmd_capture(args: argparse.Namespace) -> int:
    from app import capture

    return capture.run(args, _settings(args))


def cmd_create_topics(args: argparse.Namespace) -> int:
    from app.admin import BrokerAuthError, ensure_topics

    try:
        outcome = asyncio.run(ensure_topics(_settings(args)))
    except BrokerAuthError as exc:
        raise SystemExit(f"sendguard create-topics: {exc}") from None
    for name, state in outcome.items():
        print(f"{state:8} {name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import run_demo

    # SIGTERM stops the demo like Ctrl-C does: through its clean-up, not around it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run_demo(policy_path=args.policy, duration_s=args.duration, intents=args.intents)
    except KeyboardInterrupt:
        return 130


def cmd_classify_reply(args: argparse.Namespace) -> int:
    import dataclasses

    import orjson

    from app.replies import classify_reply

    result = dataclasses.asdict(classify_reply(args.text))
    sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.parse
    import urllib.request

    token = args.token or os.environ.get("SENDGUARD_API_TOKEN", "")
    url = f"{args.url.rstrip('/')}/recipients/{urllib.parse.quote(args.phone, safe='')}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{exc.code}: {exc.read().decode(errors='replace')}") from exc
    except urllib.error.URLError as exc:
        raise SystemExit(f"cannot reach the worker at {args.url}: {exc.reason}") from exc
    sys.stdout.write(json.dumps(json.loads(body), ensure_ascii=False, indent=2) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendguard", description="Compliance gate for outbound SMS on Kafka."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, broker: bool = True) -> None:
        p.add_argument("--policy", default=DEFAULT_POLICY,
                       help=f"policy file (TOML; default {DEFAULT_POLICY})")
        if broker:
            p.add_argument("--bootstrap", help="Kafka bootstrap servers "
                           "(default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)")

    worker = sub.add_parser("worker", help="run the Faust worker")
    common(worker)
    worker.add_argument("--processing-guarantee", choices=["at_least_once", "exactly_once"],
                        help="default: $SENDGUARD_PROCESSING_GUARANTEE or exactly_once")
    worker.add_argument("--web-port", type=int, help="metrics/health port (default 6066)")
    worker.add_argument("--data-dir", help="table state directory (default var/sendguard)")
    worker.set_defaults(func=cmd_worker)

    rep = sub.add_parser("replay", help="run the decision core offline over a JSONL trace")
    common(rep, broker=False)
    rep.set_defaults(policy=None)  # default_policy unless --compare names two
    rep.add_argument("trace", help="trace file (JSONL), or - for standard input")
    rep.add_argument("--summary", action="store_true",
                     help="print counts by reason (and by tenant/category) instead of records")
    rep.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                     help="replay under two policy files and show which decisions change "
                     "(old reason -> new reason, by tenant/category, with masked examples)")
    rep.add_argument("--json", action="store_true",
                     help="with --summary or --compare: print JSON for machines")
    rep.set_defaults(func=cmd_replay)

    cap = sub.add_parser("capture", help="read the input topics for a time range into a trace "
                         "file for replay")
    cap.add_argument("--from", dest="start", required=True, metavar="TIME",
                     help="first record time: RFC 3339 with an offset "
                     "(2026-11-22T10:00:00+08:00) or epoch milliseconds")
    cap.add_argument("--to", dest="end", metavar="TIME",
                     help="end of the range (exclusive), same forms (default: what is "
                     "committed now)")
    cap.add_argument("--output", "-o", required=True,
                     help="trace file to write (JSONL; created readable by its owner only), "
                     "or - for standard output")
    cap.add_argument("--mask-phones", action="store_true",
                     help="replace each phone number by a fake one of the same country, "
                     "prefix and time zone, so the trace decides alike and can be shared")
    cap.add_argument("--region", default="CN",
                     help="country of numbers written without a country code, for masking "
                     "(the policy's default_region; default CN)")
    cap.add_argument("--bootstrap", help="Kafka bootstrap servers "
                     "(default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)")
    cap.set_defaults(func=cmd_capture)

    topics = sub.add_parser("create-topics", help="create the topics in topics/topics.toml")
    topics.add_argument("--bootstrap")
    topics.set_defaults(func=cmd_create_topics)

    classify = sub.add_parser("classify-reply",
                              help="show how an MO reply text is classified, as JSON")
    classify.add_argument("text")
    classify.set_defaults(func=cmd_classify_reply)

    explain = sub.add_parser("explain", help="a recipient's consent, cap usage and recent "
                             "decisions, from a running worker")
    explain.add_argument("phone")
    explain.add_argument("--url", default=os.environ.get("SENDGUARD_URL", "http://127.0.0.1:6066"),
                         help="a worker's web address (default $SENDGUARD_URL or :6066)")
    explain.add_argument("--token", help="bearer token (default $SENDGUARD_API_TOKEN)")
    explain.set_defaults(func=cmd_explain)

    demo = sub.add_parser("demo", help="embedded broker + worker + sample traffic, then a summary")
    common(demo, broker=False)
    demo.add_argument("--duration", type=float, default=0,
                      help="seconds to keep running after the summary (0: until Ctrl-C)")
    demo.add_argument("--intents", type=int, default=400, help="sample intents to publish")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "policy", None) and not Path(args.policy).exists():
        raise SystemExit(f"policy file {args.policy} not found (see policy.example.toml)")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
