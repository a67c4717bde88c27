"""What a question asks: its key terms, names, answer type, parts and titles.

Pure functions on the question's text (and, for titles and roles, on a sentence's),
used by the extractive answerer (rag/answer/extractive.py) and the support check. No I/O.
"""

from __future__ import annotations

import re

from rag.text.lexicon import (
    AMOUNT_WORDS,
    ELIDED,
    GENERIC_HEADS,
    LEADER_TITLES,
    NOT_NAMES,
    NUMBER_NOUNS,
    STOPWORDS,
    TITLE_WORDS,
    WORD_NUMBER,
)
from rag.text.spans import LEADS, canonical, words


def answer_type(question: str) -> str | None:
    # "And where…", "So who…": a follow-up's conjunction does not change what is asked.
    q = re.sub(r"^\s*(and|so|but|then|also|ok|okay)\b[\s,]*", "", question.lower())
    if re.search(r"\bhow many\b", q):
        return "count"
    if re.search(
        r"\bhow (much|big|large|old|long)\b|\bwhat (?:(?:is|was|are|were) )?"
        r"(?:(?:the|its|their|his|her) )?(?:(?:total|exact|overall|combined|estimated) )?"
        r"(percentage|share|stake|amount|price|value|valuation|sum|figure)\b"
        r"|\bhow (is|was) .* valued\b",
        q,
    ):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|date|day|month)\b|\bwhich (year|day|month)\b", q):
        return "date"
    if re.search(r"^\s*(who|whom|whose)\b|\bwho (is|was|are|were|runs|leads|founded|said)\b", q):
        return "name"
    if re.search(
        r"^\s*where\b|\bwhich (city|country|countries|place)\b|\bwhat (city|country)\b", q
    ):
        return "place"
    return None


_ROLE = rf"(?i:{TITLE_WORDS})"
_ORG = r"[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,2}"
_OWNER_ROLE = re.compile(rf"\b(?P<org>{_ORG})(?:'s|’s)?\s+(?P<role>{_ROLE})\b")
_ROLE_OF = re.compile(rf"\b(?P<role>{_ROLE})\s+(?:of|at)\s+(?P<org>{_ORG})")


def roles(text: str) -> list[tuple[str, str]]:
    """(role, organisation) pairs a text binds: "OpenAI's CEO", "CEO of Microsoft"."""
    normal = canonical(text)
    found = [(m["role"].lower(), m["org"]) for m in _ROLE_OF.finditer(normal)]
    found += [(m["role"].lower(), m["org"]) for m in _OWNER_ROLE.finditer(normal)]
    return [(role, org) for role, org in found if org.split()[0].lower() not in NOT_NAMES]


def same_org(a: str, b: str) -> bool:
    first, second = a.lower().split()[-1], b.lower().split()[-1]  # "Meta Platforms" ~ "Meta"?
    return (
        first.startswith(second[:5])
        or second.startswith(first[:5])
        or a.lower().split()[0] == b.lower().split()[0]
    )


def asked_roles(question: str) -> list[tuple[str, str]]:
    """(title, organisation) pairs a question asks about; "Who runs Microsoft?" asks
    for each head's title of Microsoft."""
    if leads := LEADS.search(question):
        org = re.match(rf"\s+(?:the\s+)?(?P<org>{_ORG})", canonical(question[leads.end() :]))
        if org and org["org"].split()[0].lower() not in NOT_NAMES:
            name = org["org"].removesuffix("'s").removesuffix("’s")
            return [(title, name) for title in sorted(LEADER_TITLES)]
        return []
    return [(title_of(role), org) for role, org in roles(question)]


# Any title a sentence gives, bound to an organisation or not ("AI chief Mustafa Suleyman").
_TITLE = re.compile(rf"\b(?:{TITLE_WORDS}|chief|leader)\b", re.I)


def title_of(role: str) -> str:
    """One spelling per title: "Chairman" → chair, "co-founder" → founder."""
    role = role.lower()
    if role.startswith("chair"):
        return "chair"
    if role.endswith("founder"):
        return "founder"
    return role.split()[0] if role.startswith("chief ") and role != "chief" else role


