"""What each adapter read, kept and dropped (and why), and what the warehouse ended up holding."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field


class AdapterReport(BaseModel):
    """Rows read from one file, rows kept, and rows dropped per reason (read = kept + dropped)."""

    adapter: str
    source: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)

    def drop(self, reason: str, count: int) -> None:
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())


class WarehouseCounts(BaseModel):
    """Row counts of the built warehouse, the figures `mka ingest` prints and tests check."""

    lines_read: int
    customers: int
    products: int
    completed_orders: int
    cancelled_orders: int
    guest_orders: int
    order_lines: int
    reviews: int
    reviewed_products: int


class IngestSummary(BaseModel):
    synthetic: bool
    adapters: list[AdapterReport]
    counts: WarehouseCounts
    first_order_at: str | None = None
    last_order_at: str | None = None
    steps: dict[str, dict[str, object]] = Field(default_factory=dict)
    seconds: float = 0.0

    def dropped_total(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for report in self.adapters:
            total.update(report.dropped)
        return total
