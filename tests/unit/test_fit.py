"""The reader's calibration helpers (rag/train/fit.py): pure arithmetic."""

from __future__ import annotations

import numpy as np

from rag.train.fit import choose_threshold, expected_calibration_error, fit_platt


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
