"""Follow-up questions without a model: resolve "he", "it", "there" from the last turn.

"And where did he work before?" after "Who runs Mistral?" (answered with a sentence
about Arthur Mensch) becomes "And where did Arthur Mensch work before?". The extractive
backend has no model to condense a conversation, so this is done with rules: the
pronoun is replaced by a name from the previous answer's quotes (people for
he/she, the previous question's subject for it/they), and a question with no
pronoun and no name of its own borrows the previous question's names.
"""

from __future__ import annotations

import re

from rag.text.lexicon import STARTERS

_PERSON_PRONOUNS = re.compile(r"\b(he|she|him|her|his|hers)\b", re.I)
_THING_PRONOUNS = re.compile(r"\b(it|its|they|them|their|theirs)\b", re.I)
_NAME = re.compile(r"\b([A-Z][a-z]+(?:[ -][A-Z][a-z]+)+)\b")
_CAPITALISED = re.compile(r"\b([A-Z][A-Za-z]+)\b")


def _names(text: str) -> list[str]:
    found = [m.group(1) for m in _NAME.finditer(text)]
    return [n for n in found if n.split()[0] not in STARTERS]


def _subjects(text: str) -> list[str]:
    return [w for w in _CAPITALISED.findall(text) if w not in STARTERS]


def _possessive(match: re.Match[str], name: str) -> str:
    word = match.group(1).lower()
    return f"{name}'s" if word in {"his", "hers", "its", "their", "theirs"} else name


def rewrite_followup(question: str, previous_question: str, previous_quotes: list[str]) -> str:
    """The question made self-contained, or unchanged when it already is."""
    if not previous_question:
        return question
    if _PERSON_PRONOUNS.search(question):
        people = _names(" ".join(previous_quotes)) or _names(previous_question)
        if people:
            name = people[0]
            # "her" is possessive or an object; either way the name reads fine.
            return _PERSON_PRONOUNS.sub(lambda m: _possessive(m, name), question)
    if _THING_PRONOUNS.search(question):
        subjects = _subjects(previous_question)
        if subjects:
            name = subjects[-1]
            return _THING_PRONOUNS.sub(lambda m: _possessive(m, name), question)
    if not _subjects(question):
        subjects = _subjects(previous_question)
        if subjects:
            return f"{question.rstrip('?')} ({' '.join(dict.fromkeys(subjects))})?"
    return question
