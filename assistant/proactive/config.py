"""The proactive configuration: one YAML file (MKA_PROACTIVE_CONFIG) naming the metrics to watch, their
thresholds, the schedule and the Slack channel, and the digest's period, schedule and channel.

See docs/examples/proactive.yaml; every key is validated here and an error names the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.proactive.detect import Direction
from tools.segments.spec import SegmentName

MetricName = Literal["revenue", "orders", "cancellations", "segment_size", "negative_review_share"]
FLOW_METRICS = ("revenue", "orders", "cancellations")
CRON_FIELDS = 5


class ConfigError(ValueError):
    """The proactive configuration file is missing, unreadable or invalid; the message names the file and key."""


def check_cron(value: str) -> str:
    """Five cron fields (minute hour day month weekday), as APScheduler's CronTrigger reads them."""
    from apscheduler.triggers.cron import CronTrigger

    if len(value.split()) != CRON_FIELDS:
        raise ValueError(f"{value!r} is not a cron expression of 5 fields (minute hour day month weekday)")
    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid cron expression: {exc}") from exc
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WatchedMetric(_Strict):
    """One metric the watcher checks."""

    metric: MetricName
    segment: SegmentName | None = Field(default=None, description="The RFM segment (metric segment_size only).")
    window: Literal["day", "week"] = Field(
        default="week", description="Sum over one day or over the 7 days ending on the checked day."
    )
    threshold: float = Field(default=4.0, gt=0, le=50, description="Robust z-score that raises an alert.")
    min_change: float = Field(
        default=0.3,
        ge=0,
        le=10,
        description="Smallest move worth an alert: a fraction of the usual value (revenue, orders, cancellations), "
        "of the segment's size a week before (segment_size), or share points as a fraction (negative_review_share).",
    )
    floor: float = Field(
        default=0.05, ge=0, le=1, description="The baseline's spread is at least this fraction of its median."
    )
    direction: Direction = "both"
    min_reviews: int = Field(default=20, ge=1, description="negative_review_share: fewest reviews in a window.")

    @model_validator(mode="after")
    def _segment_only_for_segments(self) -> WatchedMetric:
        if self.metric == "segment_size" and self.segment is None:
            raise ValueError("segment_size needs `segment:` (one of " + ", ".join(s.value for s in SegmentName) + ")")
        if self.metric != "segment_size" and self.segment is not None:
            raise ValueError(f"`segment:` applies only to metric segment_size, not {self.metric}")
        if self.metric == "segment_size" and self.window != "week":
            raise ValueError("segment_size is compared week on week: window must be week")
        return self

    @property
    def id(self) -> str:
        name = f"segment_size:{self.segment.value}" if self.segment is not None else self.metric
        return f"{name}/{self.window}"


class WatchConfig(_Strict):
    slack_channel: str | None = Field(default=None, description="Channel id (C…) or name for alerts.")
    schedule: str = Field(default="0 7 * * *", description="When `mka watch` checks: cron, local time.")
    history_weeks: int = Field(default=8, ge=3, le=52, description="Weeks of baseline before each window.")
    min_history_weeks: int = Field(default=3, ge=2, le=52, description="Fewest baseline weeks to check at all.")
    cooldown_days: int = Field(
        default=7, ge=0, le=366, description="After an alert, the same metric and direction stay quiet this long."
    )
    state_file: Path = Field(default=Path("watch-state.json"), description="Alerts already sent; relative to MKA_HOME.")
    metrics: list[WatchedMetric] = Field(min_length=1)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        return check_cron(value)

    @model_validator(mode="after")
    def _unique(self) -> WatchConfig:
        ids = [m.id for m in self.metrics]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"metrics listed twice: {', '.join(repeated)}")
        if self.min_history_weeks > self.history_weeks:
            raise ValueError("min_history_weeks cannot exceed history_weeks")
        return self


class DigestConfig(_Strict):
    period: Literal["day", "week", "month"] = "week"
    schedule: str = Field(default="0 8 * * 1", description="When `mka watch` posts the digest: cron, local time.")
    slack_channel: str | None = None
    enabled: bool = True

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        return check_cron(value)


class ProactiveConfig(_Strict):
    watch: WatchConfig
    digest: DigestConfig = Field(default_factory=DigestConfig)


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_config(path: Path) -> ProactiveConfig:
    """Read and validate the YAML file; a ConfigError names `path` and each offending key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file (set MKA_PROACTIVE_CONFIG or pass --config)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with `watch:` (and optionally `digest:`) at the top level")
    try:
        return ProactiveConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_key(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc
