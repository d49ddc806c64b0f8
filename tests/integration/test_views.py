"""Saved views of a project's task list: a member's own (seen by them only: 404 to anyone else) or shared by
the Project Manager; a view holds the list's filters, sort and columns, checked when saved; it opens as the
task table's link, as `GET …/tasks?view=ID` and as `charter task list --view NAME`; rename, share, new
filters and delete are versioned (409 on a stale write) and journaled."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from charter.persistence.models import JournalEntry, SavedView
from webhelpers import csrf_of, signed_in


def _view(api: Any, seed: Any, as_: Any, who: str = "worker", **body: Any) -> dict[str, Any]:
    r = api.post(f"/projects/{seed.p1}/views", json=body, headers=as_(who))
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def test_own_and_shared_views_and_who_sees_them(api: Any, seed: Any, as_: Any) -> None:
    base = f"/projects/{seed.p1}/views"
    mine = _view(api, seed, as_, "worker", name="My critical", query={"critical": True, "sort": "-start"})
    assert mine["query"] == {"critical": True, "sort": "-start"} and mine["mine"] and not mine["shared"]
    # a worker cannot share a view; the PM can
    r = api.post(base, json={"name": "Team", "shared": True}, headers=as_("worker"))
    assert r.status_code == 403, r.text
    team = _view(api, seed, as_, "pm", name="Team board", shared=True, query={"q": "task"})
    # the worker sees their own and the shared one; the task leader only the shared one
    assert [v["name"] for v in api.get(base, headers=as_("worker")).json()] == ["My critical", "Team board"]
    listed = api.get(base, headers=as_("task_leader")).json()
    assert [(v["name"], v["mine"], v["may_change"]) for v in listed] == [("Team board", False, False)]
    # another member's own view does not exist for them; another project's member does not see the project's
    assert api.get(f"{base}/{mine['id']}", headers=as_("task_leader")).status_code == 404
    assert api.get(f"{base}/{team['id']}", headers=as_("outsider")).status_code == 404
    assert api.get(f"/projects/{seed.p2}/views/{team['id']}", headers=as_("admin")).status_code == 404
    # a shared view is the PM's to change: the task leader sees it, may not change it (403)
    r = api.patch(f"{base}/{team['id']}", json={"version": team["version"], "name": "Mine now"},
                  headers=as_("task_leader"))  # fmt: skip
    assert r.status_code == 403, r.text
    r = api.delete(f"{base}/{mine['id']}", params={"version": mine["version"]}, headers=as_("pm"))
    assert r.status_code == 404  # the PM does not see the worker's own view either


def test_queries_are_checked_and_names_unique_per_person(api: Any, seed: Any, as_: Any) -> None:
    base = f"/projects/{seed.p1}/views"
    for query, field in (({"sort": "colour"}, "query.sort"), ({"baseline": 11}, "baseline"),
                         ({"nope": 1}, "nope"), ({"work_package_id": seed.wp_p2}, "query.work_package_id")):  # fmt: skip
        r = api.post(base, json={"name": "Bad", "query": query}, headers=as_("worker"))
        assert r.status_code == 422 and field in json.dumps(r.json()), r.text
    _view(api, seed, as_, "worker", name="Mine")
    r = api.post(base, json={"name": "  mine "}, headers=as_("worker"))
    assert r.status_code == 409 and "already have a view named 'Mine'" in r.json()["error"]["message"]
    _view(api, seed, as_, "task_leader", name="Mine")  # another person's name space
    with seed.db.uow(readonly=True) as s:
        assert len(list(s.scalars(select(SavedView)))) == 2  # nothing of the refused ones written


def test_a_task_list_applies_a_view_with_the_given_parameters_over_it(api: Any, seed: Any, as_: Any) -> None:
    tasks_url = f"/projects/{seed.p1}/tasks"
    everything = [t["name"] for t in api.get(tasks_url, headers=as_("pm")).json()]
    v = _view(api, seed, as_, "pm", name="B and C", query={"q": "task", "sort": "-name"}, shared=True)
    r = api.get(tasks_url, params={"view": v["id"]}, headers=as_("observer"))
    assert r.status_code == 200, r.text
    assert [t["name"] for t in r.json()] == sorted(everything, reverse=True)
    r = api.get(tasks_url, params={"view": v["id"], "sort": "name"}, headers=as_("observer"))
    assert [t["name"] for t in r.json()] == sorted(everything)  # the sort given wins
    wp = api.post(f"/projects/{seed.p1}/views", headers=as_("pm"),
                  json={"name": "WP A", "query": {"work_package_id": seed.wp_a, "sort": "-free_float"}}).json()  # fmt: skip
    names = [t["name"] for t in api.get(tasks_url, params={"view": wp["id"]}, headers=as_("pm")).json()]
    assert names == ["Task C", "Task A"]  # by free float, most first (Task A, critical, has none)
    assert api.get(tasks_url, params={"view": wp["id"]}, headers=as_("worker")).status_code == 404


def test_rename_share_refilter_stale_and_delete_are_journaled(api: Any, seed: Any, as_: Any) -> None:
    base = f"/projects/{seed.p1}/views"
    v = _view(api, seed, as_, "pm", name="Late tasks", query={"sort": "-finish"})
    r = api.patch(f"{base}/{v['id']}", json={"version": v["version"], "name": "Latest", "shared": True,
                                             "query": {"critical": True}}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["shared"], r.json()["query"]) == ("Latest", True, {"critical": True})
    r = api.patch(f"{base}/{v['id']}", json={"version": v["version"], "name": "Stale"}, headers=as_("pm"))
    assert r.status_code == 409 and r.json()["error"]["current"]["name"] == "Latest"
    r = api.delete(f"{base}/{v['id']}", params={"version": v["version"] + 1}, headers=as_("pm"))
    assert r.status_code == 204, r.text
    assert api.get(f"{base}/{v['id']}", headers=as_("pm")).status_code == 404
    with seed.db.uow(readonly=True) as s:
        acts = list(s.scalars(select(JournalEntry.action).where(JournalEntry.entity_type == "saved_view")
                              .order_by(JournalEntry.id)))  # fmt: skip
    assert acts == ["create", "update", "delete"]


def test_a_private_views_changes_are_in_the_instance_journal_not_the_projects(
    api: Any, seed: Any, as_: Any
) -> None:
    """The project's journal readers do not see the names of others' own views; the admin's audit keeps them."""
    v = _view(api, seed, as_, "worker", name="My secret list", query={"q": "task"})
    r = api.patch(f"/projects/{seed.p1}/views/{v['id']}", json={"version": v["version"], "name": "Still mine"},
                  headers=as_("worker"))  # fmt: skip
    assert r.status_code == 200, r.text
    project_journal = api.get(f"/projects/{seed.p1}/journal", headers=as_("pm")).json()
    assert not [e for e in project_journal if e["entity_type"] == "saved_view"]
    audit = api.get("/journal", params={"entity_type": "saved_view"}, headers=as_("admin")).json()
    assert [e["action"] for e in audit] == ["update", "create"] and all(
        e["project_id"] is None for e in audit
    )
    shared = _view(api, seed, as_, "pm", name="Team", shared=True)
    project_journal = api.get(f"/projects/{seed.p1}/journal", headers=as_("pm")).json()
    assert [e["entity_id"] for e in project_journal if e["entity_type"] == "saved_view"] == [
        str(shared["id"])
    ]


