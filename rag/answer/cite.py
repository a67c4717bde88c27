"""Citations and answers as values, plus pure helpers for markers, spans and links."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

from rag.model import REFUSAL, Answer, Chunk, Citation, Evidence
from rag.text.inert import inert
from rag.text.markers import MARKER, markers_in, strip_invalid_markers
from rag.text.question import account_topic, asks_wh
from rag.text.spans import LineIndex, words
from rag.text.support import (
    RANK,
    SUPPORTED,
    SentenceSupport,
    adds_nothing,
    annotate,
    answer_sentences,
    as_claim,
    checker,
)


def span_citation(
    chunk: Chunk, start: int, end: int, n: int, scores: dict[str, float | None]
) -> Citation:
    """A citation for ``chunk.text[start:end]`` (offsets relative to the chunk)."""
    index = LineIndex(chunk.text)
    return Citation(
        n=n,
        source=chunk.source,
        line_start=chunk.line_start + index.line_of(start) - 1,
        line_end=chunk.line_start + index.line_of(max(start, end - 1)) - 1,
        char_start=chunk.char_start + start,
        char_end=chunk.char_start + end,
        quote=chunk.text[start:end],
        title=chunk.meta.title,
        outlet=chunk.meta.outlet,
        published=chunk.meta.published,
        scores=scores,
    )


def text_citation(
    source: str, text: str, start: int, end: int, n: int, meta: dict[str, Any]
) -> Citation:
    """A citation for ``text[start:end]`` of a whole article that was not retrieved
    (a sentence another article's quote was matched to at ingest, rag/index/stories.py)."""
    index = LineIndex(text)
    return Citation(
        n=n,
        source=source,
        line_start=index.line_of(start),
        line_end=index.line_of(max(start, end - 1)),
        char_start=start,
        char_end=end,
        quote=text[start:end],
        title=meta.get("title"),
        outlet=meta.get("outlet"),
        published=meta.get("published"),
        scores={"dense": None, "bm25": None, "fused": None},
    )


def file_link(seeds_dir: Path, citation: Citation) -> tuple[str, str]:
    """(label, file:// URI) for a citation; the label is ``source:line[-line]``."""
    lines = (
        f"{citation.line_start}"
        if citation.line_start == citation.line_end
        else f"{citation.line_start}-{citation.line_end}"
    )
    label = f"{seeds_dir.as_posix().rstrip('/')}/{citation.source}:{lines}"
    path = (seeds_dir / citation.source).resolve()
    return label, "file://" + url_quote(path.as_posix()) + f"#L{citation.line_start}"


def osc8(label: str, uri: str) -> str:
    """A terminal hyperlink (OSC 8); terminals without support show the label."""
    return f"\x1b]8;;{uri}\x1b\\{label}\x1b]8;;\x1b\\"


def scores_of(passage: Any) -> dict[str, float | None]:
    """A retrieved passage's scores, rounded for output."""

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return {"dense": r(passage.dense), "bm25": r(passage.bm25), "fused": r(passage.fused)}


def passage_dict(passage: Any) -> dict[str, object]:
    chunk = passage.chunk
    return {
        "source": chunk.source,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "text": chunk.text,
        "title": chunk.meta.title,
        "scores": scores_of(passage),
        "story": getattr(passage, "story", None),  # grouped at ingest (rag/index/stories.py)
        # the same fact in other articles (rag/index/stories.py), not given a place of its own
        "also": [
            {
                "source": twin.chunk.source,
                "line_start": twin.chunk.line_start,
                "line_end": twin.chunk.line_end,
                "outlet": twin.chunk.meta.outlet,
            }
            for twin in getattr(passage, "also", ())
        ],
    }


_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]*)\)")
# "…cement. [4]." → "…cement [4].": the markers move before the stop, and a stop the
# model also wrote after them is not kept twice
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,3}\])+)[.!?]?")
_REFUSAL_KEY = "articles don't say"


def _normal(text: str) -> str:
    return text.lower().replace("’", "'").replace("do not", "don't")


