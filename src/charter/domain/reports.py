"""Status reports: reporting periods and the RAG rules of the ten responsibility areas. Pure; no I/O.

Every rule takes the figures the report service gathered for one area and returns the colour, the rule
that produced it (written for the reader, with the figures in it) and the figures themselves. An area whose
facts do not exist (no budget, no baseline, an unused register) is GREY ("no data"), never green.

The thresholds live in `Thresholds` (documented defaults, overridable per project); the rule functions are
the only place colours are decided.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from charter.domain.errors import ValidationError
from charter.domain.figures import counted


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"  # no data


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"


class ReportStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


AREAS: tuple[str, ...] = (
    "budget", "schedule", "team", "conflict", "risk", "procurement", "quality", "communications", "scope",
    "technology",
)  # fmt: skip


def parse_period(value: str) -> Period:
    try:
        return Period(value)
    except ValueError:
        raise ValidationError("must be week or month", field="period") from None


def bounds(period: Period, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period containing `day`: a week runs Monday to Sunday, a month from its first to its last day."""
    if period is Period.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def previous(period: Period, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period just before the one containing `day` (the one the scheduled pass reports on)."""
    start, _ = bounds(period, day)
    return bounds(period, start - dt.timedelta(days=1))


def label(period: Period, start: dt.date) -> str:
    if period is Period.WEEK:
        iso = start.isocalendar()
        return f"Week {iso.week} of {iso.year} ({start:%d %b} - {start + dt.timedelta(days=6):%d %b %Y})"
    return f"{start:%B %Y}"


# --------------------------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Thresholds:
    """The limits the rules compare against. Defaults (documented in docs/project-manager.md):

    budget: CPI below 0.95 amber, below 0.90 red.   schedule: SPI below 0.95 amber, below 0.90 red; the
    forecast finish or a milestone later than the baseline: amber from 1 day, red beyond 10 days.
    team: person-days over capacity in the period amber from 1, red from 5; timesheets waiting for
    approval longer than 7 days amber.   conflict: red for an open critical conflict or one at the Sponsor;
    amber for an open high one, one at the PM or one past its escalation time.   risk: an open threat scoring
    20+ red, 10+ amber; a threat of 10+ without a response strategy red; a review past due amber.
    procurement: an invoice held or an order late more than 14 days red, any held/late/over-budget amber.
    quality: an open critical defect or half the metrics off target red; an open major defect or any metric
    off target amber.   communications: a concern past its acknowledgement deadline red, a communication
    plan item overdue amber.   scope: 5+ open change requests or one open longer than 30 days red; one
    open longer than 14 days or a change approved in the period amber.   technology: a component past end
    of life or an open critical update past due red; end of life within 90 days or an open high/critical
    update or any update past due amber.
    """

    cpi_amber: float = 0.95
    cpi_red: float = 0.90
    spi_amber: float = 0.95
    spi_red: float = 0.90
    slip_red_days: int = 10
    overload_amber_days: int = 1
    overload_red_days: int = 5
    timesheet_pending_days: int = 7
    risk_amber_score: int = 10
    risk_red_score: int = 20
    procurement_red_days: int = 14
    quality_red_share: float = 0.5
    scope_open_red: int = 5
    scope_age_amber_days: int = 14
    scope_age_red_days: int = 30
    eol_warning_days: int = 90

    def __post_init__(self) -> None:
        for a, r in (("cpi_amber", "cpi_red"), ("spi_amber", "spi_red")):
            if not 0 < getattr(self, r) <= getattr(self, a):
                raise ValidationError(f"needs 0 < {r} <= {a}", field=r)
        pairs = (("overload_amber_days", "overload_red_days"), ("risk_amber_score", "risk_red_score"),
                 ("scope_age_amber_days", "scope_age_red_days"))  # fmt: skip
        for a, r in pairs:
            if getattr(self, a) > getattr(self, r):
                raise ValidationError(f"must not exceed {r}", field=a)
        for f in dataclasses.fields(self):
            if getattr(self, f.name) < 0:
                raise ValidationError("must not be negative", field=f.name)
        if not 0 < self.quality_red_share <= 1:
            raise ValidationError("must be in (0, 1]", field="quality_red_share")

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, Any] | None) -> Thresholds:
        """The defaults with a project's overrides; unknown names and wrong types are refused by name."""
        if not overrides:
            return cls()
        known = {f.name: f.type for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for k, v in overrides.items():
            if k not in known:
                raise ValidationError(f"unknown threshold {k}", field=k)
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ValidationError("must be a number", field=k)
            if known[k] == "int" and v != int(v):
                raise ValidationError("must be a whole number", field=k)
            values[k] = float(v) if known[k] == "float" else int(v)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class AreaStatus:
    area: str
    rag: Rag
    rule: (
        str  # why this colour, with the figures, e.g. "red: CPI 0.82 < 0.90; amber: 2 timesheet entries ..."
    )
    figures: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[tuple[Rag, str], ...] = ()  # every check that fired, worst first, each with its colour

    def as_dict(self) -> dict[str, Any]:
        return {"area": self.area, "rag": self.rag.value, "rule": self.rule, "figures": self.figures,
                "reasons": [{"rag": rag.value, "text": why} for rag, why in self.reasons]}  # fmt: skip


def _worst(area: str, figures: dict[str, Any], checks: list[tuple[Rag, bool, str]], green: str) -> AreaStatus:
    """The area takes the worst colour that fired; every reason that fired is kept, each with its colour
    (red ones first), in `reasons` and in the rule's text ("red: A; B; amber: C")."""
    fired = [
        (rag, why) for colour in (Rag.RED, Rag.AMBER) for rag, hit, why in checks if hit and rag is colour
    ]
    if not fired:
        return AreaStatus(area, Rag.GREEN, f"green: {green}", figures)
    parts = []
    for colour in (Rag.RED, Rag.AMBER):
        reasons = [why for rag, why in fired if rag is colour]
        if reasons:
            parts.append(f"{colour.value}: " + "; ".join(reasons))
    return AreaStatus(area, fired[0][0], "; ".join(parts), figures, tuple(fired))


def _grey(area: str, why: str, figures: dict[str, Any]) -> AreaStatus:
    return AreaStatus(area, Rag.GREY, f"no data: {why}", figures)


def _positive(v: Any) -> bool:
    try:
        return v is not None and float(v) > 0
    except (TypeError, ValueError):
        return False


def _index(name: str, value: float | None, amber: float, red: float) -> list[tuple[Rag, bool, str]]:
    if value is None:
        return []
    return [
        (Rag.RED, value < red, f"{name} {value:.2f} < {red:.2f}"),
        (Rag.AMBER, red <= value < amber, f"{name} {value:.2f} < {amber:.2f}"),
    ]


def budget(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: cpi (None when nothing is earned or spent yet), bac, eac, currency."""
    figs = dict(f)
    if not _positive(f.get("bac")) or f.get("cpi") is None:
        return _grey("budget", "no approved budget or no earned value/actual cost yet", figs)
    cpi = float(f["cpi"])
    return _worst("budget", figs, _index("CPI", cpi, th.cpi_amber, th.cpi_red),
                  f"CPI {cpi:.2f} >= {th.cpi_amber:.2f}")  # fmt: skip


def schedule(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: spi (None if unknown), finish_slip_days (None without a baseline), milestones_slipped,
    max_milestone_slip_days."""
    figs = dict(f)
    spi, slip = f.get("spi"), f.get("finish_slip_days")
    if spi is None and slip is None:
        return _grey("schedule", "no schedule baseline and no planned value yet", figs)
    checks = _index("SPI", None if spi is None else float(spi), th.spi_amber, th.spi_red)
    ms, ms_slip = int(f.get("milestones_slipped") or 0), int(f.get("max_milestone_slip_days") or 0)
    if slip is not None:
        checks += [(Rag.RED, slip > th.slip_red_days, f"finish {slip} days after baseline > {th.slip_red_days}"),
                   (Rag.AMBER, 0 < slip <= th.slip_red_days, f"finish {slip} days after baseline")]  # fmt: skip
    checks += [
        (Rag.RED, ms_slip > th.slip_red_days, f"a milestone {ms_slip} days late > {th.slip_red_days}"),
        (
            Rag.AMBER,
            ms > 0 and ms_slip <= th.slip_red_days,
            f"{counted(ms, 'milestone')} later than baseline",
        ),
    ]
    parts = ([f"SPI {float(spi):.2f} >= {th.spi_amber:.2f}"] if spi is not None else []) + (
        ["on or before the baseline finish"] if slip is not None else []
    )
    return _worst("schedule", figs, checks, ", ".join(parts))


def team(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: people (assigned in the project), overloaded_days (person-days over capacity in the period),
    stale_timesheets (entries submitted more than `timesheet_pending_days` ago, still undecided)."""
    figs = dict(f)
    if not f.get("people"):
        return _grey("team", "nobody is assigned to tasks", figs)
    over, stale = int(f.get("overloaded_days") or 0), int(f.get("stale_timesheets") or 0)
    checks = [
        (Rag.RED, over >= th.overload_red_days, f"{over} person-days over capacity >= {th.overload_red_days}"),
        (Rag.AMBER, th.overload_amber_days <= over < th.overload_red_days and over > 0,
         f"{over} person-days over capacity"),
        (Rag.AMBER, stale > 0, f"{stale} timesheet entries waiting > {th.timesheet_pending_days} days"),
    ]  # fmt: skip
    return _worst("team", figs, checks, f"nobody over capacity; timesheets approved within "
                                        f"{th.timesheet_pending_days} days")  # fmt: skip


def conflict(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: logged (all entries ever), open, critical, high, at_sponsor, at_pm, overdue_escalation."""
    figs = dict(f)
    if not f.get("logged"):
        return _grey("conflict", "the conflict log is empty", figs)
    g = {
        k: int(f.get(k) or 0)
        for k in ("open", "critical", "high", "at_sponsor", "at_pm", "overdue_escalation")
    }
    checks = [
        (Rag.RED, g["critical"] > 0, counted(g["critical"], "open critical conflict")),
        (Rag.RED, g["at_sponsor"] > 0, f"{counted(g['at_sponsor'], 'conflict')} escalated to the Sponsor"),
        (Rag.AMBER, g["high"] > 0, counted(g["high"], "open high-severity conflict")),
        (Rag.AMBER, g["at_pm"] > 0, f"{counted(g['at_pm'], 'conflict')} escalated to the PM"),
        (Rag.AMBER, g["overdue_escalation"] > 0, f"{g['overdue_escalation']} past their escalation time"),
    ]
    return _worst("conflict", figs, checks, f"{g['open']} open, none high or escalated")


def risk(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: registered, open_threats, max_score, unanswered_high (open threats >= amber score without a
    strategy), overdue_reviews."""
    figs = dict(f)
    if not f.get("registered"):
        return _grey("risk", "the risk register is empty", figs)
    top, bare, late = (
        int(f.get("max_score") or 0),
        int(f.get("unanswered_high") or 0),
        int(f.get("overdue_reviews") or 0),
    )
    checks = [
        (Rag.RED, top >= th.risk_red_score, f"an open threat scores {top} >= {th.risk_red_score}"),
        (Rag.RED, bare > 0, f"{counted(bare, 'threat')} scoring >= {th.risk_amber_score} without a response strategy"),
        (Rag.AMBER, th.risk_amber_score <= top < th.risk_red_score,
         f"an open threat scores {top} >= {th.risk_amber_score}"),
        (Rag.AMBER, late > 0, f"{counted(late, 'risk review')} overdue"),
    ]  # fmt: skip
    return _worst(
        "risk", figs, checks, f"{counted(f.get('open_threats') or 0, 'open threat')}, highest score {top}"
    )


def procurement(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: records (requests + orders + invoices), held_invoices, oldest_hold_days, late_orders,
    max_late_days, over_budget_requests (pending)."""
    figs = dict(f)
    if not f.get("records"):
        return _grey("procurement", "no purchase requests, orders or invoices", figs)
    held, hold_age = int(f.get("held_invoices") or 0), int(f.get("oldest_hold_days") or 0)
    late, late_days = int(f.get("late_orders") or 0), int(f.get("max_late_days") or 0)
    over = int(f.get("over_budget_requests") or 0)
    d = th.procurement_red_days
    checks = [
        (Rag.RED, held > 0 and hold_age > d, f"an invoice held for {hold_age} days > {d}"),
        (Rag.RED, late > 0 and late_days > d, f"an order {late_days} days late > {d}"),
        (Rag.AMBER, held > 0, f"{counted(held, 'invoice')} held"),
        (Rag.AMBER, late > 0, f"{counted(late, 'order')} past expected delivery"),
        (Rag.AMBER, over > 0, f"{counted(over, 'over-budget request')} waiting"),
    ]
    return _worst("procurement", figs, checks, "no invoice held, no order late")


def quality(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: records (defects + metrics + deliverables), open_critical, open_major, metrics_measured,
    metrics_off_target, gates_overridden."""
    figs = dict(f)
    if not f.get("records"):
        return _grey("quality", "no defects, quality metrics or deliverables recorded", figs)
    crit, major = int(f.get("open_critical") or 0), int(f.get("open_major") or 0)
    measured, off = int(f.get("metrics_measured") or 0), int(f.get("metrics_off_target") or 0)
    share = off / measured if measured else 0.0
    checks = [
        (Rag.RED, crit > 0, counted(crit, 'open critical defect')),
        (Rag.RED, measured > 0 and share >= th.quality_red_share,
         f"{off} of {measured} metrics off target (>= {th.quality_red_share:.0%})"),
        (Rag.AMBER, major > 0, counted(major, 'open major defect')),
        (Rag.AMBER, off > 0 and share < th.quality_red_share, f"{off} of {measured} metrics off target"),
        (Rag.AMBER, int(f.get("gates_overridden") or 0) > 0, "a phase gate was closed over failed criteria"),
    ]  # fmt: skip
    return _worst("quality", figs, checks, "no open critical or major defect, metrics on target")


def communications(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: plan_entries, overdue_plan_items, concerns, concerns_past_ack."""
    figs = dict(f)
    if not f.get("plan_entries") and not f.get("concerns"):
        return _grey("communications", "no communication plan and no concerns", figs)
    late_ack, overdue = int(f.get("concerns_past_ack") or 0), int(f.get("overdue_plan_items") or 0)
    checks = [
        (Rag.RED, late_ack > 0, f"{counted(late_ack, 'concern')} past the acknowledgement deadline"),
        (Rag.AMBER, overdue > 0, f"{counted(overdue, 'communication plan item')} overdue"),
    ]
    return _worst("communications", figs, checks, "plan items on time, concerns acknowledged in time")


def scope(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: change_requests (ever), open, oldest_open_days, approved_in_period."""
    figs = dict(f)
    if not f.get("change_requests"):
        return _grey("scope", "no change requests recorded", figs)
    n, age, approved = (
        int(f.get("open") or 0),
        int(f.get("oldest_open_days") or 0),
        int(f.get("approved_in_period") or 0),
    )
    checks = [
        (Rag.RED, n >= th.scope_open_red, f"{n} open change requests >= {th.scope_open_red}"),
        (Rag.RED, n > 0 and age > th.scope_age_red_days,
         f"a change request open {age} days > {th.scope_age_red_days}"),
        (Rag.AMBER, n > 0 and th.scope_age_amber_days < age <= th.scope_age_red_days,
         f"a change request open {age} days > {th.scope_age_amber_days}"),
        (Rag.AMBER, approved > 0, f"{counted(approved, 'change')} approved in the period"),
    ]  # fmt: skip
    return _worst(
        "scope",
        figs,
        checks,
        f"{counted(n, 'open change request')}, none older than {th.scope_age_amber_days} days",
    )


def technology(f: Mapping[str, Any], th: Thresholds) -> AreaStatus:
    """f: components, past_eol, eol_soon, open_urgent_updates (high/critical), critical_overdue,
    updates_overdue."""
    figs = dict(f)
    if not f.get("components"):
        return _grey("technology", "the technology inventory is empty", figs)
    g = {k: int(f.get(k) or 0) for k in ("past_eol", "eol_soon", "open_urgent_updates", "critical_overdue",
                                         "updates_overdue")}  # fmt: skip
    checks = [
        (Rag.RED, g["past_eol"] > 0, f"{counted(g['past_eol'], 'component')} past end of life"),
        (Rag.RED, g["critical_overdue"] > 0, f"{counted(g['critical_overdue'], 'critical update')} past due"),
        (Rag.AMBER, g["eol_soon"] > 0, f"{counted(g['eol_soon'], 'component reaches', 'components reach')} end of life within {th.eol_warning_days} days"),
        (Rag.AMBER, g["open_urgent_updates"] > 0, counted(g['open_urgent_updates'], 'open high/critical update')),
        (Rag.AMBER, g["updates_overdue"] > 0, f"{counted(g['updates_overdue'], 'update')} past due"),
    ]  # fmt: skip
    return _worst("technology", figs, checks, "nothing past or near end of life, no urgent update open")


RULES: dict[str, Callable[[Mapping[str, Any], Thresholds], AreaStatus]] = {
    "budget": budget, "schedule": schedule, "team": team, "conflict": conflict, "risk": risk,
    "procurement": procurement, "quality": quality, "communications": communications, "scope": scope,
    "technology": technology,
}  # fmt: skip


def describe(th: Thresholds) -> dict[str, str]:
    """Each area's rule in words, with these thresholds (the legend of the portfolio and the report pages)."""
    return {
        "budget": f"red: CPI below {th.cpi_red:.2f}; amber: CPI below {th.cpi_amber:.2f}; "
                  "grey: no approved budget or nothing earned or spent yet",
        "schedule": f"red: SPI below {th.spi_red:.2f}, or the finish or a milestone more than {th.slip_red_days} "
                    f"days after the baseline; amber: SPI below {th.spi_amber:.2f}, or any later than the "
                    "baseline; grey: no baseline and no planned value",
        "team": f"red: {th.overload_red_days}+ person-days over capacity in the period; amber: "
                f"{th.overload_amber_days}+, or timesheet entries waiting more than {th.timesheet_pending_days} "
                "days; grey: nobody assigned",
        "conflict": "red: an open critical conflict or one at the Sponsor; amber: an open high one, one at the PM "
                    "or one past its escalation time; grey: the log is empty",
        "risk": f"red: an open threat scoring {th.risk_red_score}+, or {th.risk_amber_score}+ without a response "
                f"strategy; amber: one scoring {th.risk_amber_score}+ or a review past due; grey: the register "
                "is empty",
        "procurement": f"red: an invoice held or an order late more than {th.procurement_red_days} days; amber: "
                       "any held invoice, late order or over-budget request waiting; grey: no records",
        "quality": f"red: an open critical defect or {th.quality_red_share:.0%} of the measured metrics off "
                   "target; amber: an open major defect, a metric off target or a gate closed over failed "
                   "criteria; grey: nothing recorded",
        "communications": "red: a concern past its acknowledgement deadline; amber: a communication-plan item "
                          "overdue; grey: no plan and no concerns",
        "scope": f"red: {th.scope_open_red}+ open change requests or one open more than {th.scope_age_red_days} "
                 f"days; amber: one open more than {th.scope_age_amber_days} days or a change approved in the "
                 "period; grey: none recorded",
        "technology": "red: a component past end of life or a critical update past due; amber: end of life "
                      f"within {th.eol_warning_days} days, an open high/critical update or any update past due; "
                      "grey: the inventory is empty",
    }  # fmt: skip


def rate(facts: Mapping[str, Mapping[str, Any]], th: Thresholds) -> list[AreaStatus]:
    """The ten areas in their fixed order; an area with no facts at all is grey."""
    return [RULES[a](facts.get(a) or {}, th) for a in AREAS]


def overall(statuses: list[AreaStatus]) -> Rag:
    """The worst colour of the areas that have data; grey when none has."""
    rags = {s.rag for s in statuses}
    for colour in (Rag.RED, Rag.AMBER, Rag.GREEN):
        if colour in rags:
            return colour
    return Rag.GREY


def critical_path_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """What changed on the critical path between two snapshots ({task_ids, finish, names}): tasks that joined
    and left it (named as each snapshot knew them) and how the project finish moved."""
    names = {**(after.get("names") or {})}
    if not before:
        return {"previous": None, "joined": [], "left": [], "finish_before": None,
                "finish_after": after.get("finish"), "names": names}  # fmt: skip
    b, a = set(before.get("task_ids") or []), set(after.get("task_ids") or [])
    return {
        "previous": before.get("report_id"),
        "joined": sorted(a - b),
        "left": sorted(b - a),
        "finish_before": before.get("finish"),
        "finish_after": after.get("finish"),
        "names": {**(before.get("names") or {}), **names},
    }
