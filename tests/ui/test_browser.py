"""The chat as a person uses it: headless Chromium against the real app on 127.0.0.1.
Screenshots of every test land in test-artifacts/."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.fakes import FakeChatServer, Step, source_number
from tests.ui.conftest import free_port, start_app_with_model, stop_app

pytestmark = pytest.mark.slow


def ask(page, question: str, answers_before: int) -> None:
    """Ask, then wait until one more answer is complete (each ends "answered by …")."""
    page.fill("#question textarea", question)
    page.click("#ask")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        texts = bot_texts(page)
        if len(texts) > answers_before and "answered by" in texts[-1]:
            return
        time.sleep(0.2)
    raise AssertionError(f"no answer to {question!r}: {bot_texts(page)}")


def bot_texts(page) -> list[str]:
    # One selector only: Gradio nests [data-testid=bot] inside .message.bot, so a union of
    # the two counts each answer twice and let a stale answer pass for the new one.
    return page.locator("#chat [data-testid='bot']").all_inner_texts()


def test_ask_shows_a_cited_answer_and_its_evidence(app, page) -> None:
    started = time.monotonic()
    page.goto(app.url)
    page.wait_for_selector("#question textarea")
    ask(page, "Does Microsoft own shares in Mistral?", 0)
    assert time.monotonic() - started < 60
    answer = bot_texts(page)[-1]
    assert "shares" in answer and "[1]" in answer
    cite = page.locator("#evidence .cite").first
    assert cite.locator("mark").inner_text().strip() in answer
    assert re.search(r"\.txt:\d+", cite.inner_text())
    assert "extractive" in page.locator("#backend").inner_text()


def test_clicking_a_citation_opens_the_article_at_the_cited_lines(app, page) -> None:
    page.goto(app.url)
    ask(page, "How much did Microsoft invest in OpenAI in 2019?", 0)
    link = page.locator("#chat a[href^='/source/']").first
    href = link.get_attribute("href")
    assert href and re.search(r"start=\d+", href) and "#L" in href
    with page.context.expect_page() as opened:
        link.click()
    article = opened.value
    article.wait_for_load_state()
    hit = article.locator(".line.hit")
    assert hit.count() >= 1
    assert "$1 billion" in hit.first.inner_text()
    line = int(href.split("#L")[1])
    assert article.locator(f"#L{line}.hit").count() == 1


def test_a_follow_up_question_is_understood_with_the_default_backend(app, page) -> None:
    page.goto(app.url)
    ask(page, "Who is the CEO of Mistral?", 0)
    assert "Mensch" in bot_texts(page)[-1]
    ask(page, "And where did he work before?", 1)
    follow_up = bot_texts(page)[-1]
    assert "Read as" in follow_up and "Arthur Mensch" in follow_up
    assert "Google" in follow_up
    # source numbers continue across the conversation instead of restarting at [1]
    assert "[2]" in follow_up or "[1]" in follow_up


def test_a_refusal_is_shown_as_such_with_the_closest_passages(app, page) -> None:
    page.goto(app.url)
    ask(page, "How many employees does Mistral have?", 0)
    assert "The articles don't say" in bot_texts(page)[-1]
    refusal = page.locator("#evidence .refusal")
    assert refusal.count() == 1 and refusal.is_visible()
    assert page.locator("#evidence .cite").count() >= 1  # closest passages offered


def test_an_unreachable_endpoint_falls_back_to_the_extractive_answer(app_workdir, page) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    fallback = start_app_with_model(app_workdir, down)
    try:
        page.goto(fallback.url)
        assert "openai-compatible" in page.locator("#backend").inner_text()
        ask(page, "Who is the CEO of Mistral?", 0)
        answer = bot_texts(page)[-1]
        assert "extractive answer instead" in answer and "cannot reach" in answer
        assert "Mensch" in answer and "[1]" in answer
    finally:
        stop_app(fallback)


def test_export_downloads_the_conversation_with_its_sources(app, page) -> None:
    page.goto(app.url)
    ask(page, "Who is the CEO of Mistral?", 0)
    page.wait_for_timeout(500)  # the export file is prepared right after the answer
    with page.expect_download() as download:
        page.click("#export")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## Q: Who is the CEO of Mistral?" in text
    assert "[1] seeds/000_1e069c046a7fec7f.txt:5" in text and "> Arthur Mensch" in text


def test_a_sentence_its_source_does_not_support_is_marked_in_the_chat(app_workdir, page) -> None:
    # A model that turns "holds no equity" into "holds equity", citing the passage.
    def reply(body: dict) -> Step:
        n = source_number(body["messages"][-1]["content"], "holds no equity")
        return Step(reply=f"Microsoft holds equity in Mistral [{n}].")

    with FakeChatServer(route=reply) as server:
        app = start_app_with_model(app_workdir, server.base_url)
        try:
            page.goto(app.url)
            ask(page, "Does Microsoft hold equity in Mistral?", 0)
            mark = page.locator("#chat .support-unsupported")
            mark.first.wait_for(timeout=10_000)
            assert mark.count() == 1 and "not supported" in mark.first.inner_text()
            assert "negation differs" in bot_texts(page)[-1]
        finally:
            stop_app(app)


def test_a_question_limited_to_one_article_cites_only_it(app, page) -> None:
    page.goto(app.url)
    page.click("#scope")  # open the "Limit to some articles" panel
    picker = page.locator("#scope-articles input")
    picker.click()
    picker.fill("004_3ca911a4c31bdd1a")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    ask(page, "How much did Microsoft invest in OpenAI?", 0)
    where = page.locator("#evidence .where").all_inner_texts()
    assert where and all(w.startswith("004_3ca911a4c31bdd1a.txt") for w in where), where
    assert "limited to source 004_3ca911a4c31bdd1a.txt" in bot_texts(page)[-1]

    # The seeds carry no dates: a date range leaves nothing, and the chat says why.
    page.fill("#since textarea, #since input", "2024-01-01")
    page.fill("#question textarea", "Who is the CEO of Mistral?")
    page.click("#ask")
    deadline = time.monotonic() + 30
    while len(bot_texts(page)) < 2 or "no indexed article matches" not in bot_texts(page)[-1]:
        assert time.monotonic() < deadline, bot_texts(page)
        time.sleep(0.2)
    assert "1 have no date" in bot_texts(page)[-1]


def test_a_models_text_streams_in_before_the_checked_answer_replaces_it(app_workdir, page) -> None:
    # The model writes slowly, cites a year its source lacks and leaves a sentence no
    # passage supports: the page shows its words as they come, then says it is asking
    # the model again (the same reply, twice more), then the checked answer with the
    # year marked unsupported and the other sentence struck out.
    def reply(body: dict) -> Step:
        n = source_number(body["messages"][-1]["content"], "co-founder and CEO of Mistral")
        return Step(
            reply=f"Arthur Mensch is the co-founder and CEO of Mistral [{n}]. "
            f"He has run it since 1931 [{n}]. He also owns a vineyard in Bordeaux.",
            seconds=4.0,
        )

    with FakeChatServer(route=reply) as server:
        app = start_app_with_model(app_workdir, server.base_url)
        try:
            page.goto(app.url)
            page.fill("#question textarea", "Who is the CEO of Mistral?")
            page.click("#ask")
            provisional = checking = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                texts = bot_texts(page)
                last = texts[-1] if texts else ""
                if "answered by" in last:
                    break
                if "Arthur" in last and provisional is None:
                    provisional = last
                if "asking the model again" in last and checking is None:
                    checking = last
                time.sleep(0.1)
            final = bot_texts(page)[-1]
            removed = page.locator("#chat .removed")
            assert removed.count() == 1 and "vineyard" in removed.first.inner_text()
        finally:
            stop_app(app)
    assert provisional is not None, "no streamed text was seen before the final answer"
    assert "answered by" not in provisional
    assert checking is not None, "the pause while the model is asked again was not explained"
    assert "Arthur Mensch" in checking and "answered by" not in checking
    assert "asking the model again" not in final and "not supported" in final
    assert "answered by openai-compatible" in final and "none supports it" in final
