"""The demo: a realistic IT project (a CRM migration) with its people, roles, history and one responsibility
gap, built through the ordinary services so that the journal reads as if people had done it over weeks.

`seed(db)` is idempotent: when project CRM exists it changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from charter.domain.errors import NotFound
from charter.domain.roles import LIAISON, OBSERVER, PM, SPONSOR, STAKEHOLDER, TASK_LEADER, TASK_WORKER
from charter.persistence.db import Database
from charter.services import accounts, org, projects, quality, roles, work_packages
from charter.services.context import SYSTEM, Actor, clock, now

DEMO_PASSWORD = "charter-demo-pass"  # noqa: S105 (a published demo password)
ADMIN = "admin"


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    department: str
    blurb: str


PEOPLE: tuple[Person, ...] = (
    Person("dana.whitfield", "Dana Whitfield", "IT", "Head of IT; Observer of CRM, Sponsor of LAP"),
    Person("marco.rossi", "Marco Rossi", "IT", "first PM of CRM (handed over); PM of LAP"),
    Person("priya.nair", "Priya Nair", "IT", "Project Manager of CRM"),
    Person("chloe.martin", "Chloé Martin", "IT", "Business analyst; Task Leader 1 Discovery"),
    Person("jonas.becker", "Jonas Becker", "IT", "Data engineer; Task Leader 2 Data migration"),
    Person("ravi.patel", "Ravi Patel", "IT", "Developer; Task Leader 2.1 Data cleansing, Task Worker"),
    Person("lena.fischer", "Lena Fischer", "IT", "Integration developer; Task Leader 3 Integrations"),
    Person("samuel.osei", "Samuel Osei", "IT", "Security engineer; former Security Officer, Task Worker"),
    Person("robert.lindqvist", "Robert Lindqvist", "Sales", "VP Sales; Sponsor of CRM"),
    Person("emily.carter", "Emily Carter", "Sales", "Sales operations; Relationship Liaison for Sales"),
    Person("sofia.alvarez", "Sofía Álvarez", "Sales", "Regional sales lead; Stakeholder"),
    Person("aisha.karimi", "Aisha Karimi", "Customer Service", "Head of Customer Service; Stakeholder"),
    Person("david.nguyen", "David Nguyen", "Customer Service", "Team lead; Liaison for Customer Service"),
    Person("hannah.schmidt", "Hannah Schmidt", "Customer Service", "Training lead; Task Leader 4 Rollout"),
    Person("thomas.brennan", "Thomas Brennan", "Finance", "CFO; Stakeholder"),
)

DEPARTMENT_HEADS = {
    "IT": "dana.whitfield",
    "Sales": "robert.lindqvist",
    "Customer Service": "aisha.karimi",
    "Finance": "thomas.brennan",
}

CRM_OBJECTIVES = """\
Move **Sales** and **Customer Service** off the legacy on-premise CRM (in service since 2009, out of vendor
support at the end of the year) onto the new SaaS CRM, without losing customer history or disrupting the
sales quarter.

- One customer record shared by Sales and Customer Service instead of two diverging databases
- Quotes and orders flow to the ERP automatically (today they are re-keyed by hand)
- Calls from the telephony system open the caller's record (screen pop) in the CRM
- Decommission the legacy CRM servers and their licences
"""

CRM_SCOPE = """\
**In scope**

- Requirements and process design for lead-to-order (Sales) and case management (Customer Service)
- Cleansing, de-duplication and migration of accounts, contacts, opportunities, cases and 7 years of
  activity history
- Integrations: ERP (customers, products, price lists, orders) and telephony (CTI, call logging)
- Training for about 140 users, cut-over and four weeks of hypercare

**Out of scope**

- Marketing automation (a separate project next year)
- Changes to the ERP itself beyond its published integration interface
- Migrating email archives attached to legacy records older than 7 years
"""

CRM_SUCCESS = """\
1. 100 % of active accounts and open opportunities migrated; fewer than 0.5 % duplicate accounts after
   cut-over
