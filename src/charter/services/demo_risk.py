"""The demo's risk history: events merged into the demo's timeline (see `demo.Event`).

What it leaves behind, all through the ordinary services and as the people who would really do it:

- CRM's risk scales tailored to the project (Marco at the start), ten risks raised over the weeks by the PM,
  Task Leaders, stakeholders, liaisons and the Security Officer: re-rated as things were learned (so the
  burndown and each risk's ratings history move), with three-point quantities (probability for simulations,
  impacts on the project's scales, the task each would delay), response actions that are tasks in the
  schedule (some done), discussion, one closed, one that occurred (an issue) and one only just raised.
- Three-point duration estimates from the Task Leaders on the uncertain tasks, and two stored Monte Carlo
  runs (three weeks ago and this morning) to compare.
- Two levelling previews of Lena Fischer's over-allocation (ERP and CTI integration at once): Marco's, made
  stale by the plan moving on, and Priya's fresh proposal from this morning.
- The technology inventory of CRM (legacy on-premise CRM, SaaS CRM, ERP connector, CTI middleware, ETL
  tooling) and LAP (laptop model, OS image) with update items in every state: open, planned (the legacy
  decommissioning plan after hypercare), done (the connector upgrade through its plan's tasks; the legacy
  CRM's extended support by hand) and dismissed (an advisory that does not apply).
- Two risks of the laptop refresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from charter.services.demo import DemoContext, Event

# CRM task names (see demo.CRM_TASKS)
DEDUP = "De-duplicate accounts and contacts"
ETL = "ETL scripts"
REHEARSAL = "Dress rehearsal 1"
ERP_BUILD = "ERP interface build and test"
CTI = "CTI screen pop and call logging"
COURSES = "Role-based courses (140 people)"
GO_LIVE = "Go-live weekend"
HYPERCARE = "Hypercare"

SIMULATION_ITERATIONS = 2000


# --------------------------------------------------------------------------------------------- helpers


def _weekday(ctx: DemoContext, offset: int) -> dt.date:
    """The first Monday-to-Friday date on or after `offset` days from today."""
    d = ctx.day(offset)
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


def _working_day_before(d: dt.date) -> dt.date:
    """`d`, or the Friday before when it falls on a weekend."""
    while d.weekday() >= 5:
        d -= dt.timedelta(days=1)
    return d


def _month_end(d: dt.date) -> dt.date:
    first_next = (d.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def _morning(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(0, 0))


def _starts(ctx: DemoContext, who: str, name: str) -> dt.date | None:
    """When the plan, as `who` reads it, has CRM task `name` start (a risk's proximity: when it could
    strike)."""
    from charter.services import tasks

    start = tasks.get_task(ctx.s, ctx.actor(who), ctx.crm, ctx.tasks[name])["start"]
    return start.date() if isinstance(start, dt.datetime) else None


def _what_levelling_does(ctx: DemoContext, run: dict[str, Any]) -> str:
    """What a levelling preview does to Lena's two integrations and to the finish, in words."""
    moves = [
        f"*{c['name']}* {c['delay_days']:g} working days later"
        for c in run["changes"]
        if c["task_id"] in (ctx.tasks[ERP_BUILD], ctx.tasks[CTI])
    ]
    old, new = (str(run[k] or "")[:10] for k in ("old_finish", "new_finish"))
    finish = f"the finish stays {old}" if old == new else f"the finish moves from {old} to {new}"
    return f"{'starts ' + ' and '.join(moves) if moves else 'moves neither integration'}; {finish}"


def _risk_id(ctx: DemoContext, key: str) -> int:
    return int(ctx.extra[f"risk.{key}"])


def _raise(ctx: DemoContext, who: str, key: str, project: str = "crm", **fields: Any) -> None:
    """`who` raises a risk (remembered as risk.<key>)."""
    from charter.services import risk

    pid = ctx.crm if project == "crm" else ctx.lap
    r = risk.create_risk(ctx.s, ctx.actor(who), pid, **fields)
    ctx.extra[f"risk.{key}"] = r["id"]


def _change(ctx: DemoContext, who: str, key: str, project: str = "crm", **fields: Any) -> dict[str, Any]:
    """`who` (the risk's owner or the PM) changes a risk: ratings, response, owner, status."""
    from charter.services import risk

    pid = ctx.crm if project == "crm" else ctx.lap
    rid = _risk_id(ctx, key)
    current = risk.get_risk(ctx.s, ctx.actor(who), pid, rid)
    return risk.update_risk(ctx.s, ctx.actor(who), pid, rid, current["version"], **fields)


def _comment(ctx: DemoContext, who: str, key: str, body: str, project: str = "crm") -> None:
    from charter.services import risk

    pid = ctx.crm if project == "crm" else ctx.lap
    risk.add_comment(ctx.s, ctx.actor(who), pid, _risk_id(ctx, key), body)


def _action(
    ctx: DemoContext,
    who: str,
    key: str,
    name: str,
    duration: str,
    *,
    start: dt.date,
    assignees: tuple[str, ...],
) -> int:
    """`who` (the risk's owner or the PM, who may edit tasks in the risk's work package) adds a response
    action to risk <key>: a new task in that package, starting no earlier than `start`, assigned to
    `assignees`. Returns the task id."""
    from charter.services import risk, tasks

    actor = ctx.actor(who)
    fields: dict[str, Any] = {
        "name": name,
        "duration": duration,
        "constraint_type": "snet",
        "constraint_date": _morning(start),
        "description": f"Response action of risk R-{key.removeprefix('r')}.",
    }
    r = risk.add_action(ctx.s, actor, ctx.crm, _risk_id(ctx, key), **fields)
    task_id = int(next(a["task_id"] for a in r["actions"] if a["name"] == name))
    tasks.set_assignees(ctx.s, actor, ctx.crm, task_id, [ctx.user_id(u) for u in assignees])
    return task_id


