"""The demo's budget history: events merged into the demo's timeline (see `demo.Event`).

What it tells, all through the ordinary services and by the people who would really act:

- Cost rates of the six people on CRM's tasks (the admin keeps them; one rate rises mid-project).
- CRM's budget: lines per work package and cost category, version 1 approved by the Sponsor at kick-off, a
  revision after the fit-gap rejected (no new money), the same need funded from contingency and approved
  (the cost baseline), and a fourth version for the data-migration overrun still awaiting the Sponsor; fixed
  costs on tasks (a licence charged at the start, services pro rata, a trainer at the end); a few expenses;
  earned-value snapshots at each month end, after the Task Leaders report progress, so the trend has history.
- Progress (CRM's schedule): whoever works on a task records its actual start on its planned start day (a task
  running past its planned finish takes hours only once started), and on the last working day of each month
  the Task Leaders report % complete climbing towards FINAL_PROGRESS, with actual dates equal to the planned
  ones: the demo's own report on day -1 then sets the same final figures, so the schedule ends as before.
- Timesheets: the people on started tasks log their hours every working day, submit on Friday; Jonas (Task
  Leader of Data migration) approves Ravi's hours on Friday evening, the Project Manager the rest on Monday.
  The last full week still waits for the Project Manager, Jonas rejected one of Ravi's entries in it, and
  the months before it are locked.
- Procurement: vendors, approval rules by amount, requests -> approval -> orders -> receipts -> invoices:
  licences fully received, invoiced, matched and closed; the migration contractor's second invoice held
  (nothing received for it yet); a rejected and an approved-not-ordered request; the production
  subscription awaiting the Sponsor; contracts (one with a notice date coming up). LAP: a pilot batch of
  laptops (an invoice rejected for an unagreed delivery charge, then the corrected one matched), the main
  batch of 168 ordered and awaiting delivery, the disposal request awaiting the PM.

Events that must fall on a working day are offered on three consecutive days and act on the first working
one (`_once`); recurring work (hours, approvals, month ends) is offered every day and acts when the calendar
says so. Dependent steps are at least three days apart or on the same nominal day at later hours, so their
order holds whatever weekday today is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from charter.services import attachments, budget, evm, procurement, resources, scheduling, tasks, timesheets
from charter.services.context import now
from charter.services.demo import CRM_PROGRESS

if TYPE_CHECKING:
    from charter.services.context import Actor
    from charter.services.demo import DemoContext, Event

Step = Callable[["DemoContext", int], None]

# ------------------------------------------------------------------------------------------------ the people

RATES = {  # internal cost rates (EUR per hour) of the people on CRM's tasks
    "chloe.martin": "78.00",
    "jonas.becker": "88.00",
    "ravi.patel": "72.00",
    "lena.fischer": "85.00",
    "samuel.osei": "90.00",
    "hannah.schmidt": "70.00",
}
RAVI_NEW_RATE = "76.00"  # after his promotion to senior developer (from the first of a month mid-project)

WORKSHOPS = "Process workshops with Sales and Customer Service"
BACKLOG = "Requirements backlog and fit-gap"
INVENTORY = "Data inventory and quality report"
DEDUP = "De-duplicate accounts and contacts"
MAPPING = "Mapping tables legacy → SaaS"
ETL = "ETL scripts"
ERP_DESIGN = "ERP interface design"
ERP_BUILD = "ERP interface build and test"
CTI = "CTI screen pop and call logging"
COURSES = "Role-based courses (140 people)"

# The progress the demo reaches by yesterday (demo._seed_crm_progress records the same on day -1): the month-end
# reports before it climb towards these figures.
# the core's figures of day -1 (demo.CRM_PROGRESS) for the tasks people log hours on
FINAL_PROGRESS = {
    t: CRM_PROGRESS[t] for t in (WORKSHOPS, BACKLOG, INVENTORY, DEDUP, MAPPING, ETL, ERP_DESIGN, ERP_BUILD)
}
REPORTER = {  # who reports a task's progress: the Task Leader of its package
    WORKSHOPS: "chloe.martin",
    BACKLOG: "chloe.martin",
    INVENTORY: "ravi.patel",
    DEDUP: "ravi.patel",
    MAPPING: "jonas.becker",
    ETL: "jonas.becker",
    ERP_DESIGN: "lena.fischer",
    ERP_BUILD: "lena.fischer",
}

# Hours logged on each started task up to yesterday: (person, task, total hours, an anchor day, notes for the
# entries). Tasks the plan gives someone full time get hours every working day; on the long tasks people
# work on CRM one or two days a week (the rest goes to keeping the legacy CRM running), which is why they
# are behind, and the hours run over the earned work in Data migration (the story of budget version 4).
# Anchors put a day of the task into the last submitted week ("tue", "wed", "thu": its weekday) or on the
# last working day before today ("last"), so that week has entries to wait for approval and to reject.
TIME: tuple[tuple[str, str, int, str, tuple[str, ...]], ...] = (
    ("chloe.martin", WORKSHOPS, 66, "", ("Sales workshop: lead-to-order as is",
                                         "Customer Service workshop: case handling and escalations",
                                         "Workshop write-up and process maps")),
    ("chloe.martin", BACKLOG, 84, "", ("Fit-gap review with the Cirrus solution architect",
                                       "Backlog grooming with Emily (Sales) and Hannah",
                                       "Sign-off pack for the Sponsor")),
    ("ravi.patel", INVENTORY, 46, "", ("Profiling accounts and contacts in the legacy CRM",
                                       "Quality report: duplicates, stale addresses, orphan cases")),
    ("ravi.patel", DEDUP, 115, "tue", ("Match rules for accounts (name + VAT id + postcode)",
                                       "Reviewing the fuzzy matches with Sales ops",
                                       "Merge batch run and spot checks",
                                       "Contacts without account: archive list for Customer Service")),
    ("ravi.patel", ETL, 72, "thu", ("Contact transform and picklist mapping",
                                    "Activity history extract (7 years)")),
    ("jonas.becker", MAPPING, 68, "", ("Account and contact mapping",
                                       "Opportunity stages and case status mapping")),
    ("jonas.becker", ETL, 108, "last", ("Load framework walkthrough with Brightpath",
                                        "Account load and reconciliation counts",
                                        "Opportunity and quote history")),
    ("lena.fischer", ERP_DESIGN, 42, "", ("Interface contract with the ERP team",
                                          "Order and price-list message design")),
    ("lena.fischer", ERP_BUILD, 70, "wed", ("Customer sync: create and update",
                                            "Order hand-off to the ERP, error queue",
                                            "Price-list import tests")),
)  # fmt: skip
DAY_SHAPE = (7.5, 8, 6.5, 7, 8.5, 6)  # how a person's CRM days vary in length
CRM_DAY = 7.0  # hours of a typical CRM day on a part-time task

# ------------------------------------------------------------------------------------------------ the budget

# key, WBS code (None: the project), category, name, amount of version 1 (EUR), description
CRM_LINES: tuple[tuple[str, str | None, str, str, str, str], ...] = (
    ("discovery", "1", "labour", "Discovery – internal team", "12000",
     "Chloé's workshops, requirements backlog and fit-gap (about 150 hours at the internal rate)."),
    ("migration", "2", "labour", "Data migration – team and contractor", "84000",
     "Internal data engineers (Jonas, Ravi) and the fixed-price ETL contractor: **Brightpath**, "
     "three milestones of €12,800."),
    ("integrations", "3", "labour", "Integrations – internal team", "27000",
     "ERP and telephony integration work by Lena, the security review by Samuel."),
    ("rollout", "4", "labour", "Training & rollout – team", "38000",
     "Train-the-trainer, role-based courses, go-live weekend and four weeks of hypercare."),
    ("licences", None, "software_licences", "Implementation licences and sandbox", "16500",
     "Cirrus CRM: 15 implementation users and a full-copy sandbox for six months."),
    ("subscription", "4.2", "software_licences", "Production subscription, year 1 (140 users)", "109200",
     "140 Cirrus CRM users × €65 per month for the first 12 months after go-live."),
    ("tools", "2", "software_licences", "Migration tools and data services", "8500",
     "ETL workbench seats and the address validation service."),
    ("ipaas", "3", "cloud_services", "Integration platform (iPaaS)", "7200",
     "Runtime of the corporate integration platform, charged back by the IT platform team."),
    ("training", "4.1", "training", "Training delivery", "12000",
     "External trainer days, course material and the e-learning modules."),
    ("travel", None, "travel", "Travel and workshops", "4000",
     "Site visits to the Hamburg service centre, workshop catering."),
    ("contingency", None, "contingency_reserve", "Contingency reserve", "25000",
     "For the known risks: data quality worse than profiled, ERP interface changes."),
    ("management", None, "management_reserve", "Management reserve", "15000",
     "Held by the Sponsor for the unforeseen."),
)  # fmt: skip
CTI_LINE = ("cti", "3.2", "software_licences", "CTI connector licence", "6800",
            "Connector between the telephony system and Cirrus CRM (screen pop, call logging).")  # fmt: skip

LAP_LINES: tuple[tuple[str, str | None, str, str, str, str], ...] = (
    ("laptops", "procurement", "hardware", 'Laptops – 180 × standard 14" model', "232200",
     "180 × €1,290 under the Voltis framework price, three years of on-site warranty included."),
    ("docks", "procurement", "hardware", "Docking stations and headsets", "27000",
     "One USB-C dock and one headset per person."),
    ("deployment", "rollout", "labour", "Imaging, data transfer and desk-side swap", "21600",
     "Image build, data transfer and swapping about 20 desks a day."),
    ("disposal", "rollout", "hardware", "Certified disposal of old devices", "5400",
     "Certified data wiping and recycling of the old laptops, with certificates per serial number."),
    ("contingency", None, "contingency_reserve", "Contingency reserve", "12000",
     "Price changes and spare devices."),
)  # fmt: skip

# task, description, amount, accrual, budget line key
FIXED_COSTS: tuple[tuple[str, str, str, str, str], ...] = (
    (DEDUP, "Address validation service – 180,000 lookups", "3600", "prorated", "tools"),
    (ETL, "ETL workbench licence – 2 developer seats, 6 months", "4900", "start", "tools"),
    (ERP_BUILD, "iPaaS runtime charge-back from the IT platform team, 6 months", "7200", "prorated", "ipaas"),
    (COURSES, "External trainer – 6 classroom days", "7800", "end", "training"),
)

VENDORS: dict[str, dict[str, Any]] = {
    "cirrus": {
        "name": "Cirrus CRM Ltd",
        "contacts": [{"name": "Megan Doyle", "email": "megan.doyle@cirrus-crm.example", "phone": "+44 20 7946 0321"}],
        "categories": ["software", "SaaS"],
        "rating": 4,
        "notes": "The SaaS CRM vendor. Account manager Megan Doyle; support through the partner portal.",
    },
    "brightpath": {
        "name": "Brightpath Data Consulting GmbH",
        "contacts": [{"name": "Tobias Wendt", "email": "t.wendt@brightpath.example", "phone": "+49 40 5550 1870"}],
        "categories": ["consulting", "data migration"],
        "rating": 4,
        "notes": "Fixed-price ETL contractor for the CRM migration (framework, rehearsals, cut-over support).",
    },
    "orbis": {
        "name": "Orbis Software AG",
        "contacts": [{"name": "Customer care", "email": "care@orbis-software.example"}],
        "categories": ["software", "support"],
        "rating": 2,
        "notes": "Vendor of the legacy on-premise CRM; standard support ended, extended support until "
        "decommissioning.",
    },
    "voltis": {
        "name": "Voltis Hardware GmbH",
        "contacts": [{"name": "Sandra Kühn", "email": "s.kuehn@voltis.example", "phone": "+49 89 5550 2240"}],
        "categories": ["hardware", "laptops"],
        "rating": 3,
        "notes": "Framework supplier for end-user devices; delivery to the Munich goods-in.",
    },
}  # fmt: skip

V1_NOTE = "Budget at kick-off: internal team at cost rates, Cirrus licences, the ETL contractor, reserves."
V2_NOTE = "After the fit-gap: CTI connector licence (+€6,800) and more integration effort (+€11,800)."
V2_REJECTED = (
    "No new money this quarter. Fund the CTI connector from contingency and come back with the integration "
    "effort once the ERP interface design is done."
)
V3_NOTE = "CTI connector licence funded from contingency (total unchanged)."
V4_NOTE = (
    "Data quality is worse than profiled: a fourth dress rehearsal from Brightpath (€12,800) and about 80 more "
    "internal hours on de-duplication (€7,200), +€20,000 on Data migration. Contingency stays for the ERP "
    "interface risk."
)


# ------------------------------------------------------------------------------------------------ helpers


def _workday(d: dt.date) -> bool:
    return d.weekday() < 5


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def _last_friday(today: dt.date) -> dt.date:
    """The latest Friday before today: the last week whose hours were submitted."""
    f = today - dt.timedelta(days=1)
    while f.weekday() != 4:
        f -= dt.timedelta(days=1)
    return f


def _pending_monday(ctx: DemoContext) -> dt.date:
    """The Monday of the last submitted week: the week the Project Manager has not approved yet."""
    return _last_friday(ctx.today) - dt.timedelta(days=4)


def _pm(ctx: DemoContext) -> str:
    """CRM's Project Manager now (the clock is frozen at the event's moment; the hand-over is on day -42 at
    10:00)."""
    handover = dt.datetime.combine(ctx.day(-42), dt.time(10, 0), dt.UTC)
    return "marco.rossi" if now() < handover else "priya.nair"


def _actor(ctx: DemoContext, username: str) -> Actor:
    """The person as an actor (looked up once: the history asks for the same people hundreds of times)."""
    cache: dict[str, Actor] = ctx.extra.setdefault("budget.actors", {})
    if username not in cache:
        cache[username] = ctx.actor(username)
    return cache[username]


def _first_workday(ctx: DemoContext, offset: int) -> int:
    while not _workday(ctx.day(offset)):
        offset += 1
    return offset


def _once(offset: int, hour: int, minute: int, what: str, step: Step) -> list[Event]:
    """One event on the first working day on or after `offset` (offered on three days: one is a weekday)."""
    from charter.services.demo import Event

    def at(d: int) -> Callable[[DemoContext], None]:
        def run(ctx: DemoContext) -> None:
            if _first_workday(ctx, offset) == d:
                step(ctx, d)

        return run

    return [Event(d, hour, minute, what, at(d)) for d in range(offset, offset + 3)]


def _daily(first: int, hour: int, minute: int, what: str, step: Step) -> list[Event]:
    """An event offered every day from `first` to yesterday; `step` decides from the calendar whether it acts."""
    from charter.services.demo import Event

    def at(d: int) -> Callable[[DemoContext], None]:
        return lambda ctx: step(ctx, d)

    return [Event(d, hour, minute, what, at(d)) for d in range(first, 0)]


def _line(ctx: DemoContext, key: str) -> int:
    return int(ctx.extra["budget.lines"][key])


def _lap_line(ctx: DemoContext, key: str) -> int:
    return int(ctx.extra["budget.lap_lines"][key])


def _vendor(ctx: DemoContext, key: str) -> int:
    return int(ctx.extra["budget.vendors"][key])


def _plan(ctx: DemoContext) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """The planned start and finish of CRM's tasks (read once, after the plan was made; the history records
    actual dates equal to them)."""
    if "budget.plan" not in ctx.extra:
        sched = scheduling.get_schedule(ctx.s, _actor(ctx, "dana.whitfield"), ctx.crm)
        ctx.extra["budget.plan"] = {t["name"]: (t["start"], t["finish"]) for t in sched["tasks"]}
    plan: dict[str, tuple[dt.datetime, dt.datetime]] = ctx.extra["budget.plan"]
    return plan


def _workdays(first: dt.date, last: dt.date) -> list[dt.date]:
    out = []
    d = first
    while d <= last:
        if _workday(d):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def _half_hours(x: float) -> Decimal:
    return Decimal(round(x * 2)) / 2


def _anchor(ctx: DemoContext, anchor: str) -> dt.date | None:
    if anchor == "last":
        day = ctx.day(-1)
        while not _workday(day):
            day -= dt.timedelta(days=1)
        return day
    weekdays = {"tue": 1, "wed": 2, "thu": 3}
    return _pending_monday(ctx) + dt.timedelta(days=weekdays[anchor]) if anchor in weekdays else None


def _spread(days: list[dt.date], k: int, anchor: dt.date | None) -> list[int]:
    """k indices of `days` evenly apart, one of them on `anchor` when it is among the days."""
    n = len(days)
    if k >= n:
        return list(range(n))
    step = n / k
    phase = (days.index(anchor) % step) if anchor in days else step / 2
    return sorted({min(n - 1, int(phase + i * step + 1e-9)) for i in range(k) if phase + i * step < n})


def _hours(ctx: DemoContext) -> dict[dt.date, list[tuple[str, str, Decimal, str]]]:
    """Every entry of the history by day: (person, task, hours, note). A full-time task gets hours on each of
    its working days (planned start to planned finish); a long running one on about one day in CRM_DAY hours
    of its total (to yesterday), a person never twice on one day. Hours are in halves and add up exactly."""
    if "budget.hours" in ctx.extra:
        cached: dict[dt.date, list[tuple[str, str, Decimal, str]]] = ctx.extra["budget.hours"]
        return cached
    plan = _plan(ctx)
    yesterday = ctx.day(-1)
    out: dict[dt.date, list[tuple[str, str, Decimal, str]]] = {}
    busy: dict[str, set[dt.date]] = {}
    for who, task, total, anchor, notes in TIME:
        start, finish = plan[task]
        last = finish.date() if FINAL_PROGRESS[task] == 100 else yesterday
        window = _workdays(start.date(), min(last, yesterday))
        if not window:
            continue
        k = len(window) if not anchor else max(1, round(total / CRM_DAY))
        taken = busy.setdefault(who, set())
        chosen: list[dt.date] = []
        for i in _spread(window, k, _anchor(ctx, anchor)):
            for j in (i, i + 1, i - 1, i + 2, i - 2):  # the nearest free day of this person
                if 0 <= j < len(window) and window[j] not in taken and window[j] not in chosen:
                    chosen.append(window[j])
                    break
        chosen.sort()
        taken.update(chosen)
        weights = [DAY_SHAPE[i % len(DAY_SHAPE)] for i in range(len(chosen))]
        whole = sum(weights)
        done, acc = Decimal(0), 0.0
        for n, (day, w) in enumerate(zip(chosen, weights, strict=True)):
            acc += w
            upto = _half_hours(total * acc / whole)
            h, done = upto - done, upto
            if h > 0:
                note = notes[(n // 2) % len(notes)] if n % 2 == 0 else ""
                out.setdefault(day, []).append((who, task, h, note))
    ctx.extra["budget.hours"] = out
    return out


# ------------------------------------------------------------------------------------------------ rates, budget


def _rates(ctx: DemoContext, d: int) -> None:
    """The admin records the cost rates of the people on CRM's tasks (their person resources exist since the
    schedule assigned them)."""
    admin = _actor(ctx, "admin")
    by_user = {r["user_id"]: r["id"] for r in resources.list_resources(ctx.s, admin) if r["user_id"]}
    for who, rate in RATES.items():
        resources.add_rate(ctx.s, admin, by_user[ctx.user_id(who)], valid_from=ctx.day(-100), standard=rate,
                           overtime=str(Decimal(rate) * Decimal("1.25")), currency="EUR")  # fmt: skip
    ctx.extra["budget.resources"] = by_user


def _ravi_promoted(ctx: DemoContext, d: int) -> None:
    day = ctx.day(d)
    first_of_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    rid = ctx.extra["budget.resources"][ctx.user_id("ravi.patel")]
    resources.add_rate(ctx.s, _actor(ctx, "admin"), rid, valid_from=first_of_next, standard=RAVI_NEW_RATE,
                       overtime=str(Decimal(RAVI_NEW_RATE) * Decimal("1.25")), currency="EUR")  # fmt: skip


def _crm_budget_v1(ctx: DemoContext, d: int) -> None:
    """The PM lays out CRM's budget and proposes version 1."""
    pm = _actor(ctx, _pm(ctx))
    lines = {}
    for key, code, category, name, amount, description in CRM_LINES:
        wp = ctx.wp[code] if code else None
        ln = budget.create_line(ctx.s, pm, ctx.crm, category=category, name=name, amount=amount,
                                work_package_id=wp, description=description)  # fmt: skip
        lines[key] = ln["id"]
    ctx.extra["budget.lines"] = lines
    budget.propose_version(ctx.s, pm, ctx.crm, note=V1_NOTE)


