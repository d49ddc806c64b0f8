"""The `charter` command: one Typer app, one module per area. Commands call services only."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli import backup, common, db, desk, schedule, serve, task_assignments, task_recurring, team
from charter.cli.bench import bench_app
from charter.cli.budget import approvals_cmd, budget_app, contract_app, evm_cmd, po_app
from charter.cli.budget_lines import line_app  # noqa: F401 (adds `budget line` and `budget version`)
from charter.cli.calendars import calendar_app
from charter.cli.change_control import change_app, concern_app
from charter.cli.comm_plan import plan_app
from charter.cli.common import CharterGroup
from charter.cli.comms import comms_app, messages_app
from charter.cli.conflicts import conflicts_app
from charter.cli.custom_fields import field_app
from charter.cli.departments import department_app
from charter.cli.levelling import level_app
from charter.cli.meetings import meeting_app
from charter.cli.notify import notify_app
from charter.cli.notify import worker as worker_cmd
from charter.cli.procurement import request_app
from charter.cli.procurement_orders import invoice_app  # also adds po add|status|receipt|show
from charter.cli.procurement_vendors import vendor_app  # also adds contract add|show
from charter.cli.projects import project_app
from charter.cli.quality import quality_app
from charter.cli.quality_records import records_app
from charter.cli.raci import raci_app
from charter.cli.reports import report as report_cmd
from charter.cli.reviews import checklist_app, review_app
from charter.cli.risk import risk_app, simulate_cmd
from charter.cli.risk_edit import find_risk  # noqa: F401 (adds update, status, action and comment to risk_app)
from charter.cli.risk_scales import scale_app  # noqa: F401 (adds `risk scale show|set` to risk_app)
from charter.cli.roles import role_app
from charter.cli.stakeholders import change_more_app, concern_more_app, register_app
from charter.cli.tasks import task_app, wp_app
from charter.cli.tech import closure_app, lesson_app, search_app, tech_app
from charter.cli.timesheet import time_app, timesheet_app
from charter.cli.users import user_app
from charter.cli.views import view_app
from charter.cli.webhooks import webhook_app

app = typer.Typer(
    cls=CharterGroup,
    help="Charter — IT project management organised around roles and responsibilities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="CHARTER_USER",
            help="Act as this user (username or id). Default: the first instance admin.",
        ),
    ] = None,
) -> None:
    """Charter — IT project management organised around roles and responsibilities.

    The database is CHARTER_DATABASE_URL, or a SQLite file in the data dir (CHARTER_DATA_DIR)."""
    common.state["as_user"] = as_user


app.command("init")(db.init)
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)
app.add_typer(db.db_app, name="db")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.add_typer(user_app, name="user")
app.add_typer(department_app, name="department")
app.add_typer(project_app, name="project")
app.add_typer(role_app, name="role")
app.add_typer(raci_app, name="raci")
app.add_typer(bench_app, name="bench")
app.command("schedule")(schedule.schedule)
app.command("import")(schedule.import_)
app.command("export")(schedule.export)
app.add_typer(schedule.baseline_app, name="baseline")
app.add_typer(calendar_app, name="calendar")
task_assignments.register(task_app)
task_recurring.register(task_app)
app.add_typer(task_app, name="task")
app.add_typer(field_app, name="field")
app.add_typer(view_app, name="view")
app.add_typer(wp_app, name="wp")
app.add_typer(timesheet_app, name="timesheet")
app.add_typer(time_app, name="time")
app.add_typer(meeting_app, name="meeting")
app.add_typer(level_app, name="level")
app.command("workload")(team.workload_cmd)
app.add_typer(team.resource_app, name="resource")
app.add_typer(budget_app, name="budget")
app.command("evm")(evm_cmd)
app.add_typer(po_app, name="po")
app.add_typer(contract_app, name="contract")
app.add_typer(request_app, name="request")
app.add_typer(invoice_app, name="invoice")
app.add_typer(vendor_app, name="vendor")
app.command("approvals")(approvals_cmd)
app.add_typer(messages_app, name="messages")
app.add_typer(messages_app, name="message", hidden=True)  # `charter message send ...` reads naturally too
app.add_typer(comms_app, name="comms")
app.add_typer(plan_app, name="comm-plan")
app.command("worker")(worker_cmd)
app.add_typer(notify_app, name="notify")
app.add_typer(webhook_app, name="webhook")
quality_app.add_typer(records_app)
quality_app.add_typer(register_app)
quality_app.add_typer(review_app, name="review")
quality_app.add_typer(checklist_app, name="checklist")
concern_app.add_typer(concern_more_app)
change_app.add_typer(change_more_app)
app.add_typer(quality_app, name="quality")
app.add_typer(change_app, name="change")
app.add_typer(concern_app, name="concern")
app.add_typer(risk_app, name="risk")
app.add_typer(conflicts_app, name="conflicts")
app.command("report")(report_cmd)
app.command("desk")(desk.desk)
app.command("portfolio")(desk.portfolio)
app.command("simulate")(simulate_cmd)
app.add_typer(tech_app, name="tech")
app.add_typer(closure_app, name="closure")
app.add_typer(lesson_app, name="lesson")
app.add_typer(search_app, name="search")

if __name__ == "__main__":
    app()
