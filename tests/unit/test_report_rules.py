"""The status report's pure rules: reporting periods, each area's colour at its thresholds (and grey without
data), threshold overrides refused by name, the overall colour and critical-path changes."""

from __future__ import annotations

import datetime as dt

import pytest

from charter.domain import reports as R
from charter.domain.errors import ValidationError

TH = R.Thresholds()


def test_periods() -> None:
    assert R.bounds(R.Period.WEEK, dt.date(2030, 1, 9)) == (dt.date(2030, 1, 7), dt.date(2030, 1, 13))
    assert R.bounds(R.Period.MONTH, dt.date(2028, 2, 10)) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert R.previous(R.Period.WEEK, dt.date(2030, 1, 7)) == (dt.date(2029, 12, 31), dt.date(2030, 1, 6))
    assert R.previous(R.Period.MONTH, dt.date(2030, 1, 7)) == (dt.date(2029, 12, 1), dt.date(2029, 12, 31))
    assert R.label(R.Period.MONTH, dt.date(2030, 1, 1)) == "January 2030"
    assert R.label(R.Period.WEEK, dt.date(2030, 1, 7)).startswith("Week 2 of 2030")
    with pytest.raises(ValidationError) as e:
        R.parse_period("fortnight")
    assert e.value.field == "period"


@pytest.mark.parametrize(
    ("rule", "facts", "rag", "text"),
    [
        (R.budget, {"bac": "100.00", "cpi": 0.97}, "green", "CPI 0.97 >= 0.95"),
        (R.budget, {"bac": "100.00", "cpi": 0.93}, "amber", "CPI 0.93 < 0.95"),
        (R.budget, {"bac": "100.00", "cpi": 0.82}, "red", "red: CPI 0.82 < 0.90"),
        (R.budget, {"bac": "0.00", "cpi": None}, "grey", "no data"),
        (R.schedule, {"spi": 1.0, "finish_slip_days": 0}, "green", "SPI 1.00"),
        (R.schedule, {"spi": None, "finish_slip_days": 3}, "amber", "finish 3 days after baseline"),
        (R.schedule, {"spi": 0.85, "finish_slip_days": 0}, "red", "SPI 0.85 < 0.90"),
        (R.schedule, {"finish_slip_days": 0, "milestones_slipped": 1, "max_milestone_slip_days": 12}, "red",
         "a milestone 12 days late > 10"),
        (R.schedule, {"spi": None, "finish_slip_days": None}, "grey", "no data"),
        (R.team, {"people": 3, "overloaded_days": 0, "stale_timesheets": 0}, "green", "nobody over capacity"),
        (R.team, {"people": 3, "overloaded_days": 2}, "amber", "2 person-days over capacity"),
        (R.team, {"people": 3, "stale_timesheets": 4}, "amber", "4 timesheet entries waiting > 7 days"),
        (R.team, {"people": 3, "overloaded_days": 5}, "red", "5 person-days over capacity >= 5"),
        (R.team, {"people": 0}, "grey", "nobody is assigned"),
        (R.conflict, {"logged": 2, "open": 1}, "green", "1 open"),
        (R.conflict, {"logged": 2, "open": 1, "high": 1}, "amber", "1 open high-severity"),
        (R.conflict, {"logged": 2, "open": 1, "at_sponsor": 1}, "red", "escalated to the Sponsor"),
        (R.conflict, {"logged": 0}, "grey", "conflict log is empty"),
        (R.risk, {"registered": 1, "open_threats": 1, "max_score": 6}, "green", "highest score 6"),
        (R.risk, {"registered": 1, "open_threats": 1, "max_score": 12}, "amber", "scores 12 >= 10"),
        (R.risk, {"registered": 1, "open_threats": 1, "max_score": 12, "unanswered_high": 1}, "red",
         "without a response strategy"),
        (R.risk, {"registered": 1, "max_score": 20}, "red", "scores 20 >= 20"),
        (R.procurement, {"records": 2}, "green", "no invoice held"),
        (R.procurement, {"records": 2, "held_invoices": 1, "oldest_hold_days": 3}, "amber", "1 invoice held"),
        (R.procurement, {"records": 2, "late_orders": 1, "max_late_days": 20}, "red", "20 days late > 14"),
        (R.quality, {"records": 2, "open_critical": 0}, "green", "no open critical"),
        (R.quality, {"records": 2, "open_major": 1}, "amber", "1 open major"),
        (R.quality, {"records": 2, "metrics_measured": 2, "metrics_off_target": 1}, "red", "1 of 2 metrics"),
        (R.communications, {"plan_entries": 1}, "green", "plan items on time"),
        (R.communications, {"plan_entries": 1, "overdue_plan_items": 1}, "amber", "1 communication plan"),
        (R.communications, {"concerns": 1, "concerns_past_ack": 1}, "red", "past the acknowledgement"),
        (R.scope, {"change_requests": 1, "open": 1, "oldest_open_days": 3}, "green", "1 open change"),
        (R.scope, {"change_requests": 1, "open": 1, "oldest_open_days": 20}, "amber", "open 20 days > 14"),
        (R.scope, {"change_requests": 5, "open": 5, "oldest_open_days": 1}, "red", "5 open change requests >= 5"),
        (R.technology, {"components": 1}, "green", "nothing past"),
        (R.technology, {"components": 1, "eol_soon": 1}, "amber", "within 90 days"),
        (R.technology, {"components": 1, "past_eol": 1}, "red", "past end of life"),
        (R.technology, {}, "grey", "inventory is empty"),
    ],
)  # fmt: skip
def test_each_rule(rule: object, facts: dict[str, object], rag: str, text: str) -> None:
    out = rule(facts, TH)  # type: ignore[operator]
    assert out.rag.value == rag, out.rule
    assert text in out.rule
    assert out.rule.startswith("no data" if rag == "grey" else rag)
    assert out.figures == facts  # the figures behind the colour are shown with it