def asked_titles(question: str) -> frozenset[str]:
    """The titles a who-question asks about: "Who is OpenAI's CEO?" → {ceo}; "Who runs
    Microsoft?" → any head's title. A sentence without one does not answer it: naming
    a person beside the organisation is not saying who holds the post."""
    if answer_type(question) != "name":
        return frozenset()
    if LEADS.search(question):
        return LEADER_TITLES
    return frozenset(title_of(role) for role, _ in roles(question))


def titles(sentence: str) -> frozenset[str]:
    return frozenset(title_of(m.group()) for m in _TITLE.finditer(canonical(sentence)))


# Only counted things ("how many employees") and attributes ("what is the capital of",
# "what is Microsoft's revenue") must appear: "which company…" asks for an instance of a
# category, and the answering sentence names the instance, not the category.
_TARGET_START = re.compile(
    r"\bhow many\b|\bhow much\b|\bwhat (?:is|was|are|were) (?:the |its |their |his |her )?"
)


def target_phrase(question: str) -> str | None:
    """The noun phrase a question asks about: "How many employees…" → "employees"."""
    q = question.lower().replace("’", "'")
    match = _TARGET_START.search(q)
    if not match:
        return None
    phrase: list[str] = []
    for word in re.findall(r"[a-z][a-z'-]*|\d+", q[match.end() :]):
        if word.endswith("'s"):  # "Satya Nadella's salary": the possessor is not it
            phrase = []
            continue
        if not phrase and (
            word in {"of", "the", "a", "an"} or word.isdigit() or word in _NUMBER_WORDS
        ):
            continue
        if word in STOPWORDS:
            break
        phrase.append(word)
        if len(phrase) == 2:
            break
    if not phrase or phrase[-1] in GENERIC_HEADS:
        return None
    if match.group().startswith("how much") and phrase[0] in AMOUNT_WORDS:
        return None
    return " ".join(phrase)


_NUMBER_WORDS = {word for word, value in WORD_NUMBER.items() if value <= 10}  # one … ten


_CATEGORY = re.compile(
    r"^\s*(?:(?:and|so|but|then|also)\b[\s,]*)?(?:which|what)\s+((?:[a-z]+\s+)?[a-z]+)\s+"
    r"(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could|said|says)\b",
    re.I,
)


def category_words(question: str) -> set[str]:
    """ "Which news agency said…": the answer names an instance (the Associated Press),
    so the category's words need not be in the sentence."""
    match = _CATEGORY.match(question)
    return set(words(match.group(1))) if match else set()


def key_terms(question: str, kind: str | None = None) -> list[str]:
    skip = NUMBER_NOUNS if kind in ("number", "count") else frozenset()
    if leads := LEADS.search(question):  # becomes the title check (asked_titles)
        skip = skip | {leads["verb"].lower()}
    seen: list[str] = []
    for word in words(canonical(question)):
        if word not in STOPWORDS and word not in skip and len(word) > 1 and word not in seen:
            seen.append(word)
    return seen


def entities(question: str) -> list[str]:
    """Capitalised words after the first word (Microsoft, Mistral, Peru), lower-cased."""
    found = []
    for match in re.finditer(r"\b[A-Z][\w-]*[A-Za-z0-9]", canonical(question)):
        if match.start() == 0 and match.group().lower() in STOPWORDS:
            continue
        word = match.group().lower()
        if word not in STOPWORDS:
            found.append(word)
    return found


_WH = r"(?:who|whom|whose|what|when|where|which|why|how|on which|in which|at which|at what)"
# ", and how much?", " and who runs OpenAI?": a second question after "and".
_AND_WH = re.compile(rf",?\s+and\s+(?={_WH}\b)", re.I)
# "Who leads X and announced Y?": a second predicate of the same asked-for subject.
_AND_VERB = re.compile(r",?\s+and\s+(?=[a-z]+ed\b)")
_SUBJECT_WH = re.compile(
    r"^\s*(who|what|which \w+)\s+(?!is\b|was\b|are\b|were\b|did\b|does\b|do\b)", re.I
)
# The wh-word (with its auxiliary's subject question form) an elided part borrows after.
_LEADING_WH = re.compile(
    rf"^\s*{_WH}(?:\s+\w+)?\s+(?=(?:did|does|do|is|was|are|were|has|have|had|will|would"
    rf"|can|could)\b)|^\s*{_WH}\s+",
    re.I,
)


