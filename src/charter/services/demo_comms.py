"""The demo's comms history: events merged into the demo's timeline (see `demo.Event`).

What it leaves behind in CRM: the stakeholder register (people in Charter and groups outside it), the
communication plan (one entry overdue; the PM hand-over passed Marco's entries to Priya), message threads that
show the liaison routing (Sales through Emily Carter from the start; Customer Service straight to the PM until
David Nguyen becomes its liaison on day -35, then through him; department heads always straight to the PM), a
PM direct contact with a department head, an announcement, stakeholder concerns (answered, acknowledged, still
open), two steering committees and a weekly team meeting with minutes, decisions and action items (one
steering committee still to come), and two conflicts: Sales vs Customer Service on the cut-over weekend, up the
whole escalation ladder to the Sponsor and closed; and an open technical one with the PM.

Every conversation is one event: it starts on the first working day on or after its nominal day (or on or
before, for the last days) and its later steps fall on working days after that, so nothing happens on a
weekend whatever today is. Each event stays inside the span where the people it needs hold their roles (the
PM hand-over on day -42, David's liaison role from day -35).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from charter.domain.roles import TASK_LEADER
from charter.services import comm_plan, comms, conflicts, meetings, stakeholders, tasks
from charter.services.demo import PEOPLE, DemoContext, Event

# --------------------------------------------------------------------------------------------- working days


def _weekday(ctx: DemoContext, n: int, step: int) -> int:
    """Day offset n moved (by `step`, +1 or -1) to the nearest Monday-to-Friday."""
    while ctx.day(n).weekday() >= 5:
        n += step
    return n


class _Days:
    """The clock of one conversation: step k is k working days after its first (working) day."""

    def __init__(self, ctx: DemoContext, nominal: int, *, before: bool = False) -> None:
        self.ctx = ctx
        self.start = _weekday(ctx, nominal, -1 if before else 1)

    def day(self, k: int) -> int:
        n = self.start
        for _ in range(k):
            n = _weekday(self.ctx, n + 1, 1)
        return n

    def at(self, k: int, hour: int, minute: int = 0) -> int:
        """Move the frozen clock to step k at hour:minute; returns the day offset."""
        n = self.day(k)
        self.ctx.at(n, hour, minute)
        return n


def _utc(ctx: DemoContext, n: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(ctx.day(n), time(hour, minute), UTC)


def _wall(ctx: DemoContext, n: int, hour: int) -> datetime:
    """A schedule wall-clock time (no zone) on day offset n."""
    return datetime.combine(ctx.day(n), time(hour, 0))


# --------------------------------------------------------------------------------------------- messages


def _send(ctx: DemoContext, who: str, subject: str, body: str, *, to: str = "pm", **kw: Any) -> int:
    item = comms.send(ctx.s, ctx.actor(who), ctx.crm, to=to, subject=subject, body=body, **kw)
    return int(item["id"])


def _answer(ctx: DemoContext, who: str, item: int, body: str, pm_minutes: int | None = None) -> None:
    comms.answer(ctx.s, ctx.actor(who), ctx.crm, item, body=body, pm_minutes=pm_minutes)


def _close(ctx: DemoContext, who: str, item: int) -> None:
    comms.close(ctx.s, ctx.actor(who), ctx.crm, item)


def _forward(ctx: DemoContext, who: str, items: list[int], note: str) -> None:
    comms.forward(ctx.s, ctx.actor(who), ctx.crm, item_ids=items, note=note)


def _concern(
    ctx: DemoContext, who: str, subject: str, body: str, areas: list[str], severity: str
) -> tuple[int, int]:
    """A stakeholder's concern; returns (concern id, id of its message thread)."""
    c = stakeholders.raise_concern(
        ctx.s, ctx.actor(who), ctx.crm, subject=subject, body=body, areas=areas, severity=severity
    )
    return int(c["id"]), int(c["comm_item_id"])


def _answer_concern(ctx: DemoContext, who: str, concern: int, thread: int, text: str, minutes: int) -> None:
    """The PM answers a concern's thread, saying how long it took; the services give the concern the same
    answer (a concern that is a conflict-log entry or a risk is answered in the register as well)."""
    _answer(ctx, who, thread, text, minutes)
    if stakeholders.get_concern(ctx.s, ctx.actor(who), ctx.crm, concern)["status"] != "answered":
        stakeholders.answer(ctx.s, ctx.actor(who), ctx.crm, concern, text=text)


# --------------------------------------------------------------------------------------------- register and plan

STAKEHOLDERS: tuple[dict[str, Any], ...] = (
    dict(user="robert.lindqvist", interest=5, influence=5, attitude="champion", current_engagement="supportive",
         desired_engagement="leading",
         communication_needs="Weekly status e-mail (RAG, decisions needed); chairs the monthly steering committee; "
                             "decides the cut-over window and any change to scope or budget."),
    dict(user="aisha.karimi", interest=5, influence=4, attitude="critic", current_engagement="resistant",
         desired_engagement="supportive",
         communication_needs="Worried about case-handling times during cut-over. Wants CTI screen pop on day one "
                             "and agents trained before go-live. Steering committee member."),
    dict(user="thomas.brennan", interest=2, influence=5, attitude="neutral", current_engagement="neutral",
         desired_engagement="supportive",
         communication_needs="Monthly cost and licence report; early warning of anything above the contingency. "
                             "Signs off the legacy licence termination."),
    dict(user="sofia.alvarez", interest=4, influence=2, attitude="supporter", current_engagement="neutral",
         desired_engagement="supportive",
         communication_needs="Through Emily Carter (Sales liaison). Needs cut-over dates early: no disruption in "
                             "the last two weeks of a sales quarter."),
    dict(user="dana.whitfield", interest=3, influence=4, attitude="supporter", current_engagement="supportive",
         desired_engagement="supportive",
         communication_needs="Steering committee; IT operations hand-over and legacy server decommissioning."),
    dict(name="Field sales representatives (about 80)", kind="group", dept="Sales", interest=4, influence=2,
         attitude="neutral", current_engagement="unaware", desired_engagement="supportive",
         communication_needs="Short bulletins through the Sales liaison; role-based training; a cheat sheet for "
                             "the first week."),
    dict(name="Customer Service agents (about 60)", kind="group", dept="Customer Service", interest=5, influence=2,
         attitude="critic", current_engagement="resistant", desired_engagement="supportive",
         communication_needs="Training on their shift patterns; super-users on the floor during hypercare."),
    dict(name="Works council", kind="group", interest=3, influence=4, attitude="neutral",
         current_engagement="unaware", desired_engagement="neutral",
         communication_needs="Must be consulted before automatic call logging (CTI) goes live: it records "
                             "employees' activity. Formal briefing with the data-protection assessment."),
    dict(name="SaaS CRM vendor — customer success manager", kind="person", interest=3, influence=3,
         attitude="supporter", current_engagement="supportive", desired_engagement="supportive",
         communication_needs="Fortnightly call; escalation path for sandbox and API rate limits."),
)  # fmt: skip