def _complete(ctx: DemoContext, who: str, project_id: int, task_id: int) -> None:
    """`who` records a task as done, where the schedule had it (its actual start and finish)."""
    from charter.services import tasks

    actor = ctx.actor(who)
    t = tasks.get_task(ctx.s, actor, project_id, task_id)
    tasks.update_task(
        ctx.s,
        actor,
        project_id,
        task_id,
        t["version"],
        percent_complete=100,
        actual_start=t["start"],
        actual_finish=t["finish"],
    )


# --------------------------------------------------------------------------------------------- the start


def _scales(ctx: DemoContext) -> None:
    """Day -87: Marco sets CRM's risk scales to the project's size (a EUR 400k-class migration)."""
    from charter.services import risk

    levels: list[dict[str, Any]] = []
    for dimension, rows in (
        (
            "probability",
            (
                ("Rare (under 10 %)", 0.02, 0.10),
                ("Unlikely (10-30 %)", 0.10, 0.30),
                ("Possible (30-50 %)", 0.30, 0.50),
                ("Likely (50-75 %)", 0.50, 0.75),
                ("Almost certain (over 75 %)", 0.75, 0.95),
            ),
        ),
        (
            "schedule",
            (
                ("Absorbed by float (up to 2 days)", 0, 2),
                ("Up to a week", 2, 5),
                ("1-2 weeks", 5, 10),
                ("2-4 weeks: go-live moves", 10, 20),
                ("Over a month: misses the quarter", 20, 45),
            ),
        ),
        (
            "cost",
            (
                ("Under EUR 2,000", 0, 2000),
                ("EUR 2,000-10,000", 2000, 10000),
                ("EUR 10,000-30,000 (contingency)", 10000, 30000),
                ("EUR 30,000-80,000 (sponsor decides)", 30000, 80000),
                ("Over EUR 80,000 (steering board)", 80000, 200000),
            ),
        ),
        (
            "quality",
            (
                ("Cosmetic", None, None),
                ("Workaround for a few users", None, None),
                ("Noticeable to Sales or Customer Service", None, None),
                ("A key process impaired (orders, cases)", None, None),
                ("Sales or Customer Service cannot work", None, None),
            ),
        ),
        (
            "scope",
            (
                ("Barely noticeable", None, None),
                ("A minor feature deferred", None, None),
                ("A requirement dropped or deferred", None, None),
                ("An objective only partly met", None, None),
                ("An objective not met", None, None),
            ),
        ),
    ):
        for level, (label, low, high) in enumerate(rows, start=1):
            levels.append({"dimension": dimension, "level": level, "label": label, "low": low, "high": high})
    risk.set_scales(ctx.s, ctx.actor("marco.rossi"), ctx.crm, levels)


def _crm_inventory(ctx: DemoContext) -> None:
    """Day -87: Marco records the technology the migration touches."""
    from charter.services import tech

    marco = ctx.actor("marco.rossi")
    ids: dict[str, int] = {}
    for key, values in (
        (
            "legacy",
            {
                "name": "Corvid CRM Enterprise (on-premise)",
                "kind": "software",
                "vendor": "Corvid Software",
                "current_version": "8.2 SP4",
                "licence": "Perpetual, 160 named users; annual support contract",
                "release_date": ctx.day(-6 * 365),
                "support_end": _month_end(ctx.day(10)),
                "eol_date": _month_end(ctx.day(10)),
                "owner_id": ctx.user_id("dana.whitfield"),
                "systems": ["crm-app-01", "crm-app-02", "crm-db-01 (SQL Server)"],
                "departments": ["Sales", "Customer Service"],
            },
        ),
        (
            "saas",
            {
                "name": "Skyline CRM Cloud (production tenant)",
                "kind": "saas",
                "vendor": "Skyline Cloud Inc.",
                "current_version": "Release 41",
                "licence": "Subscription, 150 users (Sales Professional, Service Professional)",
                "owner_id": ctx.user_id("dana.whitfield"),
                "systems": ["tenant eu-west-2"],
                "departments": ["Sales", "Customer Service"],
            },
        ),
        (
            "erp",
            {
                "name": "ERP REST connector (Skyline to ERP)",
                "kind": "software",
                "vendor": "Skyline Cloud Inc. (integration marketplace)",
                "current_version": "2.3.0",
                "licence": "Included in the subscription",
                "release_date": ctx.day(-140),
                "owner_id": ctx.user_id("lena.fischer"),
                "systems": ["integration-01"],
                "departments": ["Sales", "Finance"],
            },
        ),
        (
            "cti",
            {
                "name": "TeleBridge CTI middleware",
                "kind": "software",
                "vendor": "TeleBridge Communications",
                "current_version": "4.2.7",
                "licence": "Server licence, 60 agent seats",
                "release_date": ctx.day(-3 * 365),
                "support_end": _month_end(ctx.day(55)),
                "owner_id": ctx.user_id("lena.fischer"),
                "systems": ["cti-01"],
                "departments": ["Customer Service"],
            },
        ),
        (
            "etl",
            {
                "name": "Apache Hop (migration ETL)",
                "kind": "software",
                "vendor": "Apache Software Foundation",
                "current_version": "2.9.0",
                "licence": "Apache-2.0",
                "release_date": ctx.day(-200),
                "owner_id": ctx.user_id("jonas.becker"),
                "systems": ["etl-01"],
            },
        ),
    ):
        ids[key] = int(tech.create_component(ctx.s, marco, ctx.crm, **values)["id"])
    ctx.extra["risk.tech"] = ids


