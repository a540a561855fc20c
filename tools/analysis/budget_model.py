"""Budget allocation as a linear programme over response curves with diminishing returns (scipy.optimize.linprog).

Each segment's contacts are ranked by expected value (propensity x value of a response) and cut into equal
pieces; reaching a segment's first piece returns more per contact than its second, and so on, so each segment's
curve of expected value against spend is concave (diminishing returns). The programme chooses how many contacts
of each piece to reach through each channel: maximise expected value, subject to the budget, each contact reached
at most once, and min / max spend per segment and per channel. The dual price of the budget is the marginal
return of one more unit of spend.

Baselines, on the same budget and the first channel: an equal split across segments (contacts within a segment
taken at random, i.e. at its average rate), and "contact the top decile" (the 10 % of contacts with the highest
propensity; a budget that cannot reach them all reaches a random part of them, a larger one is left unspent).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from tools.analysis.common import AnalysisError

PIECES = 20  # per segment, by expected value (bench, vs top decile: 10 pieces 0.96, 20 0.98, 50 1.00)


@dataclass(frozen=True)
class Channel:
    name: str
    cost: float  # per contact
    response_factor: float = 1.0  # response relative to the channel the propensities were learned on
    min_spend: float = 0.0
    max_spend: float | None = None


@dataclass(frozen=True)
class Plan:
    """The optimal allocation: contacts per (segment, piece, channel), and the programme's marginal return."""

    pieces: pd.DataFrame  # segment, piece, contacts, value_rate (expected value per contact), response_rate, +extra
    reach: np.ndarray  # contacts reached, shape (pieces, channels)
    channels: tuple[Channel, ...]
    marginal_return: float  # expected value of one more unit of budget


def response_pieces(contacts: pd.DataFrame, pieces: int = PIECES, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per segment, its contacts ranked by expected value (`probability` x `value`) in `pieces` near-equal pieces.

    `contacts` has columns segment, probability, value (+ `extra` columns averaged per piece, e.g. an outcome
    for evaluation). Rows: segment, piece (0 = best), contacts, value_rate, response_rate, and the extras."""
    frame = contacts.assign(expected=contacts["probability"] * contacts["value"])
    frame = frame.sort_values(["segment", "expected"], ascending=[True, False], kind="mergesort")
    rank = frame.groupby("segment").cumcount()
    size = frame.groupby("segment")["expected"].transform("size")
    frame["piece"] = (rank * pieces // size).astype("int64")
    agg = {
        "contacts": ("expected", "size"),
        "value_rate": ("expected", "mean"),
        "response_rate": ("probability", "mean"),
    }
    agg.update({name: (name, "mean") for name in extra})
    return frame.groupby(["segment", "piece"], sort=True).agg(**agg).reset_index()


def optimise(
    pieces: pd.DataFrame,
    channels: tuple[Channel, ...],
    budget: float,
    min_segment_spend: float = 0.0,
    max_segment_share: float = 1.0,
) -> Plan:
    """The allocation of `budget` that maximises expected value; AnalysisError when the limits cannot all hold."""
    n_p, n_c = len(pieces), len(channels)
    costs = np.array([c.cost for c in channels])
    gain = np.outer(pieces["value_rate"].to_numpy(), [c.response_factor for c in channels])
    spend = np.tile(costs, (n_p, 1))  # spend per contact of each variable, laid out as (piece, channel)
    rows: list[np.ndarray] = []
    bounds: list[float] = []
    rows.append(spend.ravel())
    bounds.append(budget)
    for i, n in enumerate(pieces["contacts"].to_numpy()):  # each contact at most once, whatever the channel
        row = np.zeros((n_p, n_c))
        row[i, :] = 1
        rows.append(row.ravel())
        bounds.append(float(n))
    for j, c in enumerate(channels):
        row = np.zeros((n_p, n_c))
        row[:, j] = c.cost
        if c.max_spend is not None:
            rows.append(row.ravel())
            bounds.append(c.max_spend)
        if c.min_spend > 0:
            rows.append(-row.ravel())
            bounds.append(-c.min_spend)
    for segment in pieces["segment"].unique():
        mask = (pieces["segment"] == segment).to_numpy()
        row = np.where(mask[:, None], spend, 0.0)
        if max_segment_share < 1:
            rows.append(row.ravel())
            bounds.append(max_segment_share * budget)
        if min_segment_spend > 0:
            rows.append(-row.ravel())
            bounds.append(-min_segment_spend)
    result = linprog(-gain.ravel(), A_ub=np.vstack(rows), b_ub=np.array(bounds), bounds=(0, None), method="highs")
    if result.status == 2:
        raise AnalysisError(
            "budget",
            f"the limits cannot all hold with a budget of {budget:,.2f} (minimum spend per segment "
            f"{min_segment_spend:,.2f}, at most {max_segment_share:.0%} of the budget per segment, channel minimums "
            f"{', '.join(f'{c.name} {c.min_spend:,.2f}' for c in channels)}): lower the minimums or raise the budget",
        )
    if result.status != 0:
        raise RuntimeError(f"linprog failed: {result.message}")
    return Plan(
        pieces=pieces,
        reach=np.clip(result.x.reshape(n_p, n_c), 0, None),
        channels=channels,
        marginal_return=float(-result.ineqlin.marginals[0]),
    )


def equal_split(
    pieces: pd.DataFrame, channel: Channel, budget: float, column: str = "value_rate"
) -> tuple[float, float]:
    """(spend, expected `column` total) of an equal split across segments, contacts at each segment's average."""
    per_segment = budget / pieces["segment"].nunique()
    spent = total = 0.0
    for _, group in pieces.groupby("segment"):
        n = float(group["contacts"].sum())
        reached = min(n, per_segment / channel.cost)
        average = float((group[column] * group["contacts"]).sum() / n)
        spent += reached * channel.cost
        total += reached * average * channel.response_factor
    return spent, total


def top_decile(
    contacts: pd.DataFrame, channel: Channel, budget: float, column: str = "expected"
) -> tuple[float, float]:
    """(spend, expected `column` total) of contacting the top 10 % of contacts by propensity, within the budget."""
    frame = contacts.assign(expected=contacts["probability"] * contacts["value"])
    top = frame.sort_values("probability", ascending=False, kind="mergesort").head(max(1, len(frame) // 10))
    reached = min(float(len(top)), budget / channel.cost)
    return reached * channel.cost, reached * float(top[column].mean()) * channel.response_factor
