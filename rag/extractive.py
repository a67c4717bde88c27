"""The offline answerer: quotes whole sentences from the retrieved passages.

No model writes anything, so nothing can be invented. The hard part is
knowing when to refuse: a question about the right companies that the
articles do not answer ("How many employees does Mistral have?") retrieves
passages that look similar. So a sentence may answer only if

- it covers the question's key terms, weighted by rarity (IDF): a rare term
  of the question missing from the sentence and its passage sinks it;
- every named entity of the question occurs in the sentence's article;
- it has the kind of thing the question asks for (an amount for "how
  much", a date for "when", a name for "who"); and
- it is close to the question in embedding space.

The thresholds are calibrated on half of eval/gold.jsonl (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.retrieve import Passage
from rag.text import ALTERNATIVES, LEADS, canonical, words

# Calibrated on the calibration half of eval/gold.jsonl (python -m rag.eval --calibrate).
MIN_COVERAGE = 0.5
MIN_SIMILARITY = 0.3
MIN_SCORE = 0.45
# A lower-case question word no passage contains ("total", "together") is often a
# paraphrase; it weighs this share of a never-seen term. Unknown names weigh fully.
OOV_WEIGHT = 1.0
# The thing a question asks about ("how many employees", "which news agency") must be
# in the sentence, in words or, failing that, in meaning: at least this cosine
# between the phrase and the sentence.
MIN_TARGET_SIMILARITY = 0.2
# The ranking score: SIMILARITY_SHARE × similarity + the rest × coverage.
SIMILARITY_SHARE = 0.5
# A "which <category>" word weighs this share (see category_words).
CATEGORY_WEIGHT = 0.5
KEEP_RATIO = 0.9  # further sentences must score this close to the best one
MAX_SENTENCES = 3

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves tell say said says according article articles mentioned report reported
    reports do does did also much many kind type sort""".split()
)
# "own" and "no" carry meaning in questions ("own shares", "no equity").
STOPWORDS = STOPWORDS - {"own", "no", "not"}
# Light verbs and hedges say little on their own: "give a speech", "put money into",
# "going well", "in total", "exactly how much". The article says "spoke", "invested",
# "great", "$13bn". ("go" stays a term: "go public".)
STOPWORDS = STOPWORDS | frozenset(
    """give gives gave given giving put puts putting take takes took taken taking make
    makes made making get gets got getting keep keeps kept going well
    total overall altogether exactly approximately roughly currently""".split()
)

_NUMBER = re.compile(
    r"[$€£¥]|\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
    r"|thirty|forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|several"
    r"|multiple|multibillion|multi-billion|billions|millions)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september"
    r"|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|last (year|month|week)|this (year|month|week)|\d{1,2}(st|nd|rd|th))\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_PLACE = re.compile(
    r"\b(in|at|from|based|headquartered|across)\b\s+(the\s+)?[A-Z]|\b[A-Z][a-z]+-based\b"
)


@dataclass(frozen=True)
class Scored:
    passage: Passage
    start: int  # relative to the passage's chunk text
    end: int
    similarity: float
    coverage: float
    typed: bool
    entities: bool
    score: float
    target_similarity: float = 1.0  # 1.0 when the target's words are there (or no target)

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]


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


# "How many data centres…" asks for a count: money, a share, a year or a length of
# time in the sentence is not one ("$5.6bn into new AI data centres", "in the last two
# weeks").
_NOT_COUNTS = re.compile(
    r"[$€£¥]\s?\d[\d,.]*\s*(?:bn|mn|m|k|billion|million|trillion|thousand)?\b"
    r"|\b\d[\d,.]*\s*(?:%|percent|per cent)"
    r"|\b\d[\d,.]*\s*(?:bn|mn|billion|million|trillion)?\s*(?:euros?|dollars?|pounds?|won|yen)\b"
    r"|\b(?:1[89]\d\d|20\d\d)\b"
    r"|\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|multiple"
    r"|a few)[\s-]+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b"
    r"|\b(?:billions|millions) of (?:dollars|euros|pounds)\b",
    re.I,
)