def test_the_task_table_saves_opens_refilters_renames_and_deletes_views(seed: Any) -> None:
    url = f"/projects/{seed.p1}/schedule"
    with signed_in(seed, "pm") as c:
        page = c.get(url, params={"critical": "1", "sort": "finish", "dir": "desc"}).text
        assert 'id="no-views"' in page
        form = page.split('id="view-form"')[1].split("</form>")[0]
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
        assert (hidden["critical"], hidden["sort"], hidden["dir"]) == ("1", "finish", "desc")
        r = c.post(
            f"/projects/{seed.p1}/views", data={**hidden, "name": "Critical by finish", "shared": "on"}
        )
        assert r.status_code == 303, r.text
        target = urlparse(r.headers["location"])
        params = parse_qs(target.query)
        assert params["critical"] == ["1"] and params["sort"] == ["finish"] and params["dir"] == ["desc"]
        page = c.get(r.headers["location"]).text
        assert 'aria-current="page" class="current">Critical by finish</a>' in page
        assert '<span class="badge"' in page and 'id="active-view"' in page
        view_id = params["view"][0]
        # a name taken: the error beside the form, the typed name kept, nothing saved
        r = c.post(
            f"/projects/{seed.p1}/views",
            data={"csrf_token": hidden["csrf_token"], "name": "critical BY finish"},
        )
        assert r.status_code == 409 and 'id="view-error"' in r.text and 'value="critical BY finish"' in r.text
        # new filters into the open view
        page = c.get(url, params={"q": "task", "view": view_id}).text
        refilter = page.split('id="active-view"')[1].split("</form>")[0]
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', refilter))
        assert fields["q"] == "task" and fields["filters"] == "1"
        r = c.post(f"/projects/{seed.p1}/views/{view_id}", data=fields)
        assert (
            r.status_code == 303
            and "q=task" in r.headers["location"]
            and "critical" not in r.headers["location"]
        )
        page = c.get(r.headers["location"]).text
        version = re.search(r'name="version" value="(\d+)"', page.split('id="active-view"')[1]).group(1)  # type: ignore[union-attr]
        r = c.post(f"/projects/{seed.p1}/views/{view_id}", data={"csrf_token": csrf_of(page), "version": version,
                                                               "name": "Tasks", "shared": "on"})  # fmt: skip
        assert r.status_code == 303
        page = c.get(r.headers["location"]).text
        assert ">Tasks</a>" in page
        version = re.search(r'name="version" value="(\d+)"', page.split('id="active-view"')[1]).group(1)  # type: ignore[union-attr]
        r = c.post(
            f"/projects/{seed.p1}/views/{view_id}/delete", data={"csrf_token": csrf_of(page), "version": "1"}
        )
        assert r.status_code == 409  # stale
        r = c.post(f"/projects/{seed.p1}/views/{view_id}/delete",
                   data={"csrf_token": csrf_of(page), "version": version})  # fmt: skip
        assert r.status_code == 303 and 'id="no-views"' in c.get(url).text
    # a member without project.edit saves views of their own, without the share box
    with signed_in(seed, "worker") as c:
        page = c.get(url).text
        assert 'name="shared"' not in page.split('id="view-form"')[1].split("</form>")[0]


