"""Earned value and the time-phased cost plan.

- The bottom-up plan: each task's planned cost (assignments' work x the resource's rate on the task's start
  day, plus the task's fixed costs) spread over its scheduled dates, by month.
- PV: the cost baseline (the approved budget version's lines, without the reserves) spread over the tasks of
  each line's work package (a project-level line over every task) in proportion to their planned cost (their
  durations when nothing is costed), then linearly over the baseline schedule (the latest saved schedule
  baseline, else the current schedule). Without an approved version the current lines stand in (flagged).
- EV: % complete x each task's share of the baseline. AC: the actual costs up to the status date.
- Figures come back as money quantised to the currency's minor units (half to even) and ratios rounded to
  4 places; a ratio with a zero denominator is null. Bottom-up EAC exists for the project and the packages
  (tasks carry the estimates), not for single lines.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import budget as brules
from charter.domain import schedule as srules
from charter.domain import wbs
from charter.domain.errors import ValidationError
from charter.domain.money import allocate, quantise
from charter.domain.roles import Perm
from charter.engine import evm as engine
from charter.persistence.models import (
    Assignment,
    Baseline,
    BaselineTask,
    BudgetLine,
    EvmSnapshot,
    JournalEntry,
    Project,
    Task,
    TaskComputed,
    TaskFixedCost,
)
from charter.services import budget, journal
from charter.services.authz import project_for
from charter.services.context import Actor, now
from charter.services.resources import rate_on
from charter.services.scheduling import minutes_per_day, settings_row

MONEY_KEYS = ("bac", "pv", "ev", "ac", "sv", "cv", "eac", "eac_cpi", "eac_budget_rate", "eac_cpi_spi",
              "eac_bottom_up", "etc", "vac")  # fmt: skip
RATIO_KEYS = ("spi", "cpi", "tcpi", "tcpi_eac", "percent_complete", "percent_spent")


def _m64(values: list[dt.datetime | None]) -> np.ndarray:
    return np.array([np.datetime64(v, "m") if v else np.datetime64("NaT", "m") for v in values], dtype="datetime64[m]")  # fmt: skip


def _end_of(day: dt.date) -> np.datetime64:
    return np.datetime64(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), "m")


def _month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    out: list[dt.date] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append(dt.date(ny, nm, 1) - dt.timedelta(days=1))
        y, m = ny, nm
    return out


# --------------------------------------------------------------------------------------------- the plan


class _Tasks:
    def __init__(self, s: Session, p: Project):
        rows = s.execute(
            select(Task.id, Task.work_package_id, Task.percent_complete, Task.duration, TaskComputed.start,
                   TaskComputed.finish, Task.duration_unit).outerjoin(TaskComputed, TaskComputed.task_id == Task.id)
            .where(Task.project_id == p.id).order_by(Task.id)
        ).all()  # fmt: skip
        self.ids = [r[0] for r in rows]
        self.index = {t: i for i, t in enumerate(self.ids)}
        self.wp = [r[1] for r in rows]
        self.pct = np.array([r[2] or 0.0 for r in rows], dtype=np.float64)
        # working minutes; an elapsed duration (wall-clock minutes) counted as that many project-calendar days
        mpd = minutes_per_day(s, p.id)
        self.duration = [srules.as_working_minutes(r[3] or 0, r[6], mpd) for r in rows]
        self.start = [r[4] for r in rows]
        self.finish = [r[5] for r in rows]
        base = s.scalars(
            select(Baseline).where(Baseline.project_id == p.id).order_by(Baseline.number.desc())
        ).first()
        self.baseline_number = base.number if base else None
        bt = {b.task_id: b for b in s.scalars(select(BaselineTask).where(BaselineTask.baseline_id == base.id))} if base else {}  # fmt: skip
        self.base_start = [bt[t].start if t in bt else st for t, st in zip(self.ids, self.start, strict=True)]
        self.base_finish = [
            bt[t].finish if t in bt else f for t, f in zip(self.ids, self.finish, strict=True)
        ]
        self.labour, self.fixed = self._costs(s, p)
        self.fixed_rows = list(s.execute(select(TaskFixedCost.task_id, TaskFixedCost.amount, TaskFixedCost.accrual)
                                         .where(TaskFixedCost.project_id == p.id)))  # fmt: skip

    def _costs(self, s: Session, p: Project) -> tuple[list[Decimal], list[Decimal]]:
        labour = [Decimal(0)] * len(self.ids)
        fixed = [Decimal(0)] * len(self.ids)
        for task_id, resource_id, work in s.execute(
            select(Assignment.task_id, Assignment.resource_id, Assignment.work).where(Assignment.project_id == p.id)
        ):  # fmt: skip
            i = self.index[task_id]
            day = (
                self.start[i] or dt.datetime.combine(p.start_date or p.created_at.date(), dt.time())
            ).date()
            r = rate_on(s, resource_id, day)
            if r is not None and work and r.currency == p.currency:  # another currency is not costed here
                labour[i] += Decimal(work) / 60 * Decimal(r.standard)
        for task_id, amount in s.execute(
            select(TaskFixedCost.task_id, TaskFixedCost.amount).where(TaskFixedCost.project_id == p.id)
        ):
            fixed[self.index[task_id]] += Decimal(amount)
        cur = p.currency
        return [quantise(x, cur) for x in labour], [quantise(x, cur) for x in fixed]

    def planned(self, i: int) -> Decimal:
        return self.labour[i] + self.fixed[i]

    def pct_as_of(self, s: Session, p: Project, days: list[dt.date]) -> dict[dt.date, np.ndarray]:
        """Each task's % complete at the end of each of `days` (UTC): today's, with every journaled change of it
        made after that day undone, latest first (a task created since had none: 0). One pass over the
        journal from the earliest day on; a day that has not ended yet gets today's."""
        cut = {d: dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) for d in days}
        t = now()
        out = {d: self.pct for d, c in cut.items() if c > t}
        pending = sorted((c, d) for d, c in cut.items() if c <= t)  # earliest first; taken from the end
        if not pending:
            return out
        pct = self.pct.copy()
        q = (
            select(JournalEntry.entity_id, JournalEntry.at, JournalEntry.changes)
            .where(JournalEntry.project_id == p.id, JournalEntry.entity_type == "task",
                   JournalEntry.at >= pending[0][0])
            .order_by(JournalEntry.at.desc(), JournalEntry.id.desc())
        )  # fmt: skip
        for entity_id, at, changes in s.execute(q):
            while pending and at < pending[-1][0]:  # every change made after that day is undone
                out[pending.pop()[1]] = pct.copy()
            change = (changes or {}).get("percent_complete")
            i = self.index.get(int(entity_id)) if str(entity_id).isdecimal() else None
            if i is not None and isinstance(change, list) and len(change) == 2:
                pct[i] = float(change[0] or 0.0)
        for _, d in pending:
            out[d] = pct.copy()
        return out


