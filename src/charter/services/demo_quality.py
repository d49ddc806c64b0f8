"""The demo's quality history: events merged into the demo's timeline (see `demo.Event`).

What it leaves behind in CRM: a quality plan with its standards, phase criteria and four metrics measured
week by week; six deliverables (accepted, in review after a rejection, rejected, not yet due); the
requirements sign-off review, the data-protection review and the mapping-tables walkthrough with their
findings; defects from reviews, de-duplication and two ETL trial loads in every state of the workflow; the
planning gate passed on day -60; three change requests (approved and applied, rejected, open before the
change board with one vote each way); lessons learned so far; two published weekly status reports and this
week's draft.

People work on working days: an event given a nominal day happens on that day or, when it falls on a
weekend, on the Monday after (`_workday`); weekly routines happen on the Friday of their week (`_friday`).
Each of these is a small family of events of which exactly one acts, so the timeline stays in time order
on any date. Events that build on each other are at least three nominal days apart (or in one event), so
their order never changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from charter.domain.roles import PM, TASK_LEADER
from charter.services import change, closure, quality, reports, scheduling, tasks
from charter.services.demo import DemoContext, Event

Step = Callable[[DemoContext, int], None]  # (context, the day it really happens)


def _workday(day: int, hour: int, minute: int, what: str, run: Step) -> list[Event]:
    """`run` on `day`, or on the first working day after it when `day` falls on a weekend."""

    def on(k: int) -> Callable[[DemoContext], None]:
        def fire(ctx: DemoContext) -> None:
            if ctx.day(day + k).weekday() < 5 and all(ctx.day(day + j).weekday() >= 5 for j in range(k)):
                run(ctx, day + k)

        return fire

    return [Event(day + k, hour, minute, what, on(k)) for k in range(3)]


def _friday(first: int, hour: int, minute: int, what: str, run: Step) -> list[Event]:
    """`run` on the one Friday among the seven days from `first`."""

    def on(d: int) -> Callable[[DemoContext], None]:
        def fire(ctx: DemoContext) -> None:
            if ctx.day(d).weekday() == 4:
                run(ctx, d)

        return fire

    return [Event(d, hour, minute, what, on(d)) for d in range(first, first + 7)]


def _weeks_ago(k: int) -> int:
    """The first day of the seven-day window holding the Friday of the week `k` weeks before this one."""
    return -7 * k - 2


def _task(ctx: DemoContext, name: str) -> int:
    return ctx.tasks[name]


def _x(ctx: DemoContext, key: str) -> int:
    value = ctx.extra[f"quality.{key}"]
    assert isinstance(value, int)
    return value


def _keep(ctx: DemoContext, key: str, value: int) -> None:
    ctx.extra[f"quality.{key}"] = value


def _defect(ctx: DemoContext, who: str, key: str) -> dict[str, Any]:
    for d in quality.list_defects(ctx.s, ctx.actor(who), ctx.crm):
        if d["id"] == _x(ctx, key):
            return d
    raise LookupError(key)


def _move(ctx: DemoContext, who: str, key: str, *statuses: str, **changes: Any) -> None:
    """Move defect `key` through `statuses` one step at a time (after applying `changes`, if any)."""
    if changes:
        d = _defect(ctx, who, key)
        quality.update_defect(ctx.s, ctx.actor(who), ctx.crm, d["id"], d["version"], **changes)
    for status in statuses:
        d = _defect(ctx, who, key)
        quality.update_defect(ctx.s, ctx.actor(who), ctx.crm, d["id"], d["version"], status=status)


def _cr_id(ctx: DemoContext, key: str) -> int:
    return _x(ctx, f"cr.{key}")


# --------------------------------------------------------------------------------------------- the plan

QUALITY_STANDARDS = [
    "ISO 9001:2015 clause 8.3 (design and development) for requirements and sign-offs",
    "GDPR (EU 2016/679) art. 5 and 17: storage limitation and erasure before migration",
    "Data-quality standard DQ-03: completeness, uniqueness, validity of customer master data",
    "Test levels as in the IT test policy: component, trial load, dress rehearsal, user acceptance",
]

QUALITY_NOTES = """\
How quality is assured in the CRM migration

- Every deliverable has one named acceptor from the business; nothing counts as done before they accept.
- Requirements and mapping tables are reviewed against a checklist and signed off by each reviewer.
- Each ETL trial load is reconciled record by record against the legacy extract; every mismatch that is
  not explained becomes a defect.
- Metrics are measured every Friday by the Task Leader responsible and discussed in Monday's stand-up.
- A phase closes only when its gate passes: no open critical defects, the phase's deliverables accepted,
  metrics on target, reviews signed off.