def _kick_off_risks(ctx: DemoContext) -> None:
    """Day -86: the risk workshop after kick-off: Marco records the first two risks."""
    _raise(
        ctx,
        "marco.rossi",
        "r1",
        title="Key-person dependency on Lena Fischer for both integrations",
        kind="threat",
        category="people",
        cause="Lena is the only developer who knows the ERP's interfaces and the telephony middleware.",
        event="Lena is unavailable or overloaded while the ERP and CTI integrations run at the same time.",
        effect="The integrations finish late and the security review and go-live slip with them.",
        probability=3,
        impact_schedule=4,
        impact_quality=2,
        task_id=ctx.tasks[CTI],
        owner_id=ctx.user_id("marco.rossi"),
        review_date=_weekday(ctx, -60),
    )
    _raise(
        ctx,
        "marco.rossi",
        "r2",
        title="Legacy CRM vendor charges for its bulk-export utility",
        kind="threat",
        category="vendor",
        cause="The legacy contract covers the user licences only; the bulk-export tool is sold separately.",
        event="Corvid invoices a licence for the export utility the ETL needs.",
        effect="Unbudgeted cost; a delay to the ETL while the order is approved.",
        probability=2,
        impact_cost=3,
        impact_schedule=1,
        probability_value=0.25,
        task_id=ctx.tasks[ETL],
        owner_id=ctx.user_id("jonas.becker"),
        review_date=_weekday(ctx, -55),
    )


def _data_quality_risk(ctx: DemoContext) -> None:
    """Day -79: the data inventory is in; Ravi raises the data-quality risk."""
    _raise(
        ctx,
        "ravi.patel",
        "r3",
        title="Legacy data quality worse than the inventory suggests",
        kind="threat",
        category="technical",
        cause="The inventory sampled 2,000 of 41,000 accounts; Sales and Customer Service kept separate "
        "records of the same customers for years.",
        event="De-duplication finds far more duplicates and broken addresses than sampled.",
        effect="Cleansing takes longer, the first dress rehearsal slips, duplicates reach the new CRM.",
        probability=3,
        impact_schedule=3,
        impact_quality=4,
        task_id=ctx.tasks[DEDUP],
        review_date=_weekday(ctx, -50),
    )


def _estimates(ctx: DemoContext) -> None:
    """Day -58: the Task Leaders give three-point estimates of the uncertain tasks (for the simulation)."""
    from charter.services import tasks

    for who, name, three in (
        ("ravi.patel", DEDUP, ("12d", "15d", "24d")),
        ("jonas.becker", ETL, ("16d", "20d", "32d")),
        ("jonas.becker", REHEARSAL, ("3d", "3d", "5d")),
        ("lena.fischer", ERP_BUILD, ("15d", "18d", "28d")),
        ("lena.fischer", CTI, ("9d", "12d", "18d")),
        ("hannah.schmidt", COURSES, ("14d", "15d", "20d")),
        ("hannah.schmidt", GO_LIVE, ("2d", "2d", "3d")),
    ):
        actor = ctx.actor(who)
        t = tasks.get_task(ctx.s, actor, ctx.crm, ctx.tasks[name])
        tasks.update_task(
            ctx.s,
            actor,
            ctx.crm,
            t["id"],
            t["version"],
            optimistic=three[0],
            most_likely=three[1],
            pessimistic=three[2],
        )


# --------------------------------------------------------------------------------------------- Marco's weeks


def _erp_risk(ctx: DemoContext) -> None:
    """Day -62: ERP design is done; Lena raises the ERP team's API as a risk."""
    _raise(
        ctx,
        "lena.fischer",
        "r4",
        title="ERP team's REST API v2 not in production in time",
        kind="threat",
        category="technical",
        cause="Orders and price lists need the ERP's API v2, which the ERP team releases in its own "
        "quarterly window.",
        event="API v2 misses the ERP team's release window.",
        effect="The ERP interface cannot be tested end to end; orders would be re-keyed by hand after "
        "go-live.",
        probability=3,
        impact_schedule=4,
        impact_cost=2,
        impact_scope=3,
        probability_value=0.35,
        task_id=ctx.tasks[ERP_BUILD],
        triggers="ERP release calendar published without API v2; API v2 not in pre-production 4 weeks "
        "before our dress rehearsal.",
        review_date=_weekday(ctx, -45),
    )


def _marco_levels(ctx: DemoContext) -> None:
    """Day -62: Marco previews a levelling of Lena's double load, does not accept it, and re-rates R-1."""
    from charter.services import levelling

    marco = ctx.actor("marco.rossi")
    run = levelling.preview(ctx.s, marco, ctx.crm, method="heuristic")
    ctx.extra["risk.levelling_marco"] = run["id"]
    ctx.at(-62, 16, 10)
    _change(
        ctx,
        "marco.rossi",
        "r1",
        probability=4,
        strategy="mitigate",
        response="Knowledge transfer of the CTI call logging to Ravi; if the overlap persists, level CTI "
        "behind the ERP build (go-live has float).",
        residual_probability=2,
        residual_impact=3,
        triggers="Lena over-allocated for more than two weeks; ERP build more than 20 % behind plan.",
        status="responding",
    )
    _comment(
        ctx,
        "marco.rossi",
        "r1",
        f"Levelling preview (run {run['id']}) {_what_levelling_does(ctx, run)}. It clears Lena's double "
        "load but leaves no float on the integrations. Not accepting it yet; knowledge transfer first.",
    )
    ctx.at(-62, 16, 40)
    _action(
        ctx,
        "marco.rossi",
        "r1",
        "Knowledge transfer: CTI call logging to Ravi Patel",
        "2d",
        start=_weekday(ctx, -55),
        assignees=("lena.fischer", "ravi.patel"),
    )


def _lena_answers(ctx: DemoContext) -> None:
    _comment(
        ctx,
        "lena.fischer",
        "r1",
        "Agreed. Ravi can take the call logging once the contact de-duplication is through; the screen pop "
        "needs me (the middleware's event API is undocumented).",
    )