def _register_and_plan(ctx: DemoContext) -> None:
    """Day -89: Marco writes the stakeholder register and the communication plan after the kick-off."""
    d = _Days(ctx, -89)
    d.at(0, 14)
    s, pid, marco = ctx.s, ctx.crm, ctx.actor("marco.rossi")
    ids: dict[str, int] = {}
    for x in STAKEHOLDERS:
        x = dict(x)
        user = x.pop("user", None)
        dept = x.pop("dept", None)
        if user is not None:
            x["user_id"] = ctx.user_id(user)
            x["name"] = next(p.name for p in PEOPLE if p.username == user)
        if dept is not None:
            x["department_id"] = ctx.depts[dept]
        row = stakeholders.create_stakeholder(s, marco, pid, **x)
        ids[user or row["name"]] = int(row["id"])
    ctx.extra["comms.stakeholders"] = ids

    d.at(0, 16)
    kickoff = ctx.day(d.start)
    plan: dict[str, int] = {}
    for key, values in (
        ("steering", dict(information="Steering committee: progress, budget, risks and decisions",
                          audience="user", audience_user_id=ctx.user_id("robert.lindqvist"),
                          frequency="monthly", channel="meeting", starts_on=kickoff + timedelta(days=25))),
        ("status", dict(information="Weekly status report (RAG, milestones, decisions needed)", audience="user",
                        audience_user_id=ctx.user_id("robert.lindqvist"), frequency="weekly", channel="email",
                        starts_on=kickoff + timedelta(days=4))),
        ("finance", dict(information="Cost and licence report", audience="user",
                         audience_user_id=ctx.user_id("thomas.brennan"), frequency="monthly", channel="email",
                         starts_on=kickoff + timedelta(days=30))),
        ("sales_sync", dict(information="Liaison sync: Sales (open questions, upcoming asks of Sales staff)",
                            audience="user", audience_user_id=ctx.user_id("emily.carter"), frequency="weekly",
                            channel="meeting", starts_on=kickoff + timedelta(days=3))),
        ("team", dict(information="Weekly team meeting: task status, blockers, next week", audience="role",
                      audience_role_id=ctx.roles[TASK_LEADER], frequency="weekly", channel="meeting",
                      starts_on=kickoff + timedelta(days=3))),
        ("go_live", dict(information="Milestone briefing for everyone on the project (what was reached, what is next)", audience="project",
                         frequency="per_milestone", channel="meeting")),
    ):  # fmt: skip
        plan[key] = int(comm_plan.create_entry(s, marco, pid, **values)["id"])
    ctx.extra["comms.plan"] = plan


def _plan_done(ctx: DemoContext, who: str, key: str, n: int) -> None:
    comm_plan.mark_done(ctx.s, ctx.actor(who), ctx.crm, ctx.extra["comms.plan"][key], on=ctx.day(n))


# --------------------------------------------------------------------------------------------- Marco's months


def _sales_list_views(ctx: DemoContext) -> None:
    """Day -82: Sofía asks through Emily, who answers from the fit-gap notes (resolved by the liaison)."""
    d = _Days(ctx, -82)
    d.at(0, 10, 15)
    item = _send(ctx, "sofia.alvarez", "Will our saved list views and pipeline dashboards move across?",
                 "My team lives in the *My open opportunities* and *Quarter pipeline by region* views. Will they "
                 "exist on day one in the new CRM, or do we rebuild them ourselves?")  # fmt: skip
    d.at(0, 15, 40)
    _answer(ctx, "emily.carter", item,
            "Checked with Chloé after yesterday's workshop: list views are **not migrated** (different query "
            "model), but the six most used Sales views — yours included — are in the requirements backlog as "
            "standard views for all reps. Personal views are rebuilt in the training session (10 minutes).")  # fmt: skip
    d.at(1, 9, 5)
    _close(ctx, "sofia.alvarez", item)


def _sales_quarter_end(ctx: DemoContext) -> None:
    """Day -78: Sofía asks for no cut-over at quarter-end; Emily forwards, Marco answers."""
    d = _Days(ctx, -78)
    d.at(0, 11)
    item = _send(ctx, "sofia.alvarez", "No cut-over in the last two weeks of a sales quarter",
                 "Reps close about 40 % of the quarter's orders in its last two weeks. If the CRM is down or "
                 "half-migrated then, we lose orders. Please keep the go-live weekend out of those weeks.")  # fmt: skip
    d.at(0, 16, 30)
    _forward(
        ctx,
        "emily.carter",
        [item],
        "Sales leadership backs this. It is a constraint for the cut-over plan, not a wish.",
    )
    d.at(1, 10)
    _answer(ctx, "marco.rossi", item,
            "Agreed and recorded as a cut-over constraint: no go-live weekend in the last two weeks of a quarter. "
            "The current plan puts go-live well before that window; if the schedule slips into it, the "
            "steering committee decides.", pm_minutes=20)  # fmt: skip
    d.at(1, 14)
    _close(ctx, "sofia.alvarez", item)


def _cs_warranty_history(ctx: DemoContext) -> None:
    """Day -74: Aisha writes to the PM directly (Customer Service has no liaison yet)."""
    d = _Days(ctx, -74)
    d.at(0, 9, 30)
    item = _send(ctx, "aisha.karimi", "Warranty cases older than 7 years",
                 "Agents regularly open cases from 2014–2016 for long-warranty products. The charter migrates 7 "
                 "years of history. How do agents see the older cases after go-live?")  # fmt: skip
    d.at(1, 11)
    _answer(ctx, "marco.rossi", item,
            "Older history stays out of the migration (scope statement), but it will not be lost: Jonas exports "
            "closed cases older than 7 years to a read-only archive, searchable by customer number, linked from "
            "the customer record. I've added it to the migration tooling package.", pm_minutes=30)  # fmt: skip
    d.at(1, 15)
    _close(ctx, "aisha.karimi", item)


