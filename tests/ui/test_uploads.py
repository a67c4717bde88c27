"""Adding articles from the browser: off by default, and when on, a real upload is
indexed under the writer lock and answered from at once."""

from __future__ import annotations

import shutil

import pytest

from rag import Settings
from rag import add_files as add_articles
from tests.ui.conftest import start_app, stop_app
from tests.ui.test_browser import ask, bot_texts

pytestmark = pytest.mark.slow


def test_uploads_are_off_by_default(app, page) -> None:
    page.goto(app.url)
    page.wait_for_selector("#question textarea")
    assert page.locator("#upload").count() == 0


def test_an_uploaded_article_is_indexed_and_answered_from(app_workdir, tmp_path, page):
    workdir = tmp_path / "project"
    shutil.copytree(app_workdir, workdir, ignore=shutil.ignore_patterns("app-*.log"))
    app = start_app(workdir, env_extra={"RAG_UI_UPLOADS": "true"})
    article = tmp_path / "upload" / "Seal count (final).txt"
    article.parent.mkdir()
    article.write_text(
        "Lighthouse keepers on Skerry Island counted 310 grey seal pups this winter.\n"
        "The island trust said the count was the highest since records began in 1979.\n",
        encoding="utf-8",
    )
    bad = tmp_path / "upload" / "notes.exe"
    bad.write_bytes(b"MZ\x00\x00")
    try:
        page.goto(app.url)
        page.click("text=Add articles")
        page.locator("#upload input[type=file]").set_input_files([str(article), str(bad)])
        page.wait_for_timeout(1500)
        page.click("#add")
        page.wait_for_selector("#added :text('Added Seal_count_final.txt')", timeout=60000)
        assert (workdir / "seeds" / "Seal_count_final.txt").is_file()
        assert not (workdir / "seeds" / "notes.exe").exists()
        ask(page, "How many grey seal pups were counted on Skerry Island?", 0)
        assert "310 grey seal pups" in bot_texts(page)[-1]
    finally:
        stop_app(app)


def test_add_articles_refuses_other_types_and_never_overwrites(seeds_copy, tmp_path) -> None:
    settings = Settings(seeds_dir=seeds_copy, index_dir=tmp_path / "index")
    upload = tmp_path / "000_1e069c046a7fec7f.txt"  # same name as a seed
    upload.write_text("Acme said on Tuesday that it bought Widget Co for a large sum.\n")
    bad = tmp_path / "../evil.exe"
    bad.write_bytes(b"MZ")
    status = add_articles(settings, [str(upload), str(bad)])
    assert "Refused evil.exe" in status and "Added 000_1e069c046a7fec7f-2.txt" in status
    original = (seeds_copy / "000_1e069c046a7fec7f.txt").read_text(encoding="utf-8")
    assert original.startswith("Microsoft has signed a deal")
    assert not list(seeds_copy.glob("*.exe"))