def _gdpr_risk(ctx: DemoContext) -> None:
    """Day -55: the new Security Officer raises the retention risk."""
    _raise(
        ctx,
        "samuel.osei",
        "r5",
        title="GDPR: activity history beyond the 7-year retention period would be migrated",
        kind="threat",
        category="compliance",
        cause="The legacy CRM never deleted anything: 14 years of calls, emails and notes, some on people "
        "who are no longer customers.",
        event="The full history is loaded into the SaaS CRM, outside our retention policy.",
        effect="A breach of the retention policy on day one; a finding in the next data-protection audit.",
        probability=4,
        impact_cost=4,
        impact_scope=2,
        impact_quality=2,
        probability_value=0.6,
        task_id=ctx.tasks[ETL],
        strategy="avoid",
        response="Filter activities older than 7 years in the ETL and export them to the legal-hold "
        "archive; the DPO signs off the migration data set before the first rehearsal.",
        review_date=_weekday(ctx, -40),
    )


def _gdpr_actions(ctx: DemoContext) -> None:
    """Day -54: Marco plans the retention filter and the DPO sign-off."""
    from charter.services import tasks

    marco = ctx.actor("marco.rossi")
    ctx.extra["risk.gdpr_filter"] = _action(
        ctx,
        "marco.rossi",
        "r5",
        "Retention filter in the ETL (activities over 7 years to the legal-hold archive)",
        "2d",
        start=_weekday(ctx, -53),
        assignees=("jonas.becker",),
    )
    signoff = _action(
        ctx,
        "marco.rossi",
        "r5",
        "DPO sign-off of the migration data set",
        "1d",
        start=_weekday(ctx, -40),
        assignees=("samuel.osei",),
    )
    tasks.create_link(ctx.s, marco, ctx.crm, pred_id=signoff, succ_id=ctx.tasks[REHEARSAL], type="FS")
    _change(ctx, "marco.rossi", "r5", status="responding")


def _export_licence_occurs(ctx: DemoContext) -> None:
    """Day -52: Corvid invoices the export utility: R-2 occurred."""
    _change(
        ctx,
        "jonas.becker",
        "r2",
        status="occurred",
        occurred_on=ctx.day(-52),
        issue_note="Corvid invoiced EUR 12,400 for the bulk-export utility licence (12 months). Ordered "
        "from the contingency so the ETL is not held up.",
    )
    _comment(
        ctx,
        "jonas.becker",
        "r2",
        "The invoice came in this morning: **EUR 12,400** for a 12-month licence of the export utility. "
        "Without it the ETL would have to read the legacy database directly, which voids the support "
        "contract.",
    )


def _cfo_asks(ctx: DemoContext) -> None:
    _comment(
        ctx,
        "thomas.brennan",
        "r2",
        "Charged to the contingency, fine. Please make sure the licence is not auto-renewed after the "
        "decommissioning.",
    )


def _data_quality_rerated(ctx: DemoContext) -> None:
    """Day -50: the first de-duplication pass: far more duplicates than sampled."""
    _comment(
        ctx,
        "ravi.patel",
        "r3",
        "First pass over the Sales accounts: **18 %** likely duplicates (the inventory sampled 8 %) and "
        "2,300 accounts without a valid postcode. Re-rating.",
    )
    _change(
        ctx,
        "ravi.patel",
        "r3",
        probability=4,
        impact_schedule=4,
        impact_cost=2,
        probability_value=0.65,
        review_date=_weekday(ctx, 5),
        strategy="mitigate",
        response="Agree matching rules with Sales operations, run an address validation pass, and let "
        "account owners confirm merges of their top 500 accounts.",
        residual_probability=2,
        residual_impact=3,
        status="responding",
    )
    ctx.at(-50, 15, 30)
    ctx.extra["risk.dedup_workshop"] = _action(
        ctx,
        "ravi.patel",
        "r3",
        "Matching-rule workshop with Sales operations",
        "1d",
        start=_weekday(ctx, -48),
        assignees=("ravi.patel", "emily.carter"),
    )


def _rate_limit_risk(ctx: DemoContext) -> None:
    _raise(
        ctx,
        "jonas.becker",
        "r6",
        title="SaaS CRM API rate limits throttle the migration load",
        kind="threat",
        category="vendor",
        cause="The tenant's bulk API allows 10,000 calls an hour; the full load needs about 180,000.",
        event="The load is throttled during the dress rehearsal or the cut-over.",
        effect="The load takes 18 hours instead of 6; the cut-over weekend overruns.",
        probability=3,
        impact_schedule=3,
        impact_quality=2,
        probability_value=0.4,
        task_id=ctx.tasks[REHEARSAL],
        strategy="mitigate",
        response="Ask Skyline for a temporary limit increase for the rehearsals and the cut-over; batch "
        "activities in 200-record requests.",
        review_date=_weekday(ctx, -30),
    )
    _change(ctx, "jonas.becker", "r6", status="responding")


def _gdpr_filter_done(ctx: DemoContext) -> None:
    """Day -45: Jonas finishes the retention filter; Samuel re-rates the GDPR risk."""
    _complete(ctx, "jonas.becker", ctx.crm, ctx.extra["risk.gdpr_filter"])
    _comment(
        ctx,
        "jonas.becker",
        "r5",
        "Retention filter is in the ETL: 1.9 million activities older than 7 years go to the legal-hold "
        "archive instead of the CRM.",
    )
    ctx.at(-45, 14, 0)
    _change(
        ctx,
        "samuel.osei",
        "r5",
        probability=2,
        probability_value=0.15,
        residual_probability=1,
        residual_impact=2,
    )