"""

PHASE_CRITERIA = {
    "planning": (
        "Charter approved, Sponsor named, WBS and schedule baselined.",
        "- Requirements specification accepted by the Sponsor\n- Data-quality report accepted by Sales "
        "operations\n- Requirements sign-off review signed off by every reviewer\n- At least 95 % of "
        "requirements have testable acceptance criteria",
    ),
    "execution": (
        "Planning gate passed; ETL environment and SaaS sandbox available.",
        "- Duplicate accounts below 0.5 %\n- Reconciliation of the last dress rehearsal at least 99.5 %\n"
        "- No open critical defects; at most 2 defects per 10,000 migrated records\n- Cut-over runbook "
        "accepted; training needs analysis accepted",
    ),
    "closing": (
        "CRM live and four weeks of hypercare completed.",
        "- Legacy CRM switched off, licences ended\n- All deliverables accepted\n- Lessons learned recorded",
    ),
}

REQUIREMENTS_CHECKLIST = [
    "Every requirement has an ID, an owner and a priority (MoSCoW)",
    "Every Must requirement has testable acceptance criteria",
    "Fit-gap decision recorded (standard, configure, extend) for each requirement",
    "Non-functional requirements cover response time, availability and data retention",
    "Sales and Customer Service processes traced to requirements end to end",
]

MIGRATION_CHECKLIST = [
    "Every legacy field is mapped, derived or explicitly dropped (with the reason)",
    "Picklist values mapped one to one; unmapped values listed",
    "Ownership and visibility rules of migrated records agreed",
    "Reconciliation rule defined for each object (counts, sums, sampled records)",
]


def _plan(ctx: DemoContext, d: int) -> None:
    """Marco writes the quality plan: standards, phase criteria, checklists, metrics, deliverables."""
    s, pid = ctx.s, ctx.crm
    marco = ctx.actor("marco.rossi")
    leader = ctx.roles[TASK_LEADER]
    quality.set_plan(s, marco, pid, standards=QUALITY_STANDARDS, responsible_role_id=ctx.roles[PM],
                     notes=QUALITY_NOTES, concern_ack_days=3)  # fmt: skip
    for phase, (entry, exit_) in PHASE_CRITERIA.items():
        quality.update_phase(s, marco, pid, phase, entry_criteria=entry, exit_criteria=exit_)
    ctx.at(d, 11, 0)
    req = quality.create_template(s, marco, name="Requirements review", items=REQUIREMENTS_CHECKLIST)
    _keep(ctx, "template.requirements", req["id"])
    mapping = quality.create_template(
        s, marco, name="Data migration mapping review", items=MIGRATION_CHECKLIST
    )
    _keep(ctx, "template.mapping", mapping["id"])
    ctx.at(d, 14, 0)
    for key, name, unit, direction, target, phase in (
        ("criteria", "Requirements with testable acceptance criteria", "%", "at_least", 95, "planning"),
        ("duplicates", "Duplicate accounts among active accounts", "%", "at_most", 0.5, "execution"),
        ("reconciliation", "Records reconciled in the latest ETL load", "%", "at_least", 99.5, "execution"),
        ("density", "Defects per 10,000 migrated records", "defects", "at_most", 2, "execution"),
    ):
        m = quality.create_metric(s, marco, pid, name=name, direction=direction, target=target, unit=unit,
                                  phase=phase, responsible_role_id=leader)  # fmt: skip
        _keep(ctx, f"metric.{key}", m["id"])
    ctx.at(d, 15, 30)
    for key, wp, phase, acceptor, name, criteria, description in DELIVERABLES:
        x = quality.create_deliverable(
            s, marco, pid, work_package_id=ctx.wp[wp], name=name, acceptor_id=ctx.user_id(acceptor),
            acceptance_criteria=criteria, description=description, phase=phase,
        )  # fmt: skip
        _keep(ctx, f"deliverable.{key}", x["id"])


DELIVERABLES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "requirements", "1", "planning", "robert.lindqvist",
        "Requirements specification (lead-to-order and case management)",
        "- All Must requirements have acceptance criteria\n- Fit-gap decision for every requirement\n"
        "- Signed off in the requirements review",
        "About 180 requirements from the process workshops, with the fit-gap against the SaaS CRM.",
    ),
    (
        "dq_report", "2.1", "planning", "emily.carter", "Data-quality report of the legacy CRM",
        "Duplicates, incomplete addresses and dead records counted per object; cleansing rules proposed.",
        "Profile of accounts, contacts, opportunities, cases and activities in the legacy CRM.",
    ),
    (
        "mapping", "2.2", "execution", "emily.carter", "Mapping tables legacy → SaaS",
        "- Every legacy field mapped, derived or dropped with a reason\n- Every picklist value mapped\n"
        "- Walkthrough signed off by Sales and Customer Service",
        "Field and picklist mappings for accounts, contacts, opportunities, cases and activities.",
    ),
    (
        "erp_spec", "3.1", "execution", "thomas.brennan", "ERP interface specification",
        "Customers, products, price lists and orders; error handling and retries; agreed with Finance.",
        "REST interface between the SaaS CRM and the ERP, message by message.",
    ),
    (
        "training_needs", "4.1", "execution", "aisha.karimi", "Training needs analysis",
        "Every role and shift of Sales and Customer Service covered, with the courses each needs.",
        "Who needs which course, how long, and when, for the 140 users.",
    ),
    (
        "runbook", "4.2", "execution", "robert.lindqvist", "Cut-over and rollback runbook",
        "Hour-by-hour plan of the go-live weekend with go/no-go points and a tested rollback.",
        "The go-live weekend step by step, with owners and the rollback path.",
    ),
)  # fmt: skip


def _measure(ctx: DemoContext, who: str, key: str, value: float, note: str = "") -> None:
    quality.record_measurement(
        ctx.s, ctx.actor(who), ctx.crm, _x(ctx, f"metric.{key}"), value=value, note=note
    )


# --------------------------------------------------------------------------------------------- discovery


def _dq_report_accepted(ctx: DemoContext, d: int) -> None:
    quality.accept_deliverable(
        ctx.s, ctx.actor("emily.carter"), ctx.crm, _x(ctx, "deliverable.dq_report"),
        comment="Accepted. 8.4 % duplicate accounts among 46,210 active accounts, 11 % of addresses "
        "incomplete; the proposed cleansing rules are agreed with Sales operations.",
    )  # fmt: skip


def _criteria(value: float, note: str) -> Step:
    def run(ctx: DemoContext, d: int) -> None:
        _measure(ctx, "chloe.martin", "criteria", value, note)

    return run


def _requirements_review(ctx: DemoContext, d: int) -> None:
    """Marco opens the requirements sign-off review: Sponsor, Head of Customer Service, Sales operations."""
    r = quality.create_review(
        ctx.s, ctx.actor("marco.rossi"), ctx.crm, title="Requirements sign-off review", kind="review",
        reviewer_ids=[ctx.user_id(u) for u in ("robert.lindqvist", "aisha.karimi", "emily.carter")],
        template_id=_x(ctx, "template.requirements"), deliverable_id=_x(ctx, "deliverable.requirements"),
        phase="planning",
    )  # fmt: skip
    _keep(ctx, "review.requirements", r["id"])


def _requirements_findings(ctx: DemoContext, d: int) -> None:
    s, pid, rid = ctx.s, ctx.crm, _x(ctx, "review.requirements")
    quality.add_finding(s, ctx.actor("aisha.karimi"), pid, rid, severity="major", text=(
        "Escalation of cases for key accounts (CS-REQ-041 to 044) is not described: who is alerted, after "
        "how long, and what the account manager sees."))  # fmt: skip
    ctx.at(d, 11, 20)
    r = quality.add_finding(s, ctx.actor("emily.carter"), pid, rid, severity="minor", raise_defect=True, text=(
        "Quote approval thresholds in SAL-REQ-112 (15 % discount) differ from the Sales pricing policy v3 "
        "(12 %)."))  # fmt: skip
    _keep(ctx, "defect.thresholds", r["findings"][-1]["defect_id"])
    ctx.at(d, 14, 5)
    quality.add_finding(s, ctx.actor("robert.lindqvist"), pid, rid, severity="trivial", text=(
        "'Customer' and 'account' are used for the same thing; use 'account' throughout, as the SaaS CRM "
        "does."))  # fmt: skip
    ctx.at(d, 16, 0)
    _move(
        ctx, "marco.rossi", "defect.thresholds", "triaged", owner_id=ctx.user_id("chloe.martin"), priority=2
    )


def _requirements_signed_off(ctx: DemoContext, d: int) -> None:
    """Chloé fixes the thresholds, Marco verifies; the three reviewers sign off; the Sponsor accepts."""
    s, pid, rid = ctx.s, ctx.crm, _x(ctx, "review.requirements")
    _move(ctx, "chloe.martin", "defect.thresholds", "in_progress", "resolved")
    ctx.at(d, 9, 30)
    _move(ctx, "marco.rossi", "defect.thresholds", "verified", "closed")
    every = {str(i): "pass" for i in range(len(REQUIREMENTS_CHECKLIST))}
    for at, who in ((10, "aisha.karimi"), (11, "emily.carter"), (14, "robert.lindqvist")):
        ctx.at(d, at, 0)
        quality.sign_off(s, ctx.actor(who), pid, rid, results=every)
    ctx.at(d, 16, 0)
    quality.accept_deliverable(s, ctx.actor("robert.lindqvist"), pid, _x(ctx, "deliverable.requirements"),
                               comment="Accepted as reviewed; key-account escalation added as "
                               "CS-REQ-045.")  # fmt: skip


def _planning_gate(ctx: DemoContext) -> None:
    """Day -60 08:30: Marco closes the planning phase (its gate passes) and CRM enters execution."""
    facts = quality.gate(ctx.s, ctx.actor("marco.rossi"), ctx.crm, "planning")
    if not facts["passed"]:
        raise AssertionError(f"the demo's planning gate fails: {facts['failed']}")
    quality.close_phase(ctx.s, ctx.actor("marco.rossi"), ctx.crm)


# --------------------------------------------------------------------------------------------- execution


def _erp_spec_accepted(ctx: DemoContext, d: int) -> None:
    quality.accept_deliverable(
        ctx.s, ctx.actor("thomas.brennan"), ctx.crm, _x(ctx, "deliverable.erp_spec"),
        comment="Accepted. Credit limits stay mastered in the ERP; price lists sync nightly as agreed.",
    )  # fmt: skip


def _data_protection_review(ctx: DemoContext, d: int) -> None:
    r = quality.create_review(
        ctx.s, ctx.actor("marco.rossi"), ctx.crm, title="Data-protection review of the migration design",
        kind="inspection", reviewer_ids=[ctx.user_id("samuel.osei")], phase="execution",
        items=["Personal data fields classified", "Retention period defined for each object",
               "Erasure requests honoured in the migrated data", "Access to the ETL staging area restricted"],
    )  # fmt: skip
    _keep(ctx, "review.protection", r["id"])


def _data_protection_findings(ctx: DemoContext, d: int) -> None:
    """Samuel finds leads with no lawful basis, signs the review off with one failed item, and asks for the
    retention work as a change request."""
    s, pid = ctx.s, ctx.crm
    samuel = ctx.actor("samuel.osei")
    quality.add_finding(s, samuel, pid, _x(ctx, "review.protection"), severity="major", text=(
        "About 9,400 leads and contacts inactive for more than seven years have no lawful basis for "
        "retention; they must be erased or anonymised before migration (GDPR art. 5(1)(e))."))  # fmt: skip
    ctx.at(d, 15, 0)
    quality.sign_off(s, samuel, pid, _x(ctx, "review.protection"),
                     results={"0": "pass", "1": "fail", "2": "pass", "3": "pass"})  # fmt: skip
    ctx.at(d, 16, 10)
    cr = change.create_change_request(
        s, samuel, pid, title="Apply GDPR data-retention rules during data cleansing",
        description=CR1_DESCRIPTION, reason="Finding of the data-protection review; GDPR art. 5(1)(e).",
        areas=["scope", "schedule", "quality"],
        changes=[
            {"op": "add_task", "name": "Apply GDPR retention rules (erase or anonymise expired records)",
             "work_package_id": ctx.wp["2.1"], "duration": "6d",
             "predecessors": [_task(ctx, "Data inventory and quality report")]},
            {"op": "task_duration", "task_id": _task(ctx, "De-duplicate accounts and contacts"),
             "duration": "18d"},
        ],
    )  # fmt: skip
    _keep(ctx, "cr.gdpr", cr["id"])
    _keep(ctx, "number.gdpr", cr["number"])


CR1_DESCRIPTION = """\
The legacy CRM keeps every lead and contact since 2009. Records with no activity, order or open case for
more than seven years have no lawful basis for retention and must not be migrated.