def _crm_budget_approved(ctx: DemoContext, d: int) -> None:
    """The Sponsor approves version 1 (the first cost baseline) and sets who approves purchases."""
    robert = _actor(ctx, "robert.lindqvist")
    budget.decide_version(ctx.s, robert, ctx.crm, 1, approve=True)
    procurement.set_rules(ctx.s, robert, ctx.crm, 0, [
        {"up_to": "5000", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}])  # fmt: skip


def _fixed_costs_and_vendors(ctx: DemoContext, d: int) -> None:
    pm = _actor(ctx, _pm(ctx))
    for task, description, amount, accrual, line in FIXED_COSTS:
        budget.add_fixed_cost(ctx.s, pm, ctx.crm, task_id=ctx.tasks[task], description=description, amount=amount,
                              accrual=accrual, budget_line_id=_line(ctx, line))  # fmt: skip
    vendors = {}
    for key in ("cirrus", "brightpath", "orbis"):
        vendors[key] = procurement.create_vendor(ctx.s, pm, **VENDORS[key])["id"]
    ctx.extra["budget.vendors"] = vendors


def _line_amount(ctx: DemoContext, actor: Actor, key: str, amount: str) -> None:
    ln = budget.get_line_dict(ctx.s, actor, ctx.crm, _line(ctx, key))
    budget.update_line(ctx.s, actor, ctx.crm, ln["id"], ln["version"], amount=amount)