def test_command_line(cli: Any, seed: Any) -> None:
    for sub in ("list", "save", "update", "delete"):
        assert "Usage" in cli("view", sub, "--help").stdout
    assert "--view" in cli("task", "list", "--help").stdout
    assert "No views" in cli("view", "list", "P1", who="worker").stdout
    r = cli("view", "save", "P1", "Package A", "--wp", "1", "--sort", "-name", who="worker")
    assert "saved: Package A" in r.stdout
    listed = json.loads(cli("view", "list", "P1", "--json", who="worker").stdout)
    assert [(v["name"], v["query"]) for v in listed] == [
        ("Package A", {"work_package_id": listed[0]["query"]["work_package_id"], "sort": "-name"})
    ]
    rows = json.loads(cli("task", "list", "P1", "--view", "package a", "--json", who="worker").stdout)
    assert [t["name"] for t in rows] == ["Task C", "Task A"]
    r = cli("view", "save", "P1", "Everyone", "--shared", who="worker", code=1)
    assert "project.edit" in r.output
    cli("view", "update", "P1", "Package A", "--name", "A only", "--filters", "--critical", who="worker")
    assert json.loads(cli("view", "list", "P1", "--json", who="worker").stdout)[0]["query"] == {
        "critical": True
    }
    assert "View deleted: A only" in cli("view", "delete", "P1", "A only", who="worker").stdout
    r = cli("task", "list", "P1", "--view", "A only", who="worker", code=1)
    assert "no view named 'A only'" in r.output


def test_the_demo_shares_views_of_the_crm_task_table(demo_db: Any) -> None:
    from charter.persistence.models import Project, User
    from charter.services import scheduling, views
    from charter.services.context import Actor

    with demo_db.uow(readonly=True) as s:
        crm = s.scalars(select(Project).where(Project.key == "CRM")).one()
        jonas = s.scalars(select(User).where(User.username == "jonas.becker")).one()
        actor = Actor(user_id=jonas.id, username=jonas.username)
        shared = {v["name"]: v for v in views.list_views(s, actor, crm.id)}
        assert set(shared) == {"Critical path", "Customer-facing"}
        listed = scheduling.list_tasks(
            s, actor, crm.id, **views.over_view(s, actor, crm.id, shared["Customer-facing"]["id"], {})
        )
    assert listed and all(t["custom_fields"]["Customer-facing"] for t in listed)
    assert [t["start"] for t in listed] == sorted(t["start"] for t in listed)