def _training_risk(ctx: DemoContext) -> None:
    """Day -45: Sofía (Sales) raises training attendance at quarter-end."""
    _raise(
        ctx,
        "sofia.alvarez",
        "r7",
        title="Low training attendance in the last weeks of the sales quarter",
        kind="threat",
        category="people",
        cause="The role-based courses fall in the last three weeks of the sales quarter.",
        event="Sales reps skip or leave the courses to close deals.",
        effect="Fewer than 90 % trained at go-live; a hypercare flooded with how-to calls.",
        probability=3,
        impact_quality=3,
        impact_schedule=2,
        impact_scope=2,
        task_id=ctx.tasks[COURSES],
        owner_id=ctx.user_id("hannah.schmidt"),
        review_date=_weekday(ctx, 10),
    )


def _dedup_workshop_done(ctx: DemoContext) -> None:
    _complete(ctx, "ravi.patel", ctx.crm, ctx.extra["risk.dedup_workshop"])
    _comment(
        ctx,
        "emily.carter",
        "r3",
        "Matching rules agreed with the regional leads: same VAT number, or same name and postcode. "
        "Account owners will confirm merges of their top 500 accounts in a shared list.",
    )
    _comment(
        ctx,
        "emily.carter",
        "r7",
        "Quarter-end is the worst time for the reps. Shorter modules they can take between calls would "
        "help; sales managers should sign off attendance.",
    )


# --------------------------------------------------------------------------------------------- Priya's weeks


def _priya_takes_r1(ctx: DemoContext) -> None:
    """Day -42, after the hand-over: Priya takes over the risks Marco owned."""
    _change(ctx, "priya.nair", "r1", owner_id=ctx.user_id("priya.nair"), review_date=_weekday(ctx, 1))
    _comment(ctx, "priya.nair", "r1", "Taking this over from Marco with the PM role.")


def _training_response(ctx: DemoContext) -> None:
    """Day -40: Hannah plans the response to the training risk."""
    _change(
        ctx,
        "hannah.schmidt",
        "r7",
        strategy="mitigate",
        response="45-minute role-based modules, recorded for reps on the road; sales managers sign off "
        "their team's attendance; two catch-up sessions in the first week of the new quarter.",
        residual_probability=2,
        residual_impact=2,
        status="responding",
    )
    _action(
        ctx,
        "hannah.schmidt",
        "r7",
        "Record the role-based courses as 45-minute modules",
        "3d",
        start=_weekday(ctx, 12),
        assignees=("hannah.schmidt",),
    )


def _cut_over_risk(ctx: DemoContext) -> None:
    """Day -38: Aisha (Customer Service) raises the cut-over weekend."""
    _raise(
        ctx,
        "aisha.karimi",
        "r8",
        title="Cut-over weekend overruns into Monday opening hours",
        kind="threat",
        category="operational",
        cause="The final load, the ERP and CTI switch-over and the smoke tests all happen in one weekend.",
        event="The cut-over is not finished when Customer Service opens on Monday at 08:00.",
        effect="Agents take calls without customer records; orders queue up for the ERP.",
        probability=3,
        impact_quality=5,
        impact_schedule=2,
        probability_value=0.3,
        task_id=ctx.tasks[GO_LIVE],
        owner_id=ctx.user_id("hannah.schmidt"),
        triggers="Dress rehearsal load longer than 12 hours; open severity-1 defects on the Friday.",
        review_date=_weekday(ctx, 15),
    )


def _cs_liaison_comment(ctx: DemoContext) -> None:
    _comment(
        ctx,
        "david.nguyen",
        "r8",
        "From Customer Service: we need a go/no-go by **Sunday 14:00** at the latest, and the legacy CRM "
        "available read-only on Monday whatever happens.",
    )


def _erp_rerated(ctx: DemoContext) -> None:
    """Day -30: the ERP team moves API v2 to its next window; Lena re-rates and mocks the endpoints."""
    _comment(
        ctx,
        "lena.fischer",
        "r4",
        "The ERP release calendar is out: API v2 moved to their next window, three weeks later than "
        "planned. I will build against mocked endpoints meanwhile.",
    )
    _change(ctx, "lena.fischer", "r4", probability=4, probability_value=0.6)
    ctx.at(-30, 11, 30)
    _change(
        ctx,
        "lena.fischer",
        "r4",
        strategy="mitigate",
        response="Build and test against mocked API v2 endpoints; weekly check-in with the ERP release "
        "manager; fall back to the nightly order file for the first two weeks after go-live.",
        residual_probability=2,
        residual_impact=3,
        status="responding",
    )
    ctx.at(-30, 11, 45)
    ctx.extra["risk.erp_mocks"] = _action(
        ctx,
        "lena.fischer",
        "r4",
        "Mock ERP API v2 endpoints for integration tests",
        "3d",
        start=_weekday(ctx, -29),
        assignees=("lena.fischer",),
    )


def _cti_advisory(ctx: DemoContext) -> None:
    """Day -31 and -30: an advisory on the CTI middleware that does not apply (Security Officer)."""
    from charter.services import tech

    samuel = ctx.actor("samuel.osei")
    u = tech.create_update(
        ctx.s,
        samuel,
        ctx.extra["risk.tech"]["cti"],
        kind="advisory",
        title="Vendor advisory: cross-site scripting in the TeleBridge admin console (4.x)",
        severity="high",
        due_on=_weekday(ctx, -16),
    )
    ctx.at(-30, 10, 0)
    tech.set_update_status(
        ctx.s,
        samuel,
        u["id"],
        u["version"],
        "dismissed",
        note="Not exposed: the admin console is disabled on cti-01 and the agents use the desktop client "
        "only. Checked the server configuration and the firewall rules.",
    )