def _cs_training_rooms(ctx: DemoContext) -> None:
    """Day -70: Hannah asks the PM directly about training logistics; answered, left open for follow-up."""
    d = _Days(ctx, -70)
    d.at(0, 13)
    item = _send(ctx, "hannah.schmidt", "Training rooms and laptops for 140 people",
                 "For the role-based courses I need two rooms with 12 laptops each for three weeks, plus a "
                 "sandbox login per trainee. Who books that — the project or Facilities?")  # fmt: skip
    d.at(1, 10, 30)
    _answer(ctx, "marco.rossi", item,
            "The project books and pays: rooms through Facilities (I've asked for B2.14 and B2.15), laptops from "
            "the IT pool, sandbox logins from the vendor. Send me the course calendar when you have it.",
            pm_minutes=15)  # fmt: skip


def _finance_licence_concern(ctx: DemoContext) -> None:
    """Day -66: Thomas raises a budget concern (no Finance liaison: it reaches the PM directly)."""
    d = _Days(ctx, -66)
    d.at(0, 8, 45)
    concern, thread = _concern(
        ctx, "thomas.brennan", "Licence overlap: paying for two CRMs during hypercare",
        "The legacy CRM's support contract ends at year end, the SaaS subscription starts at go-live, and "
        "hypercare runs four weeks. If go-live slips we pay both for longer. What overlap does the budget assume, "
        "and who decides to extend the legacy contract?", ["budget", "schedule"], "medium")  # fmt: skip
    d.at(1, 9, 15)
    stakeholders.acknowledge(ctx.s, ctx.actor("marco.rossi"), ctx.crm, concern)
    d.at(2, 14)
    _answer_concern(ctx, "marco.rossi", concern, thread,
                    "The budget assumes two months of overlap (go-live + four weeks of hypercare + four weeks "
                    "of read-only access). Extending the legacy contract needs your and Robert's approval; I'll "
                    "show the overlap as a line of its own in the monthly cost report.", 25)  # fmt: skip


def _steering_1(ctx: DemoContext) -> None:
    """Day -68: Marco invites to the first steering committee; it meets about a week later (minutes, decisions,
    action items)."""
    d = _Days(ctx, -68)
    d.at(0, 11)
    s, pid, marco = ctx.s, ctx.crm, ctx.actor("marco.rossi")
    held = _weekday(ctx, -62, -1)
    m = meetings.create_meeting(
        s, marco, pid, title="Steering committee #1", starts_at=_utc(ctx, held, 14),
        ends_at=_utc(ctx, held, 15, 30), location="Board room, 4th floor / video link",
        agenda="1. Requirements sign-off and fit-gap results\n2. Plan and baseline for execution\n"
               "3. Budget: licence overlap\n4. Data protection: who signs off the integrations?\n5. Risks",
        attendee_ids=[ctx.user_id(u) for u in ("robert.lindqvist", "dana.whitfield", "thomas.brennan",
                                               "aisha.karimi", "emily.carter")],
    )  # fmt: skip
    ctx.extra["comms.steering_1"] = m["id"]
    ctx.at(held, 16, 30)
    m = meetings.update_meeting(s, marco, pid, m["id"], m["version"], minutes=(
        "**Present:** Robert Lindqvist (chair), Dana Whitfield, Thomas Brennan, Aisha Karimi, Emily Carter, "
        "Marco Rossi (PM)\n\n"
        "- Requirements backlog signed off: 212 requirements, 9 gaps, all with a workaround or a configuration.\n"
        "- Plan: baseline 0 stands; the project moves to execution.\n"
        "- Budget: licence overlap of two months assumed (Thomas's concern); contingency kept at 10 %.\n"
        "- Data protection: nobody in the project signs off access design today. Dana proposes a Security "
        "Officer role.\n"
        "- Risks: data quality is the biggest one (duplicate accounts across Sales and Customer Service)."
    ))  # fmt: skip
    for text in (
        "Requirements baseline signed off; the project moves to execution.",
        "A Security Officer role is created in the project to sign off data protection and access design.",
        "Marketing automation stays out of scope (separate project next year).",
    ):
        meetings.add_decision(s, marco, pid, m["id"], text=text)
    actions = []
    for text, owner, due, wp in (
        ("Nominate a security engineer as Security Officer for the CRM project", "dana.whitfield", 2, None),
        ("Confirm the licence-overlap line in the cost report", "thomas.brennan", 7, None),
    ):
        out = meetings.add_action(s, marco, pid, m["id"], text=text, owner_id=ctx.user_id(owner),
                                  due_on=ctx.day(_weekday(ctx, held + due, 1)), work_package_id=wp)  # fmt: skip
        actions.append(out["actions"][-1]["task_id"])
    ctx.extra["comms.steering_1_actions"] = actions
    _plan_done(ctx, "marco.rossi", "steering", held)


def _steering_1_actions_done(ctx: DemoContext) -> None:
    """Day -55: Marco records the first steering committee's action items as done, and the briefing on the
    requirements sign-off."""
    d = _Days(ctx, -55)
    d.at(0, 17)
    held = _weekday(ctx, -62, -1)
    for task_id, done in zip(ctx.extra["comms.steering_1_actions"], (-60, d.start), strict=True):
        _task_done(ctx, "marco.rossi", task_id, held, done)
    _plan_done(ctx, "marco.rossi", "go_live", d.start)  # requirements signed off: everyone briefed


def _task_done(ctx: DemoContext, who: str, task_id: int, start: int, finish: int) -> None:
    t = tasks.get_task(ctx.s, ctx.actor(who), ctx.crm, task_id)
    tasks.update_task(ctx.s, ctx.actor(who), ctx.crm, task_id, t["version"], percent_complete=100,
                      actual_start=_wall(ctx, start, 9), actual_finish=_wall(ctx, max(start, finish), 16))  # fmt: skip


def _task_from(ctx: DemoContext, who: str, task_id: int, start: int) -> None:
    """An open action item starts no earlier than its meeting (not at the project's start)."""
    t = tasks.get_task(ctx.s, ctx.actor(who), ctx.crm, task_id)
    tasks.update_task(ctx.s, ctx.actor(who), ctx.crm, task_id, t["version"], constraint_type="snet",
                      constraint_date=_wall(ctx, start, 9))  # fmt: skip