def _fields_on_tasks(api: Any, seed: Any, as_: Any) -> None:
    """Tier (a choice) and Component (text) on the three tasks of P1: A Gold/backend, B Gold/frontend, C
    Silver/backend."""
    for body in ({"name": "Tier", "kind": "choice", "choices": ["Gold", "Silver"]},
                 {"name": "Component", "kind": "text"}):  # fmt: skip
        assert api.post(f"/projects/{seed.p1}/custom-fields", json=body, headers=as_("pm")).status_code == 201
    for key, tier, component in (
        ("a", "Gold", "backend"),
        ("b", "Gold", "frontend"),
        ("c", "Silver", "backend"),
    ):
        url = f"/projects/{seed.p1}/tasks/{seed.tasks[key]}"
        t = api.get(url, headers=as_("pm")).json()
        r = api.patch(url, headers=as_("pm"), json={"version": t["version"],
                                                    "custom_fields": {"Tier": tier, "Component": component}})  # fmt: skip
        assert r.status_code == 200, r.text


def _names(seed: Any, page: str) -> list[str]:
    """The task table's rows, as the seed names the tasks of P1."""
    name = {str(i): f"Task {key.upper()}" for key, i in seed.tasks.items()}
    return [name[i] for i in re.findall(r'<tr id="row-(\d+)"', page)]


def test_the_task_table_filters_by_several_fields_and_a_view_keeps_them(
    api: Any, seed: Any, as_: Any
) -> None:
    """Every custom field filter holds (Jira's and Redmine's filters add up); the form shows one row per
    filter and an empty one to add another; a filter that does not read is marked and the others still
    apply; a view saved from the table keeps them all, and opens with them all."""
    _fields_on_tasks(api, seed, as_)
    url = f"/projects/{seed.p1}/schedule"
    both = {"cf": ["Tier", "component"], "cv": ["gold", "back"]}
    with signed_in(seed, "pm") as c:
        page = c.get(url, params=both).text
        assert _names(seed, page) == ["Task A"], _names(seed, page)
        form = page.split('id="filters"')[1].split("</form>")[0]
        assert 'id="f-cf"' in form and 'id="f-cf-2"' in form and 'id="f-cf-3"' in form  # two and an empty row
        assert re.search(r'id="f-cf-2" name="cf">.*<option selected>Component</option>', form)
        assert 'id="f-cv-2" name="cv" value="back"' in form and 'id="f-cv-3" name="cv" value=""' in form
        # the sort links keep both filters
        assert "cf=Tier&amp;cv=gold&amp;cf=component&amp;cv=back" in page.split('id="schedule-table"')[1]
        # a filter on a field the project lacks is marked; the one before it still applies
        page = c.get(url, params={"cf": ["Tier", "Nope"], "cv": ["Gold", "x"]}).text
        assert _names(seed, page) == ["Task A", "Task B"]
        assert "this project has no custom field named &#39;Nope&#39;" in page
        assert re.search(r'id="f-cf-2" name="cf" aria-invalid="true"', page)
        assert not re.search(r'id="f-cf" name="cf" aria-invalid', page)
        # save the table as a view: the form carries both filters
        page = c.get(url, params=both).text
        view_form = page.split('id="view-form"')[1].split("</form>")[0]
        hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', view_form)
        assert [v for k, v in hidden if k == "cf"] == ["Tier", "component"]
        data: dict[str, Any] = {}
        for k, v in hidden:
            data.setdefault(k, []).append(v)
        r = c.post(f"/projects/{seed.p1}/views", data={**data, "name": "Gold backend"})
        assert r.status_code == 303, r.text
        params = parse_qs(urlparse(r.headers["location"]).query)
        assert params["cf"] == ["Tier", "component"] and params["cv"] == ["gold", "back"]
        assert _names(seed, c.get(r.headers["location"]).text) == ["Task A"]
    saved = next(v for v in api.get(f"/projects/{seed.p1}/views", headers=as_("pm")).json()
                 if v["name"] == "Gold backend")  # fmt: skip
    assert saved["query"]["fields"] == {"Tier": "gold", "component": "back"}
    tasks = api.get(f"/projects/{seed.p1}/tasks", params={"view": saved["id"]}, headers=as_("pm")).json()
    assert [t["name"] for t in tasks] == ["Task A"]