- New task in Data cleansing: apply the retention rules (erase, or anonymise where the record is needed
  for order history), 6 days
- De-duplicate accounts and contacts takes 3 days longer: anonymised records are matched again
"""


def _cr_gdpr_decided(ctx: DemoContext, d: int) -> None:
    """Marco previews the retention change (it stays within the float) and approves it: a new baseline."""
    s, pid = ctx.s, ctx.crm
    marco = ctx.actor("marco.rossi")
    change.preview(s, marco, pid, _cr_id(ctx, "gdpr"))
    ctx.at(d, 15, 0)
    change.decide(s, marco, pid, _cr_id(ctx, "gdpr"), approve=True,
                  reason="Required by law; the extra work stays within the float of Data cleansing.")  # fmt: skip
    sched = scheduling.get_schedule(s, marco, pid)["tasks"]
    new = next(t for t in sched if t["name"].startswith("Apply GDPR retention rules"))
    _keep(ctx, "task.gdpr", new["id"])
    _keep(ctx, "cr.gdpr.approved_on", d)
    tasks.set_assignees(s, marco, pid, new["id"], [ctx.user_id("ravi.patel")])


def _mapping_rejected(ctx: DemoContext, d: int) -> None:
    quality.reject_deliverable(
        ctx.s, ctx.actor("emily.carter"), ctx.crm, _x(ctx, "deliverable.mapping"),
        reason="The opportunity stage 'Verbal commit' has no target stage, and 14 Customer Service case "
        "categories are all mapped to 'Other'. Customer Service has not seen the tables yet.",
    )  # fmt: skip


def _gdpr_done(ctx: DemoContext, d: int) -> None:
    """Ravi records the retention work as done (started the day after the change was approved)."""
    s, pid = ctx.s, ctx.crm
    ravi = ctx.actor("ravi.patel")
    t = tasks.get_task(s, ravi, pid, _x(ctx, "task.gdpr"))
    first = _x(ctx, "cr.gdpr.approved_on") + 1
    while ctx.day(first).weekday() >= 5:
        first += 1
    start = datetime.combine(ctx.day(first), time(9, 0))
    tasks.update_task(s, ravi, pid, t["id"], t["version"], percent_complete=100, actual_start=start,
                      actual_finish=datetime.combine(ctx.day(d), time(17, 0)))  # fmt: skip


def _lessons_marco(ctx: DemoContext, d: int) -> None:
    """Before handing CRM over, Marco writes down what he learned so far."""
    for n, (title, category, body) in enumerate(LESSONS_MARCO):
        ctx.at(d, 14, 20 * n)
        text = body.format(gdpr=_x(ctx, "number.gdpr"))
        closure.add_lesson(
            ctx.s, ctx.actor("marco.rossi"), ctx.crm, title=title, body=text, category=category
        )


LESSONS_MARCO = (
    (
        "Profile the legacy data before estimating the cleansing",
        "Data migration",
        "The business case assumed 3 % duplicate accounts; the data inventory found 8.4 %. The "
        "de-duplication estimate had been made before the profile. Next time: run the data profile in the "
        "first two weeks and estimate the cleansing from it.",
    ),
    (
        "Agree data-protection rules before the cleansing starts",
        "Compliance",
        "The retention rules came out of the data-protection review only after de-duplication had started "
        "(CR-{gdpr}). Bring the Security Officer into the data inventory, not after it.",
    ),
    (
        "Book the reviewers' time before a sign-off review starts",
        "Quality",
        "The requirements sign-off review took a week instead of two days: the Sponsor and the Head of "
        "Customer Service had no time blocked for it. Put the review in their calendars when the review is "
        "planned.",
    ),
)


def _cr_archives_raised(ctx: DemoContext, d: int) -> None:
    cr = change.create_change_request(
        ctx.s, ctx.actor("sofia.alvarez"), ctx.crm, title="Migrate e-mail archives older than 7 years",
        description=CR2_DESCRIPTION, reason="Key-account managers need the full history of strategic accounts.",
        areas=["scope", "schedule"],
        changes=[
            {"op": "add_task", "name": "Convert e-mail archives older than 7 years (strategic accounts)",
             "work_package_id": ctx.wp["2.2"], "duration": "8d",
             "predecessors": [_task(ctx, "Mapping tables legacy → SaaS")]},
            {"op": "task_duration", "task_id": _task(ctx, "ETL scripts"), "duration": "28d"},
        ],
    )  # fmt: skip
    _keep(ctx, "cr.archives", cr["id"])
    _keep(ctx, "number.archives", cr["number"])


CR2_DESCRIPTION = """\
Migrate the e-mail archives attached to legacy records older than seven years for the 40 strategic
accounts of the DACH and Nordics regions, so that account managers keep the whole history in one place.