def _budget_v2(ctx: DemoContext, d: int) -> None:
    """After the fit-gap the PM asks for more: a CTI connector licence and more integration effort."""
    pm = _actor(ctx, _pm(ctx))
    key, code, category, name, amount, description = CTI_LINE
    ln = budget.create_line(ctx.s, pm, ctx.crm, category=category, name=name, amount=amount,
                            work_package_id=ctx.wp[str(code)], description=description)  # fmt: skip
    ctx.extra["budget.lines"][key] = ln["id"]
    _line_amount(ctx, pm, "integrations", "38800")
    budget.propose_version(ctx.s, pm, ctx.crm, note=V2_NOTE)


def _budget_v2_rejected(ctx: DemoContext, d: int) -> None:
    budget.decide_version(
        ctx.s, _actor(ctx, "robert.lindqvist"), ctx.crm, 2, approve=False, reason=V2_REJECTED
    )


def _budget_v3(ctx: DemoContext, d: int) -> None:
    """The PM keeps the total: integration effort back to plan, the connector paid from contingency."""
    pm = _actor(ctx, _pm(ctx))
    _line_amount(ctx, pm, "integrations", "27000")
    _line_amount(ctx, pm, "contingency", "18200")
    budget.propose_version(ctx.s, pm, ctx.crm, note=V3_NOTE)


