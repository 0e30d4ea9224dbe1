"""`sendguard replay`: the decisions themselves (JSONL), a summary, or a comparison.

Exit codes: 0 done; 1 a bad trace line or an invalid policy (each bad line one message on
stderr); 2 a file that cannot be read, or options that do not go together.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import orjson

from app.rules.policy import Policy, PolicyError, load_policy
from app.runtime.settings import Settings
from app.tools.compare import compare, render_comparison, render_summary, summarise
from app.tools.inputs import InputFileError, check_readable, open_input, with_progress
from app.tools.replay import INPUT_KINDS, TraceErrors, replay, until_first_error

USAGE_ERROR = 2


def run(args: argparse.Namespace, settings: Settings, default_policy: str) -> int:
    """Run `sendguard replay` as parsed by app.tools.cli; return the exit code."""
    if args.json and not (args.summary or args.compare):
        return _fail("--json needs --summary or --compare (plain replay prints JSONL)")
    if args.backlog and (args.summary or args.compare):
        return _fail("--backlog prints the decisions themselves: drop --summary/--compare")
    if args.compare and (args.summary or args.policy):
        return _fail("--compare takes its two policies itself: drop --policy and --summary")
    try:
        paths = args.compare or [args.policy or default_policy]
        for path in paths:
            check_readable(path, "policy file")
        policies = [_load(path) for path in paths]
        trace = open_input(args.trace, "trace file")
    except InputFileError as exc:
        return _fail(str(exc))
    errors = TraceErrors()
    with trace:
        lines = with_progress(trace, "replay")
        if not (args.summary or args.compare):
            out = sys.stdout.buffer
            for line in replay(settings, policies[0], lines, errors, args.backlog):
                out.write(line + b"\n")
            out.flush()
            return _report(errors)
        topics = [settings.topic(topic_id) for topic_id in INPUT_KINDS]
        records = until_first_error(lines, topics, errors)
        result: Any
        text: Callable[[Any], str]
        if args.compare:
            result = compare(settings, policies[0], policies[1], records)
            text = render_comparison
        else:
            result = summarise(settings, policies[0], records)
            text = render_summary
    if errors.count:
        return _report(errors)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2)
                                + b"\n")
    else:
        print(text(result))
    return 0


def _load(path: str) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        raise SystemExit(str(exc)) from exc


def _report(errors: TraceErrors) -> int:
    for message in errors.report():
        print(message, file=sys.stderr)
    return 1 if errors.count else 0


def _fail(message: str) -> int:
    print(f"sendguard replay: {message}", file=sys.stderr)
    return USAGE_ERROR