The ETL scripts would have to extract and convert about 1.2 million archived messages (PST-style blobs).
"""


def _cr_archives_previewed(ctx: DemoContext, d: int) -> None:
    change.preview(ctx.s, ctx.actor("priya.nair"), ctx.crm, _cr_id(ctx, "archives"))


def _cr_archives_rejected(ctx: DemoContext, d: int) -> None:
    """Priya rejects the archive migration: out of scope, and it delays go-live (by what the preview said)."""
    s, pid = ctx.s, ctx.crm
    priya = ctx.actor("priya.nair")
    finish = change.get_change_request(s, priya, pid, _cr_id(ctx, "archives"))["preview"]["impact"]["finish"]
    before, after = (datetime.fromisoformat(finish[k]).date() for k in ("before", "after"))
    late = sum(1 for n in range(1, (after - before).days + 1) if (before + timedelta(days=n)).weekday() < 5)
    change.decide(
        s, priya, pid, _cr_id(ctx, "archives"), approve=False,
        reason="Out of scope by the charter (e-mail archives older than 7 years are excluded), and it would "
        f"delay go-live by {late} working days. The archives stay searchable in the read-only legacy export "
        "for 24 months.",
    )  # fmt: skip


def _dedupe_accents(ctx: DemoContext, d: int) -> None:
    s, pid = ctx.s, ctx.crm
    ravi = ctx.actor("ravi.patel")
    x = quality.create_defect(
        s, ravi, pid, title="Duplicate check ignores accents (Müller/Muller, Álvarez/Alvarez)",
        severity="minor", found_in="test", priority=3, task_id=_task(ctx, "De-duplicate accounts and contacts"),
        owner_id=ctx.user_id("ravi.patel"),
        description="The fuzzy match compares raw strings; about 600 account pairs differ only by diacritics.",
    )  # fmt: skip
    _keep(ctx, "defect.accents", x["id"])
    ctx.at(d, 11, 0)
    _move(ctx, "ravi.patel", "defect.accents", "triaged", "in_progress")


def _step(who: str, key: str, *statuses: str, **changes: Any) -> Step:
    def run(ctx: DemoContext, d: int) -> None:
        resolved = {k: ctx.user_id(v) if k == "owner_id" else v for k, v in changes.items()}
        _move(ctx, who, key, *statuses, **resolved)

    return run


def _trial_load_1(ctx: DemoContext, d: int) -> None:
    """Jonas reconciles the first ETL trial load (a 10 % extract) and reports what did not match."""
    s, pid = ctx.s, ctx.crm
    jonas = ctx.actor("jonas.becker")
    etl = _task(ctx, "ETL scripts")
    for key, title, severity, priority, owner, description in (
        ("billing", "Accounts with more than one billing address keep only the first", "major", 2, "jonas.becker",
         "1,870 accounts in the 10 % extract have 2-4 billing addresses; the SaaS account gets only one, "
         "the others are dropped without a warning."),
        ("timestamps", "Activity history before 2016 loads one hour off (DST not converted to UTC)", "major", 2,
         "ravi.patel", "The legacy CRM stored local time before its 2016 upgrade; the ETL treats every "
         "timestamp as UTC."),
    ):  # fmt: skip
        x = quality.create_defect(s, jonas, pid, title=title, severity=severity, found_in="test",
                                  priority=priority, task_id=etl, owner_id=ctx.user_id(owner),
                                  description=description)  # fmt: skip
        _keep(ctx, f"defect.{key}", x["id"])
        _move(ctx, "jonas.becker", f"defect.{key}", "triaged")
        ctx.at(d, 15, 0)


def _trial_load_2(ctx: DemoContext, d: int) -> None:
    """The second trial load (full extract, no attachments): a critical finding in the currencies."""
    s, pid = ctx.s, ctx.crm
    jonas = ctx.actor("jonas.becker")
    etl = _task(ctx, "ETL scripts")
    x = quality.create_defect(
        s, jonas, pid, title="Opportunity amounts in CHF and GBP converted at the load-day rate",
        severity="critical", found_in="test", priority=1, task_id=etl, owner_id=ctx.user_id("jonas.becker"),
        description="Amounts must be converted at the rate of the booking date (as in the ERP). Pipeline "
        "totals of the UK and Swiss regions are off by up to 6 %; forecasts would be wrong from day one.",
    )  # fmt: skip
    _keep(ctx, "defect.currency", x["id"])
    _move(ctx, "jonas.becker", "defect.currency", "triaged", "in_progress")
    ctx.at(d, 14, 30)
    x = quality.create_defect(
        s, jonas, pid, title="Contacts with a blank e-mail are rejected by the SaaS bulk API (1,214 rows)",
        severity="major", found_in="test", priority=2, task_id=etl,
        description="The SaaS bulk API treats e-mail as required for contacts of type 'person'.",
    )  # fmt: skip
    _keep(ctx, "defect.emails", x["id"])
    ctx.at(d, 16, 40)
    x = quality.create_defect(
        s, ctx.actor("emily.carter"), pid, title="Reconciliation report shows counts without thousands separators",
        severity="trivial", found_in="test", priority=5, task_id=etl,
        description="'46210' instead of '46,210'; hard to read in the steering committee pack.",
    )  # fmt: skip
    _keep(ctx, "defect.separators", x["id"])


def _mapping_resubmitted(ctx: DemoContext, d: int) -> None:
    quality.resubmit_deliverable(ctx.s, ctx.actor("jonas.becker"), ctx.crm, _x(ctx, "deliverable.mapping"))


def _mapping_review(ctx: DemoContext, d: int) -> None:
    r = quality.create_review(
        ctx.s, ctx.actor("priya.nair"), ctx.crm, title="Mapping tables v2 walkthrough", kind="inspection",
        reviewer_ids=[ctx.user_id(u) for u in ("emily.carter", "david.nguyen", "chloe.martin")],
        template_id=_x(ctx, "template.mapping"), deliverable_id=_x(ctx, "deliverable.mapping"),
        phase="execution",
    )  # fmt: skip
    _keep(ctx, "review.mapping", r["id"])


def _mapping_findings(ctx: DemoContext, d: int) -> None:
    s, pid, rid = ctx.s, ctx.crm, _x(ctx, "review.mapping")
    r = quality.add_finding(s, ctx.actor("david.nguyen"), pid, rid, severity="major", raise_defect=True, text=(
        "Case priority 'P0 – outage' has no target value; these cases would arrive as "
        "'P3 – normal'."))  # fmt: skip
    _keep(ctx, "defect.p0", r["findings"][-1]["defect_id"])
    ctx.at(d, 11, 45)
    quality.add_finding(s, ctx.actor("emily.carter"), pid, rid, severity="minor", text=(
        "Country is free text in the legacy CRM ('UK', 'Great Britain', 'England'); the SaaS CRM expects ISO "
        "3166 codes. Add a lookup table rather than mapping by hand."))  # fmt: skip
    ctx.at(d, 16, 0)
    quality.sign_off(s, ctx.actor("chloe.martin"), pid, rid,
                     results={"0": "pass", "1": "fail", "2": "pass", "3": "pass"})  # fmt: skip


def _training_needs_rejected(ctx: DemoContext, d: int) -> None:
    quality.reject_deliverable(
        ctx.s, ctx.actor("aisha.karimi"), ctx.crm, _x(ctx, "deliverable.training_needs"),
        reason="The 38 Customer Service agents of the evening shift are missing, and the team leads need the "
        "supervisor course, not the agent course.",
    )  # fmt: skip


def _cr_hypercare_raised(ctx: DemoContext, d: int) -> None:
    cr = change.create_change_request(
        ctx.s, ctx.actor("aisha.karimi"), ctx.crm, title="Extend hypercare from four to six weeks",
        description=CR3_DESCRIPTION, reason="Protect case handling time (success criterion 4) after go-live.",
        areas=["schedule", "budget", "quality"],
        changes=[{"op": "task_duration", "task_id": _task(ctx, "Hypercare"), "duration": "30d"}],
    )  # fmt: skip
    _keep(ctx, "cr.hypercare", cr["id"])
    _keep(ctx, "number.hypercare", cr["number"])


CR3_DESCRIPTION = """\
The first monthly invoice run from the new CRM falls in the fifth week after go-live, the busiest week
of the month for Customer Service: four weeks of hypercare end exactly before case volume doubles.

