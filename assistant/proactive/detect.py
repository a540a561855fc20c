"""A robust threshold: a value against its seasonal baseline, scaled by the median absolute deviation.

The baseline of a window (one day, or seven days) ending on day D is the same window shifted back by whole weeks:
D-7, D-14, … (the same weekdays), so a shop's weekly rhythm (closed on Saturdays, busy on Thursdays) is not
news. Its centre is the median and its spread 1.4826 x the median absolute deviation (the standard deviation
for normal data, but unmoved by one closed week or one record day among the baseline weeks). The spread is
never taken below `floor` x the usual level: with eight nearly equal weeks the MAD can be tiny, and a 2 % wobble
is not an event.

A check fires when the robust z-score |value - median| / spread reaches the threshold AND the move is at least
`min_change` (relative to the metric's reference level), in the direction the configuration watches.
"""

from __future__ import annotations

import statistics
from typing import Literal

from pydantic import BaseModel

MAD_TO_SIGMA = 1.4826
Direction = Literal["up", "down", "both"]


class Score(BaseModel):
    value: float
    median: float
    spread: float
    z: float
    baseline: list[float]


def robust_score(value: float, baseline: list[float], floor: float, level: float | None = None) -> Score:
    """The robust z-score of `value` against `baseline` (at least one value).

    The spread is at least `floor` x `level` (default: the baseline's median; a metric compared by its changes
    passes the level it changes from, since its median change may be zero)."""
    median = statistics.median(baseline)
    mad = statistics.median(abs(b - median) for b in baseline)
    spread = max(MAD_TO_SIGMA * mad, floor * abs(median if level is None else level), 1e-9)
    return Score(value=value, median=median, spread=spread, z=(value - median) / spread, baseline=baseline)


def fires(score: Score, threshold: float, min_change: float, reference: float, direction: Direction) -> bool:
    """Whether the score is beyond `threshold`, the move at least `min_change` x `reference`, in `direction`."""
    move = score.value - score.median
    if (direction == "up" and move <= 0) or (direction == "down" and move >= 0):
        return False
    return abs(score.z) >= threshold and abs(move) >= min_change * abs(reference)