def has_type(kind: str | None, sentence: str, asked: frozenset[str] = frozenset()) -> bool:
    """Whether ``sentence`` holds the kind of thing asked for. A name must be one the
    question does not already give ("Who co-founded Mistral with Arthur Mensch?" is not
    answered by a sentence naming only Mistral and Mensch)."""
    if kind is None:
        return True
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "count":
        return bool(_NUMBER.search(_NOT_COUNTS.sub(" ", sentence)))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "name":
        return any(not set(words(m.group())) <= asked for m in _NAME.finditer(canonical(sentence)))
    if kind == "place":
        return bool(_PLACE.search(sentence))
    return True


# "Who is OpenAI's CEO?" is not answered by "Satya Nadella, chairman and CEO of Microsoft":
# a role the question binds to one organisation must not be, in the sentence, only
# another organisation's. Matched on canonical text (chief executive = CEO, MS = Microsoft).
_ROLE = (
    r"(?i:CEO|CTO|CFO|chief \w+ officer|president|chair(?:man|woman)?|co-?founder|founder"
    r"|boss|head)"
)
_ORG = r"[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,2}"
_OWNER_ROLE = re.compile(rf"\b(?P<org>{_ORG})(?:'s|’s)?\s+(?P<role>{_ROLE})\b")
_ROLE_OF = re.compile(rf"\b(?P<role>{_ROLE})\s+(?:of|at)\s+(?P<org>{_ORG})")


def _roles(text: str) -> list[tuple[str, str]]:
    """(role, organisation) pairs a text binds: "OpenAI's CEO", "CEO of Microsoft"."""
    normal = canonical(text)
    found = [(m["role"].lower(), m["org"]) for m in _ROLE_OF.finditer(normal)]
    found += [(m["role"].lower(), m["org"]) for m in _OWNER_ROLE.finditer(normal)]
    return [(role, org) for role, org in found if org.split()[0].lower() not in _NOT_ORGS]


# Capitalised only because they open a sentence or a title ("Its CEO", "Former CEO").
_NOT_ORGS = frozenset(
    "its their his her our the a an then former new interim acting deputy who what".split()
)


def _same_org(a: str, b: str) -> bool:
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
        if org and org["org"].split()[0].lower() not in _NOT_ORGS:
            name = org["org"].removesuffix("'s").removesuffix("’s")
            return [(title, name) for title in sorted(_LEADER_TITLES)]
        return []
    return [(_title(role), org) for role, org in _roles(question)]


def role_of_another(question: str, sentence: str) -> bool:
    """True when the question asks for a role of one organisation and the sentence
    gives that role only to others."""
    asked = asked_roles(question)
    if not asked:
        return False
    given = [(_title(role), org) for role, org in _roles(sentence)]
    for role, org in asked:
        holders = [o for r, o in given if r == role]
        if holders and not any(_same_org(org, o) for o in holders):
            return True
    return False


_LEADER_TITLES = frozenset({"ceo", "chief", "head", "president", "chair", "boss", "leader"})
_TITLE = re.compile(
    r"\b(CEO|CTO|CFO|chief|president|chair(?:man|woman)?|co-?founder|founder|boss|head|leader)\b",
    re.I,
)


def _title(role: str) -> str:
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
        return _LEADER_TITLES
    return frozenset(_title(role) for role, _ in _roles(question))


def titles(sentence: str) -> frozenset[str]:
    return frozenset(_title(m.group()) for m in _TITLE.finditer(canonical(sentence)))


# Heads too general to require ("the name of the chatbot", "what kind of deal").
_GENERIC_HEADS = frozenset(
    """name names kind type sort role purpose goal point reason way status state thing
    things one ones part details detail amount total figure number value sum size""".split()
)
# Only counted things ("how many employees") and attributes ("what is the capital of",
# "what is Microsoft's revenue") must appear: "which company…" asks for an instance of a
# category, and the answering sentence names the instance, not the category.
_TARGET_START = re.compile(
    r"\bhow many\b|\bhow much\b|\bwhat (?:is|was|are|were) (?:the |its |their |his |her )?"
)
# "how much money" asks for an amount: the amount is the evidence, not the word.
_AMOUNT_WORDS = {"money", "cash", "capital", "funding", "amount", "sum", "dollars", "euros"}


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
    if not phrase or phrase[-1] in _GENERIC_HEADS:
        return None
    if match.group().startswith("how much") and phrase[0] in _AMOUNT_WORDS:
        return None
    return " ".join(phrase)


_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}


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