Extend hypercare to six weeks, with the floor-walkers and the vendor's support desk staying on site.
"""


def _cr_hypercare_board(ctx: DemoContext, d: int) -> None:
    """Priya puts the request before the change board (Sponsor, CFO and herself; two votes decide)."""
    s, pid = ctx.s, ctx.crm
    priya = ctx.actor("priya.nair")
    cr = change.get_change_request(s, priya, pid, _cr_id(ctx, "hypercare"))
    board = [ctx.user_id(u) for u in ("robert.lindqvist", "thomas.brennan", "priya.nair")]
    change.update_change_request(s, priya, pid, cr["id"], cr["version"], approver_ids=board, quorum=2)
    ctx.at(d, 10, 15)
    change.preview(s, priya, pid, cr["id"])


def _cr_hypercare_votes(ctx: DemoContext, d: int) -> None:
    """The Sponsor votes for (after previewing again: the plan may have moved), the CFO against; the PM's
    vote decides."""
    s, pid = ctx.s, ctx.crm
    robert = ctx.actor("robert.lindqvist")
    change.preview(s, robert, pid, _cr_id(ctx, "hypercare"))
    ctx.at(d, 9, 20)
    change.decide(s, robert, pid, _cr_id(ctx, "hypercare"), approve=True,
                  reason="Case handling time is a success criterion; two more weeks cover the first "
                  "invoice run.")  # fmt: skip
    ctx.at(d, 11, 30)
    change.decide(
        ctx.s, ctx.actor("thomas.brennan"), ctx.crm, _cr_id(ctx, "hypercare"), approve=False,
        reason="Two more weeks of the vendor's on-site support cost about EUR 18,000 that are not in the "
        "budget; show first why the floor-walkers alone are not enough.",
    )  # fmt: skip


def _lesson(title: str, category: str, body: str) -> Step:
    def run(ctx: DemoContext, d: int) -> None:
        closure.add_lesson(ctx.s, ctx.actor("priya.nair"), ctx.crm, title=title, body=body, category=category)

    return run


# --------------------------------------------------------------------------------------------- metrics

# weeks ago -> value, for the metrics measured every Friday (by whom: see _weekly)
DUPLICATES = {11: 8.4, 10: 7.9, 9: 7.1, 8: 6.0, 7: 5.2, 6: 4.3, 5: 3.6, 4: 2.9, 3: 2.2, 2: 1.7, 1: 1.3}
RECONCILIATION = {5: 88.4, 4: 91.0, 3: 96.2, 2: 96.9, 1: 97.8}
DENSITY = {4: 6.1, 3: 4.8, 2: 3.9, 1: 2.6}
NOTES = {
    ("duplicates", 11): "Initial profile from the data inventory",
    ("duplicates", 7): "Second matching pass (phonetic names) switched on",
    ("reconciliation", 5): "Component test of the account and contact loads",
    ("reconciliation", 3): "Trial load 1 (10 % extract)",
    ("reconciliation", 2): "Trial load 1 re-run with the billing-address fix",
    ("reconciliation", 1): "Trial load 2 (full extract, no attachments)",
    ("density", 3): "Trial load 1",
    ("density", 1): "Trial load 2",
}


def _weekly(k: int) -> Step:
    def run(ctx: DemoContext, d: int) -> None:
        for key, series, who in (
            ("duplicates", DUPLICATES, "ravi.patel"),
            ("reconciliation", RECONCILIATION, "jonas.becker"),
            ("density", DENSITY, "jonas.becker"),
        ):
            if k in series:
                _measure(ctx, who, key, series[k], NOTES.get((key, k), ""))

    return run


# --------------------------------------------------------------------------------------------- status reports


def _report(k: int, narrative: str) -> Step:
    """Priya writes and publishes the weekly report of the week `k` weeks ago on its Friday afternoon."""

    def run(ctx: DemoContext, d: int) -> None:
        s, pid = ctx.s, ctx.crm
        priya = ctx.actor("priya.nair")
        r = reports.create_draft(s, priya, pid, period="week", day=ctx.day(d))
        ctx.at(d, 16, 15)
        text = narrative.format(**{k: ctx.extra.get(f"quality.number.{k}") for k in ("gdpr", "hypercare")})
        r = reports.update_narrative(s, priya, pid, r["id"], r["version"], text)
        ctx.at(d, 16, 40)
        reports.publish(s, priya, pid, r["id"], r["version"])

    return run


REPORT_2 = """\
**Data migration.** Trial load 1 (10 % extract) reconciled at 96.2 %, 96.9 % in this week's re-run. Two
major defects: accounts with more than one billing address (fixed) and activity timestamps before 2016
(in progress).

