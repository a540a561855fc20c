"""The cold-start bench's run order: every run of each variant happens, absent runs spread among present ones."""

from bench.cold_start import interleaved


def test_equal_counts_alternate() -> None:
    assert interleaved(3, 3) == ["absent", "present"] * 3


def test_fewer_absent_runs_are_spread_evenly() -> None:
    order = interleaved(10, 3)
    assert order.count("present") == 10 and order.count("absent") == 3
    gaps = [index for index, variant in enumerate(order) if variant == "absent"]
    assert gaps == [0, 4, 8]


def test_more_absent_runs_than_present() -> None:
    order = interleaved(2, 5)
    assert order.count("present") == 2 and order.count("absent") == 5
