"""BG/NBD (repeat purchases) and Gamma-Gamma (spend per purchase), implemented with scipy.

References: Fader, Hardie & Lee (2005) "Counting your customers the easy way" (BG/NBD) and
"RFM and CLV: using iso-value curves" (Gamma-Gamma). Time is measured in weeks for numerical stability.

Per customer: x = repeat purchases (purchase days after the first), t_x = time of the last purchase and
T = age, both from the first purchase. For Gamma-Gamma: n = purchase days counted in the mean, m = mean
spend per purchase day.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel
from scipy import optimize, special

Array = NDArray[np.float64]


class BgNbdParams(BaseModel):
    r: float
    alpha: float
    a: float
    b: float


class GammaGammaParams(BaseModel):
    p: float
    q: float
    gamma: float


class FitError(ValueError):
    """Too little data to fit a repeat-buying model."""


def _bgnbd_loglik(params: Array, x: Array, t_x: Array, big_t: Array) -> float:
    r, alpha, a, b = np.exp(params)
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    alive = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        dead = np.where(
            x > 0,
            special.betaln(a + 1, np.maximum(b + x - 1, 1e-12)) - special.betaln(a, b) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return float(np.sum(common + np.logaddexp(alive, dead)))


def fit_bgnbd(x: Array, t_x: Array, big_t: Array) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters (optimised on the log scale, so they stay positive)."""
    if len(x) < 20 or float(np.sum(x)) < 5:
        raise FitError(f"{len(x)} customers with {int(np.sum(x))} repeat purchases: too few to fit BG/NBD")
    result = optimize.minimize(
        lambda p: -_bgnbd_loglik(p, x, t_x, big_t),
        x0=np.log([1.0, float(np.mean(big_t)) or 1.0, 1.0, 1.0]),
        method="Nelder-Mead",
        options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-6},
    )
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b)


def _dead_odds(params: BgNbdParams, x: Array, t_x: Array, big_t: Array) -> Array:
    """a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x) for x > 0, else 0: odds of 'dropped out after the last purchase'."""
    p = params
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(p.a)
            - np.log(np.maximum(p.b + x - 1, 1e-12))
            + (p.r + x) * (np.log(p.alpha + big_t) - np.log(p.alpha + t_x))
        )
        odds = np.exp(np.minimum(log_odds, 700.0))
    return np.where(x > 0, odds, 0.0)


def probability_alive(params: BgNbdParams, x: Array, t_x: Array, big_t: Array) -> Array:
    return 1.0 / (1.0 + _dead_odds(params, x, t_x, big_t))


def expected_purchases(params: BgNbdParams, t: float, x: Array, t_x: Array, big_t: Array) -> Array:
    """E[purchases in (T, T+t] | x, t_x, T]."""
    p = params
    z = t / (p.alpha + big_t + t)
    hyp = special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, z)
    ratio = np.exp((p.r + x) * (np.log(p.alpha + big_t) - np.log(p.alpha + big_t + t)))
    numerator = (p.a + p.b + x - 1) / (p.a - 1) * (1.0 - ratio * hyp)
    return np.asarray(numerator / (1.0 + _dead_odds(params, x, t_x, big_t)), dtype=np.float64)


def fit_gamma_gamma(n: Array, m: Array) -> GammaGammaParams:
    """Gamma-Gamma on customers with at least two purchase days (n >= 2) and a positive mean spend m."""
    keep = (n >= 2) & (m > 0)
    n, m = n[keep], m[keep]
    if len(n) < 10:
        raise FitError(f"{len(n)} repeat customers: too few to fit the spend model (need 10)")

    def negloglik(params: Array) -> float:
        pp, q, g = np.exp(params)
        ll = (
            special.gammaln(pp * n + q)
            - special.gammaln(pp * n)
            - special.gammaln(q)
            + q * np.log(g)
            + (pp * n - 1) * np.log(m)
            + pp * n * np.log(n)
            - (pp * n + q) * np.log(g + m * n)
        )
        return -float(np.sum(ll))

    result = optimize.minimize(
        negloglik, x0=np.log([1.0, 2.0, float(np.median(m))]), method="Nelder-Mead", options={"maxiter": 4000}
    )
    pp, q, g = (float(v) for v in np.exp(result.x))
    if q <= 1:
        raise FitError(f"spend model has q = {q:.2f} <= 1: mean spend is not finite for this data")
    return GammaGammaParams(p=pp, q=q, gamma=g)


def expected_spend_per_purchase(params: GammaGammaParams, n: Array, m: Array) -> Array:
    """E[spend per purchase | n, m]: shrinks each customer's mean towards the population mean (n = 0 -> population)."""
    p = params
    return np.asarray((p.gamma + m * n) * p.p / (p.p * n + p.q - 1), dtype=np.float64)


def simulate_spend(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    t: float,
    x: Array,
    t_x: Array,
    big_t: Array,
    n: Array,
    m: Array,
    draws: int,
    rng: np.random.Generator,
) -> tuple[Array, Array]:
    """(purchases, spend) draws of shape (draws, customers) over (T, T+t], from each customer's exact posterior.

    Given (x, t_x, T) the BG/NBD posterior is a two-part mixture: alive at T with probability P(alive), then
    lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x); otherwise no more purchases. An alive customer drops out
    right after a purchase with probability p, so purchases = min(Poisson(lambda t), Geometric(p)). Each purchase's
    spend is Gamma(p_gg, nu) with nu ~ Gamma(p_gg n + q, gamma + m n). Population parameters are taken as known.
    """
    size = (draws, len(x))
    alive = rng.random(size) < probability_alive(bg, x, t_x, big_t)
    lam = rng.gamma(bg.r + x, 1.0 / (bg.alpha + big_t), size)
    drop = np.clip(rng.beta(bg.a, bg.b + x, size), 1e-9, 1.0)  # a -> 0 (no dropout seen) gives exact zeros
    purchases = np.minimum(rng.poisson(lam * t), rng.geometric(drop)) * alive
    nu = rng.gamma(gg.p * n + gg.q, 1.0 / (gg.gamma + m * n), size)
    shape = gg.p * purchases
    spend = np.where(purchases > 0, rng.gamma(np.maximum(shape, 1e-12), 1.0 / nu), 0.0)
    return purchases.astype(np.float64), spend
