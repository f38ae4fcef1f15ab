"""The `intake-bot` command.

Subcommands import their runtime lazily: `intake-bot --help` and `decide`
must start fast and never load Slack, Teams or Redis clients, so the decision
engine can run in a CI job or a notebook with nothing else installed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

EXIT_OK = 0
EXIT_BAD_INPUT = 2

OBJECT_EXAMPLE = '{"volume": "40 GB a day", "churn": "hourly"}'

OWNER_KEY = "owner"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-bot",
        description=(
            "Run the requirements intake for a machine-learning project and recommend "
            "a deployment strategy."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    decide = commands.add_parser(
        "decide",
        help="recommend a strategy for one JSON object of answers",
        description=(
            "Read one JSON object of answers (question id -> the text a person would type; "
            'an optional "owner") and print the recommendation as JSON.'
        ),
    )
    decide.add_argument("--answers", type=Path, help="read the answers from FILE instead of stdin")

    console = commands.add_parser("console", help="run an intake in the terminal")
    console.add_argument("--project", default="Demo project", help="the project's name")
    console.add_argument("--user", default=None, help="who is answering (default: $USER)")

    slack = commands.add_parser("slack", help="run the Slack app")
    slack.add_argument("--port", type=int, default=3000)
    slack.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server in a container listens on all interfaces
    teams = commands.add_parser("teams", help="run the Microsoft Teams bot")
    teams.add_argument("--port", type=int, default=3978)
    teams.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server in a container listens on all interfaces

    export = commands.add_parser(
        "export",
        help="write one intake's requirements and decision record (Markdown)",
        description=(
            "Write the Markdown requirements and decision record of one intake: name a Slack "
            "or Teams thread by --platform, --workspace, --channel and --thread, or a console "
            "intake by --project."
        ),
    )
    export.add_argument("--platform", choices=("slack", "teams", "console"))
    export.add_argument("--workspace", help="the Slack team id (T...) or Teams tenant id")
    export.add_argument("--channel", help="the channel (C...) or Teams conversation id")
    export.add_argument("--thread", help="the thread's ts (Slack) or root message id (Teams)")
    export.add_argument("--project", help="a console intake's project name")
    export.add_argument("--out", type=Path, help="write to FILE instead of stdout")

    digest = commands.add_parser(
        "digest",
        help="post every digest and reminder that is due now, then exit (for a cron job)",
    )
    digest.add_argument("--once", action="store_true", required=True, help="one pass, then exit")
    digest.add_argument("--platform", choices=("slack", "teams"), default="slack")
    digest.add_argument(
        "--at", help="act as if it were this time (ISO 8601 with an offset), to catch up"
    )

    return parser


def run_decide(source: TextIO | BinaryIO, out: TextIO, err: TextIO) -> int:
    """Answers JSON in, recommendation JSON out; exit status 2 with one line per problem.

    Bytes are decoded here, strictly, as UTF-8 (a byte-order mark is allowed): a text
    stream's lenient decoding would let undecodable bytes through to the output.
    """
    from conversations import messages as msg
    from conversations.answers import read_answers
    from conversations.assessment import assess

    try:
        data = source.read()
        raw = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    except UnicodeDecodeError as exc:
        err.write(msg.DECIDE_NOT_UTF8.format(reason=exc.reason, example=OBJECT_EXAMPLE) + "\n")
        return EXIT_BAD_INPUT
    except RecursionError:
        err.write(msg.DECIDE_TOO_DEEP.format(example=OBJECT_EXAMPLE) + "\n")
        return EXIT_BAD_INPUT
    except json.JSONDecodeError as exc:
        err.write(
            f"input: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}). "
            'Expected one JSON object; for example: {"volume": "40 GB a day", "churn": "hourly"}\n'
        )
        return EXIT_BAD_INPUT
    if not isinstance(raw, dict):
        err.write(
            f"input: a JSON {type(raw).__name__} is not an object of answers. Expected one JSON "
            'object; for example: {"volume": "40 GB a day", "churn": "hourly"}\n'
        )
        return EXIT_BAD_INPUT
    owner = raw.pop(OWNER_KEY, None)
    if owner is not None and not isinstance(owner, str):
        err.write('owner: must be a name. Expected text; for example: "@maria"\n')
        return EXIT_BAD_INPUT
    answers = read_answers(raw)
    if isinstance(answers, list):
        for problem in answers:
            err.write(problem.line() + "\n")
        return EXIT_BAD_INPUT
    assessment = assess(answers, owner=owner or None)
    out.write(assessment.model_dump_json(indent=2) + "\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    if args.command == "decide":
        if args.answers is None:
            return run_decide(sys.stdin.buffer, sys.stdout, sys.stderr)
        try:
            with args.answers.open("rb") as source:
                return run_decide(source, sys.stdout, sys.stderr)
        except OSError as exc:
            sys.stderr.write(f"--answers: cannot read {args.answers}: {exc.strerror}\n")
            return EXIT_BAD_INPUT
    if args.command == "console":
        from bot.console import run_console

        return run_console(project=args.project, user=args.user)
    if args.command == "export":
        from bot.export import export_ref, run_export

        ref = export_ref(
            platform=args.platform,
            workspace=args.workspace,
            channel=args.channel,
            thread=args.thread,
            project=args.project,
        )
        if isinstance(ref, str):
            sys.stderr.write(f"export: {ref}\n")
            return EXIT_BAD_INPUT
        return run_export(ref, args.out)
    if args.command == "digest":
        from bot.digest_once import run_digest_once

        return run_digest_once(args.platform, args.at)
    if args.command == "teams":
        from bot.teams.server import run_teams

        return run_teams(host=args.host, port=args.port)
    from bot.slack.server import run_slack

    return run_slack(host=args.host, port=args.port)


if __name__ == "__main__":
    sys.exit(main())