# In a question that asks for a number these words name the answer's type, which
# has_type checks: "what is the total amount Microsoft has put into OpenAI" is "how
# much…", and the sentence with the amount need not say "amount".
_NUMBER_NOUNS = frozenset({"amount", "sum", "figure", "value", "number"})


def key_terms(question: str, kind: str | None = None) -> list[str]:
    skip = _NUMBER_NOUNS if kind in ("number", "count") else frozenset()
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
# Words an elided second question may have besides its wh-word: "and on which day?"
_ELIDED = frozenset("day date year month time much many long".split())


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
        if set(key_terms(part)) <= _ELIDED:
            part = f"{part} {rest_of_first}"
        out.append(part + "?")
    return out


# A sentence that opens with a pronoun, does "this", or names a "shell noun" ("this
# effort", "the move") points back at what the sentence before it said.
_SHELL_NOUNS = (
    "effort|efforts|move|step|decision|plan|idea|approach|strategy|initiative|venture|project"
    "|endeavor|endeavour|development|situation|issue|problem"
)
_REFERS_BACK = re.compile(
    r"^[“\"‘']?(?:this|these|that|those|it|he|she|they|his|her|their|its|such)\b"
    r"|\b(?:doing|do|does|did|done)\s+(?:this|that|so)\b"
    rf"|\b(?:this|these|that)\s+(?:{_SHELL_NOUNS})\b",
    re.I,
)


def refers_back(sentence: str) -> bool:
    """Whether a sentence leans on the one before it: "This substantial investment…",
    "…already doing this.", "…invest in this effort"."""
    return bool(_REFERS_BACK.search(sentence))


def overlaps(a: Scored, b: Scored) -> bool:
    if a.passage.chunk.source != b.passage.chunk.source:
        return False
    a0, b0 = a.passage.chunk.char_start, b.passage.chunk.char_start
    return a0 + a.start < b0 + b.end and b0 + b.start < a0 + a.end


_QUOTED = re.compile(r"[\"“]([^\"“”]{20,})[\"”]")
LONG_SENTENCE = 25  # words


def quote_halves(sentence: str) -> list[str]:
    """A long sentence with a quote in it: the words around the quote and the quote."""
    if len(sentence.split()) < LONG_SENTENCE:
        return []
    # A quoted statement, not a quoted phrase ("a “multi-year partnership”").
    quotes = [m for m in _QUOTED.finditer(sentence) if len(m.group(1).split()) >= 6]
    if not quotes:
        return []
    frame = sentence
    for m in reversed(quotes):
        frame = frame[: m.start()] + " " + frame[m.end() :]
    frame = " ".join(frame.split())
    if len(frame.split()) < 4:
        return []
    return [frame, *(m.group(1) for m in quotes)]


class Stems:
    """Stemming and term matching that tolerate "Mistral" vs "MistralAI"."""

    def __init__(self, stem: Callable[[str], str]) -> None:
        self._stem = stem
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        if word not in self._cache:
            self._cache[word] = self._stem(word)
        return self._cache[word]

    def bag(self, text: str) -> set[str]:
        return {self(w) for w in words(canonical(text))}

    @staticmethod
    def matches(term: str, bag: set[str]) -> bool:
        if term in bag:
            return True
        return len(term) >= 4 and any(
            len(w) >= 4 and (w.startswith(term) or term.startswith(w)) for w in bag
        )