def _cs_screen_pop(ctx: DemoContext) -> None:
    """Day -57: Aisha, directly to Marco: the screen pop must be there on day one."""
    d = _Days(ctx, -57)
    d.at(0, 10)
    item = _send(ctx, "aisha.karimi", "CTI screen pop must work on day one",
                 "Without the screen pop agents search every caller by hand: about 40 seconds per call, 1,800 "
                 "calls a day. Please confirm the telephony integration is live at go-live, not in a later "
                 "release.")  # fmt: skip
    d.at(1, 12)
    _answer(ctx, "marco.rossi", item,
            "Confirmed: CTI screen pop and call logging are in scope for go-live (package 3.2), and the go-live "
            "weekend depends on their security review. One caveat — the works council must be consulted on call "
            "logging first (it is on the stakeholder register); I'll brief them with the data-protection assessment.", pm_minutes=35)  # fmt: skip


def _cs_duplicates_concern(ctx: DemoContext) -> None:
    """Day -53: Aisha's quality concern about duplicate customers, answered by Marco."""
    d = _Days(ctx, -53)
    d.at(0, 9)
    concern, thread = _concern(
        ctx, "aisha.karimi", "Duplicate customer records will split case history",
        "Ravi's data inventory shows 11 % duplicate accounts. If they are migrated as they are, an agent sees "
        "half a customer's cases and Sales sees the other half. That is worse than today.",
        ["quality", "scope"], "high")  # fmt: skip
    d.at(0, 15)
    stakeholders.acknowledge(ctx.s, ctx.actor("marco.rossi"), ctx.crm, concern)
    d.at(2, 11)
    _answer_concern(ctx, "marco.rossi", concern, thread,
                    "Agreed, and it is the project's top quality risk. De-duplication (package 2.1) runs before "
                    "the migration, with a merge rule agreed by both departments: the record with the latest "
                    "order or case wins, the other's history is attached. Acceptance target after cut-over: "
                    "fewer than 0.5 % duplicates (success criterion 1). Ravi will show the merge rule to your "
                    "team leads next week.", 40)  # fmt: skip


def _finance_support_renewal(ctx: DemoContext) -> None:
    """Day -50: Thomas asks the PM directly; answered and closed."""
    d = _Days(ctx, -50)
    d.at(0, 14)
    item = _send(ctx, "thomas.brennan", "Legacy CRM support renewal: 3 or 12 months?",
                 "Procurement needs an answer by Friday: the vendor offers a 3-month extension at 9,600 EUR or 12 "
                 "months at 24,000 EUR. Which one does the project need?")  # fmt: skip
    d.at(1, 9, 30)
    _answer(ctx, "marco.rossi", item,
            "Three months, please: go-live plus hypercare and read-only access fit inside it with three weeks to "
            "spare. If the schedule slips by more than that, we come back to you before the notice date.",
            pm_minutes=15)  # fmt: skip
    d.at(1, 11)
    _close(ctx, "thomas.brennan", item)


def _it_customer_numbers(ctx: DemoContext) -> None:
    """Day -47: a peer question between two Task Leaders."""
    d = _Days(ctx, -47)
    d.at(0, 11)
    item = _send(ctx, "jonas.becker", "Customer numbers in the ERP interface", to="user",
                 to_user_id=ctx.user_id("lena.fischer"), entity_type="task",
                 entity_id=ctx.tasks["ERP interface design"],
                 body="The mapping tables keep the legacy customer number as an external ID. Does the ERP "
                      "interface key on that, or on the new CRM account ID?")  # fmt: skip
    d.at(0, 15)
    _answer(ctx, "lena.fischer", item,
            "On the ERP customer number, which equals the legacy number for 98 % of accounts. The other 2 % "
            "(created in the ERP only) need a lookup — let's settle it in the interface design review.")  # fmt: skip


# --------------------------------------------------------------------------------------------- Priya's months


def _pm_to_cs_head(ctx: DemoContext) -> None:
    """Day -40: Priya writes to the Head of Customer Service directly (a PM direct contact)."""
    d = _Days(ctx, -40)
    d.at(0, 10)
    item = _send(ctx, "priya.nair", "Introduction — and a liaison for Customer Service?", to="user",
                 to_user_id=ctx.user_id("aisha.karimi"),
                 body="Hello Aisha, I took over the CRM migration from Marco this week. Customer Service has "
                      "written to the PM directly on almost every topic so far; Sales routes its questions "
                      "through Emily Carter, which works well for both sides. Would you name a team lead as "
                      "Customer Service's liaison?")  # fmt: skip
    d.at(1, 16)
    _answer(ctx, "aisha.karimi", item,
            "Welcome, Priya. Yes — David Nguyen (team lead, first-level support) will be our liaison. He knows "
            "the agents' day better than I do. Please set him up.")  # fmt: skip


def _cs_email_templates_direct(ctx: DemoContext) -> None:
    """Day -39: the last Customer Service question that reaches the PM directly, before David."""
    d = _Days(ctx, -39)
    d.at(0, 14)
    item = _send(
        ctx,
        "aisha.karimi",
        "Agents' e-mail templates and macros",
        "We have about 150 e-mail templates and 40 macros in the legacy system. Are they migrated?",
    )
    d.at(1, 10)
    _answer(ctx, "priya.nair", item,
            "Templates yes (Jonas migrates them as text with their placeholders mapped), macros no — they are "
            "rebuilt as quick actions in the new CRM. Hannah will list the 40 in the training material.",
            pm_minutes=20)  # fmt: skip


