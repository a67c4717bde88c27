"""Same-story grouping and passage links (rag/index/stories.py), and diversified retrieval."""

from __future__ import annotations

from rag.answer.retrieve import MAX_ALSO, diversify
from rag.index import stories as module
from rag.index.stories import Stories, group
from rag.model import Chunk


def article(source: str, sentences: list[str], per_chunk: int = 2) -> list[Chunk]:
    """Chunks of ``per_chunk`` sentences each, with real offsets into one text."""
    text = " ".join(sentences)
    spans, at = [], 0
    for sentence in sentences:
        spans.append((at, at + len(sentence)))
        at += len(sentence) + 1
    chunks = []
    for n, first in enumerate(range(0, len(spans), per_chunk)):
        part = spans[first : first + per_chunk]
        start, end = part[0][0], part[-1][1]
        chunks.append(
            Chunk(
                id=f"{source}#{n}",
                source=source,
                text=text[start:end],
                embed_text=text[start:end],
                char_start=start,
                char_end=end,
                line_start=1,
                line_end=1,
                sentences=tuple((a - start, b - start) for a, b in part),
                content_hash="",
                file_sha256="",
            )
        )
    return chunks


HARBOUR = [
    "Acme hired 120 engineers for its new Leeds battery plant this spring.",
    "The Leeds battery plant will make cells for electric buses from next year.",
    "Acme chief executive Jane Okafor opened the Leeds plant on Monday morning.",
    "Local residents complained about lorry traffic near the site.",
]
VALLEY = [  # the same story, told again in other words, by another outlet
    "Acme has hired 150 engineers for its new Leeds battery plant.",
    "Jane Okafor, Acme chief executive, opened the Leeds plant on Monday.",
    "From next year the Leeds battery plant will make cells for electric buses.",
    "Shares in Acme rose two percent in London trading.",
]
ORCHARD = [  # another story that shares one fact and general words
    "Acme chief executive Jane Okafor opened the Leeds plant on Monday morning.",
    "Apple growers in Kent expect a record harvest after a warm summer season.",
    "Orchard owners say pickers are harder to find than in previous years.",
]


def test_a_story_told_twice_is_one_story_and_its_facts_are_paired() -> None:
    stories = group(article("harbour.txt", HARBOUR) + article("valley.txt", VALLEY))
    assert stories.stories == [["harbour.txt", "valley.txt"]]
    assert len(stories.facts) == 3  # hired engineers, made cells, opened the plant
    assert all({a[0], b[0]} == {"harbour.txt", "valley.txt"} for a, b in stories.facts)
    # the 120 / 150 pair is paired (a conflict to tell later), never merged away
    assert stories.partners("harbour.txt", 0, len(HARBOUR[0])) == [
        ("valley.txt", 0, len(VALLEY[0]))
    ]


def test_one_shared_fact_links_passages_but_does_not_make_a_story() -> None:
    stories = group(article("harbour.txt", HARBOUR) + article("orchard.txt", ORCHARD))
    assert stories.stories == []
    assert stories.story("orchard.txt") is None
    assert len(stories.facts) == 1
    assert stories.links == {"harbour.txt#1": ["orchard.txt#0"], "orchard.txt#0": ["harbour.txt#1"]}


def test_sentences_of_one_article_are_never_paired_and_short_ones_not_at_all() -> None:
    repeated = article("one.txt", [HARBOUR[0], HARBOUR[0], "Only a few can compete."], 1)
    short = article("two.txt", ["Only a few can compete."], 1)
    stories = group(repeated + short)
    assert stories.facts == [] and stories.links == {}


def test_three_retellings_join_one_story() -> None:
    third = [VALLEY[1], VALLEY[2], "Unions welcomed the jobs."]
    stories = group(
        article("harbour.txt", HARBOUR) + article("valley.txt", VALLEY) + article("c.txt", third)
    )
    assert stories.stories == [["c.txt", "harbour.txt", "valley.txt"]]
    assert stories.story("c.txt") == stories.story("harbour.txt") == 0


