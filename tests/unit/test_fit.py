"""The reader's calibration helpers (rag/train/fit.py): pure arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from rag.train.fit import (
    balanced_score,
    expected_calibration_error,
    fit_logistic,
    fit_platt,
    pick_threshold,
)


def test_platt_scaling_recovers_a_known_slope_and_offset() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, 20_000)
    y = (rng.random(x.size) < 1 / (1 + np.exp(-(1.5 * x - 0.5)))).astype(float)
    a, b = fit_platt(x, y)
    assert abs(a - 1.5) < 0.1 and abs(b + 0.5) < 0.1


def test_a_calibrated_predictor_has_a_small_ece_and_an_overconfident_one_not() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(50_000)
    y = (rng.random(p.size) < p).astype(float)
    assert expected_calibration_error(p, y) < 0.02
    assert expected_calibration_error(np.clip(p + 0.3, 0, 1), y) > 0.2


def test_the_logistic_fit_stays_finite_on_a_separable_set_and_weighs_rows() -> None:
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    beta = fit_logistic(x, y, ridge=1.0)
    assert np.isfinite(beta).all() and beta[0] > 0
    heavy = fit_logistic(np.zeros((4, 1)), y, w=np.array([1.0, 1.0, 3.0, 3.0]), ridge=1.0)
    assert 1 / (1 + np.exp(-heavy[-1])) == pytest.approx(0.75, abs=1e-3)  # weighted base rate


def test_the_threshold_weighs_key_facts_and_refusals_alike_in_every_source() -> None:
    # news: 1 answerable, 3 unanswerable; counting right outcomes would refuse it all
    p = np.array([0.4, 0.5, 0.2, 0.1, 0.9, 0.3])
    right = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    answerable = np.array([True, False, False, False, True, False])
    sources = np.array(["news"] * 4 + ["squad"] * 2)
    threshold, precision = pick_threshold(p, right, answerable, sources)
    # at 0.4: news answers its answerable question (and one unanswerable), squad is perfect
    assert threshold == 0.4 and precision == pytest.approx(2 / 3)
    # news (1 + 2/3) / 2, squad (1 + 1) / 2
    assert balanced_score(p, right, answerable, sources, 0.4) == pytest.approx((5 / 6 + 1) / 2)
    # the same arithmetic if the news rows are copied: each source weighs the same
    more = pick_threshold(
        np.r_[p[:4], p[:4], p[4:]],
        np.r_[right[:4], right[:4], right[4:]],
        np.r_[answerable[:4], answerable[:4], answerable[4:]],
        np.r_[sources[:4], sources[:4], sources[4:]],
    )
    assert more[0] == 0.4