def test_renaming_a_field_renames_it_in_every_view(api: Any, seed: Any, as_: Any) -> None:
    """A view filtering or sorting by a custom field keeps working when the Project Manager renames the field:
    the rename goes into everyone's views (their own too), each a new version journaled where the view's
    changes go; views that do not name the field are left as they are."""
    _fields_on_tasks(api, seed, as_)
    own = _view(
        api, seed, as_, "worker", name="Gold", query={"fields": {"tier": "Gold"}, "sort": "-field:TIER"}
    )
    shared = _view(api, seed, as_, "pm", name="By tier", shared=True, query={"sort": "field:Tier"})
    other = _view(api, seed, as_, "pm", name="Backend", query={"fields": {"Component": "backend"}})
    fields = api.get(f"/projects/{seed.p1}/custom-fields", headers=as_("pm")).json()
    tier = next(f for f in fields if f["name"] == "Tier")
    r = api.patch(f"/projects/{seed.p1}/custom-fields/{tier['id']}",
                  json={"version": tier["version"], "name": "Service tier"}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    base = f"/projects/{seed.p1}/views"
    got = api.get(f"{base}/{own['id']}", headers=as_("worker")).json()
    assert got["query"] == {"fields": {"Service tier": "Gold"}, "sort": "-field:Service tier"}
    assert got["version"] == own["version"] + 1
    got = api.get(f"{base}/{shared['id']}", headers=as_("pm")).json()
    assert got["query"] == {"sort": "field:Service tier"} and got["version"] == shared["version"] + 1
    assert api.get(f"{base}/{other['id']}", headers=as_("pm")).json()["version"] == other["version"]
    # the renamed view still filters (it would be a 422 naming the old field otherwise)
    r = api.get(f"/projects/{seed.p1}/tasks", params={"view": own["id"]}, headers=as_("worker"))
    assert r.status_code == 200 and [t["name"] for t in r.json()] == ["Task A", "Task B"], r.text
    with signed_in(seed, "worker") as c:
        listed = c.get(f"/projects/{seed.p1}/schedule").text
        link = re.search(rf'id="view-{own["id"]}" href="([^"]+)"', listed).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        page = c.get(link).text
        assert _names(seed, page) == ["Task B", "Task A"] and 'id="filter-error"' not in page
    # journaled: the worker's own view in the instance's journal, the shared one in the project's
    with seed.db.uow(readonly=True) as s:
        rows = s.execute(select(JournalEntry.entity_id, JournalEntry.project_id, JournalEntry.cause)
                         .where(JournalEntry.entity_type == "saved_view", JournalEntry.action == "update")
                         .order_by(JournalEntry.id)).all()  # fmt: skip
    assert [(r.entity_id, r.project_id) for r in rows] == [
        (str(own["id"]), None),
        (str(shared["id"]), seed.p1),
    ]
    assert rows[0].cause == "custom field 'Tier' renamed 'Service tier'"
    # a rename that only changes the case still renames it; a view naming it another way follows
    fresh = next(f for f in api.get(f"/projects/{seed.p1}/custom-fields", headers=as_("pm")).json()
                 if f["name"] == "Service tier")  # fmt: skip
    r = api.patch(f"/projects/{seed.p1}/custom-fields/{fresh['id']}",
                  json={"version": fresh["version"], "name": "Service Tier"}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    assert api.get(f"{base}/{shared['id']}", headers=as_("pm")).json()["query"] == {
        "sort": "field:Service Tier"
    }


def test_a_view_naming_a_field_or_value_the_list_does_not_take_is_refused(
    api: Any, seed: Any, as_: Any
) -> None:
    """A view filtered by a field the project does not have, by a value the field does not take, or sorted by
    an unknown field was saved, and then opened as nothing but the task table's error; now it is refused as
    the task list refuses it, naming the view's field, and nothing is written."""
    _fields_on_tasks(api, seed, as_)
    base = f"/projects/{seed.p1}/views"
    for query, field, words in (
        ({"fields": {"Colour": "red"}}, "query.fields", "no custom field named 'Colour'"),
        ({"fields": {"Tier": "Bronze"}}, "query.fields", "Bronze"),
        ({"sort": "-field:Colour"}, "query.sort", "'Colour' to sort by"),
    ):
        r = api.post(base, json={"name": "Bad", "query": query}, headers=as_("worker"))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field and words in r.json()["error"]["message"], r.text
    good = _view(
        api, seed, as_, "worker", name="Gold", query={"fields": {"tier": "gold"}, "sort": "field:TIER"}
    )
    r = api.patch(f"{base}/{good['id']}", json={"version": good["version"], "query": {"fields": {"Tier": "x"}}},
                  headers=as_("worker"))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["field"] == "query.fields", r.text
    with seed.db.uow(readonly=True) as s:
        assert [v.name for v in s.scalars(select(SavedView))] == ["Gold"]
    with signed_in(seed, "worker") as c:
        csrf = csrf_of(c.get(f"/projects/{seed.p1}/schedule").text)
        r = c.post(f"/projects/{seed.p1}/views",
                   data={"csrf_token": csrf, "name": "Web", "cf": "Tier", "cv": "maybe"})  # fmt: skip
        assert r.status_code == 422 and "maybe" in r.text and 'value="Web"' in r.text