2. Orders reach the ERP within 5 minutes, with no manual re-keying
3. At least 90 % of Sales and Customer Service staff trained before go-live
4. Average case handling time no worse than before within 6 weeks of go-live
5. Legacy CRM switched off and its licences ended within 60 days of go-live
"""

CRM_WBS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Discovery & requirements",
        "Current-state process maps, requirements backlog, data inventory and the fit-gap with the SaaS CRM.",
        (),
    ),
    (
        "Data migration",
        "Everything needed to move the customer data: quality, mapping, tooling and rehearsals.",
        (
            ("Data cleansing", "De-duplicate accounts and contacts, fix addresses, archive dead records."),
            (
                "Migration tooling",
                "Extract-transform-load scripts, mapping tables and three dress rehearsals.",
            ),
        ),
    ),
    (
        "Integrations",
        "Connect the new CRM to the systems around it.",
        (
            ("ERP integration", "Customers, products, price lists and orders via the ERP's REST interface."),
            ("Telephony integration", "CTI screen pop and automatic call logging for Customer Service."),
        ),
    ),
    (
        "Training & rollout",
        "Get 140 people working in the new CRM and switch the old one off.",
        (
            ("Training", "Train-the-trainer, role-based courses, quick-reference guides."),
            ("Cut-over & hypercare", "Go-live weekend, four weeks of hypercare, legacy decommissioning."),
        ),
    ),
)

LAP_OBJECTIVES = """\
Replace the 180 office laptops that are out of warranty this year with a standard, centrally managed model,
with each person losing no more than one hour of work.
"""


def _actor(s: Session, username: str) -> Actor:
    u = accounts.get_user(s, SYSTEM, accounts.find_user_id(s, username))
    return Actor(user_id=u["id"], username=u["username"], is_admin=u["is_admin"])


def _user_id(s: Session, username: str) -> int:
    return accounts.find_user_id(s, username)


def _ensure_user(
    s: Session,
    actor: Actor,
    username: str,
    name: str,
    password: str,
    *,
    department_id: int | None = None,
    is_admin: bool = False,
) -> int:
    try:
        return accounts.find_user_id(s, username)
    except NotFound:
        u = accounts.create_user(
            s,
            actor,
            username=username,
            display_name=name,
            password=password,
            email=f"{username}@example.com",
            is_admin=is_admin,
            department_id=department_id,
        )
        return int(u["id"])


def _summary(created: bool) -> dict[str, Any]:
    users = [
        {"username": ADMIN, "display_name": "Administrator", "department": None, "blurb": "instance admin"}
    ]
    users += [
        {"username": p.username, "display_name": p.name, "department": p.department, "blurb": p.blurb}
        for p in PEOPLE
    ]
    return {"created": created, "password": DEMO_PASSWORD, "projects": ["CRM", "LAP"], "users": users}


def seed(db: Database) -> dict[str, Any]:
    """Create the demo organisation and projects unless project CRM exists. Returns a summary with the
    demo logins. Past events are recorded at their own (past) times by freezing the clock; the clock is
    unfrozen at the end."""
    with db.uow() as s:
        if any(p["key"] == "CRM" for p in projects.list_projects(s, SYSTEM, include_deleted=True)):
            return _summary(created=False)
        started = now()
        try:
            _seed(s, started)
        finally:
            clock.freeze(None)
    return _summary(created=True)


@dataclass
class DemoContext:
    """What the demo's events share: the session, today's date, the ids made so far (filled as events run)."""

    s: Session
    today: date
    started: datetime | None = None  # when the seeding began: no event is dated after it
    crm: int = 0
    lap: int = 0
    wp: dict[str, int] = field(default_factory=dict)  # CRM's WBS code -> work package id
    tasks: dict[str, int] = field(default_factory=dict)  # CRM task name -> id
    depts: dict[str, int] = field(default_factory=dict)  # department name -> id
    roles: dict[str, int] = field(default_factory=dict)  # CRM role key -> role id
    extra: dict[str, Any] = field(default_factory=dict)  # ids one area's event leaves for a later one

    def actor(self, username: str) -> Actor:
        return _actor(self.s, username)

    def user_id(self, username: str) -> int:
        return _user_id(self.s, username)

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def at(self, day: int, hour: int = 9, minute: int = 0) -> datetime:
        """Move the frozen clock to `day` days from today at hour:minute (within an event that spans time)."""
        when = datetime.combine(self.day(day), time(hour, minute), UTC)
        if self.started is not None:  # this morning's events of a demo seeded at dawn: never in the future
            when = min(when, self.started - timedelta(minutes=1))
        clock.freeze(when)
        return when


@dataclass(frozen=True)
class Event:
    """Something that happens in the demo's history: `day` days from today (negative: past) at hour:minute.
    The clock is frozen at that moment while `run` acts, so the journal reads as if people had done it then."""

    day: int
    hour: int
    minute: int
    what: str
    run: Callable[[DemoContext], None]


def _timeline() -> list[Event]:
    """Every event after the plan was made, from every area, in the order they happened (stable for ties)."""
    from charter.services import demo_budget, demo_comms, demo_quality, demo_risk

    events = list(_CORE_EVENTS)
    for area in (demo_budget, demo_comms, demo_quality, demo_risk):
        events += area.events()
    return sorted(events, key=lambda e: (e.day, e.hour, e.minute))


def _seed(s: Session, started: datetime) -> None:
    ctx = DemoContext(s=s, today=started.date(), started=started)
    _seed_plan(ctx, ctx.at)
    for event in _timeline():
        ctx.at(event.day, event.hour, event.minute)
        event.run(ctx)


def _seed_plan(ctx: DemoContext, at: Callable[..., datetime]) -> None:
    """The organisation, CRM's charter, WBS, roles and schedule (days -100 to -88): what every later event
    builds on."""
    s, today = ctx.s, ctx.today
    # ---------------------------------------------------------------- the organisation (admin, day -100)
    at(-100, 8, 30)
    _ensure_user(s, SYSTEM, ADMIN, "Administrator", DEMO_PASSWORD, is_admin=True)
    admin = _actor(s, ADMIN)
    existing = {d["name"]: d for d in org.list_departments(s, admin)}
    dept_ids = {
        name: existing[name]["id"] if name in existing else org.create_department(s, admin, name=name)["id"]
        for name in DEPARTMENT_HEADS
    }
    ctx.depts.update(dept_ids)
    for p in PEOPLE:
        _ensure_user(s, admin, p.username, p.name, DEMO_PASSWORD, department_id=dept_ids[p.department])
    for d in org.list_departments(s, admin):
        head = DEPARTMENT_HEADS.get(d["name"])
        if head and d["head_user_id"] is None:
            org.update_department(s, admin, d["id"], d["version"], head_user_id=_user_id(s, head))

    # ---------------------------------------------------------------- CRM: proposed (day -100)
    at(-100, 10)
    crm = projects.create_project(
        s,
        admin,
        key="CRM",
        name="CRM migration",
        objectives=CRM_OBJECTIVES,
        scope_statement=CRM_SCOPE,
        success_criteria=CRM_SUCCESS,
        start_date=today - timedelta(days=90),
        target_date=today + timedelta(days=120),
        currency="EUR",
        manager_id=_user_id(s, "marco.rossi"),
    )
    pid = ctx.crm = crm["id"]
    marco = _actor(s, "marco.rossi")
    ctx.roles.update({r["key"]: r["id"] for r in roles.list_roles(s, marco, pid) if r["key"]})

    # ---------------------------------------------------------------- the WBS (Marco, day -95)
    at(-95, 14)
    for name, description, children in CRM_WBS:
        top = work_packages.create_work_package(s, marco, pid, name=name, description=description)
        ctx.wp[top["wbs_code"]] = top["id"]
        for child_name, child_description in children:
            sub = work_packages.create_work_package(
                s, marco, pid, name=child_name, description=child_description, parent_id=top["id"]
            )
            ctx.wp[sub["wbs_code"]] = sub["id"]

    # ---------------------------------------------------------------- kick-off (day -90)
    at(-90, 9)
    proj = projects.get_project(s, marco, pid)
    projects.update_project(s, marco, pid, proj["version"], status="active")
    quality.close_phase(s, marco, pid)  # initiation -> planning: the charter is signed, nothing is open yet
    at(-90, 11)
    _assign(ctx, marco, SPONSOR, "robert.lindqvist", note="funds the project from the Sales budget")
    _assign(ctx, marco, OBSERVER, "dana.whitfield")
    for who in ("sofia.alvarez", "aisha.karimi", "thomas.brennan"):
        _assign(ctx, marco, STAKEHOLDER, who)
    _assign(ctx, marco, LIAISON, "emily.carter", dept_ids["Sales"], note="speaks for Sales")
    for code, who in (
        ("1", "chloe.martin"),
        ("2", "jonas.becker"),
        ("2.1", "ravi.patel"),
        ("3", "lena.fischer"),
        ("4", "hannah.schmidt"),
    ):
        _assign(ctx, marco, TASK_LEADER, who, ctx.wp[code])
    for who in ("ravi.patel", "samuel.osei"):
        _assign(ctx, marco, TASK_WORKER, who)

    # ---------------------------------------------------------------- the schedule (Marco, day -88)
    at(-88, 10)
    ctx.tasks.update(_seed_crm_schedule(s, marco, pid, ctx.wp))


def _assign(
    ctx: DemoContext, actor: Actor, role_key: str, username: str, scope_id: int | None = None, note: str = ""
) -> int:
    a = roles.assign_role(
        ctx.s,
        actor,
        ctx.crm,
        role_id=ctx.roles[role_key],
        user_id=_user_id(ctx.s, username),
        scope_id=scope_id,
        valid_from=now(),
        note=note,
    )
    return int(a["id"])


def _execution_and_security_officer(ctx: DemoContext) -> None:
    """Day -60: CRM is in execution (its planning gate passed at 08:30, see demo_quality); Marco creates a
    Security Officer role mid-project and fills it."""
    s, pid = ctx.s, ctx.crm
    marco = ctx.actor("marco.rossi")
    ctx.at(-60, 15)
    officer = roles.create_role(
        s,
        marco,
        pid,
        name="Security Officer",
        scope_kind="project",
        permissions=["tech.manage", "risk.manage", "risk.raise", "concern.raise"],
        exclusive=True,
        description="Signs off data protection and access design of the new CRM and its integrations.",
    )
    roles.set_raci(s, marco, pid, area="technology", role_id=officer["id"], letter="A")
    ctx.roles["security_officer"] = officer["id"]
    ctx.extra["officer_assignment"] = _assign(
        ctx, marco, "security_officer", "samuel.osei", note="after the data-protection review"
    )


def _pm_hand_over(ctx: DemoContext) -> None:
    """Day -42: Marco hands CRM over to Priya."""
    roles.hand_over(
        ctx.s,
        ctx.actor("marco.rossi"),
        ctx.crm,
        role_id=ctx.roles[PM],
        to_user_id=ctx.user_id("priya.nair"),
        at=now(),
        note="Marco moves to the laptop refresh; Priya takes over CRM",
    )


def _customer_service_liaison(ctx: DemoContext) -> None:
    """Day -35: Customer Service gets its own liaison."""
    _assign(
        ctx,
        ctx.actor("priya.nair"),
        LIAISON,
        "david.nguyen",
        ctx.depts["Customer Service"],
        note="Customer Service asked for its own voice after the requirements review",
    )


def _security_officer_leaves(ctx: DemoContext) -> None:
    """Day -14: the Security Officer moves on; the role stays empty (the gap the desks show)."""
    priya = ctx.actor("priya.nair")
    assignment = ctx.extra["officer_assignment"]
    history = roles.list_assignments(ctx.s, priya, ctx.crm)
    version = next(a["version"] for a in history if a["id"] == assignment)
    roles.end_assignment(
        ctx.s,
        priya,
        ctx.crm,
        assignment,
        version,
        at=now(),
        note="moved to the security operations team; successor not yet named",
    )


def _progress_to_date(ctx: DemoContext) -> None:
    _seed_crm_progress(ctx.s, ctx.actor("priya.nair"), ctx.crm, ctx.tasks, ctx.today)


# name, WBS code of its package, duration, predecessors (name, type, lag), assignees
CRM_TASKS: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...], tuple[str, ...]], ...] = (
    ("Process workshops with Sales and Customer Service", "1", "8d", (), ("chloe.martin",)),
    (
        "Requirements backlog and fit-gap",
        "1",
        "10d",
        (("Process workshops with Sales and Customer Service", "FS", "0d"),),
        ("chloe.martin",),
    ),
    ("Requirements signed off", "1", "0d", (("Requirements backlog and fit-gap", "FS", "0d"),), ()),
    (
        "Data inventory and quality report",
        "2.1",
        "6d",
        (("Process workshops with Sales and Customer Service", "SS", "3d"),),
        ("ravi.patel",),
    ),
    (
        "De-duplicate accounts and contacts",
        "2.1",
        "15d",
        (("Data inventory and quality report", "FS", "0d"),),
        ("ravi.patel",),
    ),
    (
        "Mapping tables legacy → SaaS",
        "2.2",
        "8d",
        (("Requirements signed off", "FS", "0d"),),
        ("jonas.becker",),
    ),
    (
        "ETL scripts",
        "2.2",
        "20d",
        (("Mapping tables legacy → SaaS", "FS", "0d"),),
        ("jonas.becker", "ravi.patel"),
    ),
    (
        "Dress rehearsal 1",
        "2.2",
        "3d",
        (("ETL scripts", "FS", "0d"), ("De-duplicate accounts and contacts", "FS", "0d")),
        ("jonas.becker",),
    ),
    ("ERP interface design", "3.1", "5d", (("Requirements signed off", "FS", "0d"),), ("lena.fischer",)),
    (
        "ERP interface build and test",
        "3.1",
        "18d",
        (("ERP interface design", "FS", "0d"),),
        ("lena.fischer",),
    ),
    (
        "CTI screen pop and call logging",
        "3.2",
        "12d",
        (("Requirements signed off", "FS", "5d"),),
        ("lena.fischer",),
    ),
    (
        "Security review of integrations",
        "3",
        "4d",
        (("ERP interface build and test", "FF", "2d"), ("CTI screen pop and call logging", "FS", "0d")),
        ("samuel.osei",),
    ),
    ("Train the trainers", "4.1", "5d", (("Dress rehearsal 1", "FS", "0d"),), ("hannah.schmidt",)),
    (
        "Role-based courses (140 people)",
        "4.1",
        "15d",
        (("Train the trainers", "FS", "0d"),),
        ("hannah.schmidt",),
    ),
    (
        "Go-live weekend",
        "4.2",
        "2d",
        (("Role-based courses (140 people)", "FF", "0d"), ("Security review of integrations", "FS", "0d")),
        ("jonas.becker", "lena.fischer"),
    ),
    ("CRM live", "4.2", "0d", (("Go-live weekend", "FS", "0d"),), ()),
    ("Hypercare", "4.2", "20d", (("CRM live", "FS", "0d"),), ("chloe.martin", "hannah.schmidt")),
)


CRM_SYSTEMS = ["Legacy CRM", "SaaS CRM", "ERP", "Telephony (CTI)", "Data warehouse"]
CRM_TOUCHES = {
    "Data inventory and quality report": ["Legacy CRM"],
    "De-duplicate accounts and contacts": ["Legacy CRM"],
    "Mapping tables legacy → SaaS": ["Legacy CRM", "SaaS CRM"],
    "ETL scripts": ["Legacy CRM", "SaaS CRM", "Data warehouse"],
    "Dress rehearsal 1": ["Legacy CRM", "SaaS CRM"],
    "ERP interface design": ["SaaS CRM", "ERP"],
    "ERP interface build and test": ["SaaS CRM", "ERP"],
    "CTI screen pop and call logging": ["SaaS CRM", "Telephony (CTI)"],
    "Security review of integrations": ["SaaS CRM", "ERP", "Telephony (CTI)"],
    "Go-live weekend": ["Legacy CRM", "SaaS CRM", "ERP", "Telephony (CTI)", "Data warehouse"],
}


def _seed_crm_schedule(s: Session, marco: Actor, pid: int, wp_ids: dict[str, int]) -> dict[str, int]:
    """Tasks, links and assignments of the CRM plan (Lena carries two integrations at once: over-allocated),
    and baseline 0 as approved at kick-off."""
    from charter.services import custom_fields, scheduling, tasks, views

    # what Marco tracks beyond the built-in fields: which tasks the customers notice, the systems a task
    # touches (for the operations teams' change calendar), and the change ticket of the go-live in the IT
    # service desk
    custom_fields.create_field(s, marco, pid, name="Customer-facing", kind="flag")
    custom_fields.create_field(
        s, marco, pid, name="Systems touched", kind="multi_choice", choices=CRM_SYSTEMS
    )
    custom_fields.create_field(s, marco, pid, name="Change ticket", kind="text")
    ids: dict[str, int] = {}
    for name, code, duration, _preds, _people in CRM_TASKS:
        values: dict[str, Any] = {"Customer-facing": True} if code.startswith("4") else {}
        if name in CRM_TOUCHES:
            values["Systems touched"] = CRM_TOUCHES[name]
        if name == "Go-live weekend":
            values["Change ticket"] = "CHG-2031"
        t = tasks.create_task(
            s,
            marco,
            pid,
            name=name,
            work_package_id=wp_ids[code],
            duration=duration,
            milestone=duration == "0d",
            custom_fields=values,
        )
        ids[name] = t["id"]
    for name, _code, _duration, preds, people in CRM_TASKS:
        for pred, kind, lag in preds:
            tasks.create_link(s, marco, pid, pred_id=ids[pred], succ_id=ids[name], type=kind, lag=lag)
        if people:
            tasks.set_assignees(s, marco, pid, ids[name], [_user_id(s, u) for u in people])
    scheduling.save_baseline(s, marco, pid, number=0, name="Approved at kick-off")
    # the views Marco shares on the task table: the critical path with the custom fields, and the go-live's
    # tasks the customers notice
    views.create_view(s, marco, pid, name="Critical path", query={"critical": True, "custom_columns": True},
                      shared=True)  # fmt: skip
    views.create_view(s, marco, pid, name="Customer-facing", query={"fields": {"Customer-facing": "yes"},
                      "sort": "start", "custom_columns": True}, shared=True)  # fmt: skip
    return ids


# % complete of CRM's tasks as reported on day -1 (tasks not named have not started)
CRM_PROGRESS: dict[str, int] = {
    "Process workshops with Sales and Customer Service": 100,
    "Requirements backlog and fit-gap": 100,
    "Requirements signed off": 100,
    "Data inventory and quality report": 100,
    "De-duplicate accounts and contacts": 60,
    "Mapping tables legacy → SaaS": 100,
    "ETL scripts": 35,
    "ERP interface design": 100,
    "ERP interface build and test": 40,
}


def _seed_crm_progress(s: Session, priya: Actor, pid: int, ids: dict[str, int], today: date) -> None:
    from charter.services import scheduling, tasks

    sched = {t["id"]: t for t in scheduling.get_schedule(s, priya, pid)["tasks"]}
    for name, pct in CRM_PROGRESS.items():
        t = sched[ids[name]]
        changes: dict[str, Any] = {"percent_complete": pct}
        if t["start"] is not None:
            changes["actual_start"] = t["start"]
        if pct == 100 and t["finish"] is not None:
            changes["actual_finish"] = t["finish"]
        tasks.update_task(s, priya, pid, t["id"], t["version"], **changes)
    settings = scheduling.settings_row(s, pid)
    scheduling.set_status_date(s, priya, pid, datetime.combine(today, time(9, 0)), settings.version)


def _laptops(ctx: DemoContext) -> None:
    """Day -30: a second, smaller project with a different manager, so that visibility across projects shows."""
    s, today = ctx.s, ctx.today
    lap = projects.create_project(
        s,
        ctx.actor(ADMIN),
        key="LAP",
        name="Laptop refresh",
        objectives=LAP_OBJECTIVES,
        scope_statement="180 laptops for all departments; imaging, data transfer, disposal of old devices.",
        success_criteria="All staff on the new model by the target date; no more than one hour lost each.",
        start_date=today - timedelta(days=21),
        target_date=today + timedelta(days=60),
        currency="EUR",
        manager_id=_user_id(s, "marco.rossi"),
    )
    ctx.lap = lap["id"]


def _laptops_team(ctx: DemoContext) -> None:
    """Day -29: Marco breaks the laptop refresh down and names its people."""
    s, pid = ctx.s, ctx.lap
    marco = ctx.actor("marco.rossi")
    procurement = work_packages.create_work_package(
        s, marco, pid, name="Procurement", description="Tender, order and receive the laptops."
    )
    rollout = work_packages.create_work_package(
        s, marco, pid, name="Imaging & deployment", description="Build the image, swap devices desk by desk."
    )
    ctx.extra["lap_wp"] = {"procurement": procurement["id"], "rollout": rollout["id"]}
    proj = projects.get_project(s, marco, pid)
    projects.update_project(s, marco, pid, proj["version"], status="active")
    quality.close_phase(s, marco, pid)  # initiation -> planning
    by_key = {r["key"]: r["id"] for r in roles.list_roles(s, marco, pid) if r["key"]}
    for key, who, scope in (
        (SPONSOR, "dana.whitfield", None),
        (STAKEHOLDER, "thomas.brennan", None),
        (TASK_LEADER, "ravi.patel", procurement["id"]),
        (TASK_LEADER, "samuel.osei", rollout["id"]),
    ):
        roles.assign_role(s, marco, pid, role_id=by_key[key], user_id=_user_id(s, who), scope_id=scope)


_CORE_EVENTS: tuple[Event, ...] = (
    Event(-60, 9, 0, "a Security Officer role is created", _execution_and_security_officer),
    Event(-42, 10, 0, "PM hand-over Marco -> Priya", _pm_hand_over),
    Event(-35, 11, 0, "Customer Service liaison", _customer_service_liaison),
    Event(-30, 10, 0, "the laptop refresh project", _laptops),
    Event(-29, 9, 0, "the laptop refresh's packages and people", _laptops_team),
    Event(-14, 16, 0, "the Security Officer leaves", _security_officer_leaves),
    Event(-1, 17, 0, "progress to date", _progress_to_date),
)
