"""Does the passage a sentence cites say what the sentence says? Deterministic checks.

Embedding similarity alone calls "holds shares" and "holds no equity" close and misses a
swapped figure, so each sentence is judged by rules that can be read and tested:

1. no citation                                  → unsupported
2. a number, amount, date or quoted phrase that is not in the cited text (rag/text/facts.py)
                                                → unsupported
3. negation: a clause of the sentence and the passage clause it matches best disagree in
   polarity ("holds equity" / "holds no equity", "confirmed" / "unconfirmed"), the
   negation falling on a word both say (not "Kissinger's dominance" against "were no
   match for Kissinger's dominance")             → unsupported
4. a name in the sentence missing from the cited text while the matching passage sentence
   names someone else in its place ("Satya Nadella is the CEO of Mistral" citing
   "Arthur Mensch is …"; "Microsoft-OpenAI" is there when both names are)
                                                → unsupported; missing without a rival → partly
                                                  (unsupported if coverage < LOW)
5. coverage: the share of the sentence's content words (stemmed, one spelling for
   variants) found in the cited text  → supported (≥ HIGH) / partly / unsupported (< LOW)

Thresholds were set on the odd-numbered half of eval/support_pairs.jsonl and are
reported on the even half (docs/BENCHMARKS.md). Blending in MiniLM similarity was
tried and made the calibration half worse (0.80 vs 0.87), so no model is involved.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from rag.text import facts
from rag.text.lexicon import NOT_NAMES, STOPWORDS
from rag.text.markers import MARKER, markers_in
from rag.text.question import category_words, entities
from rag.text.spans import canonical, sentence_spans, words

if TYPE_CHECKING:
    from rag.model import Answer

SUPPORTED, PARTLY, UNSUPPORTED = "supported", "partly", "unsupported"
NEGATION_DIFFERS = "negation differs"  # the flag of rule 3: the passage says the opposite
RANK = {UNSUPPORTED: 0, PARTLY: 1, SUPPORTED: 2}  # labels in order, worst first
HIGH = 0.8  # score at or above: supported
LOW = 0.45  # below: unsupported

_NEGATION = re.compile(
    r"\b(not|no|never|none|neither|nor|without|cannot|can't|won't|isn't|aren't|wasn't|"
    r"weren't|doesn't|don't|didn't|hasn't|haven't|hadn't|no longer|too soon|yet to)\b|n't\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r",|;|:|—|–| - |\bbut\b|\bhowever\b|\bthough\b|\balthough\b|\bwhile\b")
# Negation words are rule 3's business, not coverage's.
_FUNCTION = STOPWORDS | {"n't", "no", "not", "never", "yet", "already", "still", "longer"}


@dataclass
class SentenceSupport:
    text: str
    label: str
    score: float
    citations: list[int]
    flags: list[str] = field(default_factory=list)
    #: names of the sentence the cited text lacks, and names it gives in their place
    lost: list[str] = field(default_factory=list)
    rivals: list[str] = field(default_factory=list)
    facts_missing: bool = False  # a number, date or quote the cited text lacks

    @property
    def contradicted(self) -> bool:
        """The cited text says the opposite (rule 3), not merely less."""
        return any(flag.startswith(NEGATION_DIFFERS) for flag in self.flags)

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "label": self.label,
            "score": round(self.score, 3),
            "citations": self.citations,
            "flags": self.flags,
        }


class SupportChecker:
    """Judge sentences against the text they cite."""

    def __init__(self) -> None:
        import Stemmer  # PyStemmer, already here for BM25

        self._stem = Stemmer.Stemmer("english").stemWord
        # The same passages are judged sentence after sentence: remember their terms.
        self.terms = functools.lru_cache(maxsize=8192)(self._terms)  # type: ignore[method-assign]

    # -- terms -----------------------------------------------------------------
    def _terms(self, text: str) -> frozenset[str]:
        found = set()
        # one apostrophe, so "OpenAI’s" and "OpenAI's" both stem to "openai"
        for word in words(canonical(text).replace("-", " ").replace("’", "'")):
            if word in _FUNCTION or len(word) < 2 or word[0].isdigit():
                continue  # numbers are rule 2's business
            found.add(self._stem(word))
        return frozenset(found)

    def _covered(self, term: str, bag: frozenset[str]) -> bool:
        if term in bag:
            return True
        # "Mistral" / "MistralAI", "open" / "open-source": a shared stem of 4+ letters
        return len(term) >= 4 and any(
            len(w) >= 4 and (w.startswith(term) or term.startswith(w)) for w in bag
        )

    # -- the checks --------------------------------------------------------------
    def judge(
        self, sentence: str, cited: Sequence[str], citations: list[int] | None = None
    ) -> SentenceSupport:
        numbers = list(citations or [])
        if not cited:
            return SentenceSupport(sentence, UNSUPPORTED, 0.0, numbers, ["no citation"])
        text = " ".join(cited)
        flags = [facts.describe(f) for f in facts.missing(sentence, text)]
        facts_missing = bool(flags)
        claim_terms = self.terms(sentence)
        bag = self.terms(text)
        covered = [t for t in claim_terms if self._covered(t, bag)]
        coverage = len(covered) / len(claim_terms) if claim_terms else 1.0
        score = coverage
        flags += self._polarity(sentence, cited)
        lost, rivals = self._names(sentence, text, cited)
        if lost and rivals:
            flags.append(
                f"names {', '.join(lost)} where the cited passage names {', '.join(rivals)}"
            )
        if flags:
            return SentenceSupport(
                sentence,
                UNSUPPORTED,
                min(score, LOW / 2),
                numbers,
                flags,
                lost,
                rivals,
                facts_missing,
            )
        if lost:
            # a name missing, with nobody in its place: at best partly, and no better
            # than the words the cited text shares with the sentence
            flags.append(f"{', '.join(lost)} not in the cited passage")
            label = PARTLY if score >= LOW else UNSUPPORTED
            return SentenceSupport(
                sentence, label, min(score, HIGH - 0.01), numbers, flags, lost, rivals
            )
        label = SUPPORTED if score >= HIGH else PARTLY if score >= LOW else UNSUPPORTED
        if label != SUPPORTED:
            missing = sorted(set(claim_terms) - set(covered))
            if missing:
                flags.append("not in the cited passage: " + ", ".join(missing[:6]))
        return SentenceSupport(sentence, label, score, numbers, flags)

    def _clauses(self, text: str) -> list[str]:
        sentences = [text[s:e] for s, e in sentence_spans(text)] or [text]
        return [
            " ".join(c.split())
            for sentence in sentences
            for line in sentence.splitlines()
            for c in _CLAUSE.split(line)
            if len(self.terms(c)) >= 1
        ]

    def _polarity(self, sentence: str, cited: Sequence[str]) -> list[str]:
        """Each clause of the sentence against the cited clause sharing most terms."""
        passage_clauses = [c for part in cited for c in self._clauses(part)]
        flags = []
        for clause in self._clauses(sentence):
            mine = self.terms(clause)
            if len(mine) < 2:
                continue
            best = max(
                passage_clauses,
                key=lambda c: (len(mine & self._widened(c)), -len(c)),
                default=None,
            )
            if best is None or len(mine & self._widened(best)) < max(2, len(mine) // 2):
                continue
            if _negative(clause) != _negative(best) and self._negates_shared(
                clause if _negative(clause) else best, mine & self._widened(best)
            ):
                flags.append(f"{NEGATION_DIFFERS}: {clause!r} vs the passage's {_short(best)!r}")
        return flags

    def _negates_shared(self, clause: str, shared: frozenset[str]) -> bool:
        """Whether a negation of ``clause`` falls on a term both sides say: "were no
        match for Kissinger's dominance" negates "match", which the answer "Kissinger's
        dominance" does not say, so the two do not disagree. The negated term is the
        first content word after the cue ("holds no equity" → equity, "does not yet
        hold" → hold), or the word itself for "unconfirmed"."""
        negated = []
        for cue in _NEGATION.finditer(_NOT_ONLY.sub(lambda m: " " * len(m.group()), clause)):
            content = [t for w in words(clause[cue.end() :]) for t in self.terms(w)]
            negated += content[:1]
        negated += [t for w in words(clause) if _un_word(w) for t in self.terms(w[2:])]
        return any(self._covered(term, shared) for term in negated)

    def _widened(self, text: str) -> frozenset[str]:
        # "unconfirmed" shares "confirm" with "confirmed": match it, then polarity decides.
        bag = self.terms(text)
        return bag | {t[2:] for t in bag if t.startswith("un") and len(t) > 5}

    def _names(self, sentence: str, text: str, cited: Sequence[str]) -> tuple[list[str], list[str]]:
        """Names of the sentence not in the cited text, and rival names in their place."""
        have = said(text)
        names = [n for n in dict.fromkeys(entities(sentence)) if n not in NOT_NAMES]
        lost = [n for n in names if not mentions(have, n)]
        if not lost:
            return [], []
        own = said(sentence)
        mine = self.terms(sentence)
        # The whole best-matching sentence: a rival name often sits in the next clause
        # ("launched its own chatbot, Le Chat").
        best = max(
            (part[s:e] for part in cited for s, e in sentence_spans(part)),
            key=lambda c: len(mine & self.terms(c)),
            default="",
        )
        rivals = [
            n
            for n in dict.fromkeys(entities(best))
            if n not in NOT_NAMES and not _mentions(own, n)
        ]
        return lost, rivals


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def said(text: str) -> str:
    """``text`` as the name checks read it: canonical spelling, its words joined."""
    return " ".join(words(canonical(text)))


def _mentions(haystack: str, name: str) -> bool:
    name = " ".join(words(name))
    return bool(name) and re.search(rf"(?<![a-z0-9]){re.escape(name)}", haystack) is not None


def mentions(haystack: str, name: str) -> bool:
    """Whether ``haystack`` (as ``said`` gives it) names ``name``, or each part of a
    compound name ("Microsoft-OpenAI": Microsoft and OpenAI)."""
    return _mentions(haystack, name) or (
        "-" in name and all(_mentions(haystack, part) for part in name.split("-") if part)
    )


# "not only X but also Y" affirms X: an intensifier, not a negation.
_NOT_ONLY = re.compile(r"\bnot (?:only|just|merely|simply)\b", re.IGNORECASE)


def _un_word(word: str) -> bool:
    """A negation in one word: "unconfirmed", "undisclosed"."""
    return (
        word.startswith("un")
        and not word.startswith(("under", "unit"))
        and len(word) > 6
        and word.endswith("ed")
    )


def _negative(text: str) -> bool:
    if _NEGATION.search(_NOT_ONLY.sub(" ", text)):
        return True
    return any(_un_word(w) for w in words(text))


_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d{1,3}\])+")


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences, each with its markers: "Quote. [1]" keeps its "[1]",
    which a plain sentence splitter would hand to the next sentence."""
    pieces: list[str] = []
    for start, end in sentence_spans(text):
        piece = text[start:end]
        lead = _LEADING_MARKERS.match(piece)
        if lead and pieces:
            pieces[-1] += " " + lead.group().strip()
            piece = piece[lead.end() :].strip()
        if piece:
            pieces.append(piece)
    return pieces


BARE_WORDS = 4  # a sentence this short may be a bare answer ("Iran.", "In March 1974.")


def as_claim(sentence: str, question: str | None) -> str:
    """What ``sentence`` claims, as the checks judge it. A bare answer claims the
    question's content too ("Who was the second-largest wheat exporter?" → "Iran."
    says Iran was), so it is judged with the question: alone, "Iran" is "supported" by
    any passage naming Iran."""
    if not question or len(words(MARKER.sub(" ", sentence))) > BARE_WORDS:
        return sentence
    # "Which company does X work for?" → "SambaNova Systems": the answer is the company;
    # its passage need not say "company".
    for word in category_words(question):
        question = re.sub(rf"\b{re.escape(word)}\b", " ", question, flags=re.IGNORECASE)
    return f"{' '.join(question.split())} {sentence}"


def adds_nothing(sentence: str, question: str) -> bool:
    """Whether ``sentence`` says nothing ``question`` does not: no content word and no
    figure, date or quote beyond it ("What did X do before joining Microsoft?" →
    "X joined Microsoft."). Such a sentence answers no question for a fact, however
    well a source supports it."""
    plain = " ".join(MARKER.sub(" ", sentence).split())
    asked = checker().terms(question)
    if any(not checker()._covered(t, asked) for t in checker().terms(plain)):
        return False
    return not facts.missing(plain, question)


def _citation_support(
    n: int, plain: str, numbers: list[int], whole: SentenceSupport, texts: dict[int, str]
) -> SentenceSupport:
    """How well citation ``n`` backs a sentence: by its own text, or, for a sentence that
    joins what several citations say, by all of them when the sentence is worse off
    without ``n`` (each citation gives part of it; none alone gives all)."""
    alone = checker().judge(plain, [texts[n]])
    others = [texts[m] for m in numbers if m != n and m in texts]
    if not others or RANK[whole.label] <= RANK[alone.label]:
        return alone
    without = checker().judge(plain, others)
    return whole if RANK[without.label] < RANK[whole.label] else alone


_checker: SupportChecker | None = None


def checker() -> SupportChecker:
    global _checker
    if _checker is None:
        _checker = SupportChecker()
    return _checker


def annotate(answer: Answer, texts: dict[int, str], question: str | None = None) -> Answer:
    """Label each sentence of ``answer`` and each citation's support, in place.

    ``texts``: citation number → the text of the passage it cites. A sentence is judged
    against all the passages it cites; a citation by whether its own passage supports
    the sentences that cite it (citation precision). ``question``: a model's answer to
    it, whose bare answers are judged with it (``as_claim``); None for quotes."""
    if answer.refused:
        answer.sentences = []
        return answer
    judged: list[SentenceSupport] = []
    plain_of: dict[int, list[tuple[str, list[int], SentenceSupport]]] = {}
    for shown in answer_sentences(answer.text):
        numbers = list(dict.fromkeys(markers_in(shown)))
        plain = as_claim(" ".join(MARKER.sub(" ", shown).split()).replace(" .", "."), question)
        result = checker().judge(plain, [texts[n] for n in numbers if n in texts], numbers)
        result.text = shown
        judged.append(result)
        for n in numbers:
            plain_of.setdefault(n, []).append((plain, numbers, result))
    answer.sentences = [j.to_dict() for j in judged]
    citations = []
    for citation in answer.citations:
        own = [
            _citation_support(citation.n, plain, numbers, whole, texts)
            for plain, numbers, whole in plain_of.get(citation.n, [])
        ]
        if citation.n not in texts or not own:
            citations.append(citation)
            continue
        worst = min(own, key=lambda j: (RANK[j.label], j.score))
        citations.append(
            replace(citation, support={"label": worst.label, "score": round(worst.score, 3)})
        )
    answer.citations = citations
    return answer
