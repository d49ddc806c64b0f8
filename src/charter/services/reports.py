"""Status reports: a weekly or monthly report per project with a RAG status for each responsibility area.

Lifecycle: the PM (report.publish) creates a draft for the period containing a date, edits its narrative
(Markdown, versioned) and publishes it. A draft's figures are computed from the live data whenever it is
read; publishing freezes them (and the critical-path snapshot the next report compares against) and sends
the report to the audience of the communication plan. Who sees what: drafts only those who may publish
(the PM and admins; to anyone else a draft does not exist, 404); published reports every project member.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import reports as R
from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.roles import Perm
from charter.io import markdown, report_render
from charter.notify import email as mail
from charter.persistence.models import (
    CommPlanEntry,
    Project,
    ReportSettings,
    RoleAssignment,
    StatusReport,
    User,
)
from charter.services import journal, report_facts
from charter.services.authz import can, project_for
from charter.services.comms_common import current_only, members, names, notify, pm_id
from charter.services.context import SYSTEM, Actor, now

NARRATIVE_LIMIT = 20000
PDF_ATTACHMENT = "status_report.pdf"  # the kind of the outbox's attachment reference


def thresholds(s: Session, project_id: int) -> R.Thresholds:
    row = s.get(ReportSettings, project_id)
    return R.Thresholds.with_overrides(row.thresholds if row else None)


def _summary(r: StatusReport, p: Project) -> dict[str, Any]:
    period = R.Period(r.period)
    return {
        "id": r.id, "project_id": r.project_id, "project_key": p.key, "project_name": p.name,
        "period": r.period, "period_start": r.period_start, "period_end": r.period_end,
        "label": R.label(period, r.period_start), "status": r.status, "version": r.version,
        "created_at": r.created_at, "updated_at": r.updated_at, "published_at": r.published_at,
        "overall": (r.figures or {}).get("overall"),
    }  # fmt: skip


def _previous_critical(s: Session, r: StatusReport) -> dict[str, Any] | None:
    """The critical-path snapshot of the latest published report of the same kind before this one."""
    prev = s.scalars(
        select(StatusReport)
        .where(StatusReport.project_id == r.project_id, StatusReport.period == r.period,
               StatusReport.period_start < r.period_start, StatusReport.status == R.ReportStatus.PUBLISHED.value)
        .order_by(StatusReport.period_start.desc())
    ).first()  # fmt: skip
    if prev is None or prev.critical is None:
        return None
    return {**prev.critical, "report_id": prev.id}


def _figures(s: Session, r: StatusReport, p: Project) -> dict[str, Any]:
    if r.figures is not None:
        return r.figures
    return report_facts.gather(s, p, R.Period(r.period), r.period_start, r.period_end, thresholds(s, p.id),
                               _previous_critical(s, r))  # fmt: skip


def report_dict(s: Session, r: StatusReport, p: Project) -> dict[str, Any]:
    figs = _figures(s, r, p)
    who = names(s, [r.created_by, r.published_by])
    return {
        **_summary(r, p), "overall": figs["overall"], "frozen": r.figures is not None,
        "narrative": r.narrative, "narrative_html": markdown.render(r.narrative),
        "created_by": who.get(r.created_by) if r.created_by else None,
        "published_by": who.get(r.published_by) if r.published_by else None,
        **{k: v for k, v in figs.items() if k != "overall"},
    }  # fmt: skip


def _may_publish(s: Session, actor: Actor, project_id: int) -> bool:
    return can(s, actor, project_id, Perm.REPORT_PUBLISH)


def _get(s: Session, actor: Actor, project_id: int, report_id: int) -> StatusReport:
    r = s.get(StatusReport, report_id)
    if r is None or r.project_id != project_id:
        raise NotFound(f"report {report_id} not found in this project", field="report_id")
    if r.status != R.ReportStatus.PUBLISHED.value and not _may_publish(s, actor, project_id):
        raise NotFound(f"report {report_id} not found in this project", field="report_id")
    return r


# --------------------------------------------------------------------------------------------- reads


def list_reports(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """Newest period first; drafts only for those who may publish."""
    p = project_for(s, actor, project_id)
    q = select(StatusReport).where(StatusReport.project_id == project_id)
    if not _may_publish(s, actor, project_id):
        q = q.where(StatusReport.status == R.ReportStatus.PUBLISHED.value)
    rows = s.scalars(q.order_by(StatusReport.period_start.desc(), StatusReport.period))
    return [_summary(r, p) for r in rows]


def get_report(s: Session, actor: Actor, project_id: int, report_id: int) -> dict[str, Any]:
    p = project_for(s, actor, project_id)
    return report_dict(s, _get(s, actor, project_id, report_id), p)


def find_for_period(
    s: Session, actor: Actor, project_id: int, *, period: str, day: dt.date
) -> dict[str, Any] | None:
    """The report of the week or month containing `day`, if there is one the actor may see."""
    p = project_for(s, actor, project_id)
    kind = R.parse_period(period)
    r = _find(s, project_id, kind, R.bounds(kind, day)[0])
    if r is None or (r.status != R.ReportStatus.PUBLISHED.value and not _may_publish(s, actor, project_id)):
        return None
    return report_dict(s, r, p)


def live_status(s: Session, p: Project, day: dt.date | None = None) -> dict[str, Any]:
    """The colours of the project's weekly report for the week containing `day` (today) exactly as its
    draft shows them now: the same facts, the same rules, the project's own thresholds. Callers check
    permission (the portfolio and the desks)."""
    kind = R.Period.WEEK
    start, end = R.bounds(kind, day or now().date())
    figs = report_facts.gather(s, p, kind, start, end, thresholds(s, p.id), None)
    return {"period": kind.value, "period_start": start, "label": R.label(kind, start), "as_of": figs["as_of"],
            "overall": figs["overall"], "areas": figs["areas"],
            "own_thresholds": bool((row := s.get(ReportSettings, p.id)) and row.thresholds)}  # fmt: skip


def may_publish(s: Session, actor: Actor, project_id: int) -> bool:
    project_for(s, actor, project_id)
    return _may_publish(s, actor, project_id)


# --------------------------------------------------------------------------------------------- drafts


def _find(s: Session, project_id: int, period: R.Period, start: dt.date) -> StatusReport | None:
    return s.scalars(
        select(StatusReport).where(StatusReport.project_id == project_id, StatusReport.period == period.value,
                                   StatusReport.period_start == start)
    ).first()  # fmt: skip


def _new(
    s: Session, actor: Actor, p: Project, period: R.Period, start: dt.date, end: dt.date
) -> StatusReport:
    t = now()
    r = StatusReport(project_id=p.id, period=period.value, period_start=start, period_end=end,
                     status=R.ReportStatus.DRAFT.value, narrative="", created_by=actor.user_id,
                     created_at=t, updated_at=t)  # fmt: skip
    s.add(r)
    s.flush()
    journal.record(s, actor, entity_type="status_report", entity_id=r.id, action="create", project_id=p.id,
                   after=journal.snapshot(r))  # fmt: skip
    return r


def create_draft(
    s: Session, actor: Actor, project_id: int, *, period: str, day: dt.date | None = None
) -> dict[str, Any]:
    """A draft for the week or month containing `day` (today by default). 409 if that period has a report."""
    p = project_for(s, actor, project_id, Perm.REPORT_PUBLISH)
    kind = R.parse_period(period)
    start, end = R.bounds(kind, day or now().date())
    if start > now().date():
        raise ValidationError("a report cannot be made for a period that has not started", field="date")
    if (existing := _find(s, project_id, kind, start)) is not None:
        raise Conflict(f"the {kind.value} of {start} already has a report ({existing.status})",
                       field="date", current=_summary(existing, p))  # fmt: skip
    return report_dict(s, _new(s, actor, p, kind, start, end), p)


def update_narrative(
    s: Session, actor: Actor, project_id: int, report_id: int, version: int, narrative: str
) -> dict[str, Any]:
    p = project_for(s, actor, project_id, Perm.REPORT_PUBLISH)
    r = _get(s, actor, project_id, report_id)
    if r.version != version:
        raise stale("the report", version, report_dict(s, r, p))
    if r.status == R.ReportStatus.PUBLISHED.value:
        raise Conflict("a published report is frozen; its narrative cannot change", field="narrative",
                       current=report_dict(s, r, p))  # fmt: skip
    if len(narrative) > NARRATIVE_LIMIT:
        raise ValidationError(f"is longer than {NARRATIVE_LIMIT} characters", field="narrative")
    before = journal.snapshot(r)
    r.narrative = narrative
    r.updated_at = now()
    s.flush()
    journal.record(s, actor, entity_type="status_report", entity_id=r.id, action="update", project_id=p.id,
                   before=before, after=journal.snapshot(r))  # fmt: skip
    return report_dict(s, r, p)


# --------------------------------------------------------------------------------------------- publishing


def audience(s: Session, project_id: int) -> list[int]:
    """The users the communication plan sends the status report to: active entries whose channel is
    "report" or whose information names the status report, resolved to current project members (a
    department's members in the project, a role's holders, the whole project, or one stakeholder)."""
    inside = members(s, project_id)
    out: set[int] = set()
    for e in s.scalars(select(CommPlanEntry).where(CommPlanEntry.project_id == project_id,
                                                   CommPlanEntry.active.is_(True))):  # fmt: skip
        if not (e.channel == "report" or "report" in e.information.lower()):
            continue
        if e.audience == "user" and e.audience_user_id:
            out.add(e.audience_user_id)
        elif e.audience == "department" and e.audience_department_id:
            out |= set(s.scalars(select(User.id).where(User.department_id == e.audience_department_id)))
        elif e.audience == "role" and e.audience_role_id:
            q = select(RoleAssignment.user_id).where(RoleAssignment.project_id == project_id,
                                                     RoleAssignment.role_id == e.audience_role_id)  # fmt: skip
            out |= set(s.scalars(current_only(q, now())))
        elif e.audience == "project":
            out |= inside
    return sorted(out & inside)


def publish(s: Session, actor: Actor, project_id: int, report_id: int, version: int) -> dict[str, Any]:
    """Freeze the figures, mark the plan's report entries done, and tell the plan's audience (in-app, and
    e-mail with a link and the PDF attached, through the outbox, once per report and person)."""
    p = project_for(s, actor, project_id, Perm.REPORT_PUBLISH)
    r = _get(s, actor, project_id, report_id)
    if r.version != version:
        raise stale("the report", version, report_dict(s, r, p))
    if r.status == R.ReportStatus.PUBLISHED.value:
        raise Conflict("the report is already published", field="status", current=report_dict(s, r, p))
    figs = _figures(s, r, p)
    before = journal.snapshot(r)
    t = now()
    r.figures = figs
    r.critical = {k: figs["critical_path"][k] for k in ("task_ids", "finish", "names")}
    r.status = R.ReportStatus.PUBLISHED.value
    r.published_at, r.published_by, r.updated_at = t, actor.user_id, t
    s.flush()
    journal.record(s, actor, entity_type="status_report", entity_id=r.id, action="update", project_id=p.id,
                   before=before, after=journal.snapshot(r), cause="published")  # fmt: skip
    label = R.label(R.Period(r.period), r.period_start)
    link = f"/projects/{p.id}/reports/{r.id}"
    notify(s, recipients=audience(s, p.id), kind="report.published",
           subject=f"{p.key} status report: {label} ({figs['overall']})",
           body=f"The {r.period}ly status report of {p.name} for {label} is published. Overall: {figs['overall']}. "
                f"The PDF is attached to the e-mail; read it online: {link} (PDF: {link}/pdf)",
           project_id=p.id, link=link, event_key=f"report.published:{r.id}",
           attachments=[{"kind": PDF_ATTACHMENT, "report_id": r.id, "filename": pdf_filename(r, p)}])  # fmt: skip
    for e in s.scalars(select(CommPlanEntry).where(CommPlanEntry.project_id == p.id, CommPlanEntry.active.is_(True),
                                                   CommPlanEntry.channel == "report")):  # fmt: skip
        if e.last_done_on is None or e.last_done_on < t.date():
            done = journal.snapshot(e)
            e.last_done_on = t.date()
            s.flush()
            journal.record(s, actor, entity_type="comm_plan_entry", entity_id=e.id, action="update",
                           project_id=p.id, before=done, after=journal.snapshot(e),
                           cause="report published")  # fmt: skip
    return report_dict(s, r, p)


def pdf_filename(r: StatusReport, p: Project) -> str:
    return f"{p.key}-{r.period}-{r.period_start.isoformat()}.pdf"


def pdf_attachment(s: Session, ref: dict[str, Any]) -> mail.Attachment | None:
    """The worker's resolver for PDF_ATTACHMENT references: the published report rendered from its frozen
    figures (the same file every time), or None when the report or its project is gone."""
    try:
        r = s.get(StatusReport, int(ref.get("report_id") or 0))
    except (TypeError, ValueError):
        return None
    if r is None or r.status != R.ReportStatus.PUBLISHED.value:
        return None
    p = s.get(Project, r.project_id)
    if p is None or p.deleted_at is not None:
        return None
    pdf = report_render.to_pdf(report_dict(s, r, p))
    return mail.Attachment(filename=pdf_filename(r, p), content_type="application/pdf", data=pdf)


# --------------------------------------------------------------------------------------------- settings


def get_thresholds(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    row = s.get(ReportSettings, project_id)
    return {"project_id": project_id, "overrides": dict(row.thresholds) if row else {},
            "effective": thresholds(s, project_id).as_dict(), "defaults": R.Thresholds().as_dict(),
            "version": row.version if row else 0}  # fmt: skip


def set_thresholds(
    s: Session, actor: Actor, project_id: int, version: int, overrides: dict[str, Any]
) -> dict[str, Any]:
    """Replace the project's overrides (an empty mapping restores the defaults). Drafts re-rate at once;
    published reports keep the thresholds they were published with."""
    project_for(s, actor, project_id, Perm.REPORT_PUBLISH)
    R.Thresholds.with_overrides(overrides)
    row = s.get(ReportSettings, project_id)
    current = row.version if row else 0
    if version != current:
        raise stale("the report thresholds", version, get_thresholds(s, actor, project_id))
    before = journal.snapshot(row) if row else None
    if row is None:
        row = ReportSettings(project_id=project_id, thresholds=dict(overrides), updated_at=now())
        s.add(row)
    else:
        row.thresholds, row.updated_at = dict(overrides), now()
    s.flush()
    journal.record(s, actor, entity_type="report_settings", entity_id=project_id, action="update",
                   project_id=project_id, before=before, after=journal.snapshot(row))  # fmt: skip
    return get_thresholds(s, actor, project_id)


# --------------------------------------------------------------------------------------------- scheduled


def scheduled_drafts(s: Session, at: dt.datetime | None = None) -> list[int]:
    """The worker's pass: for every active (or on-hold) project with a PM, a weekly draft for the week just
    ended (and a monthly one for the month just ended when the plan sends reports monthly), with a reminder
    to the PM. Idempotent: a period that already has a report is left alone, and the reminder's event key
    is unique to the draft."""
    t = at or now()
    made: list[int] = []
    for p in s.scalars(
        select(Project).where(Project.deleted_at.is_(None), Project.status.in_(("active", "on_hold")))
    ):
        pm = pm_id(s, p.id, t)
        if pm is None:
            continue
        kinds = [R.Period.WEEK]
        monthly = s.scalar(select(CommPlanEntry.id).where(
            CommPlanEntry.project_id == p.id, CommPlanEntry.active.is_(True), CommPlanEntry.channel == "report",
            CommPlanEntry.frequency == "monthly"))  # fmt: skip
        if monthly is not None:
            kinds.append(R.Period.MONTH)
        for kind in kinds:
            start, end = R.previous(kind, t.date())
            if p.start_date and end < p.start_date:
                continue
            if _find(s, p.id, kind, start) is None:  # the PM's own report of the period is left alone
                r = _new(s, SYSTEM, p, kind, start, end)
                made.append(r.id)
                label = R.label(kind, start)
                notify(s, recipients=[pm], kind="report.draft_ready", subject=f"{p.key}: draft status report for {label}",
                       body=f"The {kind.value}ly status report draft for {label} is ready: review the colours, write "
                            "the narrative and publish it.",
                       project_id=p.id, link=f"/projects/{p.id}/reports/{r.id}",
                       event_key=f"report.draft_ready:{r.id}")  # fmt: skip
    return made
