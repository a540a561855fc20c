"""The statistics behind experiment analysis, written out so each formula is visible and testable.

Two proportions (variant vs control): the difference with a Wald (unpooled) interval, the ratio with the Katz
log interval, the pooled two-proportion z test, Fisher's exact test when an expected cell count is below 5
(Cochran's rule). Revenue per recipient: Welch's t test and a percentile bootstrap of the difference in means.
Several variants: Holm's step-down adjustment. Planning: sample size and power on Cohen's arcsine effect size h.
tests/test_experiments_stats.py checks each against scipy / statsmodels and published textbook examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.optimize import brentq

MIN_EXPECTED = 5.0  # Cochran's rule: below this expected count in any cell the z test is not trusted


def z_critical(confidence: float) -> float:
    """Two-sided critical value: 1.96 for 95 %."""
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


@dataclass(frozen=True)
class ProportionTest:
    difference: float  # p_variant - p_control
    difference_low: float
    difference_high: float
    relative: float | None  # p_variant / p_control - 1 (None when the control has no successes)
    relative_low: float | None
    relative_high: float | None
    z: float | None  # pooled z statistic (None when both arms are all 0 or all 1)
    p_value: float
    test: Literal["z", "fisher"]


def expected_counts_small(k1: int, n1: int, k0: int, n0: int) -> bool:
    """Whether any cell of the 2x2 table has an expected count below MIN_EXPECTED."""
    total, successes = n1 + n0, k1 + k0
    failures = total - successes
    expected = [n * s / total for n in (n1, n0) for s in (successes, failures)]
    return min(expected) < MIN_EXPECTED


def pooled_z(k1: int, n1: int, k0: int, n0: int) -> tuple[float | None, float]:
    """(z, two-sided p) of the pooled two-proportion z test; (None, 1.0) when the pooled rate is 0 or 1."""
    pooled = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return None, 1.0
    z = (k1 / n1 - k0 / n0) / se
    return z, float(2 * stats.norm.sf(abs(z)))


def fisher_p(k1: int, n1: int, k0: int, n0: int) -> float:
    """Two-sided Fisher exact p-value of the 2x2 table [[k1, n1-k1], [k0, n0-k0]]."""
    return float(stats.fisher_exact([[k1, n1 - k1], [k0, n0 - k0]], alternative="two-sided").pvalue)


def difference_interval(k1: int, n1: int, k0: int, n0: int, confidence: float) -> tuple[float, float]:
    """Wald (unpooled) interval of p1 - p0."""
    p1, p0 = k1 / n1, k0 / n0
    half = z_critical(confidence) * math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    return p1 - p0 - half, p1 - p0 + half


def ratio_interval(k1: int, n1: int, k0: int, n0: int, confidence: float) -> tuple[float, float] | None:
    """Katz log interval of p1 / p0; None when either arm has no successes (the log is undefined)."""
    if k1 == 0 or k0 == 0:
        return None
    log_ratio = math.log((k1 / n1) / (k0 / n0))
    se = math.sqrt(1 / k1 - 1 / n1 + 1 / k0 - 1 / n0)
    z = z_critical(confidence)
    return math.exp(log_ratio - z * se), math.exp(log_ratio + z * se)


def compare_proportions(k1: int, n1: int, k0: int, n0: int, confidence: float) -> ProportionTest:
    """Variant (k1 of n1) against control (k0 of n0)."""
    low, high = difference_interval(k1, n1, k0, n0, confidence)
    z, p = pooled_z(k1, n1, k0, n0)
    test: Literal["z", "fisher"] = "z"
    if expected_counts_small(k1, n1, k0, n0):
        p, test = fisher_p(k1, n1, k0, n0), "fisher"
    ratio = ratio_interval(k1, n1, k0, n0, confidence)
    relative = (k1 / n1) / (k0 / n0) - 1 if k0 else None
    return ProportionTest(
        difference=k1 / n1 - k0 / n0,
        difference_low=low,
        difference_high=high,
        relative=relative,
        relative_low=ratio[0] - 1 if ratio else None,
        relative_high=ratio[1] - 1 if ratio else None,
        z=z,
        p_value=p,
        test=test,
    )


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class MeanTest:
    difference: float  # mean_variant - mean_control
    low: float  # Welch interval
    high: float
    p_value: float  # Welch t test
    bootstrap_low: float
    bootstrap_high: float


def welch(a: NDArray[np.float64], b: NDArray[np.float64], confidence: float) -> tuple[float, float, float, float]:
    """(difference of means a - b, interval low, high, two-sided p) of Welch's unequal-variance t test."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = float(a.mean() - b.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff, 1.0 if diff == 0 else 0.0
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = diff / se
    half = float(stats.t.ppf(1 - (1 - confidence) / 2, dof)) * se
    return diff, diff - half, diff + half, float(2 * stats.t.sf(abs(t), dof))


