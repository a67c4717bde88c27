"""Same thing or not, agree or differ (rag/text/agree.py): pure text."""

import pytest

from rag.text.agree import DETAIL, DIFFERS, SAME, compare, estimate_vs_unknown

MISTRAL_EQUITY = "Microsoft has made a small investment but holds no equity in Mistral."


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (
            "Microsoft claims to have 1,600 AI models in its data centers, 1,500 of which are "
            "open-source.",
            "MS is currently running 1,600 AI models in its data centers, of which 1,500 are "
            "based on open source.",
            SAME,
        ),
        (
            "Acme Robotics hired 120 engineers for its Leeds plant, the company said.",
            "Acme Robotics hired 150 engineers for its Leeds plant this spring.",
            DIFFERS,
        ),
        (
            "Acme Robotics paid $2 million for the Leeds plant.",
            "Acme Robotics paid an undisclosed sum for the Leeds plant.",
            DETAIL,
        ),
        # Different quantities about different things: not a conflict, not related at all.
        (
            "Microsoft has invested $13bn into OpenAI in San Francisco, an alliance which is "
            "currently being evaluated by competition authorities from the US, EU, and UK.",
            "In 2019, Microsoft announced it would invest $1 billion in OpenAI to co-develop new "
            "technologies for Microsoft's Azure cloud platform.",
            None,
        ),
        (
            "Although this figure is thought to be somewhere around the $10billion mark, the "
            "exact figure remains unconfirmed.",
            "Microsoft has invested $13bn into OpenAI in San Francisco.",
            None,
        ),
    ],
)
def test_compare(a: str, b: str, expected) -> None:
    assert compare(a, b) == expected
    assert compare(b, a) == expected  # symmetric


ESTIMATE = (
    "Although this figure is thought to be somewhere around the $10billion mark, 10 times its "
    "first investment in OpenAI back in 2019, the exact figure remains unconfirmed."
)
UNDISCLOSED = (
    "The AI says the new capital injection, the exact amount of which has not been disclosed, "
    "will be used to continue its research."
)


def test_an_estimate_and_an_undisclosed_figure_differ_in_detail_within_a_story() -> None:
    assert compare(ESTIMATE, UNDISCLOSED) is None  # too few shared words for the plain rule
    assert estimate_vs_unknown(ESTIMATE, UNDISCLOSED)
    assert estimate_vs_unknown(UNDISCLOSED, ESTIMATE)
    # both undisclosed, or both estimated: nothing to tell apart
    assert not estimate_vs_unknown(UNDISCLOSED, "The exact sum has not been disclosed.")
    assert not estimate_vs_unknown(ESTIMATE, ESTIMATE.replace("$10billion", "$12billion"))
    # a figure without a hedge is not an estimate of an unknown one
    assert not estimate_vs_unknown("Microsoft invested $13bn in OpenAI.", UNDISCLOSED)
