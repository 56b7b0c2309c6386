"""One percentile definition for every figure: nearest rank."""

from __future__ import annotations

import pytest

from askdocs.evals.percentiles import Percentiles, percentile


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert [percentile(values, q) for q in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([], 50) == 0.0
    assert percentile([7.0], 99) == 7.0


def test_small_series_report_observed_values() -> None:
    # No interpolation: the even count's p50 is the lower middle, p95 of 20 the 19th smallest.
    assert percentile([1.0, 2.0, 3.0, 10.0], 50) == 2.0
    twenty = [float(v) for v in range(1, 21)]
    assert percentile(twenty, 95) == 19.0
    assert Percentiles.of([3.0, 1.0, 2.0, 40.0]) == Percentiles(p50=2.0, p95=40.0, p99=40.0)


@pytest.mark.parametrize("q", [0, -5, 101])
def test_out_of_range_percentile_is_refused(q: float) -> None:
    with pytest.raises(ValueError, match="percentile must be in"):
        percentile([1.0], q)
