"""The terminal chat: ``python -m rag.ask -i``.

One conversation, as in the browser (rag/chat.py): a follow-up is read against the
previous turn, source numbers stay the same across turns, a failing generative backend
falls back to the extractive answer with a notice. On a terminal a model's text shows
dimmed as it is written, then the checked answer; piped or with --json, only the
checked answer is printed.

Questions come from the terminal (with line editing) or, piped, one per line; an empty
line is skipped; ``/quit`` or end of input ends the conversation.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import TextIO

from rag import Chat, Checking, Delta, Engine, RagError, Scope, Session
from rag.cli.common import use_color
from rag.cli.output import Provisional, render_answer

QUIT = {"/quit", "/exit", "/q"}


def converse(
    engine: Engine, scope: Scope | None, as_json: bool, prog: str, out: TextIO = sys.stdout
) -> int:
    """Run the conversation on ``engine`` (and the generations published after it);
    0, or 1 if a turn failed."""
    chat = Chat(engine.settings, engine)
    session = Session()
    if sys.stdin.isatty():
        print(
            f"{prog}: backend {chat.backend_label()}\n"
            f"{prog}: ask about the articles; follow-ups may say he/she/it; /quit ends",
            file=sys.stderr,
        )
    status = 0
    for question in _questions():
        try:
            _turn(chat, session, question, scope, as_json, out)
        except RagError as err:  # one bad turn (a limit, a bad scope) does not end the chat
            print(f"{prog}: error: {err.message}", file=sys.stderr)
            if as_json:
                out.write(json.dumps({"question": question, "error": err.message}) + "\n")
            status = 1
        out.flush()
    return status


def _turn(
    chat: Chat, session: Session, question: str, scope: Scope | None, as_json: bool, out: TextIO
) -> None:
    provisional = Provisional(out, not as_json and out.isatty())
    for item in chat.turn(question, session, scope=scope):
        if isinstance(item, Delta):
            provisional.write(item.text)  # unchecked: shown dimmed, then the checked answer
            continue
        if isinstance(item, Checking):
            provisional.status(item.text)
            continue
        provisional.close()
        answer = item.answer
        if as_json:
            row = answer.to_dict()
            row["asked_as"] = item.asked_as
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            continue
        if item.asked_as:
            out.write(f"(read as: {item.asked_as})\n")
        out.write(render_answer(answer, chat.settings.seeds_dir, use_color(out)) + "\n")
        for notice in answer.notices:
            print(f"note: {notice}", file=sys.stderr)


def _questions() -> Iterator[str]:
    while True:
        if sys.stdin.isatty():
            try:
                line = input("? ")
            except EOFError:
                return
        else:
            line = sys.stdin.readline()
            if not line:
                return
        question = line.strip()
        if question in QUIT:
            return
        if question:
            yield question