def _opportunity(ctx: DemoContext) -> None:
    """Day -33: the CFO spots an opportunity."""
    _raise(
        ctx,
        "thomas.brennan",
        "r9",
        title="Switch off the legacy CRM servers a month early",
        kind="opportunity",
        category="financial",
        cause="Legacy hosting and support cost about EUR 9,500 a month; the plan keeps them for two "
        "months after go-live.",
        event="Decommissioning right after hypercare instead of at the end of the support contract.",
        effect="About EUR 9,500 saved; one system fewer for IT to patch.",
        probability=3,
        impact_cost=2,
        work_package_id=ctx.wp["4.2"],
        owner_id=ctx.user_id("priya.nair"),
        review_date=_weekday(ctx, 20),
    )
    ctx.at(-33, 15, 30)
    _change(
        ctx,
        "priya.nair",
        "r9",
        strategy="exploit",
        response="Plan the decommissioning right after hypercare; give notice on the hosting contract "
        "now (three months' notice).",
        status="responding",
    )


def _sponsor_comment(ctx: DemoContext) -> None:
    _comment(
        ctx,
        "robert.lindqvist",
        "r9",
        "Support this. Make sure Sales keeps read access to the archive for the audits.",
    )


def _erp_connector_plan(ctx: DemoContext) -> None:
    """Day -40: connector 2.4.1 fixes the order-line rounding the ERP design found: Priya plans it."""
    from charter.services import tech, tech_plans

    priya = ctx.actor("priya.nair")
    u = tech.create_update(
        ctx.s,
        priya,
        ctx.extra["risk.tech"]["erp"],
        kind="new_version",
        title="Connector 2.4.1: fixes rounding of discounted order lines",
        severity="medium",
        due_on=_weekday(ctx, -26),
    )
    plan = tech_plans.create_plan(
        ctx.s,
        priya,
        u["id"],
        u["version"],
        steps=[
            {"name": "Review the 2.4.1 release notes and mapping changes", "days": 1},
            {"name": "Regression-test order and price-list sync in staging", "days": 2},
            {"name": "Deploy connector 2.4.1 to production", "days": 1},
        ],
        work_package_id=ctx.wp["3.1"],
        owner_id=ctx.user_id("lena.fischer"),
    )
    ctx.extra["risk.erp_update"] = u["id"]
    ctx.extra["risk.erp_update_tasks"] = [t["task_id"] for t in plan["tasks"]]


def _erp_connector_done(ctx: DemoContext) -> None:
    """Day -28: Lena records the plan's steps done (the update item follows: done); Priya sets 2.4.1."""
    from charter.services import tech

    for task_id in ctx.extra["risk.erp_update_tasks"]:
        _complete(ctx, "lena.fischer", ctx.crm, task_id)
    ctx.at(-28, 9, 30)
    priya = ctx.actor("priya.nair")
    c = tech.get_component(ctx.s, priya, ctx.extra["risk.tech"]["erp"])
    tech.update_component(
        ctx.s, priya, c["id"], c["version"], current_version="2.4.1", release_date=ctx.day(-45)
    )


def _extended_support(ctx: DemoContext) -> None:
    """Day -58 / -25: the legacy CRM's support ends before go-live; extended support is bought by hand."""
    from charter.services import tech

    samuel = ctx.actor("samuel.osei")
    u = tech.create_update(
        ctx.s,
        samuel,
        ctx.extra["risk.tech"]["legacy"],
        kind="end_of_life",
        title="Vendor support ends before go-live: extend it to cover the cut-over and hypercare",
        severity="high",
        due_on=_weekday(ctx, -20),
    )
    ctx.extra["risk.extended_support"] = u["id"]


def _extended_support_done(ctx: DemoContext) -> None:
    from charter.services import tech

    priya = ctx.actor("priya.nair")
    c = tech.get_component(ctx.s, priya, ctx.extra["risk.tech"]["legacy"])
    u = next(x for x in c["updates"] if x["id"] == ctx.extra["risk.extended_support"])
    tech.set_update_status(
        ctx.s,
        priya,
        u["id"],
        u["version"],
        "done",
        note="Corvid extended support signed for 4 more months (EUR 8,600), covering cut-over, hypercare "
        "and the final archive export.",
    )
    extended = _month_end(ctx.day(130))
    tech.update_component(ctx.s, priya, c["id"], c["version"], support_end=extended, eol_date=extended)


def _mocks_done(ctx: DemoContext) -> None:
    _complete(ctx, "lena.fischer", ctx.crm, ctx.extra["risk.erp_mocks"])


def _rate_limit_closed(ctx: DemoContext) -> None:
    """Day -20: Skyline raises the API limit for the migration: R-6 closed."""
    _comment(
        ctx,
        "jonas.becker",
        "r6",
        "Skyline support confirmed in writing a temporary bulk API limit of **50,000 calls an hour** for "
        "the rehearsal and cut-over weekends (request on the vendor file). A test load of 20,000 accounts "
        "ran without throttling. Closing.",
    )
    _change(ctx, "jonas.becker", "r6", residual_probability=1, residual_impact=1, status="closed")


def _first_simulation(ctx: DemoContext) -> None:
    """Day -21: Priya's first Monte Carlo run of the plan with the risks."""
    ctx.extra["risk.simulation_first"] = _simulate(ctx, seed=4711)


def _simulate(ctx: DemoContext, seed: int) -> int:
    from charter.services import simulation

    priya = ctx.actor("priya.nair")
    run = simulation.create_run(
        ctx.s,
        priya,
        ctx.crm,
        iterations=SIMULATION_ITERATIONS,
        seed=seed,
        distribution="pert",
        spread_low=10,
        spread_high=30,
        work_package_correlation=0.3,
    )
    simulation.execute_in_session(ctx.s, run["id"])  # in the demo's transaction, which holds the plan
    done = simulation.get_run(ctx.s, priya, ctx.crm, run["id"])
    if done["status"] != "done":
        raise RuntimeError(f"the demo's simulation run failed: {done['error']}")
    return int(run["id"])


