"""The experiment statistics (tools/analysis/stats.py) against scipy / statsmodels and published textbook examples,
to 4 decimals. The formulas are ours; the references are computed independently here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize, proportions_ztest

from tools.analysis import stats

# (variant successes, variant recipients, control successes, control recipients)
TABLES = [
    (189, 11034, 104, 11037),  # Physicians' Health Study (Agresti 2007), see below
    (150, 10000, 120, 10000),
    (460, 10000, 400, 10000),
    (31, 1200, 45, 1180),
    (2250, 10000, 2100, 10000),
    (12, 300, 7, 310),
    (5030, 100000, 4890, 99000),
    (88, 2000, 88, 2100),
    (1, 50, 9, 48),
    (640, 3200, 590, 3150),
]
CONFIDENCES = [0.95, 0.90, 0.99]


@pytest.mark.parametrize("table", TABLES)
def test_pooled_z_matches_statsmodels(table: tuple[int, int, int, int]) -> None:
    k1, n1, k0, n0 = table
    z, p = stats.pooled_z(k1, n1, k0, n0)
    ref_z, ref_p = proportions_ztest([k1, k0], [n1, n0])
    assert z is not None
    assert round(z, 4) == round(float(ref_z), 4)
    assert round(p, 4) == round(float(ref_p), 4)


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("confidence", CONFIDENCES)
def test_difference_and_ratio_intervals_match_statsmodels(table: tuple[int, int, int, int], confidence: float) -> None:
    k1, n1, k0, n0 = table
    alpha = 1 - confidence
    low, high = stats.difference_interval(k1, n1, k0, n0, confidence)
    ref = confint_proportions_2indep(k1, n1, k0, n0, method="wald", compare="diff", alpha=alpha)
    assert (round(low, 4), round(high, 4)) == (round(float(ref[0]), 4), round(float(ref[1]), 4))
    ratio = stats.ratio_interval(k1, n1, k0, n0, confidence)
    ref_ratio = confint_proportions_2indep(k1, n1, k0, n0, method="log", compare="ratio", alpha=alpha)
    assert ratio is not None
    assert (round(ratio[0], 4), round(ratio[1], 4)) == (round(float(ref_ratio[0]), 4), round(float(ref_ratio[1]), 4))


@pytest.mark.parametrize("table", TABLES)
def test_fisher_exact_matches_scipy_and_is_used_for_small_counts(table: tuple[int, int, int, int]) -> None:
    k1, n1, k0, n0 = table
    ref = sps.fisher_exact([[k1, n1 - k1], [k0, n0 - k0]]).pvalue
    assert round(stats.fisher_p(k1, n1, k0, n0), 4) == round(float(ref), 4)
    # Cochran's rule, computed from scipy's expected frequencies of the same table
    expected = sps.contingency.expected_freq(np.array([[k1, n1 - k1], [k0, n0 - k0]]))
    result = stats.compare_proportions(k1, n1, k0, n0, 0.95)
    assert result.test == ("fisher" if expected.min() < 5 else "z")


def test_textbook_physicians_health_study() -> None:
    # Agresti, An Introduction to Categorical Data Analysis, 2nd ed. (2007), sections 2.2.3-2.2.4 and 2.4:
    # myocardial infarction 189 of 11,034 on placebo vs 104 of 11,037 on aspirin. Difference of proportions
    # 0.0077, 95 % CI (0.005, 0.011); relative risk 1.82, 95 % CI (1.43, 2.30) (the book rounds 2.3059 down);
    # Pearson X^2 = 25.01.
    diff = stats.compare_proportions(189, 11034, 104, 11037, 0.95)
    assert round(diff.difference, 4) == 0.0077
    assert (round(diff.difference_low, 3), round(diff.difference_high, 3)) == (0.005, 0.011)
    assert diff.relative is not None and round(1 + diff.relative, 2) == 1.82
    assert diff.relative_low is not None and diff.relative_high is not None
    assert 1 + diff.relative_low == pytest.approx(1.43, abs=0.005)
    assert 1 + diff.relative_high == pytest.approx(2.30, abs=0.01)
    assert diff.z is not None and round(diff.z**2, 2) == 25.01


def test_textbook_lady_tasting_tea() -> None:
    # Fisher, The Design of Experiments (1935), ch. 2; Agresti (2007) section 2.6.2, Table 2.8: 3 of 4 cups right
    # each way; two-sided P = 0.486 (= 34/70).
    assert round(stats.fisher_p(3, 4, 1, 4), 4) == round(34 / 70, 4) == 0.4857
    assert stats.compare_proportions(3, 4, 1, 4, 0.95).test == "fisher"


@pytest.mark.parametrize(
    ("h", "n"),
    [(0.2, 392), (0.5, 63), (0.8, 25)],
)
def test_textbook_cohen_sample_sizes(h: float, n: int) -> None:
    # Cohen, Statistical Power Analysis for the Behavioral Sciences, 2nd ed. (1988), Table 6.4.1 (a2 = .05,
    # power .80): n per sample 392 for h = .20, 63 for h = .50, 25 for h = .80. Proportions with that h around 0.5:
    p0 = math.sin(math.asin(math.sqrt(0.5)) - h / 4) ** 2
    p1 = math.sin(math.asin(math.sqrt(0.5)) + h / 4) ** 2
    assert round(stats.cohen_h(p1, p0), 6) == h
    assert round(stats.sample_size(p0, p1, 0.05, 0.8)) == n


@pytest.mark.parametrize(
    ("p0", "p1", "alpha", "power"),
    [
        (0.03, 0.033, 0.05, 0.8),
        (0.10, 0.12, 0.05, 0.9),
        (0.2, 0.25, 0.01, 0.8),
        (0.5, 0.55, 0.05, 0.8),
        (0.012, 0.015, 0.025, 0.8),
    ],
)
def test_sample_size_and_power_match_statsmodels(p0: float, p1: float, alpha: float, power: float) -> None:
    effect = proportion_effectsize(p1, p0)
    ref_n = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0)
    assert round(stats.sample_size(p0, p1, alpha, power), 4) == round(float(ref_n), 4)
    ref_power = NormalIndPower().power(effect_size=effect, nobs1=5000, alpha=alpha, ratio=1.2)
    assert round(stats.achieved_power(p0, p1, 5000, 6000, alpha), 4) == round(float(ref_power), 4)
    # the detectable rate with n recipients is the one the power calculation needs n for
    n = stats.sample_size(p0, p1, alpha, power)
    assert round(stats.detectable_rate(p0, n, n, alpha, power), 6) == round(p1, 6)


@pytest.mark.parametrize(
    "p_values",
    [[0.01, 0.04, 0.03, 0.2], [0.001, 0.0005, 0.5], [0.04, 0.04], [0.3], [0.02, 0.01, 0.03, 0.04, 0.05]],
)
def test_holm_matches_statsmodels(p_values: list[float]) -> None:
    ref = multipletests(p_values, method="holm")[1]
    assert [round(p, 4) for p in stats.holm(p_values)] == [round(float(p), 4) for p in ref]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_welch_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.exponential(3.0, 400) * (rng.random(400) < 0.2)  # revenue per recipient: mostly zeros, a long tail
    b = rng.exponential(2.5, 380) * (rng.random(380) < 0.18)
    diff, low, high, p = stats.welch(a, b, 0.95)
    ref = sps.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert round(p, 4) == round(float(ref.pvalue), 4)
    assert (round(low, 4), round(high, 4)) == (round(float(ci.low), 4), round(float(ci.high), 4))
    assert round(diff, 4) == round(float(a.mean() - b.mean()), 4)


def test_bootstrap_interval_is_seeded_and_close_to_scipys() -> None:
    rng = np.random.default_rng(7)
    a = rng.exponential(3.0, 600) * (rng.random(600) < 0.2)
    b = rng.exponential(3.0, 600) * (rng.random(600) < 0.1)
    ours = stats.bootstrap_difference(a, b, 0.95)
    assert ours == stats.bootstrap_difference(a, b, 0.95)  # the same data gives the same interval
    ref = sps.bootstrap(
        (a, b),
        lambda x, y: x.mean() - y.mean(),
        method="percentile",
        n_resamples=2000,
        random_state=0,
        vectorized=False,
    ).confidence_interval
    # Different resamples: the intervals agree to Monte Carlo error, not to 4 decimals.
    width = ref.high - ref.low
    assert abs(ours[0] - ref.low) < 0.1 * width and abs(ours[1] - ref.high) < 0.1 * width
