"""``python -m rag.ask "question"``: an answer from the articles, with citations.

With no question, reads questions one per line from stdin (batch mode).
stdout carries only answers (or JSON); progress and errors go to stderr.
Exit codes: 0 ok, 1 runtime error, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any, TextIO

from rag import Answer, Checking, Engine, RagError, Retrieval, Scope, load_settings
from rag.answer.cite import passage_dict
from rag.answer.llm import make_generator
from rag.cli.chat import converse
from rag.cli.common import (
    EXIT_USAGE,
    add_backend_flags,
    add_location_flags,
    backend_overrides,
    run,
    use_color,
)
from rag.cli.output import Provisional, open_engine, render_answer
from rag.text.dates import parse_date

PROG = "python -m rag.ask"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Answer a question from the indexed news articles, with citations.",
        epilog="With no QUESTION, questions are read one per line from stdin.",
    )
    parser.add_argument("question", nargs="?", help="the question (omit to read stdin)")
    add_location_flags(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--k", type=int, metavar="N", help="passages to retrieve (default 5)")
    add_backend_flags(parser)
    parser.add_argument(
        "--retrieve-only", action="store_true", help="print the ranked passages, no answer"
    )
    parser.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="a conversation: follow-ups are read against the previous turn and source "
        "numbers stay the same across turns (/quit ends)",
    )
    parser.add_argument(
        "--mode", choices=["hybrid", "dense", "bm25"], default="hybrid", help=argparse.SUPPRESS
    )
    scope = parser.add_argument_group("limit the question to some articles")
    scope.add_argument(
        "--source",
        action="append",
        metavar="FILE",
        help="only this article (file name or glob, e.g. '00*'); repeatable",
    )
    scope.add_argument(
        "--outlet", action="append", metavar="NAME", help="only articles from this outlet"
    )
    scope.add_argument("--since", metavar="DATE", help="only articles published on/after DATE")
    scope.add_argument("--until", metavar="DATE", help="only articles published on/before DATE")
    scope.add_argument(
        "--list", action="store_true", help="list the indexed articles (file, date, outlet, title)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.k is not None and not 1 <= args.k <= 50:
        parser.error("--k must be between 1 and 50")
    if args.question is not None and not args.question.strip():
        parser.error("the question is empty")
    if args.list and args.question is not None:
        parser.error("--list takes no question")
    if args.interactive and (args.question is not None or args.retrieve_only or args.list):
        parser.error("-i takes no question, --retrieve-only or --list: ask in the chat")
    return run(lambda: _main(args), PROG)


def _main(args: argparse.Namespace) -> int:
    settings = load_settings(seeds_dir=args.seeds, index_dir=args.index, **backend_overrides(args))

    scope = Scope.from_args(args.source, args.outlet, args.since, args.until)
    engine = open_engine(settings, PROG)
    if args.list:
        return _list_articles(engine, args.json)
    if args.interactive:
        return converse(engine, scope, args.json, PROG)
    generator = None
    if not args.retrieve_only and settings.llm != "extractive":
        generator = make_generator(settings)
    questions = [args.question] if args.question is not None else _stdin_questions()
    if not questions:
        print(
            f"{PROG}: error: no question given (pass one, or pipe them on stdin)", file=sys.stderr
        )
        return EXIT_USAGE
    out = sys.stdout
    status = 0
    for number, question in enumerate(questions):
        try:
            if args.retrieve_only:
                retrieval = engine.retrieve(question, args.k, args.mode, scope)
                _print_passages(out, question, retrieval, engine, args.json)
            else:
                _answer(engine, question, args, generator, scope, out, first=number == 0)
        except RagError as err:
            if len(questions) == 1:
                raise
            # In batch mode one bad question must not lose the others.
            print(f"{PROG}: error: {question[:60]!r}: {err.message}", file=sys.stderr)
            if args.json:
                out.write(json.dumps({"question": question, "error": err.message}) + "\n")
            status = 1
        out.flush()
    return status


def _stdin_questions() -> list[str]:
    if sys.stdin.isatty():
        print(f"{PROG}: reading questions from stdin, one per line (Ctrl-D ends)", file=sys.stderr)
    return [line.strip() for line in sys.stdin if line.strip()]


def _answer(
    engine: Engine,
    question: str,
    args: argparse.Namespace,
    generator: Any,
    scope: Scope | None,
    out: TextIO,
    first: bool,
) -> None:
    """One answer printed; on a terminal a model's text shows as it is written, then
    the checked answer."""
    if not first and not args.json:
        out.write("\n" + "-" * 72 + "\n")
    provisional = Provisional(out, not args.json and out.isatty())
    for item in engine.ask_stream(question, args.k, args.mode, generator=generator, scope=scope):
        if isinstance(item, Answer):
            provisional.close()
            _print_answer(out, item, engine.settings.seeds_dir, args.json)
        elif isinstance(item, Checking):
            provisional.status(item.text)
        else:
            provisional.write(item)


def _print_answer(out: TextIO, answer: Answer, seeds_dir: Path, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
    else:
        out.write(render_answer(answer, seeds_dir, use_color(out)))
    for notice in answer.notices:
        print(f"{PROG}: note: {notice}", file=sys.stderr)


def _list_articles(engine: Engine, as_json: bool) -> int:
    rows = []
    for source, row in sorted(engine.documents().items()):
        meta = row.get("meta") or {}
        published = parse_date(meta.get("published"))
        rows.append(
            {
                "source": source,
                "published": published.isoformat() if published else None,
                "outlet": meta.get("outlet"),
                "title": meta.get("title"),
            }
        )
    for item in rows:
        if as_json:
            print(json.dumps(item, ensure_ascii=False))
        else:
            when = item["published"] or "(no date)"
            print(f"{item['source']}  {when}  {item['outlet'] or '-'}  {item['title'] or ''}")
    return 0


def _print_passages(
    out: TextIO, question: str, retrieval: Retrieval, engine: Engine, as_json: bool
) -> None:
    passages = [passage_dict(p) for p in retrieval.passages]
    if as_json:
        row = {
            "schema_version": 1,
            "question": question,
            "index_fingerprint": engine.fingerprint,
            "passages": passages,
        }
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    for rank, passage in enumerate(passages, start=1):
        s = passage["scores"]
        out.write(
            f"{rank}. {passage['source']}:{passage['line_start']}-{passage['line_end']}  "
            f"fused={s['fused']} dense={s['dense']} bm25={s['bm25']}\n"  # type: ignore[index]
        )
        out.write(textwrap.indent(textwrap.fill(str(passage["text"]), 84), "    ") + "\n")
        for twin in passage["also"]:  # type: ignore[attr-defined]
            outlet = f" ({twin['outlet']})" if twin["outlet"] else ""
            out.write(
                f"    also reported by {twin['source']}:{twin['line_start']}-"
                f"{twin['line_end']}{outlet}\n"
            )
