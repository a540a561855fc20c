"""The prediction models' maths on data with a known answer: BG/NBD, Gamma-Gamma, churn features, forecasting."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tools.predict.bgnbd import (
    BgNbdParams,
    GammaGammaParams,
    expected_purchases,
    expected_spend_per_purchase,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
    simulate_spend,
)
from tools.predict.churn_model import churn_labels, features_at, training_cutoffs
from tools.predict.common import DataSpan, PredictionError, expected_calibration_error, resolve_as_of, wilson_interval
from tools.predict.forecast_model import backtest_forecast, forecast_daily, weekly_totals, yearly_profile


def _simulate_bgnbd(params: BgNbdParams, customers: int, weeks: float, rng: np.random.Generator) -> tuple:
    """Purchase histories drawn from the BG/NBD story itself: Poisson buying, dropout after each purchase."""
    x, t_x = np.zeros(customers), np.zeros(customers)
    lam = rng.gamma(params.r, 1 / params.alpha, customers)
    p = rng.beta(params.a, params.b, customers)
    for i in range(customers):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > weeks:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
    return x, t_x, np.full(customers, weeks)


def test_bgnbd_recovers_known_parameters() -> None:
    truth = BgNbdParams(r=0.6, alpha=4.0, a=0.8, b=2.5)
    x, t_x, big_t = _simulate_bgnbd(truth, 3000, 52.0, np.random.default_rng(1))
    fit = fit_bgnbd(x, t_x, big_t)
    assert fit.r == pytest.approx(truth.r, rel=0.25)
    assert fit.alpha == pytest.approx(truth.alpha, rel=0.35)
    # The population's expected purchases in the next 26 weeks must match the true model's closely.
    predicted = expected_purchases(fit, 26.0, x, t_x, big_t).sum()
    assert predicted == pytest.approx(expected_purchases(truth, 26.0, x, t_x, big_t).sum(), rel=0.1)


def test_closed_form_expectation_matches_simulation() -> None:
    bg = BgNbdParams(r=0.7, alpha=6.0, a=0.9, b=3.0)
    gg = GammaGammaParams(p=3.0, q=4.0, gamma=200.0)
    x = np.array([0.0, 1.0, 4.0, 10.0])
    t_x = np.array([0.0, 10.0, 30.0, 50.0])
    big_t = np.full(4, 52.0)
    n, m = x + 1, np.array([50.0, 80.0, 120.0, 60.0])
    purchases, spend = simulate_spend(bg, gg, 26.0, x, t_x, big_t, n, m, 40000, np.random.default_rng(0))
    closed = expected_purchases(bg, 26.0, x, t_x, big_t)
    assert purchases.mean(axis=0) == pytest.approx(closed, rel=0.05)
    per_purchase = expected_spend_per_purchase(gg, n, m)
    assert spend.mean(axis=0) == pytest.approx(closed * per_purchase, rel=0.07)


def test_probability_alive_falls_with_silence() -> None:
    bg = BgNbdParams(r=0.5, alpha=5.0, a=1.0, b=3.0)
    recent = probability_alive(bg, np.array([5.0]), np.array([50.0]), np.array([52.0]))
    silent = probability_alive(bg, np.array([5.0]), np.array([10.0]), np.array([52.0]))
    never = probability_alive(bg, np.array([0.0]), np.array([0.0]), np.array([52.0]))
    assert silent[0] < recent[0] < 1.0
    assert never[0] == 1.0  # BG/NBD: dropout happens only right after a purchase


def test_gamma_gamma_shrinks_towards_population_mean() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(2, 10, 2000).astype(float)
    nu = rng.gamma(4.0, 1 / 300.0, 2000)
    m = np.array([rng.gamma(3.0, 1 / v, int(k)).mean() for v, k in zip(nu, n, strict=True)])
    params = fit_gamma_gamma(n, m)
    population = params.p * params.gamma / (params.q - 1)
    assert population == pytest.approx(m.mean(), rel=0.15)
    one_big = expected_spend_per_purchase(params, np.array([1.0, 50.0]), np.array([5 * population, 5 * population]))
    assert population < one_big[0] < one_big[1] < 5 * population  # more purchases, less shrinkage


def _orders(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "status", "amount"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    frame["products"] = 2
    return frame


def test_churn_features_and_labels_by_hand() -> None:
    orders = _orders(
        [
            ("A", "2024-01-01 10:00", "completed", 100.0),
            ("A", "2024-03-01 10:00", "completed", 50.0),
            ("A", "2024-03-02 10:00", "cancelled", 20.0),
            ("A", "2024-05-01 10:00", "completed", 30.0),  # after the cutoff: a label, not a feature
            ("B", "2024-02-15 09:00", "completed", 10.0),
            ("C", "2024-03-31 23:00", "completed", 5.0),  # on the cutoff day: history
        ]
    )
    feats = features_at(orders, date(2024, 3, 31))
    assert list(feats.index) == ["A", "B", "C"]
    a = feats.loc["A"]
    assert (a["recency_days"], a["orders"], a["spend"], a["cancelled_orders"]) == (30, 2, 150.0, 1)
    assert a["mean_gap_days"] == 60 and a["tenure_days"] == 90
    assert np.isnan(feats.loc["B", "mean_gap_days"])  # one order: no gap
    labels = churn_labels(orders, date(2024, 3, 31), 90, feats.index)
    assert labels.to_dict() == {"A": 0, "B": 1, "C": 1}


def test_training_cutoffs_keep_labels_inside_the_data() -> None:
    cutoffs = training_cutoffs(date(2024, 12, 31), date(2024, 1, 1), 90)
    assert cutoffs and all((date(2024, 12, 31) - c).days >= 90 for c in cutoffs)
    assert training_cutoffs(date(2024, 4, 1), date(2024, 1, 1), 90) == []


def test_resolve_as_of_names_the_problem() -> None:
    span = DataSpan(first=date(2024, 1, 1), last=date(2024, 12, 31))
    assert resolve_as_of(None, span, 60) == date(2024, 12, 31)
    with pytest.raises(PredictionError, match="as_of: 2030-01-01 is after the data's last order"):
        resolve_as_of(date(2030, 1, 1), span, 60)
    with pytest.raises(PredictionError, match="as_of: 2024-01-10 leaves less than 60 days"):
        resolve_as_of(date(2024, 1, 10), span, 60)


def test_small_statistics_helpers() -> None:
    low, high = wilson_interval(12, 100)
    assert low < 0.12 < high and high - low < 0.15
    y = np.array([0, 0, 1, 1])
    assert expected_calibration_error(y, np.array([0.0, 0.0, 1.0, 1.0])) == 0.0
    assert expected_calibration_error(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.array([0.95, 0.95, 0.05, 0.05])) == pytest.approx(0.95)


def _seasonal_series(years: int, rng: np.random.Generator) -> pd.Series:
    days = pd.date_range("2020-01-06", periods=364 * years, freq="D")
    season = 0.5 * np.sin(2 * np.pi * np.arange(len(days)) / 364)
    weekday = np.where(days.day_of_week >= 5, 0.4, 1.2)
    values = 1000 * np.exp(season) * weekday * rng.lognormal(0, 0.05, len(days))
    return pd.Series(values, index=days)


def test_forecast_learns_yearly_seasonality_with_two_years() -> None:
    daily = _seasonal_series(3, np.random.default_rng(0))
    weeks = weekly_totals(daily)
    profile = yearly_profile(np.log1p(weeks))
    assert profile is not None
    season = pd.Series(0.5 * np.sin(2 * np.pi * np.arange(len(daily)) / 364), index=daily.index)
    weekly_season = weekly_totals(season) / 7  # the true seasonal effect of each week in the series
    truth = weekly_season.groupby(np.arange(len(weekly_season)) % 52).mean().to_numpy()
    assert np.corrcoef(profile, truth)[0, 1] > 0.95
    result = backtest_forecast(daily, 12)
    assert result["baseline_seasonal_naive"]["season_weeks"] == 52
    assert result["model"]["mape"] < 0.15
    one_year = forecast_daily(daily.iloc[-364:], 28)
    assert not one_year.yearly_seasonality and forecast_daily(daily, 28).yearly_seasonality


def test_forecast_paths_follow_the_weekday_pattern() -> None:
    daily = _seasonal_series(1, np.random.default_rng(1))
    result = forecast_daily(daily, 14)
    median = np.median(result.paths, axis=0)
    weekend = result.days.day_of_week >= 5
    assert median[weekend].mean() < 0.5 * median[~weekend].mean()
    assert len(result.days) == 14 and result.days[0] == daily.index[-1] + pd.Timedelta(days=1)
