"""Sales forecast: weekly totals by a damped-trend exponential smoothing on the log scale, spread over days by
the recent weekday pattern, with yearly seasonality once two years of history exist.

Weeks are 7-day blocks ending on the data's last day, so the newest week is complete. Prediction intervals
come from simulated sample paths of the fitted model (so monthly sums get proper intervals too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize

Array = NDArray[np.float64]
WEEKDAY_WEEKS = 12  # weekday pattern from the last 12 weeks
SEASON_WEEKS = 52
MIN_WEEKS = 8


@dataclass(frozen=True)
class HoltFit:
    alpha: float
    beta: float
    phi: float
    level: float
    trend: float
    sigma: float


def _holt_errors(params: Array, y: Array) -> tuple[Array, float, float]:
    """One-step errors (NaN where y is missing: the state just moves on), final level and trend."""
    alpha, beta, phi = params
    start = y[~np.isnan(y)][:4]
    level, trend = start[0], (start[-1] - start[0]) / max(len(start) - 1, 1)
    errors = np.full(len(y) - 1, np.nan)
    for t in range(1, len(y)):
        forecast = level + phi * trend
        if np.isnan(y[t]):
            level, trend = forecast, phi * trend
            continue
        e = y[t] - forecast
        errors[t - 1] = e
        level = forecast + alpha * e
        trend = phi * trend + alpha * beta * e
    return errors, level, trend


def fit_holt(y: Array) -> HoltFit:
    """Damped additive trend (ETS(A,Ad,N)) fitted by least squares of one-step errors."""

    def sse(params: Array) -> float:
        errors, _, _ = _holt_errors(params, y)
        return float(np.nansum(errors**2))

    result = optimize.minimize(
        sse, x0=np.array([0.3, 0.1, 0.9]), bounds=[(0.01, 0.99), (0.0, 1.0), (0.8, 0.98)], method="L-BFGS-B"
    )
    errors, level, trend = _holt_errors(result.x, y)
    seen = errors[~np.isnan(errors)]
    sigma = float(np.sqrt(np.sum(seen**2) / max(len(seen) - 3, 1)))
    alpha, beta, phi = (float(v) for v in result.x)
    return HoltFit(alpha=alpha, beta=beta, phi=phi, level=float(level), trend=float(trend), sigma=sigma)


def simulate_holt(fit: HoltFit, horizon: int, paths: int, rng: np.random.Generator) -> Array:
    """Sample paths (paths, horizon) of the fitted model, with Gaussian errors of the fitted size."""
    level = np.full(paths, fit.level)
    trend = np.full(paths, fit.trend)
    out = np.empty((paths, horizon))
    for h in range(horizon):
        e = rng.normal(0.0, fit.sigma, paths)
        forecast = level + fit.phi * trend
        out[:, h] = forecast + e
        level = forecast + fit.alpha * e
        trend = fit.phi * trend + fit.alpha * fit.beta * e
    return out


def weekly_totals(daily: pd.Series) -> pd.Series:
    """Sums of 7-day blocks ending on the last day (an incomplete first block is dropped), indexed by block end."""
    n_weeks = len(daily) // 7
    tail = daily.iloc[len(daily) - 7 * n_weeks :]
    values = tail.to_numpy(dtype=float).reshape(n_weeks, 7).sum(axis=1)
    ends = tail.index[6::7]
    return pd.Series(values, index=ends)


def mask_closures(weeks: pd.Series) -> pd.Series:
    """Weeks under a quarter of the median (holiday closures, data gaps) become missing, not signal."""
    return weeks.where(weeks >= 0.25 * float(weeks.median()))


def weekday_shares(daily: pd.Series) -> Array:
    """Share of a week's sales on each weekday (Mon=0), from the last WEEKDAY_WEEKS weeks."""
    recent = daily.iloc[-7 * WEEKDAY_WEEKS :]
    by_day = recent.groupby(recent.index.day_of_week).sum().reindex(range(7), fill_value=0.0)
    total = float(by_day.sum())
    return np.full(7, 1 / 7) if total <= 0 else by_day.to_numpy(dtype=float) / total


def yearly_profile(log_weeks: pd.Series) -> Array | None:
    """Additive log seasonal index per 52-week position, when two full years exist; else None."""
    if len(log_weeks) < 2 * SEASON_WEEKS:
        return None
    centred = log_weeks.rolling(SEASON_WEEKS, center=True, min_periods=SEASON_WEEKS).mean()
    deviation = (log_weeks - centred).to_numpy(dtype=float)
    position = np.arange(len(log_weeks)) % SEASON_WEEKS
    profile = np.array(
        [
            np.nanmean(deviation[position == k]) if np.any(~np.isnan(deviation[position == k])) else 0.0
            for k in range(SEASON_WEEKS)
        ]
    )
    smoothed = np.convolve(np.concatenate([profile[-2:], profile, profile[:2]]), np.ones(5) / 5, mode="valid")
    return np.asarray(smoothed - smoothed.mean(), dtype=np.float64)


