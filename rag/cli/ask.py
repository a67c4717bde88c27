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
from typing import TYPE_CHECKING, Any, TextIO, cast

from rag.answer.cite import file_link, osc8, passage_dict
from rag.answer.engine import Engine
from rag.answer.llm import make_generator
from rag.answer.scope import Scope
from rag.cli.common import (
    EXIT_USAGE,
    add_backend_flags,
    add_location_flags,
    backend_overrides,
    progress_bar,
    run,
    use_color,
)
from rag.cli.ingest import describe
from rag.config import load_settings
from rag.errors import IndexNotFoundError, RagError
from rag.ingest.build import build_index
from rag.text.dates import parse_date

if TYPE_CHECKING:
    from rag.answer.engine import Engine
    from rag.model import Answer, Retrieval

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
    return run(lambda: _main(args), PROG)


def _main(args: argparse.Namespace) -> int:
    settings = load_settings(seeds_dir=args.seeds, index_dir=args.index, **backend_overrides(args))

    scope = Scope.from_args(args.source, args.outlet, args.since, args.until)
    engine = open_engine(settings)
    if args.list:
        return _list_articles(engine, args.json)
    generator = None
    if not args.retrieve_only and settings.llm != "extractive":
        generator = make_generator(settings)

    if args.question is not None:
        questions = [args.question]
    else:
        if sys.stdin.isatty():
            print(
                f"{PROG}: reading questions from stdin, one per line (Ctrl-D ends)", file=sys.stderr
            )
        questions = [line.strip() for line in sys.stdin if line.strip()]
        if not questions:
            print(
                f"{PROG}: error: no question given (pass one, or pipe them on stdin)",
                file=sys.stderr,
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
                answer = engine.ask(question, args.k, args.mode, generator=generator, scope=scope)
                if args.json:
                    out.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
                else:
                    if number:
                        out.write("\n" + "-" * 72 + "\n")
                    out.write(render_answer(answer, settings.seeds_dir, use_color(out)))
                for notice in answer.notices:
                    print(f"{PROG}: note: {notice}", file=sys.stderr)
        except Exception as err:
            if not isinstance(err, RagError) or len(questions) == 1:
                raise
            # In batch mode one bad question must not lose the others.
            print(f"{PROG}: error: {question[:60]!r}: {err.message}", file=sys.stderr)
            if args.json:
                out.write(json.dumps({"question": question, "error": err.message}) + "\n")
            status = 1
        out.flush()
    return status


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


def open_engine(settings: Any) -> Engine:
    """The engine over the published index, indexing the seeds first if there is none."""
    try:
        return Engine(settings)
    except IndexNotFoundError:
        print(f"{PROG}: no index yet; indexing {settings.seeds_dir} first", file=sys.stderr)
        report = build_index(settings, progress=progress_bar())
        print(describe(report), file=sys.stderr)
        return Engine(settings)


def render_answer(answer: Answer, seeds_dir: Path, links: bool) -> str:
    doubtful = [s for s in answer.sentences if s["label"] != "supported"]
    text = answer.text
    if doubtful:  # mark each sentence the check could not back, where it stands
        text = " ".join(
            str(s["text"]) + ("" if s["label"] == "supported" else f" <{s['label']}>")
            for s in answer.sentences
        )
    lines = [textwrap.fill(text, width=88), ""]
    if answer.refused:
        lines.append("(no sentence in the indexed articles answers this question)")
        return "\n".join(lines) + "\n"
    if doubtful:
        lines.append("Checks (each sentence against the passages it cites):")
        for sentence in doubtful:
            reasons = cast("list[str]", sentence["flags"])
            flags = "; ".join(reasons) or "weakly matched"
            lines.append(
                textwrap.fill(f"- {sentence['label']}: {flags}", width=88, subsequent_indent="  ")
            )
        lines.append("")
    lines.append("Sources:")
    for citation in answer.citations:
        label, uri = file_link(seeds_dir, citation)
        shown = osc8(label, uri) if links else label
        about = " — ".join(x for x in (citation.title, citation.outlet) if x)
        lines.append(f"[{citation.n}] {shown}" + (f"  {about}" if about else ""))
        quote = textwrap.fill(
            f"“{citation.quote}”", width=88, initial_indent="    ", subsequent_indent="    "
        )
        lines.append(quote)
    return "\n".join(lines) + "\n"


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