def finish_generated(
    question: str,
    raw: str,
    sources: dict[int, Evidence],
    backend: str,
    model: str | None = None,
    notices: list[str] | None = None,
) -> Answer:
    """Check a model's answer against the sources it was given.

    Markers pointing at no given source are removed; links and images are reduced
    to text. A sentence the model left uncited is cited by the system with the source
    that supports it (the support check's "supported": its figures, names and
    polarity in that source, and most of its words), or dropped when none does (kept
    in ``dropped`` with the reason, and said in ``notices``). A sentence whose cited
    source does not support it moves to the given source that says it best, when one
    says it better, or also cites the sentence just before its source when that names
    what its source only refers to (``_recited``); its label then tells how well. Each cited number
    becomes a citation of one exact sentence of its source.
    """
    notices = list(notices or [])
    passages = _passages(sources.values())
    # no control characters (a terminal escape), links or images survive the check
    text = _LINK.sub(r"\1", _IMAGE.sub("", inert(raw, markdown=False))).strip()
    text = _MARKERS_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    text = strip_invalid_markers(text, set(sources))
    # Spans of the flattened text, cut from that same text (cutting them from the
    # original, with its newlines, garbled every sentence after the first line break).
    flat = " ".join(text.split())
    sentences = answer_sentences(flat) if flat else []
    kept, system_cited, dropped = _sort(sentences, sources, question)
    notices += _sorting_notices(text, kept, system_cited, dropped)
    if not kept:
        return Answer(
            question,
            REFUSAL,
            True,
            backend,
            [],
            passages,
            None,
            notices=notices,
            model=model,
            dropped=dropped,
        )

    citing: dict[int, list[str]] = {}
    for sentence in kept:
        for n in markers_in(sentence):
            citing.setdefault(n, []).append(sentence)
    citations = []
    for n in sorted(citing):
        evidence = sources[n]
        start, end = _narrowed(evidence, citing[n])
        citations.append(
            span_citation(evidence.passage.chunk, start, end, n, scores_of(evidence.passage))
        )
    answer = Answer(
        question,
        " ".join(kept),
        False,
        backend,
        citations,
        passages,
        None,
        notices=notices,
        model=model,
        dropped=dropped,
    )
    annotate(answer, {n: e.text for n, e in sources.items()}, question)
    # rows follow the kept sentences one for one; by text only if splitting differed
    aligned = len(answer.sentences) == len(kept)
    for i, row in enumerate(answer.sentences):
        by_system = i in system_cited if aligned else row["text"] in {kept[j] for j in system_cited}
        row["cited_by"] = "system" if by_system else "model"
    return answer


RESTATES = "says nothing the question does not"
UNCITED = "cites no passage, and none supports it"
_DROP_NOTICE = {
    RESTATES: "they say nothing the question does not",
    UNCITED: "they cite no passage, and no passage supports them",
}


def _sort(
    sentences: list[str], sources: dict[int, Evidence], question: str
) -> tuple[list[str], set[int], list[dict[str, str]]]:
    """(the sentences kept, with markers; which of them the system cited; the dropped)."""
    kept: list[str] = []
    system_cited: set[int] = set()  # indexes into kept
    dropped: list[dict[str, str]] = []
    said: set[str] = set()
    # A small model given passages that do not answer often turns the question into a
    # statement ("X joined Microsoft"): cited and supported, yet no answer.
    for_a_fact = asks_wh(question) and account_topic(question) is None
    for sentence in sentences:
        plain = _plain(sentence)
        if plain.lower() in said:
            continue  # a small model looping: each thing is said once
        said.add(plain.lower())
        if for_a_fact and _REFUSAL_KEY not in _normal(sentence) and adds_nothing(plain, question):
            dropped.append({"text": sentence, "reason": RESTATES})
        elif markers_in(sentence):
            if (ns := _recited(sentence, as_claim(plain, question), sources)) is not None:
                system_cited.add(len(kept))  # the model cited a source that does not say it
                kept.append(_cite_at_end(plain, *ns))
            else:
                kept.append(sentence)
        elif _REFUSAL_KEY in _normal(sentence):
            continue  # the model's own "the articles don't say": not a claim
        elif (n := _supporting(as_claim(sentence, question), sources)) is not None:
            system_cited.add(len(kept))
            kept.append(_cite_at_end(sentence, n))
        else:
            dropped.append({"text": sentence, "reason": UNCITED})
    return kept, system_cited, dropped


def _sorting_notices(
    text: str, kept: list[str], system_cited: set[int], dropped: list[dict[str, str]]
) -> list[str]:
    """What the checks did to the model's answer, for the user."""
    notices = []
    if system_cited:
        notices.append(
            f"cited {len(system_cited)} sentence(s) the model left uncited or cited wrongly "
            "or in part, with the passages that say each best"
        )
    if dropped and kept:
        for reason, count in Counter(d["reason"] for d in dropped).items():
            notices.append(f"dropped {count} sentence(s): {_DROP_NOTICE.get(reason, reason)}")
    if not kept:
        if dropped and all(d["reason"] == RESTATES for d in dropped):
            notices.append("the model's answer only restated the question; shown as a refusal")
        elif text and _REFUSAL_KEY not in _normal(text):
            notices.append("the model's answer cited none of the sources; shown as a refusal")
    return notices


def _passages(sources: Any) -> list[dict[str, object]]:
    """Each passage the sources come from, once, in the order given."""
    seen: dict[tuple[str, int], dict[str, object]] = {}
    for evidence in sources:
        chunk = evidence.passage.chunk
        seen.setdefault((chunk.source, chunk.char_start), passage_dict(evidence.passage))
    return list(seen.values())


