import io

from rag.cli.output import Provisional
from rag.model import Answer, Citation
from rag.pages import source_page
from rag.text.support import annotate
from ui.render import (
    chat_markdown,
    checking_markdown,
    evidence_html,
    export_markdown,
    streaming_markdown,
)


def citation(quote: str, n: int = 1) -> Citation:
    return Citation(
        n,
        "a.txt",
        2,
        2,
        10,
        10 + len(quote),
        quote,
        "T",
        "Outlet",
        None,
        {"dense": 0.5, "bm25": 1.0, "fused": 0.03},
    )


def answer(text: str, quote: str) -> Answer:
    return Answer("q", text, False, "extractive", [citation(quote)], [], None)


def test_markers_become_links_and_article_markup_stays_text() -> None:
    quote = (
        "Evil <script>alert(1)</script> ![x](http://127.0.0.1:9/x.png) said [link](javascript:x)."
    )
    md = chat_markdown(answer(f"{quote} [1]", quote), {"a.txt": "abc123"})
    assert "[\\[1\\]](/source/abc123?start=2&end=2#L2)" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "](http" not in md and "](javascript" not in md  # no live image or link syntax


def test_evidence_highlights_the_quote_inside_its_line_and_escapes_it() -> None:
    row = {
        "id": "abc123",
        "source": "a.txt",
        "meta": {"title": "T"},
        "text": "Title\nBefore <b>x</b>. The quoted sentence. After.",
        "labels": [],
    }
    html = evidence_html(answer("The quoted sentence. [1]", "The quoted sentence."), {"a.txt": row})
    assert "<mark>The quoted sentence.</mark>" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>" not in html


def test_source_page_marks_the_cited_lines() -> None:
    row = {
        "id": "abc123",
        "source": "a.txt",
        "meta": {},
        "text": "one\ntwo <i>\nthree",
        "labels": ["title", "body", "boilerplate"],
    }
    page = source_page(row, 2, 2)
    assert '<div class="line hit" id="L2">' in page and "<mark>two &lt;i&gt;</mark>" in page
    assert '<div class="line dropped" id="L3">' in page


def test_export_lists_sources_with_lines_and_quotes() -> None:
    text = export_markdown([("Who?", answer("Someone did. [1]", "Someone did."))])
    assert "## Q: Who?" in text and "[1] seeds/a.txt:2 — T" in text and "> Someone did." in text


def test_a_sentence_its_source_does_not_support_is_marked_with_the_reason() -> None:
    passage = "Microsoft has made a small investment but holds no equity in Mistral."
    given = Answer(
        "q",
        "Microsoft made a small investment in Mistral [1]. "
        "Microsoft holds equity in Mistral [1]. Its <b>stake</b> is 5% [1].",
        False,
        "openai-compatible",
        [citation(passage)],
        [],
        None,
    )
    md = chat_markdown(annotate(given, {1: passage}), {"a.txt": "abc123"})
    first, rest = md.split("Microsoft holds equity", 1)
    assert "⚠" not in first  # the supported sentence carries no mark
    assert rest.count('<span class="support-unsupported">⚠ not supported by its source</span>') == 2
    assert "Check, sentence 2: negation differs" in md
    assert "Check, sentence 3: percentage '5%'" in md
    assert "<b>" not in md  # the sentences are escaped like any answer text


def test_a_refusal_lists_what_else_reports_each_closest_passage_escaped() -> None:
    row = {"id": "abc123", "source": "a.txt", "meta": {"title": "T"}, "text": "x", "labels": []}
    passage = {
        "source": "a.txt",
        "line_start": 2,
        "line_end": 3,
        "text": "Acme hired engineers.",
        "also": [{"source": "b.txt", "line_start": 5, "line_end": 6, "outlet": "<Valley> Post"}],
    }
    refusal = Answer("q", "The articles don't say.", True, "extractive", [], [passage], None)
    html = evidence_html(refusal, {"a.txt": row})
    assert "Also reported by &lt;Valley&gt; Post (b.txt:5)" in html
    plain = dict(passage, also=[])
    assert "Also reported by" not in evidence_html(
        Answer("q", "The articles don't say.", True, "extractive", [], [plain], None),
        {"a.txt": row},
    )


def test_the_checking_status_is_shown_below_the_streamed_text_escaped() -> None:
    streamed = "It was launched ![x](http://127.0.0.1:9/x.png) in 2022 [1]."
    shown = checking_markdown(streamed, "asking <b>again</b>…")
    text, status = shown.split("\n\n")
    assert text == streaming_markdown(streamed) and "![x](" not in text  # still inert
    assert status == '<span class="checking">asking &lt;b&gt;again&lt;/b&gt;…</span>'


def test_the_terminal_shows_the_checking_status_only_after_streamed_text() -> None:
    out = io.StringIO()
    provisional = Provisional(out, enabled=True)
    provisional.status("asking the model again…")  # nothing streamed yet: nothing to explain
    assert out.getvalue() == ""
    provisional.write("It was launched in 2022 [1].")
    provisional.status("asking the model again…")
    provisional.close()
    assert out.getvalue().startswith("It was launched in 2022 [1].\n\n(asking the model again…)")
    assert "— checked" in out.getvalue()
    quiet = io.StringIO()  # --json or not a terminal: only the checked answer is written
    Provisional(quiet, enabled=False).status("asking the model again…")
    assert quiet.getvalue() == ""