def _gdpr_owner_leaves(ctx: DemoContext) -> None:
    """Day -14, after the Security Officer leaves: Priya holds the GDPR risk until a successor is named."""
    _change(ctx, "priya.nair", "r5", owner_id=ctx.user_id("priya.nair"), review_date=_weekday(ctx, 3))
    _comment(
        ctx,
        "priya.nair",
        "r5",
        "Samuel has moved to security operations. I hold this risk until a new Security Officer is named; "
        "the DPO sign-off is still open.",
    )


def _decommission_plan(ctx: DemoContext) -> None:
    """Day -10: Priya plans the decommissioning of the legacy CRM after hypercare, in the cut-over package
    (4.2) and so led by its Task Leader, Hannah, who may record its progress (Jonas, who leads the data
    migration, could not work on tasks outside his package)."""
    from charter.services import tasks, tech, tech_plans

    priya = ctx.actor("priya.nair")
    c = tech.get_component(ctx.s, priya, ctx.extra["risk.tech"]["legacy"])
    u = tech.create_update(
        ctx.s,
        priya,
        c["id"],
        kind="end_of_life",
        title="Decommission the legacy CRM servers after hypercare",
        severity="medium",
        due_on=_working_day_before(c["eol_date"]),
    )
    plan = tech_plans.create_plan(
        ctx.s,
        priya,
        u["id"],
        u["version"],
        steps=[
            {"name": "Switch the legacy CRM to read-only and export the archive", "days": 2},
            {"name": "Shut down and wipe crm-app-01, crm-app-02 and crm-db-01", "days": 2},
            {"name": "End the Corvid licences and the hosting contract", "days": 1},
        ],
        work_package_id=ctx.wp["4.2"],
        owner_id=ctx.user_id("hannah.schmidt"),
    )
    first = plan["tasks"][0]["task_id"]
    tasks.create_link(ctx.s, priya, ctx.crm, pred_id=ctx.tasks[HYPERCARE], succ_id=first, type="FS")


def _erp_confirmed(ctx: DemoContext) -> None:
    """Day -8: API v2 is in pre-production: R-4 re-rated down."""
    _change(ctx, "priya.nair", "r4", probability=2, probability_value=0.2, review_date=_weekday(ctx, 14))
    _comment(
        ctx,
        "priya.nair",
        "r4",
        "API v2 is in the ERP's pre-production since Monday and the release date is confirmed by their "
        "release manager. Lowering the probability; keeping the nightly order file as the fallback.",
    )


def _saas_release(ctx: DemoContext) -> None:
    """Day -5: Skyline announces its next release: an open update item."""
    from charter.services import tech

    tech.create_update(
        ctx.s,
        ctx.actor("priya.nair"),
        ctx.extra["risk.tech"]["saas"],
        kind="new_version",
        title="Release 42: regression-test our customisations in the preview sandbox",
        severity="medium",
        due_on=_weekday(ctx, 40),
    )


def _spreadsheet_risk(ctx: DemoContext) -> None:
    """Day -6: David (Customer Service) raises a risk not yet assessed."""
    _raise(
        ctx,
        "david.nguyen",
        "r10",
        title="Agents keep customer contacts in personal spreadsheets outside the CRM",
        kind="threat",
        category="operational",
        cause="Several senior agents track their key accounts in Excel files on their laptops.",
        event="Those contacts are not migrated and the spreadsheets live on after go-live.",
        effect="Incomplete customer history in the new CRM; personal data outside any system of record.",
        work_package_id=ctx.wp["2.1"],
    )


def _risk_review(ctx: DemoContext) -> None:
    """Today before 08:00: after yesterday's status update, Priya sets the proximity of the risks tied to
    the coming milestones to the plan's new dates."""
    for key, name in (("r1", CTI), ("r7", COURSES), ("r8", GO_LIVE)):
        _change(ctx, "priya.nair", key, proximity=_starts(ctx, "priya.nair", name))


def _second_simulation(ctx: DemoContext) -> None:
    """Today before 08:00: a fresh Monte Carlo run after yesterday's progress update."""
    ctx.extra["risk.simulation_latest"] = _simulate(ctx, seed=20260)


def _priya_levels(ctx: DemoContext) -> None:
    """Today before 08:00: Priya previews levelling Lena's double load again (proposed, not accepted) and
    tells R-1 what it would do."""
    from charter.services import levelling

    run = levelling.preview(ctx.s, ctx.actor("priya.nair"), ctx.crm, method="heuristic")
    ctx.extra["risk.levelling_priya"] = run["id"]
    ctx.at(0, 7, 57)
    _comment(
        ctx,
        "priya.nair",
        "r1",
        f"This morning's levelling preview (run {run['id']}) {_what_levelling_does(ctx, run)}. For decision "
        "at the next planning meeting, together with the knowledge transfer.",
    )


# --------------------------------------------------------------------------------------------- LAP


def _lap_inventory(ctx: DemoContext) -> None:
    """Day -28: Marco records the laptop refresh's technology."""
    from charter.services import tech

    marco = ctx.actor("marco.rossi")
    tech.create_component(
        ctx.s,
        marco,
        ctx.lap,
        name="ThinkPad T14 Gen 5 (standard laptop)",
        kind="hardware",
        vendor="Lenovo",
        current_version="BIOS 1.21",
        licence="3-year on-site warranty",
        release_date=ctx.day(-300),
        support_end=ctx.day(3 * 365 + 60),
        owner_id=ctx.user_id("ravi.patel"),
        departments=["IT", "Sales", "Customer Service", "Finance"],
    )
    image = tech.create_component(
        ctx.s,
        marco,
        ctx.lap,
        name="Windows 11 Enterprise standard image",
        kind="platform",
        vendor="Microsoft",
        current_version="24H2 (build 26100), image v3",
        licence="Enterprise E3",
        release_date=ctx.day(-400),
        support_end=_month_end(ctx.day(2 * 365)),
        owner_id=ctx.user_id("samuel.osei"),
        systems=["MDM", "deployment server"],
    )
    ctx.extra["risk.lap_image"] = image["id"]