@dataclass(frozen=True)
class DailyForecast:
    """Simulated daily paths after the last observed day."""

    days: pd.DatetimeIndex
    paths: Array  # (paths, len(days))
    fit: HoltFit
    weekly_history: int
    yearly_seasonality: bool


def forecast_daily(daily: pd.Series, horizon_days: int, paths: int = 1000, seed: int = 0) -> DailyForecast:
    """Forecast `horizon_days` days after `daily`'s last day (daily index must be consecutive days)."""
    weeks = weekly_totals(daily)
    if len(weeks) < MIN_WEEKS:
        raise ValueError(f"{len(weeks)} weeks of history: need at least {MIN_WEEKS} to forecast")
    log_weeks = np.log1p(mask_closures(weeks))
    profile = yearly_profile(log_weeks)
    position = np.arange(len(log_weeks)) % SEASON_WEEKS
    adjusted = log_weeks.to_numpy() - (profile[position] if profile is not None else 0.0)
    fit = fit_holt(np.asarray(adjusted, dtype=np.float64))
    horizon_weeks = -(-horizon_days // 7)
    sims = simulate_holt(fit, horizon_weeks, paths, np.random.default_rng(seed))
    if profile is not None:
        future = (np.arange(len(log_weeks), len(log_weeks) + horizon_weeks)) % SEASON_WEEKS
        sims = sims + profile[future]
    weekly_paths = np.expm1(sims).clip(min=0.0)
    days = pd.date_range(daily.index[-1] + pd.Timedelta(days=1), periods=7 * horizon_weeks, freq="D")
    shares = weekday_shares(daily)[days.day_of_week.to_numpy()]
    daily_paths = np.repeat(weekly_paths, 7, axis=1) * shares
    return DailyForecast(
        days=days[:horizon_days],
        paths=daily_paths[:, :horizon_days],
        fit=fit,
        weekly_history=len(weeks),
        yearly_seasonality=profile is not None,
    )


def seasonal_naive_weekly(weeks: pd.Series, horizon: int) -> tuple[Array, int]:
    """Each held-out week = the same week one season earlier (52 weeks when available, else the last week)."""
    season = SEASON_WEEKS if len(weeks) >= SEASON_WEEKS else 1
    history = weeks.to_numpy(dtype=float)
    return np.array([history[len(history) - season + (h % season)] for h in range(horizon)]), season


def mape(actual: Array, predicted: Array) -> float:
    mask = actual != 0
    return float(np.mean(np.abs(actual[mask] - predicted[mask]) / np.abs(actual[mask])))


def smape(actual: Array, predicted: Array) -> float:
    denom = np.abs(actual) + np.abs(predicted)
    mask = denom != 0
    return float(np.mean(2 * np.abs(actual[mask] - predicted[mask]) / denom[mask]))


def backtest_forecast(daily: pd.Series, holdout_weeks: int) -> dict[str, Any]:
    """Hold out the last `holdout_weeks` weeks; weekly MAPE/sMAPE of the model vs the seasonal-naive forecast."""
    train = daily.iloc[: len(daily) - 7 * holdout_weeks]
    actual = weekly_totals(daily).to_numpy(dtype=float)[-holdout_weeks:]
    result = forecast_daily(train, 7 * holdout_weeks)
    predicted = np.median(result.paths.reshape(result.paths.shape[0], holdout_weeks, 7).sum(axis=2), axis=0)
    low, high = (np.quantile(result.paths.reshape(-1, holdout_weeks, 7).sum(axis=2), q, axis=0) for q in (0.1, 0.9))
    naive, season = seasonal_naive_weekly(weekly_totals(train), holdout_weeks)
    return {
        "holdout_weeks": holdout_weeks,
        "holdout_start": str((daily.index[-1] - timedelta(days=7 * holdout_weeks - 1)).date()),
        "model": {"mape": round(mape(actual, predicted), 4), "smape": round(smape(actual, predicted), 4)},
        "baseline_seasonal_naive": {
            "season_weeks": season,
            "mape": round(mape(actual, naive), 4),
            "smape": round(smape(actual, naive), 4),
        },
        "interval_80_coverage": round(float(np.mean((actual >= low) & (actual <= high))), 3),
        "total_actual": round(float(actual.sum()), 2),
        "total_predicted": round(float(predicted.sum()), 2),
        "total_baseline": round(float(naive.sum()), 2),
    }


def first_day_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