class ExtractiveAnswerer:
    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        document_frequency: dict[str, int],
        passages_total: int,
        stem: Callable[[str], str],
        documents: Callable[[str], str] | None = None,
    ) -> None:
        self._embed = embed
        self._df = document_frequency
        self._n = max(passages_total, 1)
        self.stems = Stems(stem)
        self._documents = documents  # source → full text (for the entity check)
        self._cache: dict[str, np.ndarray] = {}
        self.min_coverage = MIN_COVERAGE
        #: embed only the sentences the cheap rules leave eligible (off to calibrate)
        self.lazy = True
        self.min_similarity = MIN_SIMILARITY
        self.min_score = MIN_SCORE
        self.oov_weight = OOV_WEIGHT
        self.min_target_similarity = MIN_TARGET_SIMILARITY
        self.similarity_share = SIMILARITY_SHARE

    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def _vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self._embed(missing), strict=True):
                self._cache[text] = vector
            if len(self._cache) > 20_000:
                self._cache.clear()
        return np.stack([self._cache[t] for t in texts])

    def score(
        self,
        question: str,
        query_vector: np.ndarray,
        passages: Sequence[Passage],
        whole: str | None = None,
    ) -> list[Scored]:
        """Every sentence of ``passages`` scored against ``question``; ``whole``: the
        compound question it is a part of, whose names are given, not answers."""
        kind = answer_type(question)
        asked_terms = key_terms(question, kind)
        terms = [self.stems(t) for t in asked_terms]
        others = {
            self.stems(t): [self.stems(a) for a in ALTERNATIVES.get(t, ())] for t in asked_terms
        }

        def found(term: str, bag: set[str]) -> bool:
            return any(Stems.matches(t, bag) for t in (term, *others[term]))

        names = [self.stems(e) for e in entities(question)]
        target = target_phrase(question)
        targets = [self.stems(w) for w in words(target)] if target else []
        # A word no article uses is often a paraphrase ("total", "together"): it weighs
        # less, unless it names something or is what the question asks about.
        categories = {self.stems(w) for w in category_words(question)}
        weights = {
            t: self.idf(t)
            * (1.0 if t in names or t in targets or self._df.get(t, 0) else self.oov_weight)
            * (CATEGORY_WEIGHT if t in categories else 1.0)
            for t in terms
        }
        total = sum(weights.values()) or 1.0
        # "Microsoft's" in the question gives Microsoft: no answer to "who".
        asked = frozenset(
            w.removesuffix("'s").removesuffix("’s") for w in words(canonical(whole or question))
        )
        wanted = asked_titles(question)
        spans: list[tuple[Passage, int, int]] = []
        seen: set[tuple[str, int, int]] = set()
        for passage in passages:
            previous: tuple[int, int] | None = None
            for start, end in passage.chunk.sentences:
                # "…are already doing this.", "He said…": such a sentence is also read
                # (and quoted) with the one before it, which says what "this" is.
                options = [(start, end)]
                text = passage.chunk.text
                # the same paragraph, or the one just before (no blank line or heading)
                near = previous and text.count("\n", previous[1], start) <= 1
                if previous and near and refers_back(text[start:end]):
                    options.append((previous[0], end))
                for begin, stop in options:
                    key = (passage.chunk.source, passage.chunk.char_start + begin, stop - begin)
                    if key not in seen:
                        seen.add(key)
                        spans.append((passage, begin, stop))
                previous = (start, end)
        if not spans:
            return []
        texts = [p.chunk.text[s:e] for p, s, e in spans]
        doc_bags: dict[str, set[str]] = {}
        rules = []  # (coverage, typed, has_entities, every target word present)
        for (passage, _, _), text in zip(spans, texts, strict=True):
            bag = self.stems.bag(text)
            context = self.stems.bag(passage.chunk.text)
            covered = 0.0
            for term in terms:
                credit = 1.0 if found(term, bag) else 0.5 if found(term, context) else 0.0
                covered += credit * weights[term]
            source = passage.chunk.source
            if source not in doc_bags:
                full = self._documents(source) if self._documents else passage.chunk.text
                doc_bags[source] = self.stems.bag(full)
            rules.append(
                (
                    covered / total,
                    has_type(kind, text, asked)
                    and not role_of_another(question, text)
                    and (not wanted or bool(wanted & titles(text))),
                    all(Stems.matches(n, doc_bags[source]) for n in names),
                    all(Stems.matches(t, bag) for t in targets),
                )
            )
        # Embedding the sentences is most of an answer's time (~5 ms each on two cores):
        # only a sentence the cheap rules leave eligible needs its own vector; the others
        # (never quoted) rank by their passage's dense score, except each passage's
        # best-covered sentence, which ranks the passage (``Engine._rerank``).
        best: dict[int, int] = {}
        for i, ((passage, _, _), rule) in enumerate(zip(spans, rules, strict=True)):
            if id(passage) not in best or rule[0] > rules[best[id(passage)]][0]:
                best[id(passage)] = i
        need = [
            i
            for i, (coverage, typed, has_entities, _) in enumerate(rules)
            if not self.lazy
            or (typed and has_entities and coverage >= self.min_coverage)
            or i in best.values()
        ]
        similarities = np.array(
            [p.dense if p.dense is not None else 0.0 for p, _, _ in spans], dtype=np.float32
        )
        target_sims = np.ones(len(texts), dtype=np.float32)
        if need:
            vectors = self._vectors([texts[i] for i in need])
            similarities[need] = vectors @ np.asarray(query_vector)
            # A long sentence framing a quote ("Attending the Mobile World Congress…, he
            # explained, "We will…"") embeds as neither half: each half counts too.
            halves = [(i, h) for i in need for h in quote_halves(texts[i])]
            if halves:
                half_sims = self._vectors([h for _, h in halves]) @ np.asarray(query_vector)
                for (i, _), sim in zip(halves, half_sims, strict=True):
                    similarities[i] = max(similarities[i], float(sim))
            if target and targets:
                target_sims[need] = vectors @ self._vectors([target])[0]
        scored = []
        for (passage, start, end), (coverage, typed, has_entities, all_targets), sim, tsim in zip(
            spans, rules, similarities, target_sims, strict=True
        ):
            score = self.similarity_share * float(sim) + (1 - self.similarity_share) * coverage
            scored.append(
                Scored(
                    passage,
                    start,
                    end,
                    float(sim),
                    coverage,
                    typed,
                    has_entities,
                    score,
                    1.0 if all_targets else float(tsim),
                )
            )
        scored.sort(key=lambda s: -s.score)
        return scored

    def combined(self, s: Scored) -> float:
        return self.similarity_share * s.similarity + (1 - self.similarity_share) * s.coverage

    def eligible(self, s: Scored) -> bool:
        return (
            s.typed
            and s.entities
            and s.coverage >= self.min_coverage
            and s.similarity >= self.min_similarity
            and self.combined(s) >= self.min_score
            and s.target_similarity >= self.min_target_similarity
        )

    def answer(
        self, question: str, query_vector: np.ndarray, passages: Sequence[Passage]
    ) -> tuple[list[Scored], list[Scored], list[str]]:
        """Every scored sentence, the answer's sentences and the parts of a compound
        question (``clauses``) nothing answers.

        Each part is scored on its own: "Who leads X and announced Y?" is answered by
        one sentence for each half, while a sentence covering both halves rarely exists
        and the whole question's terms dilute every sentence's coverage.
        """
        parts = clauses(question)
        if len(parts) == 1:
            scored = self.score(question, query_vector, passages)
            return scored, self.select(scored), []
        everything: list[Scored] = []
        picks: list[list[Scored]] = []
        unanswered: list[str] = []
        for part in parts:
            scored = self.score(part, self._vectors([part])[0], passages, whole=question)
            everything += scored
            chosen = self.select(scored)
            picks.append(chosen)
            if not chosen:
                unanswered.append(part)

        def key(s: Scored) -> tuple[str, int]:
            return s.passage.chunk.source, s.passage.chunk.char_start + s.start

        # A sentence that answers several parts answers the question better than one
        # that answers one: within each part's picks it goes first.
        parts_answered: dict[tuple[str, int], int] = {}
        for chosen in picks:
            for s in chosen:
                parts_answered[key(s)] = parts_answered.get(key(s), 0) + 1
        picks = [sorted(chosen, key=lambda s: -parts_answered[key(s)]) for chosen in picks]
        answer: list[Scored] = []
        seen: set[tuple[str, int]] = set()
        for rank in range(MAX_SENTENCES):  # each part's best first, then each one's next
            for chosen in picks:
                if rank < len(chosen) and len(answer) < MAX_SENTENCES:
                    s = chosen[rank]
                    if key(s) not in seen and not any(overlaps(s, a) for a in answer):
                        seen.add(key(s))
                        answer.append(s)
        return everything, answer, unanswered

    def select(self, scored: list[Scored]) -> list[Scored]:
        """The answer's sentences, best first; empty means refuse."""
        good = sorted((s for s in scored if self.eligible(s)), key=lambda s: -self.combined(s))
        if not good:
            return []
        best = good[0]
        chosen = [best]
        for candidate in good[1:]:
            if len(chosen) >= MAX_SENTENCES or (
                self.combined(candidate) < KEEP_RATIO * self.combined(best)
            ):
                break
            if not any(overlaps(candidate, c) for c in chosen):  # a sentence once
                chosen.append(candidate)
        return chosen