def _lap_risks(ctx: DemoContext) -> None:
    """Day -25: Ravi (procurement) raises the delivery risk."""
    _raise(
        ctx,
        "ravi.patel",
        "lap1",
        project="lap",
        title="Laptop delivery slips: the distributor quotes 6-8 weeks",
        kind="threat",
        category="vendor",
        cause="The standard model is on allocation at the distributor this quarter.",
        event="The first 60 laptops arrive after the planned first deployment wave.",
        effect="The rollout waves slip; more staff keep out-of-warranty laptops.",
        probability=3,
        impact_schedule=4,
        work_package_id=ctx.extra["lap_wp"]["procurement"],
        strategy="mitigate",
        response="Split the order: 60 units from stock at a second distributor for wave 1.",
        review_date=_weekday(ctx, 5),
    )


def _lap_data_risk(ctx: DemoContext) -> None:
    """Day -20: Samuel (imaging and deployment) raises the data-loss risk; Marco notes the image update."""
    from charter.services import tech

    _raise(
        ctx,
        "samuel.osei",
        "lap2",
        project="lap",
        title="Local files not synchronised are lost at the device swap",
        kind="threat",
        category="operational",
        cause="Some users keep files on the local disk outside the synchronised folders.",
        event="A laptop is wiped before its local files are copied.",
        effect="Lost work; the one-hour-per-person target is missed.",
        probability=2,
        impact_quality=4,
        work_package_id=ctx.extra["lap_wp"]["rollout"],
        strategy="mitigate",
        response="Pre-swap scan for local files; the old device is kept for 14 days before wiping.",
    )
    tech.create_update(
        ctx.s,
        ctx.actor("marco.rossi"),
        ctx.extra["risk.lap_image"],
        kind="new_version",
        title="Monthly cumulative update into the image before wave 1",
        severity="low",
        due_on=_weekday(ctx, 7),
    )


def events() -> list[Event]:
    from charter.services.demo import Event

    steps: list[tuple[int, int, int, str, Callable[[DemoContext], None]]] = [
        (-87, 9, 30, "risk scales", _scales),
        (-87, 10, 0, "CRM technology inventory", _crm_inventory),
        (-86, 14, 0, "risk workshop: first risks", _kick_off_risks),
        (-79, 15, 0, "data-quality risk", _data_quality_risk),
        (-62, 11, 0, "ERP API risk", _erp_risk),
        (-62, 16, 0, "Marco previews levelling; re-rates R-1", _marco_levels),
        (-61, 10, 0, "Lena on R-1", _lena_answers),
        (-58, 10, 0, "three-point estimates", _estimates),
        (-58, 16, 0, "legacy support end flagged", _extended_support),
        (-55, 10, 0, "GDPR retention risk", _gdpr_risk),
        (-54, 9, 30, "GDPR actions", _gdpr_actions),
        (-52, 11, 0, "export licence invoiced: R-2 occurred", _export_licence_occurs),
        (-51, 9, 15, "the CFO on R-2", _cfo_asks),
        (-50, 14, 0, "data quality re-rated", _data_quality_rerated),
        (-48, 14, 0, "API rate-limit risk", _rate_limit_risk),
        (-45, 10, 0, "retention filter done", _gdpr_filter_done),
        (-45, 16, 0, "training attendance risk", _training_risk),
        (-44, 11, 0, "matching-rule workshop done", _dedup_workshop_done),
        (-42, 14, 0, "Priya takes over R-1", _priya_takes_r1),
        (-40, 10, 0, "training response", _training_response),
        (-40, 14, 0, "ERP connector 2.4.1 plan", _erp_connector_plan),
        (-38, 10, 0, "cut-over risk", _cut_over_risk),
        (-33, 14, 0, "opportunity: early decommissioning", _opportunity),
        (-31, 9, 0, "the sponsor on R-9", _sponsor_comment),
        (-31, 16, 0, "CTI advisory", _cti_advisory),
        (-30, 11, 0, "ERP API re-rated", _erp_rerated),
        (-30, 15, 0, "Customer Service on R-8", _cs_liaison_comment),
        (-28, 9, 0, "ERP connector 2.4.1 done", _erp_connector_done),
        (-28, 11, 0, "LAP technology inventory", _lap_inventory),
        (-25, 10, 0, "LAP delivery risk", _lap_risks),
        (-25, 15, 0, "legacy extended support bought", _extended_support_done),
        (-22, 17, 0, "ERP mocks done", _mocks_done),
        (-21, 16, 0, "first Monte Carlo run", _first_simulation),
        (-20, 10, 0, "rate limits raised: R-6 closed", _rate_limit_closed),
        (-20, 14, 0, "LAP data-loss risk", _lap_data_risk),
        (-14, 16, 30, "GDPR risk to Priya", _gdpr_owner_leaves),
        (-10, 11, 0, "decommissioning plan", _decommission_plan),
        (-8, 10, 0, "ERP API confirmed", _erp_confirmed),
        (-6, 11, 0, "spreadsheet risk", _spreadsheet_risk),
        (-5, 15, 0, "SaaS CRM release 42", _saas_release),
        (0, 7, 30, "risk review after the status update", _risk_review),
        (0, 7, 40, "second Monte Carlo run", _second_simulation),
        (0, 7, 55, "Priya previews levelling", _priya_levels),
    ]
    return [Event(day, hour, minute, what, run) for day, hour, minute, what, run in steps]