def _cs_liaison_start(ctx: DemoContext) -> None:
    """Day -34: with David in place, Priya adds a liaison sync and updates Aisha's engagement."""
    d = _Days(ctx, -34)
    d.at(0, 9, 30)
    s, pid, priya = ctx.s, ctx.crm, ctx.actor("priya.nair")
    entry = comm_plan.create_entry(
        s, priya, pid, information="Liaison sync: Customer Service (open questions, training, hypercare)",
        audience="user", audience_user_id=ctx.user_id("david.nguyen"), frequency="weekly", channel="meeting",
        starts_on=ctx.day(d.start) + timedelta(days=2))  # fmt: skip
    ctx.extra["comms.plan"]["cs_sync"] = int(entry["id"])
    bulletin = comm_plan.create_entry(
        s, priya, pid, information="Training and cut-over bulletin for Customer Service staff",
        audience="department", audience_department_id=ctx.depts["Customer Service"], frequency="biweekly",
        channel="email", owner_id=ctx.user_id("hannah.schmidt"), starts_on=ctx.day(d.start) + timedelta(days=7))  # fmt: skip
    ctx.extra["comms.plan"]["cs_bulletin"] = int(bulletin["id"])
    reg = stakeholders.register(s, priya, pid)
    aisha = next(x for x in reg["stakeholders"] if x["user_id"] == ctx.user_id("aisha.karimi"))
    stakeholders.update_stakeholder(
        s, priya, pid, aisha["id"], aisha["version"], attitude="neutral", current_engagement="neutral",
        communication_needs=aisha["communication_needs"] + " Now through David Nguyen, the department's liaison.")  # fmt: skip


def _cs_sandbox_data(ctx: DemoContext) -> None:
    """Day -33: Hannah asks through David, who answers himself (resolved by the liaison)."""
    d = _Days(ctx, -33)
    d.at(0, 10)
    item = _send(ctx, "hannah.schmidt", "Can super-users practise on real (anonymised) cases?",
                 "Training on made-up cases does not convince experienced agents. Can the sandbox have a copy "
                 "of real cases with names and contact details removed?")  # fmt: skip
    d.at(0, 16)
    _answer(ctx, "david.nguyen", item,
            "Already planned: dress rehearsal 1 loads an anonymised copy into the sandbox (Jonas confirmed in our "
            "sync). Super-users get it right after the rehearsal, before train-the-trainer.")  # fmt: skip
    d.at(1, 9)
    _close(ctx, "hannah.schmidt", item)


def _cs_batch_forward(ctx: DemoContext) -> None:
    """Day -31: two Customer Service questions from Hannah, forwarded by David in one batch; Priya answers both
    (Aisha, the department's head, would write to the PM directly)."""
    d = _Days(ctx, -31)
    d.at(0, 11)
    macros = _send(ctx, "hannah.schmidt", "Quick actions must be ready for the super-user training",
                   "If the 40 macros become quick actions, they have to exist in the sandbox before "
                   "train-the-trainer, or super-users learn the old way.")  # fmt: skip
    d.at(1, 9, 30)
    guides = _send(ctx, "hannah.schmidt", "Quick-reference guides in German and English",
                   "A third of the agents prefer German. Can the quick-reference guides be bilingual, and who "
                   "translates?")  # fmt: skip
    d.at(1, 15)
    _forward(
        ctx,
        "david.nguyen",
        [macros, guides],
        "Two training-readiness questions from Customer Service; both need a decision on effort.",
    )
    d.at(2, 10)
    _answer(ctx, "priya.nair", macros,
            "Yes: Chloé adds the 40 quick actions to the configuration backlog with a due date before "
            "train-the-trainer.", pm_minutes=15)  # fmt: skip
    _answer(ctx, "priya.nair", guides,
            "Bilingual guides: yes. The vendor's German localisation covers the screens; Hannah's team "
            "translates the four guides (about two days), the project pays the review.", pm_minutes=10)  # fmt: skip
    d.at(2, 14)
    _close(ctx, "david.nguyen", macros)


def _steering_2(ctx: DemoContext) -> None:
    """Day -32: Priya invites to steering committee #2; minutes, decisions and action items when it meets."""
    d = _Days(ctx, -32)
    d.at(0, 12)
    s, pid, priya = ctx.s, ctx.crm, ctx.actor("priya.nair")
    held = _weekday(ctx, -26, -1)
    m = meetings.create_meeting(
        s, priya, pid, title="Steering committee #2", starts_at=_utc(ctx, held, 14),
        ends_at=_utc(ctx, held, 15, 30), location="Board room, 4th floor / video link",
        agenda="1. Progress: data cleansing and ETL behind plan\n2. Recovery plan for the migration tooling\n"
               "3. Customer Service liaison (David Nguyen)\n4. Cut-over window\n5. Budget and licence overlap",
        attendee_ids=[ctx.user_id(u) for u in ("robert.lindqvist", "dana.whitfield", "thomas.brennan",
                                               "aisha.karimi", "emily.carter", "david.nguyen")],
    )  # fmt: skip
    ctx.at(held, 16, 15)
    m = meetings.update_meeting(s, priya, pid, m["id"], m["version"], minutes=(
        "**Present:** Robert Lindqvist (chair), Dana Whitfield, Thomas Brennan, Aisha Karimi, Emily Carter, "
        "David Nguyen, Priya Nair (PM)\n\n"
        "- Status **amber**: de-duplication at about half, ETL scripts started late; dress rehearsal 1 is at risk.\n"
        "- Recovery: Ravi splits his time between de-duplication and ETL until the rehearsal; Jonas re-plans.\n"
        "- David Nguyen introduced as Customer Service liaison; Aisha confirms he speaks for the department.\n"
        "- Cut-over window: Sales wants it away from quarter-end, Customer Service wants it before the "
        "seasonal peak. Not settled today.\n"
        "- Budget: on track; licence overlap unchanged."
    ))  # fmt: skip
    for text in (
        "Dress rehearsal 1 is re-planned after the ETL recovery plan; baseline 0 stays until then.",
        "Ravi Patel works 50/50 on de-duplication and ETL scripts until dress rehearsal 1.",
    ):
        meetings.add_decision(s, priya, pid, m["id"], text=text)
    actions = []
    for text, owner, due, wp in (
        ("Recovery plan for the ETL scripts, with dates", "jonas.becker", 5, ctx.wp["2.2"]),
        ("Nominate 8 Customer Service super-users for train-the-trainer", "aisha.karimi", 6, None),
        ("Agree the cut-over window with Sales and Customer Service", "priya.nair", 10, ctx.wp["4.2"]),
    ):
        out = meetings.add_action(s, priya, pid, m["id"], text=text, owner_id=ctx.user_id(owner),
                                  due_on=ctx.day(_weekday(ctx, held + due, 1)), work_package_id=wp)  # fmt: skip
        actions.append(out["actions"][-1]["task_id"])
    ctx.extra["comms.steering_2"] = (held, actions)
    _plan_done(ctx, "priya.nair", "steering", held)