_ASKS_WH = re.compile(rf"^\W*{_WH}\b", re.I)
# "…, and does Microsoft hold equity in it?": a yes/no part after a question for a fact
# (not "…and is based in Paris?", a second predicate of the asked-for subject).
_AND_YES_NO = re.compile(
    r"(?:[,;]|\band\b|\bor\b)\s*(?:and\s+|or\s+)?(?:does|did|do|is|are|was|were|has|have"
    r"|had|can|could|will|would|should)\s+(?!\w+\s+(?:do|say|mean)\b)(?!\w+(?:ed|en|ing)\b)",
    re.I,
)


def asks_wh(question: str) -> bool:
    """A question only for facts ("Who…", "How much…"): not a yes/no one ("Did…"), nor
    one with a yes/no part ("Who runs Mistral, and does Microsoft own it?", which a
    sentence restating that part answers). Its answer must say something it does not."""
    return _ASKS_WH.match(question) is not None and not _AND_YES_NO.search(question)


def clauses(question: str) -> list[str]:
    """The questions a compound question asks, each whole.

    "Who runs Microsoft, and who runs OpenAI?" → two questions; "When did Microsoft
    first invest in OpenAI, and how much?" → the second borrows the first's words
    ("how much did Microsoft first invest in OpenAI"). One question → itself.
    """
    text = question.strip().rstrip("?").strip()
    parts = _AND_WH.split(text)
    if len(parts) == 1 and (subject := _SUBJECT_WH.match(text)):
        pieces = _AND_VERB.split(text)
        parts = pieces[:1] + [f"{subject.group(1)} {p}" for p in pieces[1:]]
    parts = [p.strip(" ,") for p in parts if p.strip(" ,")]
    if len(parts) < 2:
        return [question]
    first = parts[0]
    rest_of_first = _LEADING_WH.sub("", first, count=1)
    out = [first + "?"]
    for part in parts[1:]:
        if set(key_terms(part)) <= ELIDED:
            part = f"{part} {rest_of_first}"
        out.append(part + "?")
    return out


# A request for an account rather than a fact ("Summarize what the articles say about
# X", "Give an overview of X"): no one sentence answers it, so a quote cannot; a
# generative backend can, from passages about X. This reads the request's form only;
# whether the articles are about X is for the scorer to say (Engine.decide).
_ACCOUNT = re.compile(
    r"^\s*(?:please\s+)?(?:"
    r"summari[sz]e|sum up|give (?:me )?(?:an? )?(?:overview|summary|rundown) of|"
    r"(?:give|write) (?:me )?(?:an? )?(?:short |brief )?summary of|overview of|"
    r"what do(?:es)? the (?:articles?|sources?|news) (?:say|report|tell (?:us|me))|"
    r"tell me (?:everything |what the articles say )?about|"
    r"explain|describe|compare"
    r")\b[\s:,]*",
    re.I,
)
_ACCOUNT_LEAD = re.compile(
    r"^(?:(?:what|everything)\s+)?"
    r"(?:the (?:articles?|sources?|news) (?:say|says|report|reports|tell us)\s+)?"
    r"(?:(?:about|on|regarding|of)\s+)?",
    re.I,
)


def account_topic(question: str) -> str | None:
    """What an account is asked about ("Microsoft and OpenAI" for "Summarize what the
    articles say about Microsoft and OpenAI"), or None for a question of fact."""
    match = _ACCOUNT.match(question)
    if match is None:
        return None
    rest = question[match.end() :].strip().rstrip("?.!")
    topic = _ACCOUNT_LEAD.sub("", rest, count=1).strip()
    return topic or None