def bootstrap_difference(
    a: NDArray[np.float64], b: NDArray[np.float64], confidence: float, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(a) - mean(b), resampling each arm (seeded: the same data gives the
    same interval). Revenue per recipient is mostly zeros with a long tail, where Welch's normal approximation is
    least trusted; the two intervals side by side show whether that matters."""
    rng = np.random.default_rng(seed)
    means_a = a[rng.integers(0, len(a), size=(resamples, len(a)))].mean(axis=1)
    means_b = b[rng.integers(0, len(b), size=(resamples, len(b)))].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means_a - means_b, [tail, 1 - tail])
    return float(low), float(high)


def compare_means(a: NDArray[np.float64], b: NDArray[np.float64], confidence: float) -> MeanTest:
    diff, low, high, p = welch(a, b, confidence)
    boot_low, boot_high = bootstrap_difference(a, b, confidence)
    return MeanTest(diff, low, high, p, boot_low, boot_high)


# ------------------------------------------------------------------------------------------------- planning


def cohen_h(p1: float, p0: float) -> float:
    """Cohen's effect size for two proportions: 2 asin(sqrt p1) - 2 asin(sqrt p0)."""
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p0))


def sample_size(p0: float, p1: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> float:
    """Recipients in the control arm (the variant gets ratio x as many) for a two-sided test of p1 vs p0 to reach
    `power` at level `alpha` (normal approximation on the arcsine scale; Cohen 1988, ch. 6). Not rounded.

    Cohen's closed form counts one tail; the far tail's sliver of power is added by solving exactly."""
    h = abs(cohen_h(p1, p0))
    if h == 0:
        raise ValueError("the two rates are equal: no sample size detects a zero difference")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    closed = float((z / h) ** 2 * (1 + 1 / ratio))
    gap = lambda n: achieved_power(p0, p1, n, n * ratio, alpha) - power  # noqa: E731
    return float(brentq(gap, closed * 0.5, closed * 1.01, xtol=1e-9)) if gap(closed * 0.5) < 0 else closed


def achieved_power(p0: float, p1: float, n0: float, n1: float, alpha: float = 0.05) -> float:
    """Power of the two-sided test to detect p1 vs p0 with n0 and n1 recipients (arcsine approximation; both
    tails counted, as statsmodels' NormalIndPower does)."""
    h = abs(cohen_h(p1, p0))
    scale = h / math.sqrt(1 / n0 + 1 / n1)
    crit = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.sf(crit - scale) + stats.norm.cdf(-crit - scale))


def detectable_rate(p0: float, n0: float, n1: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest variant rate above p0 the test detects with `power` (solving the power for the rate)."""
    top = 1.0 - 1e-12
    if achieved_power(p0, top, n0, n1, alpha) < power:
        return 1.0
    return float(brentq(lambda p1: achieved_power(p0, p1, n0, n1, alpha) - power, p0 + 1e-12, top, xtol=1e-12))
