"""Risk–coverage curves for ``rag.eval --curves DIR``: what answering at each confidence
threshold would give, from one run in which nothing was refused (RAG_MIN_CONFIDENCE=0).

For a threshold t, the questions with confidence ≥ t are answered (their answers as
given) and the others refused; ``coverage`` is the share answered and ``risk`` the
share of those answers that are wrong (an answer to an unanswerable question, or one
without the key fact). The shipped threshold is marked. Matplotlib is only imported
here (an extra: ``pip install -e '.[train]'`` or matplotlib), and writes PNG without a
screen (Agg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError


@dataclass(frozen=True)
class Point:
    threshold: float
    coverage: float
    risk: float
    key_fact: float  # answered with the key fact / answerable questions
    refusal_accuracy: float  # unanswerable refused / unanswerable questions
    accuracy: float  # right answers and right refusals / questions


def curve(
    confidence: Sequence[float], right: Sequence[bool], answerable: Sequence[bool]
) -> list[Point]:
    """One point per distinct confidence (and one answering nothing)."""
    rows = list(zip(confidence, right, answerable, strict=True))
    n = len(rows)
    n_answerable = sum(answerable) or 1
    n_unanswerable = (n - sum(answerable)) or 1
    points = []
    for t in sorted({c for c, _, _ in rows} | {1.01}):
        answered = [(r, a) for c, r, a in rows if c >= t]
        wrong = sum(not r for r, _ in answered)
        refused_right = sum(1 for c, _, a in rows if c < t and not a)
        key = sum(1 for r, a in answered if r and a)
        points.append(
            Point(
                threshold=t,
                coverage=len(answered) / n if n else 0.0,
                risk=wrong / len(answered) if answered else 0.0,
                key_fact=key / n_answerable,
                refusal_accuracy=refused_right / n_unanswerable,
                accuracy=(key + refused_right) / n if n else 0.0,
            )
        )
    return points


def at(points: list[Point], threshold: float) -> Point:
    """The point the product gives at ``threshold`` (the lowest point at or above it)."""
    above = [p for p in points if p.threshold >= threshold]
    return min(above, key=lambda p: p.threshold) if above else points[-1]


def plot(curves: dict[str, list[Point]], threshold: float | None, out: Path) -> Path:
    """Every set's risk against coverage in one PNG; the shipped threshold as dots."""
    try:
        import matplotlib
    except ImportError:
        raise ConfigError(
            "rag.eval --curves draws with matplotlib: pip install matplotlib "
            "(or pip install -e '.[train]')"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5), dpi=110)
    for name, points in curves.items():
        line = axes.plot([p.coverage for p in points], [p.risk for p in points], label=name)
        if threshold is not None:
            p = at(points, threshold)
            axes.plot([p.coverage], [p.risk], "o", color=line[0].get_color())
    axes.set_xlabel("coverage (share of questions answered)")
    axes.set_ylabel("risk (share of answers that are wrong)")
    title = "Risk-coverage of the reader's confidence"
    axes.set_title(title + (f" (dots: threshold {threshold:.3f})" if threshold else ""))
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, bbox_inches="tight")
    plt.close(figure)
    return out