def test_the_groups_survive_the_sidecar_round_trip(tmp_path) -> None:
    built = group(article("harbour.txt", HARBOUR) + article("valley.txt", VALLEY))
    module.write(tmp_path, built)
    again = module.read(tmp_path)
    assert again.stories == built.stories and again.links == built.links
    assert again.partners("harbour.txt", 0, len(HARBOUR[0])) == built.partners(
        "harbour.txt", 0, len(HARBOUR[0])
    )
    assert module.read(tmp_path / "older-generation").stories == []  # no sidecar: no groups


def test_diversify_gives_a_repeated_fact_no_place_of_its_own() -> None:
    links = {"a1": ["b1"], "b1": ["a1", "c1"], "c1": ["b1"]}
    kept, twins = diversify(["a1", "b1", "a2", "c1", "a3"], 3, links)
    assert kept == ["a1", "a2", "c1"]  # c1 repeats b1, not a1: it keeps its place
    assert twins == {"a1": ["b1"], "a2": [], "c1": []}


def test_diversify_without_links_is_the_plain_top_k() -> None:
    kept, twins = diversify(["a", "b", "c", "d"], 2, {})
    assert kept == ["a", "b"] and twins == {"a": [], "b": []}


def test_diversify_keeps_at_most_a_few_twins_under_one_passage() -> None:
    others = [f"t{i}" for i in range(MAX_ALSO + 2)]
    links = {"a": others, **{t: ["a"] for t in others}}
    kept, twins = diversify(["a", *others, "b"], 2, links)
    assert kept == ["a", "b"] and twins["a"] == others[:MAX_ALSO]


def test_an_empty_stories_answers_no_groups() -> None:
    empty = Stories()
    assert empty.story("x") is None and empty.partners("x", 0, 1) == []


def test_the_other_side_of_a_conflict_is_never_folded_away() -> None:
    # 120 vs 150 engineers: one shared fact, figures differ
    stories = group(article("harbour.txt", HARBOUR[:1], 1) + article("valley.txt", VALLEY[:1], 1))
    assert len(stories.facts) == 1
    assert stories.links == {}


def test_a_passage_is_folded_only_when_most_of_it_is_repeated() -> None:
    novel = [
        "Unions in Leeds welcomed the new jobs at the battery plant warmly.",
        "The city council approved a new tram line to the industrial estate.",
        "Engineers will be trained at the local college from September onwards.",
    ]
    # one repeated sentence out of four: the passage says too much of its own to fold
    mostly_new = article("c.txt", [HARBOUR[2], *novel], 4)
    stories = group(article("harbour.txt", HARBOUR, 4) + mostly_new)
    assert len(stories.facts) == 1
    assert "c.txt#0" not in stories.links
    assert stories.links == {}  # nor the other way: harbour's passage is 1/4 repeated too


def test_an_estimate_and_an_undisclosed_figure_pair_up_only_inside_one_story() -> None:
    estimate = "Acme paid around $2 million for the site, though the exact price is unconfirmed."
    undisclosed = "The exact price paid for the Leeds site has not been disclosed by Acme."
    told = article("harbour.txt", [*HARBOUR, estimate]) + article(
        "valley.txt", [*VALLEY, undisclosed]
    )
    facts = group(told).facts
    assert any(
        {a[0], b[0]} == {"harbour.txt", "valley.txt"}
        and {"unconfirmed", "disclosed"} <= {w for s in (a, b) for w in _words(told, s)}
        for a, b in facts
    )
    apart = article("harbour.txt", [estimate]) + article("orchard.txt", [*ORCHARD, undisclosed])
    assert group(apart).facts == []  # no story joins them: no pair


def _words(chunks: list[Chunk], span: tuple[str, int, int]) -> set[str]:
    source, start, end = span
    for chunk in chunks:
        if chunk.source == source and chunk.char_start <= start and end <= chunk.char_end:
            return set(
                chunk.text[start - chunk.char_start : end - chunk.char_start].strip(".").split()
            )
    return set()