def _cumulative_plan(t: _Tasks, points: list[np.datetime64]) -> np.ndarray:
    """Planned cost (labour spread, fixed costs by accrual) of every task cumulated at each point."""
    start, finish = _m64(t.start), _m64(t.finish)
    out = np.zeros((len(t.ids), len(points)))
    if not t.ids:
        return out
    out += engine.cumulative_curve([float(x) for x in t.labour], start, finish, np.array(points))
    for task_id, amount, accrual in t.fixed_rows:
        i = t.index[task_id]
        a = brules.Accrual(accrual)
        ends = {brules.Accrual.START: start[i], brules.Accrual.END: finish[i]}
        for k, pt in enumerate(points):
            if a is brules.Accrual.PRORATED:
                frac = engine.elapsed_fraction(start[i : i + 1], finish[i : i + 1], pt)[0]
            else:
                when = ends[a]
                frac = 0.0 if np.isnat(when) else float(pt >= when)
            out[i, k] += float(amount) * frac
    return out


def plan(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """The time-phased bottom-up plan by month (planned cost per month and cumulated) with the baseline PV."""
    p = project_for(s, actor, project_id, Perm.BUDGET_READ)
    t = _Tasks(s, p)
    days = [d.date() for d in (*t.start, *t.finish, *t.base_start, *t.base_finish) if d is not None]
    base = _baseline_alloc(s, p, t)
    tasks: list[dict[str, Any]] = [
        {"task_id": tid, "planned_labour": t.labour[i], "planned_fixed": t.fixed[i], "planned": t.planned(i),
         "start": t.start[i], "finish": t.finish[i]}
        for i, tid in enumerate(t.ids)
    ]  # fmt: skip
    if not days:
        return {"project_id": p.id, "currency": p.currency, "months": [], "tasks": tasks,
                "total_planned": quantise(sum((t.planned(i) for i in range(len(t.ids))), Decimal(0)), p.currency)}  # fmt: skip
    ends = _month_ends(min(days), max(days))
    points = [_end_of(d) for d in ends]
    cum_plan = _cumulative_plan(t, points).sum(axis=0)
    cum_pv = _pv_curve(base, t, points)
    months = []
    prev_plan = prev_pv = Decimal(0)
    for k, d in enumerate(ends):
        cp = quantise(Decimal(repr(float(cum_plan[k]))), p.currency)
        cv = quantise(Decimal(repr(float(cum_pv[k]))), p.currency)
        months.append({"month": d.strftime("%Y-%m"), "planned": cp - prev_plan, "planned_cumulative": cp,
                       "pv": cv - prev_pv, "pv_cumulative": cv})  # fmt: skip
        prev_plan, prev_pv = cp, cv
    return {"project_id": p.id, "currency": p.currency, "months": months, "tasks": tasks,
            "total_planned": quantise(sum((t.planned(i) for i in range(len(t.ids))), Decimal(0)), p.currency)}  # fmt: skip


# --------------------------------------------------------------------------------------------- baseline allocation


class _Alloc:
    """The cost baseline broken into (line, task, amount) rows, exact in minor units."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []  # non-reserve lines of the baseline
        self.reserves = Decimal(0)
        self.line_idx: list[int] = []
        self.task_idx: list[int] = []
        self.amount: list[Decimal] = []
        self.unscheduled: list[int] = []  # line ids with no task to carry them
        self.source = "approved"
        self.version: int | None = None


def _baseline_alloc(s: Session, p: Project, t: _Tasks) -> _Alloc:
    a = _Alloc()
    v = budget.baseline_version(s, p.id)
    if v is not None:
        lines = v.lines
        a.version = v.number
    else:
        a.source = "current lines (no approved budget version)"
        lines = [{"line_id": ln.id, "work_package_id": ln.work_package_id, "category": ln.category,
                  "name": ln.name, "amount": str(ln.amount)}
                 for ln in s.scalars(select(BudgetLine).where(BudgetLine.project_id == p.id).order_by(BudgetLine.id))]  # fmt: skip
    parent = budget.parents(s, p.id)

    costed = [t.planned(i) for i in range(len(t.ids))]
    for x in lines:
        amount = quantise(Decimal(x["amount"]), p.currency)
        if brules.Category(x["category"]) in brules.RESERVES:
            a.reserves += amount
            continue
        li = len(a.lines)
        a.lines.append({**x, "amount": amount})
        root = x["work_package_id"]
        inside = None if root is None else wbs.subtree(parent, [root])
        members = [i for i in range(len(t.ids)) if inside is None or t.wp[i] in inside]
        if not members:
            a.unscheduled.append(x["line_id"])
            continue
        weights = [costed[i] for i in members]
        if sum(weights) == 0:
            weights = [Decimal(t.duration[i]) for i in members]
        for i, share in zip(members, allocate(amount, weights, p.currency), strict=True):
            a.line_idx.append(li)
            a.task_idx.append(i)
            a.amount.append(share)
    return a


def _pv_curve(a: _Alloc, t: _Tasks, points: list[np.datetime64]) -> np.ndarray:
    if not a.amount:
        return np.zeros(len(points))
    idx = a.task_idx
    start = _m64([t.base_start[i] for i in idx])
    finish = _m64([t.base_finish[i] for i in idx])
    curve: np.ndarray = engine.cumulative_curve([float(x) for x in a.amount], start, finish, np.array(points))
    return np.asarray(curve.sum(axis=0), dtype=np.float64)


# --------------------------------------------------------------------------------------------- earned value


def _round(fig: dict[str, np.ndarray], k: int, currency: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in MONEY_KEYS:
        v = float(fig[key][k])
        out[key] = None if math.isnan(v) or math.isinf(v) else quantise(Decimal(repr(v)), currency)
    for key in RATIO_KEYS:
        v = float(fig[key][k])
        out[key] = (
            None
            if math.isnan(v) or math.isinf(v)
            else round(v, 4 if key not in ("percent_complete", "percent_spent") else 2)
        )
    return out


def _as_of(s: Session, p: Project, as_of: dt.date | None) -> dt.date:
    if as_of is not None:
        return as_of
    sd = settings_row(s, p.id).status_date
    return sd.date() if sd else now().date()


def compute(
    s: Session, actor: Actor, project_id: int, as_of: dt.date | None = None,
    thresholds: engine.Thresholds | None = None,
) -> dict[str, Any]:  # fmt: skip
    """PV, EV, AC and every derived figure for the project, each work package and each budget line."""
    p = project_for(s, actor, project_id, Perm.BUDGET_READ)
    th = thresholds or engine.Thresholds()
    day = _as_of(s, p, as_of)
    t = _Tasks(s, p)
    # progress is entered as of the status date (MS Project's rule): the % complete held now counts for it,
    # even when the PM records last week's progress this Monday
    pct = t.pct
    a = _baseline_alloc(s, p, t)
    at = _end_of(day)
    n_lines = len(a.lines)
    amounts = np.array([float(x) for x in a.amount])
    idx = np.array(a.task_idx, dtype=np.int64)
    if len(idx):
        pv_rows = engine.planned_value(amounts, _m64([t.base_start[i] for i in idx]), _m64([t.base_finish[i] for i in idx]), at)  # fmt: skip
        ev_rows = amounts * pct[idx] / 100.0
    else:
        pv_rows = ev_rows = np.zeros(0)
    groups = np.array(a.line_idx, dtype=np.int64)
    pv_l = engine.aggregate(pv_rows, groups, n_lines)
    ev_l = engine.aggregate(ev_rows, groups, n_lines)
    bac_l = np.array([float(x["amount"]) for x in a.lines])
    cc = budget.cost_columns(s, p, until=day)
    ac_by_line = {lid: Decimal(c["actual"]) for lid, c in cc["lines"].items()}
    ac_l = np.array([float(ac_by_line.get(x["line_id"], Decimal(0))) for x in a.lines])
    # bottom-up ETC per package and for the project: the planned cost of the work not yet done
    remaining = np.array([float(t.planned(i)) for i in range(len(t.ids))]) * (1 - pct / 100.0)
    # groups: project (0) and each work package that carries a line
    wp_keys = sorted({x["work_package_id"] for x in a.lines if x["work_package_id"] is not None})
    wp_pos = {w: k + 1 for k, w in enumerate(wp_keys)}
    line_wp = np.array([wp_pos.get(x["work_package_id"], -1) for x in a.lines], dtype=np.int64)
    n_g = len(wp_keys) + 1
    parent = budget.parents(s, p.id)

    def wp_of_task(i: int) -> int:
        w = t.wp[i]
        seen: set[int] = set()
        while w is not None and w not in seen:
            if w in wp_pos:
                return wp_pos[w]
            seen.add(w)
            w = parent.get(w)
        return -1

    task_group = np.array([wp_of_task(i) for i in range(len(t.ids))], dtype=np.int64)
    etc_g = engine.aggregate(remaining, task_group, n_g)
    etc_g[0] = remaining.sum() if len(remaining) else 0.0
    agg = {}
    for key, arr in (("pv", pv_l), ("ev", ev_l), ("ac", ac_l), ("bac", bac_l)):
        g = engine.aggregate(arr, line_wp, n_g)
        g[0] = arr.sum() if len(arr) else 0.0
        agg[key] = g
    # the project's AC takes every actual cost: reserve lines and labour charged to no line as well
    agg["ac"][0] = float(sum(ac_by_line.values(), Decimal(0)) + Decimal(cc["unallocated_labour"]))
    gf = engine.figures(agg["pv"], agg["ev"], agg["ac"], agg["bac"], etc_g)
    lf = engine.figures(pv_l, ev_l, ac_l, bac_l)
    names = budget._wp_names(s, p.id)

    def row(fig: dict[str, np.ndarray], k: int, **head: Any) -> dict[str, Any]:
        r = {**head, **_round(fig, k, p.currency)}
        r["status"] = th.status(float(fig["cpi"][k]), float(fig["spi"][k]))
        return r

    project_row = row(gf, 0, name=p.key)
    return {
        "project_id": p.id, "currency": p.currency, "as_of": day, "baseline_source": a.source,
        "budget_version": a.version, "schedule_baseline": t.baseline_number,
        "reserves": quantise(a.reserves, p.currency), "unscheduled_line_ids": a.unscheduled,
        "thresholds": {"amber": th.amber, "red": th.red, "rule": th.rule},
        "project": project_row,
        "work_packages": [row(gf, wp_pos[w], work_package_id=w, name=names.get(w, str(w))) for w in wp_keys],
        "lines": [row(lf, k, budget_line_id=x["line_id"], name=x["name"], category=x["category"],
                      work_package_id=x["work_package_id"]) for k, x in enumerate(a.lines)],
    }  # fmt: skip


def trend(
    s: Session, actor: Actor, project_id: int, as_of: dt.date | None = None,
    thresholds: engine.Thresholds | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Per month up to the status date: PV and AC at the month's end; EV from the snapshot saved in that month,
    else from the progress the journal had recorded by the month's end (`ev_source` says which; the status
    date's month: the current EV); and the indices."""
    p = project_for(s, actor, project_id, Perm.BUDGET_READ)
    th = thresholds or engine.Thresholds()
    day = _as_of(s, p, as_of)
    t = _Tasks(s, p)
    a = _baseline_alloc(s, p, t)
    first = p.start_date or p.created_at.date()
    ends = [min(e, day) for e in _month_ends(min(first, day), day)]
    pv = _pv_curve(a, t, [_end_of(e) for e in ends])
    snaps: dict[str, dict[str, Any]] = {}
    for sn in s.scalars(
        select(EvmSnapshot).where(EvmSnapshot.project_id == p.id).order_by(EvmSnapshot.as_of)
    ):
        if sn.as_of <= day:
            snaps[sn.as_of.strftime("%Y-%m")] = sn.figures
    current = compute(s, actor, project_id, day, th)["project"]
    recorded = t.pct_as_of(
        s, p, [e for e in ends if e != day and (snaps.get(e.strftime("%Y-%m")) or {}).get("ev") is None]
    )
    points = []
    for k, e in enumerate(ends):
        month = e.strftime("%Y-%m")
        cc = budget.cost_columns(s, p, until=e)
        ac = sum((Decimal(c["actual"]) for c in cc["lines"].values()), Decimal(0)) + Decimal(
            cc["unallocated_labour"]
        )
        ev: Any
        if e == day:
            ev, source = current["ev"], "current"
        elif (snaps.get(month) or {}).get("ev") is not None:
            ev, source = snaps[month]["ev"], "snapshot"
        else:
            ev, source = _ev_total(a, recorded[e], p.currency), "journal"
        pv_m = quantise(Decimal(repr(float(pv[k]))), p.currency)
        point = {"month": month, "as_of": e, "pv": pv_m, "ac": quantise(ac, p.currency), "ev": ev,
                 "ev_source": source, "spi": None, "cpi": None, "status": engine.UNKNOWN}  # fmt: skip
        if ev is not None:
            evd = Decimal(str(ev))
            point["spi"] = round(float(evd / pv_m), 4) if pv_m else None
            point["cpi"] = round(float(evd / ac), 4) if ac else None
            point["status"] = th.status(point["cpi"] if point["cpi"] is not None else math.nan,
                                        point["spi"] if point["spi"] is not None else math.nan)  # fmt: skip
        points.append(point)
    return {"project_id": p.id, "currency": p.currency, "as_of": day, "rule": th.rule, "months": points}


def _ev_total(a: _Alloc, pct: np.ndarray, currency: str) -> Decimal:
    """The project's earned value for these % complete figures: each allocated amount times its task's."""
    idx = np.array(a.task_idx, dtype=np.int64)
    if not len(idx):
        return quantise(Decimal(0), currency)
    amounts = np.array([float(x) for x in a.amount])
    return quantise(Decimal(repr(float((amounts * pct[idx] / 100.0).sum()))), currency)


def scurve_png(s: Session, actor: Actor, project_id: int, as_of: dt.date | None = None) -> bytes:
    """The S-curve (cumulative PV, EV, AC by month up to the status date, the EAC forecast and the BAC) as a
    PNG image; budget.read."""
    from charter.io.charts import scurve_png as draw

    figs = compute(s, actor, project_id, as_of)
    tr = trend(s, actor, project_id, figs["as_of"])
    p = s.get(Project, project_id)
    assert p is not None
    return draw(tr["months"], currency=tr["currency"], eac=figs["project"].get("eac"),
                bac=figs["project"].get("bac"), title=f"{p.key} S-curve as of {figs['as_of']}")  # fmt: skip


def save_snapshot(s: Session, actor: Actor, project_id: int, as_of: dt.date | None = None) -> dict[str, Any]:
    """Save the project's figures at a status date: the EV points of the trend (one per day; saving again
    replaces it)."""
    project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    figs = compute(s, actor, project_id, as_of)
    plain = {k: journal._plain(v) for k, v in figs["project"].items()}
    row = s.scalars(select(EvmSnapshot).where(EvmSnapshot.project_id == project_id,
                                              EvmSnapshot.as_of == figs["as_of"])).first()  # fmt: skip
    if row is None:
        row = EvmSnapshot(project_id=project_id, as_of=figs["as_of"], figures=plain, saved_by=actor.user_id,
                          saved_at=now())  # fmt: skip
        s.add(row)
    else:
        row.figures, row.saved_by, row.saved_at = plain, actor.user_id, now()
    s.flush()
    journal.record(s, actor, entity_type="evm_snapshot", entity_id=row.id, action="create",
                   project_id=project_id, after={"as_of": row.as_of.isoformat(), **plain})  # fmt: skip
    return {"id": row.id, "as_of": row.as_of, "figures": plain}


# --------------------------------------------------------------------------------------------- export

BUDGET_COLUMNS = (
    "id",
    "work_package",
    "category",
    "name",
    "budget",
    "committed",
    "actual",
    "held",
    "remaining",
)
EVM_COLUMNS = ("level", "name", "bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "eac", "etc", "vac", "tcpi",
               "status")  # fmt: skip


def budget_rows(summary: dict[str, Any]) -> list[list[Any]]:
    return [[x[c] for c in BUDGET_COLUMNS] for x in summary["lines"]]


def evm_rows(figs: dict[str, Any]) -> list[list[Any]]:
    rows = [["project", *[figs["project"][c] for c in EVM_COLUMNS[1:]]]]
    rows += [["work_package", *[w[c] for c in EVM_COLUMNS[1:]]] for w in figs["work_packages"]]
    rows += [["line", *[x[c] for c in EVM_COLUMNS[1:]]] for x in figs["lines"]]
    return rows


def _cell(v: Any) -> Any:
    from charter.io.tabular import safe_cell

    if isinstance(v, Decimal):
        return v
    return safe_cell("" if v is None else v)


def write_table(columns: tuple[str, ...], rows: list[list[Any]], fmt: str, sheet: str) -> bytes:
    """CSV (UTF-8 with BOM) or XLSX; text that a spreadsheet would run as a formula is neutralised."""
    if fmt == "csv":
        out = io.StringIO(newline="")
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(v) for v in r])
        return out.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet(sheet)
        ws.append(list(columns))
        for r in rows:
            ws.append([_cell(v) if v is not None else None for v in r])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    raise ValidationError("format is csv or xlsx", field="format")