def _cutover_conflict(ctx: DemoContext) -> None:
    """Day -26: Sofía's schedule concern about the cut-over weekend becomes conflict C-1 and climbs the ladder:
    the Task Leader of the cut-over package, the PM, the Sponsor, who decides."""
    d = _Days(ctx, -26)
    s, pid = ctx.s, ctx.crm
    d.at(0, 9, 40)
    concern, thread = _concern(
        ctx, "sofia.alvarez", "Planned cut-over weekend falls into the quarter-end close",
        "With the slip in the data migration, the re-planned go-live weekend lands in the last two weeks of "
        "the quarter — exactly what we asked to avoid. Customer Service is pushing for the earlier date because "
        "of its seasonal peak. Sales cannot accept a CRM outage during the closing weeks.",
        ["schedule", "scope"], "high")  # fmt: skip
    ctx.extra["comms.cutover_concern"] = (concern, thread)
    d.at(0, 14)
    _forward(
        ctx,
        "emily.carter",
        [thread],
        "Sales and Customer Service want opposite things here; it needs the PM, probably the Sponsor.",
    )
    d.at(1, 10)
    priya = ctx.actor("priya.nair")
    c = conflicts.from_concern(
        s, priya, pid, concern, title="Cut-over weekend: Sales quarter-end vs Customer Service peak season",
        work_package_id=ctx.wp["4.2"], kind="priority",
        description="**Sales** (Sofía Álvarez, Emily Carter): no CRM outage in the last two weeks of the quarter.\n\n"
                    "**Customer Service** (Aisha Karimi, David Nguyen): go-live before the seasonal peak, so "
                    "agents are not learning a new tool at the busiest time.\n\nThe re-planned go-live weekend "
                    "satisfies neither.",
    )  # fmt: skip
    cid = c["id"]
    ctx.extra["comms.conflict_cutover"] = cid
    conflicts.add_party(s, priya, pid, cid, department_id=ctx.depts["Customer Service"])
    conflicts.add_party(s, priya, pid, cid, user_id=ctx.user_id("aisha.karimi"))
    d.at(1, 16)
    hannah = ctx.actor("hannah.schmidt")
    c = conflicts.get_conflict(s, hannah, pid, cid)
    c = conflicts.update_conflict(s, hannah, pid, cid, c["version"], status="resolving")
    d.at(2, 11)
    conflicts.escalate(
        s,
        hannah,
        pid,
        cid,
        c["version"],
        reason="Both options need a department to give way; that is above the cut-over package.",
    )
    d.at(3, 15)
    c = conflicts.get_conflict(s, priya, pid, cid)
    conflicts.escalate(s, priya, pid, cid, c["version"],
                       reason="Met Emily and David: the positions are firm. Options for the Sponsor: (a) the "
                              "earlier weekend with Sales on a read-only fallback, (b) one week after the quarter "
                              "closes with two Sales ops people on the service desk during the peak.")  # fmt: skip
    d.at(5, 10)
    robert = ctx.actor("robert.lindqvist")
    c = conflicts.get_conflict(s, robert, pid, cid)
    conflicts.resolve(s, robert, pid, cid, c["version"], approach="compromise", outcome=(
        "Go-live on the first weekend after the quarter closes (option b). Sales lends two sales-operations "
        "people to the Customer Service desk for the four weeks of hypercare, and Customer Service super-users "
        "start training a week earlier. Agreed with Aisha Karimi and Sofía Álvarez."
    ))  # fmt: skip
    d.at(5, 15)
    text = ("Decided by the Sponsor (conflict C-1): go-live on the first weekend after the quarter closes; Sales "
            "lends two sales-operations people to Customer Service for hypercare. The cut-over plan is updated.")  # fmt: skip
    _answer_concern(ctx, "priya.nair", concern, thread, text, 30)
    held, actions = ctx.extra["comms.steering_2"]
    _task_done(ctx, "priya.nair", actions[2], held, d.day(5))
    reg = stakeholders.register(s, priya, pid)
    sofia = next(x for x in reg["stakeholders"] if x["user_id"] == ctx.user_id("sofia.alvarez"))
    stakeholders.update_stakeholder(
        s, priya, pid, sofia["id"], sofia["version"], current_engagement="supportive"
    )


def _steering_2_actions(ctx: DemoContext) -> None:
    """Day -19: the recovery plan and the super-user list are in."""
    d = _Days(ctx, -19)
    d.at(0, 17)
    held, actions = ctx.extra["comms.steering_2"]
    _task_done(ctx, "priya.nair", actions[0], held, d.start - 1)
    _task_done(ctx, "priya.nair", actions[1], held, d.start)


def _sales_rehearsal_ask(ctx: DemoContext) -> None:
    """Day -18: Priya writes to Sales as a department; Emily relays it to Sales staff."""
    d = _Days(ctx, -18)
    d.at(0, 11)
    item = _send(ctx, "priya.nair", "Dress rehearsal 1: three reps to check 50 sample accounts", to="department",
                 to_department_id=ctx.depts["Sales"],
                 body="After dress rehearsal 1 we need three sales reps for half a day to compare 50 sample "
                      "accounts (contacts, open opportunities, activity history) between the legacy CRM and the "
                      "sandbox. Checklist follows from Jonas.")  # fmt: skip
    d.at(0, 15, 30)
    _forward(
        ctx,
        "emily.carter",
        [item],
        "Relayed to the Sales team: please reply to me if you can take half a day for this.",
    )


def _announcement(ctx: DemoContext) -> None:
    """Day -16: Priya announces the recovery plan and the cut-over decision to the whole project."""
    d = _Days(ctx, -16)
    d.at(0, 9)
    _send(ctx, "priya.nair", "Recovery plan agreed; go-live after the quarter close", to="project",
          kind="announcement",
          body="Thank you all for the last two weeks. In short:\n\n- **ETL scripts:** Jonas's recovery plan is "
               "agreed; Ravi works 50/50 on de-duplication and ETL until dress rehearsal 1.\n- **Cut-over:** the "
               "Sponsor decided the go-live weekend is the first one after the quarter closes (conflict C-1).\n"
               "- **Hypercare:** two sales-operations colleagues join the Customer Service desk for four weeks.\n\n"
               "Questions to your liaison or to me.")  # fmt: skip


