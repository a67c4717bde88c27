"""The per-session rate limit, on the real app with a real (scripted) model server."""

from __future__ import annotations

import pytest
from gradio_client import Client

from tests.fakes import FakeChatServer, Step
from tests.ui.conftest import start_app_with_model, stop_app

pytestmark = pytest.mark.slow


def test_the_31st_question_in_a_minute_is_refused_without_calling_the_model(app_workdir):
    reply = "Arthur Mensch is the co-founder and CEO of Mistral. [1]"
    with FakeChatServer([Step(reply=reply) for _ in range(40)]) as server:
        app = start_app_with_model(app_workdir, server.base_url)
        try:
            client = Client(app.url + "/", verbose=False)
            for _ in range(30):
                answer = client.predict("Who is the CEO of Mistral?", api_name="/ask")
                assert answer["backend"] == "openai-compatible"
            assert len(server.requests) == 30
            with pytest.raises(Exception, match="too many questions"):
                client.predict("Who is the CEO of Mistral?", api_name="/ask")
            assert len(server.requests) == 30  # the refused question never reached the model
        finally:
            stop_app(app)
