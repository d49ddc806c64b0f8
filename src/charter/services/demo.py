"""The demo: a realistic IT project (a CRM migration) with its people, roles, history and one responsibility
gap, built through the ordinary services so that the journal reads as if people had done it over weeks.

`seed(db)` is idempotent: when project CRM exists it changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from charter.domain.errors import NotFound
from charter.domain.roles import LIAISON, OBSERVER, PM, SPONSOR, STAKEHOLDER, TASK_LEADER, TASK_WORKER
from charter.persistence.db import Database
from charter.services import accounts, org, projects, roles, work_packages
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
        today = now().date()
        try:
            _seed(s, today)
        finally:
            clock.freeze(None)
    return _summary(created=True)


def _seed(s: Session, today: date) -> None:
    def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
        """A moment `day` days from today (negative: in the past), and freeze the clock there."""
        when = datetime.combine(today + timedelta(days=day), time(hour, minute), UTC)
        clock.freeze(when)
        return when

    # ---------------------------------------------------------------- the organisation (admin, day -100)
    at(-100, 8, 30)
    _ensure_user(s, SYSTEM, ADMIN, "Administrator", DEMO_PASSWORD, is_admin=True)
    admin = _actor(s, ADMIN)
    existing = {d["name"]: d for d in org.list_departments(s, admin)}
    dept_ids = {
        name: existing[name]["id"] if name in existing else org.create_department(s, admin, name=name)["id"]
        for name in DEPARTMENT_HEADS
    }
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
    pid = crm["id"]
    marco = _actor(s, "marco.rossi")
    role_ids = {r["key"]: r["id"] for r in roles.list_roles(s, marco, pid) if r["key"]}

    def assign(
        actor: Actor, role_key: str, username: str, scope_id: int | None = None, note: str = ""
    ) -> int:
        a = roles.assign_role(
            s,
            actor,
            pid,
            role_id=role_ids[role_key],
            user_id=_user_id(s, username),
            scope_id=scope_id,
            valid_from=now(),
            note=note,
        )
        return int(a["id"])

    # ---------------------------------------------------------------- the WBS (Marco, day -95)
    at(-95, 14)
    wp_ids: dict[str, int] = {}
    for name, description, children in CRM_WBS:
        top = work_packages.create_work_package(s, marco, pid, name=name, description=description)
        wp_ids[top["wbs_code"]] = top["id"]
        for child_name, child_description in children:
            sub = work_packages.create_work_package(
                s, marco, pid, name=child_name, description=child_description, parent_id=top["id"]
            )
            wp_ids[sub["wbs_code"]] = sub["id"]

    # ---------------------------------------------------------------- kick-off (day -90)
    at(-90, 9)
    proj = projects.get_project(s, marco, pid)
    projects.update_project(s, marco, pid, proj["version"], status="active", phase="planning")
    at(-90, 11)
    assign(marco, SPONSOR, "robert.lindqvist", note="funds the project from the Sales budget")
    assign(marco, OBSERVER, "dana.whitfield")
    for who in ("sofia.alvarez", "aisha.karimi", "thomas.brennan"):
        assign(marco, STAKEHOLDER, who)
    assign(marco, LIAISON, "emily.carter", dept_ids["Sales"], note="speaks for Sales")
    for code, who in (
        ("1", "chloe.martin"),
        ("2", "jonas.becker"),
        ("2.1", "ravi.patel"),
        ("3", "lena.fischer"),
        ("4", "hannah.schmidt"),
    ):
        assign(marco, TASK_LEADER, who, wp_ids[code])
    for who in ("ravi.patel", "samuel.osei"):
        assign(marco, TASK_WORKER, who)

    # ---------------------------------------------------------------- the schedule (Marco, day -88)
    at(-88, 10)
    task_ids = _seed_crm_schedule(s, marco, pid, wp_ids)

    # ---------------------------------------------------------------- execution, security role (day -60)
    at(-60, 9)
    proj = projects.get_project(s, marco, pid)
    projects.update_project(s, marco, pid, proj["version"], phase="execution")
    at(-60, 15)
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
    role_ids["security_officer"] = officer["id"]
    officer_assignment = assign(
        marco, "security_officer", "samuel.osei", note="after the data-protection review"
    )

    # ---------------------------------------------------------------- PM hand-over (day -42)
    when = at(-42, 10)
    roles.hand_over(
        s,
        marco,
        pid,
        role_id=role_ids[PM],
        to_user_id=_user_id(s, "priya.nair"),
        at=when,
        note="Marco moves to the laptop refresh; Priya takes over CRM",
    )
    priya = _actor(s, "priya.nair")

    # ---------------------------------------------------------------- Customer Service liaison (day -35)
    at(-35, 11)
    assign(
        priya,
        LIAISON,
        "david.nguyen",
        dept_ids["Customer Service"],
        note="Customer Service asked for its own voice after the requirements review",
    )

    # ---------------------------------------------------------------- the Security Officer leaves (day -14)
    when = at(-14, 16)
    history = roles.list_assignments(s, priya, pid)
    version = next(a["version"] for a in history if a["id"] == officer_assignment)
    roles.end_assignment(
        s,
        priya,
        pid,
        officer_assignment,
        version,
        at=when,
        note="moved to the security operations team; successor not yet named",
    )

    # ---------------------------------------------------------------- progress to date (Priya, yesterday)
    at(-1, 17)
    _seed_crm_progress(s, priya, pid, task_ids, today)

    _seed_laptops(s, today, at, admin)


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


def _seed_crm_schedule(s: Session, marco: Actor, pid: int, wp_ids: dict[str, int]) -> dict[str, int]:
    """Tasks, links and assignments of the CRM plan (Lena carries two integrations at once: over-allocated),
    and baseline 0 as approved at kick-off."""
    from charter.services import scheduling, tasks

    ids: dict[str, int] = {}
    for name, code, duration, _preds, _people in CRM_TASKS:
        t = tasks.create_task(
            s,
            marco,
            pid,
            name=name,
            work_package_id=wp_ids[code],
            duration=duration,
            milestone=duration == "0d",
        )
        ids[name] = t["id"]
    for name, _code, _duration, preds, people in CRM_TASKS:
        for pred, kind, lag in preds:
            tasks.create_link(s, marco, pid, pred_id=ids[pred], succ_id=ids[name], type=kind, lag=lag)
        if people:
            tasks.set_assignees(s, marco, pid, ids[name], [_user_id(s, u) for u in people])
    scheduling.save_baseline(s, marco, pid, number=0, name="Approved at kick-off")
    return ids


def _seed_crm_progress(s: Session, priya: Actor, pid: int, ids: dict[str, int], today: date) -> None:
    from charter.services import scheduling, tasks

    sched = {t["id"]: t for t in scheduling.get_schedule(s, priya, pid)["tasks"]}
    for name, pct in (
        ("Process workshops with Sales and Customer Service", 100),
        ("Requirements backlog and fit-gap", 100),
        ("Requirements signed off", 100),
        ("Data inventory and quality report", 100),
        ("De-duplicate accounts and contacts", 60),
        ("Mapping tables legacy → SaaS", 100),
        ("ETL scripts", 35),
        ("ERP interface design", 100),
        ("ERP interface build and test", 40),
    ):
        t = sched[ids[name]]
        changes: dict[str, Any] = {"percent_complete": pct}
        if t["start"] is not None:
            changes["actual_start"] = t["start"]
        if pct == 100 and t["finish"] is not None:
            changes["actual_finish"] = t["finish"]
        tasks.update_task(s, priya, pid, t["id"], t["version"], **changes)
    settings = scheduling.settings_row(s, pid)
    scheduling.set_status_date(s, priya, pid, datetime.combine(today, time(9, 0)), settings.version)


def _seed_laptops(s: Session, today: date, at: Callable[..., datetime], admin: Actor) -> None:
    """A second, smaller project with a different manager, so that visibility across projects shows."""
    at(-30, 10)
    lap = projects.create_project(
        s,
        admin,
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
    pid = lap["id"]
    marco = _actor(s, "marco.rossi")
    at(-29, 9)
    procurement = work_packages.create_work_package(
        s, marco, pid, name="Procurement", description="Tender, order and receive the laptops."
    )
    rollout = work_packages.create_work_package(
        s, marco, pid, name="Imaging & deployment", description="Build the image, swap devices desk by desk."
    )
    proj = projects.get_project(s, marco, pid)
    projects.update_project(s, marco, pid, proj["version"], status="active", phase="planning")
    by_key = {r["key"]: r["id"] for r in roles.list_roles(s, marco, pid) if r["key"]}
    for key, who, scope in (
        (SPONSOR, "dana.whitfield", None),
        (STAKEHOLDER, "thomas.brennan", None),
        (TASK_LEADER, "ravi.patel", procurement["id"]),
        (TASK_LEADER, "samuel.osei", rollout["id"]),
    ):
        roles.assign_role(s, marco, pid, role_id=by_key[key], user_id=_user_id(s, who), scope_id=scope)