def _budget_v3_approved(ctx: DemoContext, d: int) -> None:
    budget.decide_version(ctx.s, _actor(ctx, "robert.lindqvist"), ctx.crm, 3, approve=True,
                          reason="Agreed: total unchanged, contingency down to €18,200.")  # fmt: skip


def _cti_cost_and_support(ctx: DemoContext, d: int) -> None:
    """The connector licence on the CTI task (charged when it starts) and the legacy CRM's support contract,
    whose notice date comes up soon."""
    pm = _actor(ctx, _pm(ctx))
    budget.add_fixed_cost(ctx.s, pm, ctx.crm, task_id=ctx.tasks[CTI], amount="6800", accrual="start",
                          description="CTI connector licence for the telephony system",
                          budget_line_id=_line(ctx, "cti"))  # fmt: skip
    procurement.create_contract(
        ctx.s, pm, ctx.crm, vendor_id=_vendor(ctx, "orbis"), kind="subscription", value="18000",
        title="Legacy CRM extended support until decommissioning", start=ctx.day(40 - 182), end=ctx.day(39),
        renewal_date=ctx.day(40), notice_date=ctx.day(18),
        notes="€3,000 a month, paid from the IT operations budget (not the project's). Renews for another six "
        "months unless notice is given: give notice once the go-live date is firm.",
    )  # fmt: skip


def _budget_v4(ctx: DemoContext, d: int) -> None:
    pm = _actor(ctx, _pm(ctx))
    _line_amount(ctx, pm, "migration", "104000")
    budget.propose_version(ctx.s, pm, ctx.crm, note=V4_NOTE)


EXPENSES: tuple[tuple[int, str, str, str], ...] = (  # nominal day, budget line, amount, description
    (-82, "travel", "640.00", "Catering for the Sales process workshops (3 days, 14 people)"),
    (
        -80,
        "travel",
        "189.60",
        "Train Munich–Hamburg and back, Chloé Martin: Customer Service workshop on site",
    ),
    (
        -60,
        "travel",
        "312.00",
        "Hotel Hamburg, 2 nights, Lena Fischer: ERP interface design with the ERP team",
    ),
    (-20, "travel", "86.40", "Taxi and parking, Jonas Becker: legacy CRM full extract at the data centre"),
)


