"""The reader's calibration helpers (rag/train/fit.py): pure arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from rag.train.fit import (
    choose_threshold,
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


def test_the_threshold_is_the_lowest_that_keeps_the_precision() -> None:
    p = np.array([0.95, 0.9, 0.7, 0.6, 0.3])
    right = np.array([1, 1, 1, 0, 0], dtype=float)
    assert choose_threshold(p, right, 0.75) == 0.6  # 3 of 4 answers right
    assert choose_threshold(p, right, 1.0) == 0.7
    assert choose_threshold(np.array([0.5]), np.array([0.0]), 0.8) == 1.0  # never reached


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


def test_without_the_precision_the_threshold_maximises_right_answers_and_refusals() -> None:
    p = np.array([0.9, 0.6, 0.5, 0.2])
    right = np.array([1.0, 0.0, 0.0, 0.0])
    answerable = np.array([True, True, False, False])
    threshold, rule = pick_threshold(p, right, answerable, np.ones(4))
    assert threshold == 0.9 and rule.startswith("precision")  # 1 of 1 right: reached
    low = np.array([0.9, 0.95, 0.5, 0.2])  # the wrong answer is the surest: 0.8 unreachable
    threshold, rule = pick_threshold(low, right, answerable, np.ones(4))
    assert rule.startswith("most") and threshold == 0.9  # answer 2 (1 right), refuse 2