def _conflict_closed(ctx: DemoContext) -> None:
    """Day -12: the cut-over decision holds (the plan is updated, both departments confirmed): closed."""
    d = _Days(ctx, -12)
    d.at(0, 10)
    priya = ctx.actor("priya.nair")
    cid = ctx.extra["comms.conflict_cutover"]
    c = conflicts.get_conflict(ctx.s, priya, ctx.crm, cid)
    conflicts.close(ctx.s, priya, ctx.crm, cid, c["version"])
    _plan_done(ctx, "hannah.schmidt", "cs_bulletin", d.start)


def _sales_owner_mapping(ctx: DemoContext) -> None:
    """Day -11: Sofía asks through Emily, who forwards; it waits for the PM."""
    d = _Days(ctx, -11)
    d.at(0, 10)
    item = _send(ctx, "sofia.alvarez", "Opportunity owners who have left the company",
                 "About 300 open opportunities belong to reps who left. Who owns them after migration? We "
                 "would like them assigned to the regional leads, not to a technical user.")  # fmt: skip
    d.at(1, 9, 15)
    _forward(
        ctx,
        "emily.carter",
        [item],
        "Needs a mapping decision before the ETL scripts are frozen; regional leads agree to take them.",
    )


def _weekly_status(ctx: DemoContext) -> None:
    """Day -6: Priya's weekly status to the Sponsor (direct contact), answered; the plan entry is done."""
    d = _Days(ctx, -6)
    d.at(0, 16)
    item = _send(ctx, "priya.nair", "Weekly status: amber — migration tooling two weeks behind", to="user",
                 to_user_id=ctx.user_id("robert.lindqvist"),
                 body="**Overall: amber.**\n\n- Data cleansing at about 60 %, ETL scripts at about a third; dress "
                      "rehearsal 1 follows the recovery plan.\n- ERP interface build 40 %, on plan.\n- Security "
                      "Officer role is vacant since Samuel moved on; a successor is needed before the security "
                      "review of the integrations.\n- Decision needed: none this week.")  # fmt: skip
    _plan_done(ctx, "priya.nair", "status", d.start)
    d.at(1, 8, 30)
    _answer(
        ctx,
        "robert.lindqvist",
        item,
        "Thanks. Please bring a name for the Security Officer to the next steering committee.",
    )


def _cs_training_concern(ctx: DemoContext) -> None:
    """Day -7: Hannah raises a concern through David, who acknowledges and forwards it: still open."""
    d = _Days(ctx, -7)
    d.at(0, 13)
    concern, thread = _concern(
        ctx, "hannah.schmidt", "Only 60 % of agents can be trained before go-live",
        "With the later go-live the courses overlap the first weeks of our peak season. On current rosters only "
        "about 60 % of agents can attend before go-live; the success criterion is 90 %.",
        ["quality", "schedule"], "medium")  # fmt: skip
    d.at(1, 9, 30)
    stakeholders.acknowledge(ctx.s, ctx.actor("david.nguyen"), ctx.crm, concern)
    _forward(ctx, "david.nguyen", [thread],
             "Acknowledged for Customer Service. Options we see: evening sessions, or e-learning for the "
             "second-level team. Needs Hannah and the PM.")  # fmt: skip


def _liaison_syncs(ctx: DemoContext) -> None:
    """Day -6: the weekly liaison syncs happened."""
    d = _Days(ctx, -6)
    d.at(0, 17)
    _plan_done(ctx, "priya.nair", "sales_sync", d.start)
    _plan_done(ctx, "priya.nair", "cs_sync", d.start)


def _team_meeting(ctx: DemoContext) -> None:
    """Day -5: the weekly team meeting, with minutes, decisions and action items (one done, one open)."""
    d = _Days(ctx, -5)
    s, pid, priya = ctx.s, ctx.crm, ctx.actor("priya.nair")
    d.at(0, 8, 30)
    m = meetings.create_meeting(
        s, priya, pid, title="Weekly team meeting", starts_at=_utc(ctx, d.start, 9, 30),
        ends_at=_utc(ctx, d.start, 10, 15), location="Room B2.11 / video link",
        agenda="1. Round the table: progress since last week\n2. De-duplication and ETL (recovery plan)\n"
               "3. ERP and CTI integration\n4. Training readiness\n5. Blockers",
        attendee_ids=[ctx.user_id(u) for u in ("chloe.martin", "jonas.becker", "ravi.patel", "lena.fischer",
                                               "hannah.schmidt")],
    )  # fmt: skip
    d.at(0, 10, 30)
    m = meetings.update_meeting(s, priya, pid, m["id"], m["version"], minutes=(
        "- **Ravi:** de-duplication at 60 %; merge rule applied to accounts, contacts next.\n"
        "- **Jonas:** ETL scripts at about a third; dress rehearsal 1 depends on the opportunity-owner mapping "
        "(waiting for a decision).\n"
        "- **Lena:** ERP interface build 40 %; CTI screen pop waits for the vendor's sandbox telephony adapter.\n"
        "- **Hannah:** course calendar drafted; her concern about training coverage is with the PM.\n"
        "- **Chloé:** quick actions configured in the sandbox (28 of 40).\n"
        "- Blocker: no Security Officer for the integration review."
    ))  # fmt: skip
    meetings.add_decision(
        s,
        priya,
        pid,
        m["id"],
        text="The integration test environment is frozen from dress rehearsal 1 until go-live.",
    )
    done = meetings.add_action(s, priya, pid, m["id"], text="Send the dress-rehearsal checklist to the Sales reps",
                               owner_id=ctx.user_id("jonas.becker"), due_on=ctx.day(d.day(1)),
                               work_package_id=ctx.wp["2.2"])["actions"][-1]["task_id"]  # fmt: skip
    open_ = meetings.add_action(s, priya, pid, m["id"], text="Book the ERP test system for the end-to-end test",
                                owner_id=ctx.user_id("lena.fischer"), due_on=ctx.day(_weekday(ctx, 5, 1)),
                                work_package_id=ctx.wp["3.1"])["actions"][-1]["task_id"]  # fmt: skip
    _task_from(ctx, "priya.nair", open_, d.start)
    _plan_done(ctx, "priya.nair", "team", d.start)
    d.at(1, 16)
    _task_done(ctx, "priya.nair", done, d.start, d.day(1))


def _cs_hypercare_roster(ctx: DemoContext) -> None:
    """Day -4: Hannah asks through David; still in David's inbox."""
    d = _Days(ctx, -4)
    d.at(0, 11, 20)
    _send(ctx, "hannah.schmidt", "Hypercare roster: when do the two Sales ops colleagues start?",
          "For the hypercare roster I need the names and start dates of the two sales-operations colleagues "
          "from the cut-over decision, and whether they work our shift pattern (7:00–19:00).")  # fmt: skip


