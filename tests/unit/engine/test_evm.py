"""The earned-value engine against a worked textbook example with known PV, EV and AC.

BAC 10 000, status date at the end of month 5: PV 5 000, EV 4 000, AC 4 500 gives
SV -1 000, CV -500, SPI 0.8, CPI 0.888..., EAC(CPI) 11 250, EAC(budget rate) 10 500,
EAC(CPI x SPI) 4 500 + 6 000 / 0.7111... = 12 937.50, ETC 6 750, VAC -1 250, TCPI 6 000 / 5 500 = 1.0909.
"""

from __future__ import annotations

import numpy as np
import pytest

from charter.engine import evm


def one(fig: dict[str, np.ndarray], key: str) -> float:
    return float(fig[key][0])


def test_textbook_example_every_formula() -> None:
    f = evm.figures([5000], [4000], [4500], [10000], etc_bottom_up=[7000])
    assert one(f, "sv") == -1000 and one(f, "cv") == -500
    assert one(f, "spi") == pytest.approx(0.8) and one(f, "cpi") == pytest.approx(8 / 9)
    assert one(f, "eac_cpi") == pytest.approx(11250)
    assert one(f, "eac_budget_rate") == pytest.approx(10500)
    assert one(f, "eac_cpi_spi") == pytest.approx(12937.5)
    assert one(f, "eac_bottom_up") == pytest.approx(11500)
    assert one(f, "eac") == pytest.approx(11250)
    assert one(f, "etc") == pytest.approx(6750) and one(f, "vac") == pytest.approx(-1250)
    assert one(f, "tcpi") == pytest.approx(6000 / 5500)
    assert one(f, "tcpi_eac") == pytest.approx(6000 / 6750)
    assert one(f, "percent_complete") == pytest.approx(40) and one(f, "percent_spent") == pytest.approx(45)


def test_many_elements_at_once_and_undefined_ratios_are_nan() -> None:
    f = evm.figures([5000, 0, 100], [4000, 0, 100], [4500, 0, 0], [10000, 500, 100])
    assert f["cpi"][0] == pytest.approx(8 / 9)
    assert np.isnan(f["spi"][1]) and np.isnan(f["cpi"][1]) and np.isnan(f["cpi"][2])
    assert f["eac"][1] == 500  # no CPI yet: the budget-rate EAC stands in
    assert np.isnan(evm.figures([50], [50], [100], [100])["tcpi"][0])  # BAC == AC: no budget left to perform
    assert np.isnan(f["eac_bottom_up"]).all()


def test_thresholds_and_the_rule() -> None:
    th = evm.Thresholds()
    assert th.status(0.95, 1.0) == evm.GREEN
    assert th.status(0.89, 1.2) == evm.AMBER
    assert th.status(1.0, 0.79) == evm.RED
    assert th.status(float("nan"), 0.85) == evm.AMBER
    assert th.status(float("nan"), float("nan")) == evm.UNKNOWN
    assert "below 0.9 is amber, below 0.8 red" in th.rule
    strict = evm.Thresholds(amber=0.95, red=0.9)
    assert strict.status(0.93, 1.0) == evm.AMBER and strict.status(0.85, 1.0) == evm.RED
    with pytest.raises(ValueError):
        evm.Thresholds(amber=0.8, red=0.9)


def _m(*values: str | None) -> np.ndarray:
    return np.array([np.datetime64(v, "m") if v else np.datetime64("NaT", "m") for v in values])


def test_planned_value_is_linear_over_each_task_and_milestones_count_once_reached() -> None:
    start = _m("2030-01-01T00:00", "2030-01-05T00:00", "2030-01-03T00:00", None)
    finish = _m("2030-01-11T00:00", "2030-01-05T00:00", "2030-01-04T00:00", None)
    at = np.datetime64("2030-01-06T00:00", "m")
    pv = evm.planned_value([1000, 50, 200, 999], start, finish, at)
    assert pv.tolist() == [500.0, 50.0, 200.0, 0.0]
    assert evm.planned_value(
        [1000], start[:1], finish[:1], np.datetime64("2029-12-01T00:00", "m")
    ).tolist() == [0.0]
    curve = evm.cumulative_curve(
        [1000], start[:1], finish[:1], _m("2030-01-01T00:00", "2030-01-03T12:00", "2030-02-01T00:00")
    )
    assert curve.tolist() == [[0.0, 250.0, 1000.0]]


def test_aggregate_sums_into_groups() -> None:
    assert evm.aggregate([1, 2, 3, 4], [0, 1, 0, -1], 3).tolist() == [4.0, 2.0, 0.0]