**Mapping tables.** Version 2, reworked with Customer Service, is in its walkthrough with Sales, Customer
Service and the business analyst.

**Data cleansing.** Duplicate accounts down to 1.7 % (target 0.5 %); GDPR retention rules applied
(CR-{gdpr}).

**Next week:** trial load 2 with the full extract.
"""

REPORT_1 = """\
**Critical defect.** Trial load 2 showed opportunity amounts in CHF and GBP converted at the load-day rate
instead of the booking-date rate. Jonas is fixing it; dress rehearsal 1 is not started before it is closed.

**Reconciliation** 97.8 % on the full extract (target 99.5 %); **duplicates** 1.3 % (target 0.5 %).

**Team.** The Security Officer has moved to security operations; a successor is not yet named, which leaves
the security review of the integrations without an owner.

**Change control.** Customer Service asks to extend hypercare to six weeks (CR-{hypercare}); it goes to the
change board.
"""

DRAFT = """\
*Draft: notes so far this week.*

- Currency defect: fix in test
- Mapping walkthrough: two reviewers still to sign off
- CR-{hypercare} before the change board: one vote for, one against
"""


def _this_week_draft(when: Callable[[int], bool]) -> Callable[[DemoContext], None]:
    """This week's draft (a draft only the PM sees), started on the last working day so far this week
    (`when`: on which weekdays of today the event's day is that day)."""

    def run(ctx: DemoContext) -> None:
        if not when(ctx.today.weekday()):
            return
        s, pid = ctx.s, ctx.crm
        priya = ctx.actor("priya.nair")
        r = reports.create_draft(s, priya, pid, period="week", day=ctx.today)
        text = DRAFT.format(hypercare=_x(ctx, "number.hypercare"))
        reports.update_narrative(s, priya, pid, r["id"], r["version"], text)

    return run


# --------------------------------------------------------------------------------------------- the timeline


def events() -> list[Event]:
    out: list[Event] = []
    for day, hour, minute, what, run in (
        (-86, 9, 30, "the quality plan, metrics and deliverables", _plan),
        (-77, 15, 0, "data-quality report accepted", _dq_report_accepted),
        (-72, 16, 0, "acceptance criteria measured", _criteria(64, "First count after the workshops")),
        (-70, 10, 0, "requirements sign-off review opened", _requirements_review),
        (-68, 16, 0, "acceptance criteria measured", _criteria(83, "")),
        (-67, 10, 0, "requirements review findings", _requirements_findings),
        (-64, 9, 0, "requirements signed off and accepted", _requirements_signed_off),
        (-63, 16, 0, "acceptance criteria measured", _criteria(97, "After the review findings were fixed")),
        (-57, 11, 0, "ERP interface specification accepted", _erp_spec_accepted),
        (-57, 14, 0, "data-protection review opened", _data_protection_review),
        (-54, 10, 0, "data-protection findings; CR-1 raised", _data_protection_findings),
        (-51, 15, 0, "mapping tables rejected", _mapping_rejected),
        (-50, 10, 0, "CR-1 previewed and approved", _cr_gdpr_decided),
        (-46, 14, 0, "Marco's lessons learned", _lessons_marco),
        (-40, 11, 0, "CR-2 raised", _cr_archives_raised),
        (-40, 17, 0, "GDPR retention work done", _gdpr_done),
        (-37, 10, 0, "CR-2 previewed", _cr_archives_previewed),
        (-34, 14, 0, "CR-2 rejected", _cr_archives_rejected),
        (-33, 10, 0, "accent defect in de-duplication", _dedupe_accents),
        (-30, 15, 0, "lesson: liaisons", _lesson(
            "Give every affected department its own liaison from kick-off", "Stakeholders",
            "Customer Service got its own liaison only in week 8, after the mapping tables had been rejected "
            "for case categories nobody from Customer Service had seen. Name a liaison for each department "
            "whose data or processes change, at kick-off.")),
        (-29, 16, 0, "accent defect resolved", _step("ravi.patel", "defect.accents", "resolved")),
        (-26, 10, 0, "ETL trial load 1", _trial_load_1),
        (-26, 16, 30, "accent defect verified", _step("priya.nair", "defect.accents", "verified")),
        (-23, 9, 30, "trial-load defects in progress", _step("jonas.becker", "defect.billing", "in_progress")),
        (-23, 11, 0, "trial-load defects in progress", _step("ravi.patel", "defect.timestamps", "in_progress")),
        (-20, 16, 0, "billing-address defect resolved", _step("jonas.becker", "defect.billing", "resolved")),
        (-20, 17, 0, "mapping tables v2 resubmitted", _mapping_resubmitted),
        (-17, 10, 0, "mapping tables walkthrough opened", _mapping_review),
        (-17, 16, 0, "billing-address defect verified and closed",
         _step("priya.nair", "defect.billing", "verified", "closed")),
        (-14, 10, 0, "mapping walkthrough findings", _mapping_findings),
        (-9, 10, 0, "ETL trial load 2", _trial_load_2),
        (-11, 17, 0, "P0 mapping defect triaged",
         _step("priya.nair", "defect.p0", "triaged", owner_id="jonas.becker", priority=2)),
        (-6, 11, 0, "lesson: reconciliation", _lesson(
            "Reconcile per object and per currency in every trial load", "Testing",
            "Trial load 1 reconciled record counts only, so wrong currency conversions passed unnoticed until "
            "trial load 2 compared amounts. Reconcile counts and sums per object and per currency from the "
            "first load.")),
        (-9, 9, 0, "CR-3 raised", _cr_hypercare_raised),
        (-8, 15, 0, "timestamp defect resolved", _step("ravi.patel", "defect.timestamps", "resolved")),
        (-6, 10, 0, "CR-3 before the change board", _cr_hypercare_board),
        (-3, 9, 0, "CR-3: the Sponsor and the CFO vote", _cr_hypercare_votes),
        (-5, 14, 0, "training needs analysis rejected", _training_needs_rejected),
    ):  # fmt: skip
        out += _workday(day, hour, minute, what, run)
    out.append(Event(-60, 8, 30, "planning gate passed", _planning_gate))
    for k in range(1, 12):
        out += _friday(_weeks_ago(k), 16, 0, "weekly quality metrics", _weekly(k))
    out += _friday(_weeks_ago(2), 16, 5, "weekly status report", _report(2, REPORT_2))
    out += _friday(_weeks_ago(1), 16, 5, "weekly status report", _report(1, REPORT_1))
    out += [
        Event(-1, 17, 30, "this week's draft report", _this_week_draft(lambda wd: 1 <= wd <= 5)),
        Event(-2, 17, 30, "this week's draft report", _this_week_draft(lambda wd: wd == 6)),
        Event(0, 7, 30, "this week's draft report", _this_week_draft(lambda wd: wd == 0)),
    ]
    return out