def _customer_number_conflict(ctx: DemoContext) -> None:
    """Day -4: Jonas logs a technical conflict between data migration and integrations; the PM works on it."""
    d = _Days(ctx, -4)
    s, pid = ctx.s, ctx.crm
    d.at(0, 14)
    c = conflicts.raise_conflict(
        s, ctx.actor("jonas.becker"), pid, title="Which system is master for customer numbers: ERP or CRM?",
        kind="technical", severity="medium",
        description="Migration tooling (2.2) keeps the legacy customer number as an external ID and lets the CRM "
                    "create new customers. The ERP interface design (3.1) assumes the ERP creates every customer "
                    "number. Both cannot be true at go-live; the ETL scripts freeze in two weeks.",
        parties=[{"work_package_id": ctx.wp["2.2"]}, {"work_package_id": ctx.wp["3.1"]},
                 {"user_id": ctx.user_id("lena.fischer")}],
    )  # fmt: skip
    d.at(1, 9, 30)
    priya = ctx.actor("priya.nair")
    c = conflicts.get_conflict(s, priya, pid, c["id"])
    conflicts.update_conflict(s, priya, pid, c["id"], c["version"], status="resolving",
                              description=c["description"] + "\n\nPM: workshop with Jonas, Lena and Chloé booked; "
                              "the ERP's published interface is out of scope to change.")  # fmt: skip


def _steering_3_invite(ctx: DemoContext) -> None:
    """Day -3: Priya invites to the next steering committee (still to come)."""
    d = _Days(ctx, -3, before=True)
    d.at(0, 15)
    held = _weekday(ctx, 4, 1)
    meetings.create_meeting(
        ctx.s, ctx.actor("priya.nair"), ctx.crm, title="Steering committee #3", starts_at=_utc(ctx, held, 14),
        ends_at=_utc(ctx, held, 15, 30), location="Board room, 4th floor / video link",
        agenda="1. Dress rehearsal 1 readiness\n2. Security Officer successor\n3. Training coverage (Customer "
               "Service concern)\n4. Cost report and licence overlap",
        attendee_ids=[ctx.user_id(u) for u in ("robert.lindqvist", "dana.whitfield", "thomas.brennan",
                                               "aisha.karimi", "emily.carter", "david.nguyen")],
    )  # fmt: skip


def _finance_contractor_concern(ctx: DemoContext) -> None:
    """Day -1: Thomas raises a budget concern that nobody has acknowledged yet."""
    d = _Days(ctx, -1, before=True)
    d.at(0, 15)
    _concern(ctx, "thomas.brennan", "Hypercare contractor day rates are not in the budget",
             "The vendor's quote for on-site hypercare support (12 days at 1,150 EUR) arrived today. I cannot find "
             "it in the approved budget. Is it covered by the contingency?", ["budget"], "medium")  # fmt: skip


def _finance_report(ctx: DemoContext) -> None:
    """Day -48: the one cost report that went out; the next one is overdue."""
    d = _Days(ctx, -48)
    d.at(0, 17, 30)
    _plan_done(ctx, "marco.rossi", "finance", d.start)


def events() -> list[Event]:
    steps: tuple[tuple[int, int, int, str, Callable[[DemoContext], None]], ...] = (
        (-89, 14, 0, "stakeholder register and communication plan", _register_and_plan),
        (-82, 10, 0, "Sales list views (resolved by the liaison)", _sales_list_views),
        (-78, 11, 0, "Sales: no cut-over at quarter-end (forwarded)", _sales_quarter_end),
        (-74, 9, 0, "Customer Service: warranty history (direct)", _cs_warranty_history),
        (-70, 13, 0, "Customer Service: training rooms (direct)", _cs_training_rooms),
        (-68, 11, 0, "steering committee #1", _steering_1),
        (-66, 8, 0, "Finance concern: licence overlap", _finance_licence_concern),
        (-57, 10, 0, "Customer Service: CTI screen pop (direct)", _cs_screen_pop),
        (-55, 17, 0, "steering committee #1 action items done", _steering_1_actions_done),
        (-53, 9, 0, "Customer Service concern: duplicates", _cs_duplicates_concern),
        (-50, 14, 0, "Finance: support renewal", _finance_support_renewal),
        (-48, 17, 30, "cost report sent", _finance_report),
        (-47, 11, 0, "peer question on customer numbers", _it_customer_numbers),
        (-40, 10, 0, "PM writes to the Head of Customer Service", _pm_to_cs_head),
        (-39, 14, 0, "Customer Service: e-mail templates (direct)", _cs_email_templates_direct),
        (-34, 9, 30, "Customer Service liaison sync and register", _cs_liaison_start),
        (-33, 10, 0, "Customer Service: sandbox data (resolved by the liaison)", _cs_sandbox_data),
        (-32, 12, 0, "steering committee #2", _steering_2),
        (-31, 11, 0, "Customer Service: batch forward", _cs_batch_forward),
        (-26, 9, 40, "cut-over conflict up the ladder", _cutover_conflict),
        (-19, 17, 0, "steering committee #2 action items done", _steering_2_actions),
        (-18, 11, 0, "PM to Sales through the liaison", _sales_rehearsal_ask),
        (-16, 9, 0, "announcement", _announcement),
        (-12, 10, 0, "cut-over conflict closed", _conflict_closed),
        (-11, 10, 0, "Sales: opportunity owners (forwarded, waiting)", _sales_owner_mapping),
        (-6, 16, 0, "weekly status to the Sponsor", _weekly_status),
        (-7, 13, 0, "Customer Service concern: training coverage", _cs_training_concern),
        (-6, 17, 0, "liaison syncs", _liaison_syncs),
        (-5, 8, 30, "weekly team meeting", _team_meeting),
        (-4, 11, 20, "Customer Service: hypercare roster (with the liaison)", _cs_hypercare_roster),
        (-4, 14, 0, "customer-number conflict", _customer_number_conflict),
        (-3, 15, 0, "steering committee #3 invitation", _steering_3_invite),
        (-1, 15, 0, "Finance concern: contractor rates", _finance_contractor_concern),
    )
    return [Event(day, hour, minute, what, run) for day, hour, minute, what, run in steps]
