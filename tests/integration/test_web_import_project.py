"""A new project from a plan file on the projects page (as MS Project opens a file, and as `charter import FILE
--key KEY` and POST /api/v1/imports do): the signed-in user becomes its manager, the answer is its task table
with what the import did; a taken key, an unreadable file or no file leave nothing behind and say why beside
the form, with the key and name kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from charter.domain.schedule import FieldSpec, LinkSpec, PlanSpec, TaskSpec
from charter.io.mspdi import write_mspdi
from charter.persistence.models import Project
from webhelpers import csrf_of, signed_in


def _plan() -> bytes:
    plan = PlanSpec(name="ERP rollout", custom_fields=[FieldSpec("Tier", "choice", ["Gold", "Silver"])])
    plan.tasks = [TaskSpec(ref="1", name="Install ERP", duration=960, custom={"Tier": "Gold"}),
                  TaskSpec(ref="2", name="Train users", duration=480)]  # fmt: skip
    plan.links = [LinkSpec("1", "2")]
    return write_mspdi(plan)


def _projects(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(Project)) or 0)


def test_a_plan_file_becomes_a_project_managed_by_its_importer(api: Any, seed: Any, as_: Any) -> None:
    with signed_in(seed, "worker") as c:  # anyone signed in may start a project, as on the form beside it
        page = c.get("/projects").text
        assert 'id="import-project"' in page and 'action="/projects/import"' in page
        r = c.post("/projects/import", data={"csrf_token": csrf_of(page), "key": "erp", "format": ""},
                   files={"file": ("erp.xml", _plan(), "application/xml")})  # fmt: skip
        assert r.status_code == 200, r.text
        notice = r.text.split('id="imported"')[1].split("</section>")[0]
        assert "Imported erp.xml" in notice and "2 tasks" in notice and "1 link" in notice
        assert "Custom fields added: Tier" in notice
        assert "Install ERP" in r.text and "<title>ERP · Schedule" in r.text
    made = next(p for p in api.get("/projects", headers=as_("worker")).json() if p["key"] == "ERP")
    assert made["name"] == "ERP rollout" and made["project_manager"] == "Worker"
    tasks = api.get(f"/projects/{made['id']}/tasks", headers=as_("worker")).json()
    assert {t["name"]: t["custom_fields"]["Tier"] for t in tasks} == {
        "Install ERP": "Gold",
        "Train users": None,
    }


def test_a_failed_import_leaves_nothing_and_keeps_what_was_typed(seed: Any) -> None:
    before = _projects(seed)
    with signed_in(seed, "pm") as c:
        page = c.get("/projects").text
        token = csrf_of(page)
        # the key is taken: 409 beside the import form (open), the key and name kept
        r = c.post("/projects/import", data={"csrf_token": token, "key": "P1", "name": "Again"},
                   files={"file": ("erp.xml", _plan(), "application/xml")})  # fmt: skip
        assert r.status_code == 409, r.text
        form = r.text.split('id="import-project"')[1].split("</details>")[0]
        assert 'id="import-error"' in form and "the project key P1 is taken" in form
        assert 'value="P1" aria-invalid="true"' in form and 'value="Again"' in form
        # the other form is not blamed, nor filled with the import's input
        assert 'id="new-error"' not in r.text
        assert 'id="np-key" name="key" required maxlength="10" placeholder="CRM" value=""' in r.text
        # a file that is not a plan: the problem named, no project made half-way
        r = c.post("/projects/import", data={"csrf_token": token, "key": "BAD", "format": "mspdi"},
                   files={"file": ("bad.xml", b"<Project><Tasks><Task>", "application/xml")})  # fmt: skip
        assert r.status_code in (400, 422) and 'id="import-error"' in r.text, r.text
        csv = b"id,name,duration,predecessors\r\n1,A,2d,\r\n2,B,1d,9FS\r\n"  # a predecessor not in the file
        r = c.post("/projects/import", data={"csrf_token": token, "key": "BADCSV"},
                   files={"file": ("plan.csv", csv, "text/csv")})  # fmt: skip
        assert r.status_code == 422 and "the predecessor &#39;9&#39; is not a task in this file" in r.text, (
            r.text
        )
        # no file chosen
        r = c.post("/projects/import", data={"csrf_token": token, "key": "NOFILE"},
                   files={"file": ("", b"", "application/octet-stream")})  # fmt: skip
        assert r.status_code == 422 and "choose a plan file" in r.text and 'value="NOFILE"' in r.text
        # no CSRF token: refused, nothing made
        r = c.post(
            "/projects/import",
            data={"key": "NOCSRF"},
            files={"file": ("erp.xml", _plan(), "application/xml")},
        )
        assert r.status_code == 403
    assert _projects(seed) == before