def _plain(sentence: str) -> str:
    """A sentence without its markers."""
    return " ".join(MARKER.sub(" ", sentence).split()).replace(" .", ".")


def _recited(sentence: str, plain: str, sources: dict[int, Evidence]) -> list[int] | None:
    """For a sentence the sources it cites do not support: the citations that do.

    In order: one given source that supports it (a small model often cites the
    passage next to the right one); else its source (its own, or the one that says it
    better) with the sentence just before it, when that sentence gives the name or
    figure its source refers to without saying ("The partnership built…" after
    "Microsoft and OpenAI pushed…"); else the one source that says it better
    ("partly" beats "unsupported"; a tie keeps the model's own citation). A sentence
    its own source contradicts ("holds equity" citing "holds no equity") moves only
    to a source that supports it: a source that merely does not say the opposite
    would hide the misreading."""
    own_numbers = [n for n in markers_in(sentence) if n in sources]
    judged_own = checker().judge(plain, [sources[n].text for n in own_numbers])
    own = RANK[judged_own.label]
    if own == RANK[SUPPORTED]:
        return None
    alone = {n: checker().judge(plain, [e.text], [n]) for n, e in sources.items()}
    supporting = [(j.score, n) for n, j in alone.items() if j.label == SUPPORTED]
    if supporting:
        return [max(supporting)[1]]
    if judged_own.contradicted:
        return None
    best: tuple[int, float, int] | None = None
    for n, judged in alone.items():
        key = (RANK[judged.label], judged.score, n)
        if key[0] > own and (best is None or key[:2] > best[:2]):
            best = key
    bases = [(own_numbers, judged_own)] + ([([best[2]], alone[best[2]])] if best else [])
    for base, judged in bases:
        if base and (joined := _with_preceding(plain, base, judged, sources)) is not None:
            return joined
    return None if best is None else [best[2]]


def _with_preceding(
    plain: str, base: list[int], needs: SentenceSupport, sources: dict[int, Evidence]
) -> list[int] | None:
    """``base`` (judged ``needs``) and the given source that comes just before one of
    its sentences in the article, when together they support the sentence and ``base``
    alone lacks only a name or figure: the sentence before is what "The partnership"
    or "It" refers to. Never when ``base`` names someone else in the missing name's
    place ("Syria and Egypt launched…" for "Iran launched…"): a name found elsewhere
    would then make a swapped name "supported"; and never for mere words."""
    if needs.rivals or needs.contradicted or not (needs.lost or needs.facts_missing):
        return None
    for n in base:
        before = _preceding(sources[n], sources)
        if before is None or before in base:
            continue
        joined = [before, *base]
        if checker().judge(plain, [sources[m].text for m in joined]).label == SUPPORTED:
            return sorted(joined)
    return None


def _preceding(evidence: Evidence, sources: dict[int, Evidence]) -> int | None:
    """The given source that ends where ``evidence`` begins in the same article
    (whitespace apart), if any."""
    chunk = evidence.passage.chunk
    begins = chunk.char_start + evidence.start
    for n, other in sources.items():
        c = other.passage.chunk
        ends = c.char_start + other.end
        if c.source == chunk.source and 0 <= begins - ends <= _GAP:
            return n
    return None


_GAP = 3  # characters between two sentences: a space, or a line break


def _supporting(sentence: str, sources: dict[int, Evidence]) -> int | None:
    """The source that best supports an uncited sentence, if one does ("supported")."""
    if not checker().terms(sentence):
        return None  # "That is all.": nothing to support, so nothing to cite
    best: tuple[float, int] | None = None
    for n, evidence in sources.items():
        judged = checker().judge(sentence, [evidence.text], [n])
        if judged.label == SUPPORTED and (best is None or judged.score > best[0]):
            best = (judged.score, n)
    return None if best is None else best[1]


_END = re.compile(r"([.!?…]+[\"'”’)]*)$")


def _cite_at_end(sentence: str, *numbers: int) -> str:
    """The sentence with ``[n]`` for each number before its closing punctuation."""
    marks = " ".join(f"[{n}]" for n in numbers)
    match = _END.search(sentence)
    if match is None:
        return f"{sentence} {marks}"
    return f"{sentence[: match.start()].rstrip()} {marks}{match.group(1)}"


def _narrowed(evidence: Evidence, citing: list[str]) -> tuple[int, int]:
    """The one sentence of a source the sentences citing it match best (a source of
    one sentence: that sentence). Offsets relative to the chunk."""
    chunk = evidence.passage.chunk
    inside = [(a, b) for a, b in chunk.sentences or [] if a >= evidence.start and b <= evidence.end]
    if len(inside) <= 1:
        return (evidence.start, evidence.end) if not inside else inside[0]
    asked = set(words(" ".join(citing)))
    return max(inside, key=lambda span: len(asked & set(words(chunk.text[span[0] : span[1]]))))