HOTEL_RECEIPT = ("Hotel am Hafen, Hamburg", "Guest: Lena Fischer", "2 nights, single room, breakfast")


def _receipt_pdf(lines: tuple[str, ...]) -> bytes:
    """A one-page PDF with a few lines of text: the scanned receipt of an expense."""
    text = "BT /F1 11 Tf 56 780 Td 14 TL " + " ".join(f"({x}) '" for x in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return out


def _expense(line: str, amount: str, description: str, receipt: tuple[str, ...] = ()) -> Step:
    def step(ctx: DemoContext, d: int) -> None:
        upload = None
        if receipt:
            lines = (*receipt, f"Date: {ctx.day(d - 2).isoformat()}", f"Total: EUR {amount}")
            upload = attachments.Upload("receipt-hotel-hamburg.pdf", _receipt_pdf(lines))
        budget.add_expense(ctx.s, _actor(ctx, _pm(ctx)), ctx.crm, budget_line_id=_line(ctx, line), day=ctx.day(d),
                           amount=amount, description=description, receipt=upload)  # fmt: skip

    return step


# ------------------------------------------------------------------------------------------------ progress, EVM


def _task_starts(ctx: DemoContext, d: int) -> None:
    """When a task starts, the person doing it records its actual start (the planned one)."""
    if d <= -88 or not _workday(
        ctx.day(d)
    ):  # a task starting before the plan: its month-end report records it
        return
    plan = _plan(ctx)
    for name in FINAL_PROGRESS:
        start = plan[name][0]
        if start.date() != ctx.day(d):
            continue
        actor = _actor(ctx, REPORTER[name])
        t = tasks.get_task(ctx.s, actor, ctx.crm, ctx.tasks[name])
        if t["actual_start"] is None:
            tasks.update_task(ctx.s, actor, ctx.crm, t["id"], t["version"], actual_start=start)


def _month_end(ctx: DemoContext, d: int) -> bool:
    day = ctx.day(d)
    if not _workday(day):
        return False
    nxt = day + dt.timedelta(days=1)
    while not _workday(nxt):
        nxt += dt.timedelta(days=1)
    return nxt.month != day.month


def _month_end_progress(ctx: DemoContext, d: int) -> None:
    """On the last working day of a month the Task Leaders report the progress of their running tasks (the
    demo's day -1 report sets the figures of yesterday)."""
    if d < -88 or d > -2 or not _month_end(ctx, d):
        return
    plan = _plan(ctx)
    day = ctx.day(d)
    for name, final in FINAL_PROGRESS.items():
        start, finish = plan[name]
        if start.date() > day:
            continue
        changes: dict[str, Any] = {}
        if final == 100 and finish.date() <= day:
            changes = {"percent_complete": 100, "actual_finish": finish}
        else:
            end = finish.date() if final == 100 else ctx.day(-1)
            frac = len(_workdays(start.date(), day)) / max(1, len(_workdays(start.date(), end)))
            changes = {"percent_complete": max(5, min(final - 5, 5 * round(final * frac / 5)))}
        actor = _actor(ctx, REPORTER[name])
        t = tasks.get_task(ctx.s, actor, ctx.crm, ctx.tasks[name])
        if t["percent_complete"] >= changes["percent_complete"]:
            continue
        if t["actual_start"] is None:
            changes["actual_start"] = start
        tasks.update_task(ctx.s, actor, ctx.crm, t["id"], t["version"], **changes)


def _snapshot(ctx: DemoContext, d: int) -> None:
    """The Tuesday after the month's last week is approved, the PM saves the month's earned value."""
    day = ctx.day(d)
    month_end = day.replace(day=1) - dt.timedelta(days=1)
    if day != _monday(month_end) + dt.timedelta(days=8) or month_end < ctx.day(-90):
        return
    if "budget.vendors" not in ctx.extra:  # the budget is not approved yet (a project started at a month end)
        return
    evm.save_snapshot(ctx.s, _actor(ctx, _pm(ctx)), ctx.crm, as_of=month_end)


# ------------------------------------------------------------------------------------------------ timesheets


def _log_hours(ctx: DemoContext, d: int) -> None:
    """At the end of each working day the team logs its hours on CRM (on the day the plan is made, Chloé
    catches up on the workshop days before it)."""
    today = ctx.day(d)
    if not _workday(today) or not ctx.tasks:
        return
    hours = _hours(ctx)
    first = ctx.extra.get("budget.logged_until", ctx.day(-91)) + dt.timedelta(days=1)
    for day in _workdays(first, today):
        for who, task, h, note in hours.get(day, []):
            timesheets.log_entry(
                ctx.s, _actor(ctx, who), ctx.crm, task_id=ctx.tasks[task], day=day, hours=h, note=note
            )
    ctx.extra["budget.logged_until"] = today


def _submit_week(ctx: DemoContext, d: int) -> None:
    """On Friday everyone submits the week."""
    day = ctx.day(d)
    if day.weekday() != 4:
        return
    hours = _hours(ctx)
    week = [day - dt.timedelta(days=i) for i in range(5)]
    people = sorted({who for w in week for who, *_ in hours.get(w, [])})
    for who in people:
        timesheets.submit_week(ctx.s, _actor(ctx, who), timesheets.week_label(_monday(day)))


REJECTION = (
    "{day}: these hours were the extract for the ETL load test, not de-duplication. Please book them on "
    "ETL scripts."
)


def _leader_approves(ctx: DemoContext, d: int) -> None:
    """Friday evening Jonas approves his package's hours (Ravi's); in the last week he sends one entry back."""
    day = ctx.day(d)
    if day.weekday() != 4:
        return
    jonas = _actor(ctx, "jonas.becker")
    monday = _monday(day)
    items = [
        e for e in timesheets.approvals_for(ctx.s, jonas) if e["project_id"] == ctx.crm and e["day"] >= monday
    ]
    reject = None
    if monday == _pending_monday(ctx):
        dedup = [e for e in items if e["task_id"] == ctx.tasks[DEDUP]] or items
        reject = max(dedup, key=lambda e: (e["minutes"], e["day"]))["id"] if dedup else None
    for e in items:
        if e["id"] == reject:
            reason = REJECTION.format(day=e["day"].strftime("%A %d %B"))
            timesheets.reject_entry(ctx.s, jonas, e["id"], reason, ctx.crm)
        else:
            timesheets.approve_entry(ctx.s, jonas, e["id"], ctx.crm)


def _pm_approves(ctx: DemoContext, d: int) -> None:
    """Monday morning the Project Manager approves last week's hours, except the last one (still waiting)."""
    day = ctx.day(d)
    if day.weekday() != 0:
        return
    week = day - dt.timedelta(days=7)
    if week == _pending_monday(ctx):
        return
    pm = _actor(ctx, _pm(ctx))
    for e in timesheets.approvals_for(ctx.s, pm):
        if e["project_id"] == ctx.crm and week <= e["day"] < day:
            timesheets.approve_entry(ctx.s, pm, e["id"], ctx.crm)


def _lock(ctx: DemoContext, d: int) -> None:
    """Once every week of the past months is approved, the PM locks them (the month-end close)."""
    pending = _pending_monday(ctx)
    if ctx.day(d) != pending + dt.timedelta(days=1):
        return
    timesheets.set_lock(ctx.s, _actor(ctx, _pm(ctx)), ctx.crm, pending.replace(day=1) - dt.timedelta(days=1))


# ------------------------------------------------------------------------------------------------ CRM purchasing


def _request(
    who: str, line: str, title: str, amount: str, description: str, vendor: str | None, key: str
) -> Step:
    def step(ctx: DemoContext, d: int) -> None:
        r = procurement.create_request(
            ctx.s, _actor(ctx, who if who != "pm" else _pm(ctx)), ctx.crm, budget_line_id=_line(ctx, line),
            title=title, amount=amount, description=description,
            vendor_id=_vendor(ctx, vendor) if vendor else None,
        )  # fmt: skip
        ctx.extra.setdefault("budget.requests", {})[key] = r["id"]

    return step


def _decide(who: str, key: str, approve: bool, reason: str = "", lap: bool = False) -> Step:
    def step(ctx: DemoContext, d: int) -> None:
        actor = _actor(ctx, who if who != "pm" else _pm(ctx))
        procurement.decide_request(ctx.s, actor, ctx.lap if lap else ctx.crm, ctx.extra["budget.requests"][key],
                                   approve=approve, reason=reason)  # fmt: skip

    return step


def _licences_ordered(ctx: DemoContext, d: int) -> None:
    pm = _actor(ctx, _pm(ctx))
    o = procurement.create_order(
        ctx.s, pm, ctx.crm, request_id=ctx.extra["budget.requests"]["licences"], expected_delivery=ctx.day(d + 3),
        lines=[
            {"description": "Cirrus CRM implementation user, 6 months", "quantity": 15, "unit_price": "570.00"},
            {"description": "Full-copy sandbox, 6 months", "quantity": 1, "unit_price": "7950.00"},
        ],
    )  # fmt: skip
    ctx.extra.setdefault("budget.orders", {})["licences"] = o["id"]
    start = ctx.day(d + 3)
    procurement.create_contract(
        ctx.s, pm, ctx.crm, vendor_id=_vendor(ctx, "cirrus"), order_id=o["id"], kind="subscription",
        title="Cirrus CRM implementation licences and sandbox", value="16500", start=start,
        end=start + dt.timedelta(days=181), renewal_date=start + dt.timedelta(days=182),
        notice_date=start + dt.timedelta(days=152),
        notes="Billed in advance for six months. Renew only the sandbox if go-live slips; the production "
        "subscription is a separate order.",
    )  # fmt: skip


def _licences_received(ctx: DemoContext, d: int) -> None:
    procurement.add_receipt(ctx.s, _actor(ctx, _pm(ctx)), ctx.crm, ctx.extra["budget.orders"]["licences"],
                            day=ctx.day(d),
                            note="Sandbox and 15 implementation users provisioned; logins tested.")  # fmt: skip


def _licences_invoiced(ctx: DemoContext, d: int) -> None:
    procurement.add_invoice(ctx.s, _actor(ctx, _pm(ctx)), ctx.crm, order_id=ctx.extra["budget.orders"]["licences"],
                            number="CIR-INV-104829", day=ctx.day(d - 1), amount="16500.00")  # fmt: skip


def _licences_closed(ctx: DemoContext, d: int) -> None:
    pm = _actor(ctx, _pm(ctx))
    o = procurement.get_order(ctx.s, pm, ctx.crm, ctx.extra["budget.orders"]["licences"])
    procurement.set_order_status(ctx.s, pm, ctx.crm, o["id"], o["version"], "closed")


def _contractor_ordered(ctx: DemoContext, d: int) -> None:
    pm = _actor(ctx, _pm(ctx))
    o = procurement.create_order(
        ctx.s, pm, ctx.crm, request_id=ctx.extra["budget.requests"]["contractor"], expected_delivery=ctx.day(45),
        lines=[
            {"description": "Milestone 1: ETL framework and load of accounts and contacts", "unit_price": "12800"},
            {"description": "Milestone 2: dress rehearsal 1 support and reconciliation", "unit_price": "12800"},
            {"description": "Milestone 3: cut-over rehearsal and go-live weekend support", "unit_price": "12800"},
        ],
    )  # fmt: skip
    ctx.extra.setdefault("budget.orders", {})["contractor"] = o["id"]
    procurement.create_contract(
        ctx.s, pm, ctx.crm, vendor_id=_vendor(ctx, "brightpath"), order_id=o["id"], kind="fixed_price",
        title="ETL framework and migration support, fixed price", value="38400", start=ctx.day(d + 3),
        end=ctx.day(90),
        notes="Three milestones of €12,800, each invoiced after acceptance by the Data migration Task Leader.",
    )  # fmt: skip


def _milestone_1_received(ctx: DemoContext, d: int) -> None:
    procurement.add_receipt(ctx.s, _actor(ctx, "jonas.becker"), ctx.crm, ctx.extra["budget.orders"]["contractor"],
                            day=ctx.day(d), amount="12800",
                            note="Milestone 1 accepted: framework runs in the sandbox, account and contact loads "
                                 "reconcile.")  # fmt: skip


def _milestone_1_invoiced(ctx: DemoContext, d: int) -> None:
    procurement.add_invoice(ctx.s, _actor(ctx, _pm(ctx)), ctx.crm, order_id=ctx.extra["budget.orders"]["contractor"],
                            number="BDC-2031", day=ctx.day(d - 1), amount="12800")  # fmt: skip


def _milestone_2_invoiced(ctx: DemoContext, d: int) -> None:
    """Brightpath invoices milestone 2 on the original date, but dress rehearsal 1 has slipped: held."""
    procurement.add_invoice(ctx.s, _actor(ctx, _pm(ctx)), ctx.crm, order_id=ctx.extra["budget.orders"]["contractor"],
                            number="BDC-2058", day=ctx.day(d - 1), amount="12800")  # fmt: skip


# ------------------------------------------------------------------------------------------------ LAP


def _lap_budget(ctx: DemoContext, d: int) -> None:
    marco = _actor(ctx, "marco.rossi")
    wps: dict[str, int] = ctx.extra["lap_wp"]
    lines = {}
    for key, wp, category, name, amount, description in LAP_LINES:
        ln = budget.create_line(ctx.s, marco, ctx.lap, category=category, name=name, amount=amount,
                                work_package_id=wps[wp] if wp else None, description=description)  # fmt: skip
        lines[key] = ln["id"]
    ctx.extra["budget.lap_lines"] = lines
    budget.propose_version(ctx.s, marco, ctx.lap, note="180 laptops at the framework price, accessories, "
                           "deployment, disposal and a small contingency.")  # fmt: skip


def _lap_budget_approved(ctx: DemoContext, d: int) -> None:
    dana = _actor(ctx, "dana.whitfield")
    budget.decide_version(ctx.s, dana, ctx.lap, 1, approve=True)
    procurement.set_rules(ctx.s, dana, ctx.lap, 0, [
        {"up_to": "10000", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}])  # fmt: skip


def _lap_vendor(ctx: DemoContext, d: int) -> None:
    v = procurement.create_vendor(ctx.s, _actor(ctx, "marco.rossi"), **VENDORS["voltis"])
    ctx.extra["budget.vendors"]["voltis"] = v["id"]


def _lap_request(who: str, line: str, title: str, amount: str, description: str, key: str) -> Step:
    def step(ctx: DemoContext, d: int) -> None:
        vendor = _vendor(ctx, "voltis") if line == "laptops" else None
        r = procurement.create_request(ctx.s, _actor(ctx, who), ctx.lap, budget_line_id=_lap_line(ctx, line),
                                       title=title, amount=amount, description=description, vendor_id=vendor)  # fmt: skip
        ctx.extra.setdefault("budget.requests", {})[key] = r["id"]

    return step


def _lap_order(key: str, quantity: int, delivery: int) -> Step:
    def step(ctx: DemoContext, d: int) -> None:
        o = procurement.create_order(
            ctx.s, _actor(ctx, "marco.rossi"), ctx.lap, request_id=ctx.extra["budget.requests"][key],
            expected_delivery=ctx.day(d + delivery) if key == "pilot" else ctx.day(delivery),
            lines=[{"description": "Laptop 14\", standard image-ready configuration, 3-year on-site warranty",
                    "quantity": quantity, "unit_price": "1290.00"}],
        )  # fmt: skip
        ctx.extra.setdefault("budget.orders", {})[key] = o["id"]
        if key == "main":
            procurement.create_contract(
                ctx.s, _actor(ctx, "marco.rossi"), ctx.lap, vendor_id=_vendor(ctx, "voltis"), order_id=o["id"],
                kind="fixed_price", title="Framework call-off: 168 laptops with 3-year warranty", value="216720",
                start=ctx.day(d), end=ctx.day(d) + dt.timedelta(days=3 * 365),
                notes="Price held from the pilot call-off; warranty claims through the Voltis portal.",
            )  # fmt: skip

    return step


def _pilot_received(ctx: DemoContext, d: int) -> None:
    procurement.add_receipt(ctx.s, _actor(ctx, "ravi.patel"), ctx.lap, ctx.extra["budget.orders"]["pilot"],
                            day=ctx.day(d),
                            note="12 pilot laptops delivered to goods-in; serial numbers checked.")  # fmt: skip


def _pilot_invoice(number: str, amount: str) -> Step:
    def step(ctx: DemoContext, d: int) -> None:
        inv = procurement.add_invoice(ctx.s, _actor(ctx, "marco.rossi"), ctx.lap,
                                      order_id=ctx.extra["budget.orders"]["pilot"], number=number,
                                      day=ctx.day(d - 1), amount=amount)  # fmt: skip
        ctx.extra.setdefault("budget.invoices", {})[number] = inv["id"]

    return step


def _pilot_invoice_rejected(ctx: DemoContext, d: int) -> None:
    procurement.decide_invoice(
        ctx.s, _actor(ctx, "dana.whitfield"), ctx.lap, ctx.extra["budget.invoices"]["VOL-88213"], release=False,
        reason="€180 delivery charge: delivery is included in the framework price. Voltis sends a corrected "
        "invoice.",
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------ the timeline


def events() -> list[Event]:
    out: list[Event] = []
    # recurring: task starts, hours, submissions and approvals, the lock, month-end progress and snapshots
    out += _daily(-88, 9, 30, "budget: a task starts, its actual start is recorded", _task_starts)
    out += _daily(-90, 16, 45, "budget: the team logs the day's hours", _log_hours)
    out += _daily(-90, 17, 15, "budget: Friday, the week's hours are submitted", _submit_week)
    out += _daily(-90, 17, 30, "budget: Friday, Jonas decides his package's hours", _leader_approves)
    out += _daily(-90, 9, 15, "budget: Monday, the PM approves last week's hours", _pm_approves)
    out += _daily(-30, 10, 0, "budget: the PM locks the closed months' timesheets", _lock)
    out += _daily(-88, 17, 0, "budget: month-end progress reports", _month_end_progress)
    out += _daily(-88, 11, 0, "budget: the month's earned-value snapshot", _snapshot)
    # CRM: rates, budget versions, fixed costs, vendors, expenses
    out += _once(-88, 14, 0, "budget: cost rates", _rates)
    out += _once(-88, 15, 0, "budget: CRM budget lines, version 1 proposed", _crm_budget_v1)
    out += _once(
        -85, 10, 0, "budget: the Sponsor approves version 1 and the purchase rules", _crm_budget_approved
    )
    out += _once(-85, 14, 0, "budget: fixed costs on tasks, vendors", _fixed_costs_and_vendors)
    out += _once(-64, 11, 0, "budget: version 2 after the fit-gap", _budget_v2)
    out += _once(-61, 10, 0, "budget: the Sponsor rejects version 2", _budget_v2_rejected)
    out += _once(-61, 15, 0, "budget: version 3 from contingency", _budget_v3)
    out += _once(-58, 10, 0, "budget: the Sponsor approves version 3", _budget_v3_approved)
    out += _once(-58, 14, 0, "budget: CTI connector cost, legacy support contract", _cti_cost_and_support)
    out += _once(-45, 11, 0, "budget: Ravi's new rate", _ravi_promoted)
    out += _once(-7, 11, 0, "budget: version 4 for the data-migration overrun", _budget_v4)
    for day, line, amount, description in EXPENSES:
        receipt = HOTEL_RECEIPT if "Hotel" in description else ()
        out += _once(day, 16, 0, "budget: an expense", _expense(line, amount, description, receipt))
    # CRM purchasing
    out += _once(-85, 15, 0, "budget: request for implementation licences", _request(
        "pm", "licences", "Cirrus CRM implementation licences and full-copy sandbox (6 months)", "16500",
        "15 implementation users for the project team and a **full-copy sandbox** for the migration "
        "rehearsals and integration tests. Billed in advance.", "cirrus", "licences"))  # fmt: skip
    out += _once(
        -82, 10, 0, "budget: the Sponsor approves the licences", _decide("robert.lindqvist", "licences", True)
    )
    out += _once(-82, 14, 0, "budget: licences ordered", _licences_ordered)
    out += _once(-79, 10, 0, "budget: licences received", _licences_received)
    out += _once(-76, 10, 0, "budget: licences invoiced", _licences_invoiced)
    out += _once(-73, 10, 0, "budget: licence order closed", _licences_closed)
    out += _once(-72, 10, 0, "budget: Jonas requests the ETL contractor", _request(
        "jonas.becker", "migration", "Brightpath: ETL framework and migration support (fixed price)", "38400",
        "Fixed price for three milestones: ETL framework and first loads, dress rehearsal 1 support, cut-over "
        "rehearsal and go-live support. Chosen over two other offers for their experience with Cirrus CRM "
        "migrations.", "brightpath", "contractor"))  # fmt: skip
    out += _once(-69, 10, 0, "budget: the Sponsor approves the contractor", _decide(
        "robert.lindqvist", "contractor", True))  # fmt: skip
    out += _once(-69, 14, 0, "budget: contractor ordered", _contractor_ordered)
    out += _once(-31, 10, 0, "budget: contractor milestone 1 accepted", _milestone_1_received)
    out += _once(-28, 10, 0, "budget: contractor milestone 1 invoiced", _milestone_1_invoiced)
    out += _once(-22, 10, 0, "budget: Hannah requests printed guides", _request(
        "hannah.schmidt", "training", "Printed quick-reference guides, 140 copies, laminated", "2450",
        "One laminated guide per user for the first weeks after go-live.", None, "guides"))  # fmt: skip
    out += _once(-19, 10, 0, "budget: the PM rejects the printed guides", _decide(
        "pm", "guides", False, "Publish the guides on the intranet and print only 20 for the service-centre "
        "floor; that fits in the course material budget."))  # fmt: skip
    out += _once(-14, 10, 0, "budget: Lena requests API capacity", _request(
        "lena.fischer", "ipaas", "Cirrus API capacity add-on for integration testing (6 months)", "2400",
        "The sandbox's daily API limit stops the ERP load tests after about 40,000 calls.", "cirrus", "api"))  # fmt: skip
    out += _once(-11, 10, 0, "budget: the PM approves the API add-on", _decide("pm", "api", True))
    out += _once(-9, 10, 0, "budget: contractor milestone 2 invoiced (held)", _milestone_2_invoiced)
    out += _once(-4, 10, 0, "budget: the PM requests the production subscription", _request(
        "pm", "subscription", "Cirrus CRM production subscription: 140 users, 12 months", "109200",
        "Order now to hold the quoted price of €65 per user and month; the subscription starts on the go-live "
        "date.", "cirrus", "subscription"))  # fmt: skip
    # LAP (from day -28: the project and its people exist)
    out += _once(-28, 11, 0, "budget: LAP budget, version 1 proposed", _lap_budget)
    out += _once(
        -25, 10, 0, "budget: the LAP Sponsor approves the budget and purchase rules", _lap_budget_approved
    )
    out += _once(-25, 14, 0, "budget: the laptop vendor", _lap_vendor)
    out += _once(-25, 15, 0, "budget: Ravi requests the pilot laptops", _lap_request(
        "ravi.patel", "laptops", "Pilot batch: 12 laptops (Voltis framework)", "15480",
        "12 laptops for the image pilot with IT, Finance and Customer Service.", "pilot"))  # fmt: skip
    out += _once(
        -22,
        10,
        0,
        "budget: Dana approves the pilot batch",
        _decide("dana.whitfield", "pilot", True, lap=True),
    )
    out += _once(-22, 14, 0, "budget: pilot batch ordered", _lap_order("pilot", 12, 4))
    out += _once(-18, 10, 0, "budget: pilot batch received", _pilot_received)
    out += _once(
        -18,
        15,
        0,
        "budget: pilot invoice with a delivery charge (held)",
        _pilot_invoice("VOL-88213", "15660.00"),
    )
    out += _once(-15, 10, 0, "budget: Dana rejects the pilot invoice", _pilot_invoice_rejected)
    out += _once(-15, 14, 0, "budget: Ravi requests the main batch", _lap_request(
        "ravi.patel", "laptops", "Main batch: 168 laptops (Voltis framework)", "216720",
        "The remaining 168 laptops at the pilot price; the image passed the pilot.", "main"))  # fmt: skip
    out += _once(
        -12, 10, 0, "budget: the corrected pilot invoice matches", _pilot_invoice("VOL-88213-C", "15480.00")
    )
    out += _once(
        -12, 11, 0, "budget: Dana approves the main batch", _decide("dana.whitfield", "main", True, lap=True)
    )
    out += _once(-9, 10, 0, "budget: main batch ordered", _lap_order("main", 168, 12))
    out += _once(-5, 10, 0, "budget: Samuel requests the disposal", _lap_request(
        "samuel.osei", "disposal", "Certified data wiping and disposal of 180 old laptops", "5400",
        "Collection from the desks after each swap, wiping to NIST 800-88 with a certificate per serial "
        "number.", "disposal"))  # fmt: skip
    return out
