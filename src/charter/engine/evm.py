"""Earned value management over numpy arrays.

Every function works on many elements at once (the project, each work package, each budget line, each month):
arrays of the same shape in, arrays out. Inside, amounts are float64; the service turns them back into money
quantised to the currency's minor units at its boundary, and ratios are rounded there too. A ratio whose
denominator is zero is NaN ("not defined yet"), never infinity.

Formulas (PMBOK):
  SV = EV - PV            CV = EV - AC            SPI = EV / PV           CPI = EV / AC
  EAC (CPI)        = BAC / CPI                       future work at today's cost efficiency
  EAC (budget)     = AC + BAC - EV                   future work at the budgeted rate
  EAC (CPI x SPI)  = AC + (BAC - EV) / (CPI x SPI)   future work weighed by cost and schedule efficiency
  EAC (bottom-up)  = AC + bottom-up ETC              a fresh estimate of the remaining work
  ETC = EAC - AC          VAC = BAC - EAC         TCPI = (BAC - EV) / (BAC - AC)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F = npt.NDArray[np.float64]
M = npt.NDArray[np.datetime64]

GREEN, AMBER, RED, UNKNOWN = "green", "amber", "red", "unknown"


def _div(a: F, b: F) -> F:
    out = np.full(np.broadcast(a, b).shape, np.nan, dtype=np.float64)
    np.divide(a, b, out=out, where=b != 0)
    return out


def _f(x: npt.ArrayLike) -> F:
    return np.asarray(x, dtype=np.float64)


def figures(
    pv: npt.ArrayLike,
    ev: npt.ArrayLike,
    ac: npt.ArrayLike,
    bac: npt.ArrayLike,
    etc_bottom_up: npt.ArrayLike | None = None,
) -> dict[str, F]:
    """Every earned-value figure for each element. `eac` is the CPI method, falling back to the budget-rate
    method while the CPI is not defined (no actual cost yet)."""
    pv_, ev_, ac_, bac_ = _f(pv), _f(ev), _f(ac), _f(bac)
    sv = ev_ - pv_
    cv = ev_ - ac_
    spi = _div(ev_, pv_)
    cpi = _div(ev_, ac_)
    eac_cpi = _div(bac_, cpi)
    eac_budget = ac_ + bac_ - ev_
    eac_cpi_spi = ac_ + _div(bac_ - ev_, cpi * spi)
    eac_bottom_up = ac_ + _f(etc_bottom_up) if etc_bottom_up is not None else np.full_like(ac_, np.nan)
    eac = np.where(np.isnan(eac_cpi), eac_budget, eac_cpi)
    etc = eac - ac_
    vac = bac_ - eac
    tcpi = _div(bac_ - ev_, bac_ - ac_)
    tcpi_eac = _div(bac_ - ev_, eac - ac_)
    return {
        "bac": bac_,
        "pv": pv_,
        "ev": ev_,
        "ac": ac_,
        "sv": sv,
        "cv": cv,
        "spi": spi,
        "cpi": cpi,
        "eac": eac,
        "eac_cpi": eac_cpi,
        "eac_budget_rate": eac_budget,
        "eac_cpi_spi": eac_cpi_spi,
        "eac_bottom_up": eac_bottom_up,
        "etc": etc,
        "vac": vac,
        "tcpi": tcpi,
        "tcpi_eac": tcpi_eac,
        "percent_complete": _div(100.0 * ev_, bac_),
        "percent_spent": _div(100.0 * ac_, bac_),
    }


@dataclass(frozen=True)
class Thresholds:
    """An index below `amber` is amber, below `red` is red."""

    amber: float = 0.9
    red: float = 0.8

    def __post_init__(self) -> None:
        if not 0 < self.red <= self.amber:
            raise ValueError("thresholds need 0 < red <= amber")

    @property
    def rule(self) -> str:
        return (
            f"CPI or SPI below {self.amber:g} is amber, below {self.red:g} red; the worse of the two decides"
        )

    def status(self, cpi: float, spi: float) -> str:
        known = [x for x in (cpi, spi) if not np.isnan(x)]
        if not known:
            return UNKNOWN
        worst = min(known)
        if worst < self.red:
            return RED
        if worst < self.amber:
            return AMBER
        return GREEN


def elapsed_fraction(start: M, finish: M, at: np.datetime64) -> F:
    """How much of each [start, finish] interval lies before `at` (0..1, linear in time); an instant (a
    milestone) counts fully once `at` reaches it; NaT start or finish counts as nothing."""
    s = start.astype("datetime64[m]").astype(np.int64).astype(np.float64)
    f = finish.astype("datetime64[m]").astype(np.int64).astype(np.float64)
    t = float(np.asarray(at).astype("datetime64[m]").astype(np.int64))
    missing = np.isnat(start) | np.isnat(finish)
    span = f - s
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (t - s) / np.where(span > 0, span, 1.0), np.where(t >= f, 1.0, 0.0))
    frac = np.clip(frac, 0.0, 1.0)
    return np.where(missing, 0.0, frac).astype(np.float64)


def planned_value(budget: npt.ArrayLike, start: M, finish: M, at: np.datetime64) -> F:
    """The budget of each element spread linearly over its dates, cumulated up to `at`."""
    return _f(budget) * elapsed_fraction(start, finish, at)


def cumulative_curve(budget: npt.ArrayLike, start: M, finish: M, points: M) -> F:
    """Planned value of each element at each point: shape (elements, points)."""
    b = _f(budget)
    if len(points) == 0:
        return np.zeros((len(b), 0))
    return np.stack([b * elapsed_fraction(start, finish, p) for p in points], axis=1)


def aggregate(values: npt.ArrayLike, groups: npt.ArrayLike, n_groups: int) -> F:
    """Sum element values into groups (a -1 group is dropped): e.g. tasks into budget lines."""
    v = _f(values)
    g = np.asarray(groups, dtype=np.int64)
    keep = g >= 0
    return np.bincount(g[keep], weights=v[keep], minlength=n_groups).astype(np.float64)