def test_every_reason_is_kept_with_its_colour_and_the_area_takes_the_worst() -> None:
    out = R.quality({"records": 3, "open_critical": 1, "open_major": 2}, TH)
    assert out.rag is R.Rag.RED
    assert out.reasons == ((R.Rag.RED, "1 open critical defect"), (R.Rag.AMBER, "2 open major defects"))
    assert out.rule == "red: 1 open critical defect; amber: 2 open major defects"
    assert out.as_dict()["reasons"] == [{"rag": "red", "text": "1 open critical defect"},
                                        {"rag": "amber", "text": "2 open major defects"}]  # fmt: skip
    team = R.team({"people": 2, "overloaded_days": 6, "stale_timesheets": 1}, TH)
    assert [rag.value for rag, _ in team.reasons] == ["red", "amber"] and "timesheet" in team.rule
    # a red reason is not repeated as an amber one
    off = R.quality({"records": 2, "metrics_measured": 2, "metrics_off_target": 1}, TH)
    assert off.reasons == ((R.Rag.RED, "1 of 2 metrics off target (>= 50%)"),)
    assert R.quality({"records": 1}, TH).reasons == () and R.quality({}, TH).as_dict()["reasons"] == []


def test_overrides_change_the_colour_and_are_checked_by_name() -> None:
    strict = R.Thresholds.with_overrides({"cpi_amber": 0.99, "cpi_red": 0.98})
    assert R.budget({"bac": "1", "cpi": 0.97}, strict).rag is R.Rag.RED
    assert R.Thresholds.with_overrides({}) == R.Thresholds()
    for bad, field in (({"cpi_redd": 1}, "cpi_redd"), ({"cpi_red": "x"}, "cpi_red"), ({"cpi_red": 0.99}, "cpi_red"),
                       ({"overload_red_days": 1.5}, "overload_red_days"), ({"risk_amber_score": 30}, "risk_amber_score")):  # fmt: skip
        with pytest.raises(ValidationError) as e:
            R.Thresholds.with_overrides(bad)
        assert e.value.field == field


def test_overall_and_rate() -> None:
    areas = R.rate({"risk": {"registered": 1, "max_score": 12}, "team": {"people": 1}}, TH)
    assert [a.area for a in areas] == list(R.AREAS)
    assert R.overall(areas) is R.Rag.AMBER
    assert R.overall(R.rate({}, TH)) is R.Rag.GREY


def test_critical_path_changes() -> None:
    before = {
        "task_ids": [1, 2],
        "finish": "2030-01-10T18:00:00",
        "report_id": 4,
        "names": {"1": "A", "2": "B"},
    }
    after = {"task_ids": [2, 3], "finish": "2030-01-14T18:00:00", "names": {"2": "B", "3": "C"}}
    out = R.critical_path_changes(before, after)
    assert out == {"previous": 4, "joined": [3], "left": [1], "finish_before": "2030-01-10T18:00:00",
                   "finish_after": "2030-01-14T18:00:00", "names": {"1": "A", "2": "B", "3": "C"}}  # fmt: skip
    assert R.critical_path_changes(None, after)["previous"] is None


def test_the_rule_legend_names_every_area_with_the_projects_thresholds() -> None:
    default = R.describe(R.Thresholds())
    assert list(default) == list(R.AREAS)
    assert "CPI below 0.90" in default["budget"] and "scoring 20+" in default["risk"]
    own = R.describe(R.Thresholds.with_overrides({"risk_amber_score": 12, "cpi_red": 0.8}))
    assert "12+" in own["risk"] and "CPI below 0.80" in own["budget"]
