"""The search index is persistent and maintained on write: in the write's own transaction, rolled back
with it, untouched by changes that do not alter indexed text, rebuilt by `charter search reindex`; searches
read the database's full-text index (FTS5 / GIN) instead of building one per query."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select, text

from charter.domain.errors import PermissionDenied
from charter.persistence.models import SearchDoc
from charter.services import comms, search, search_index, tasks


def _titles(s: Any, seed: Any, who: str, q: str) -> list[str]:
    return [h["title"] for h in search.search(s, seed.actor(who), q)["results"]]


def _doc(s: Any, kind: str, ref_id: int) -> Any:
    return s.scalars(
        select(SearchDoc).where(SearchDoc.kind == kind, SearchDoc.ref_id == ref_id)
    ).one_or_none()


def test_a_write_is_searchable_in_its_own_transaction_and_rolls_back_with_it(seed: Any) -> None:
    pm = seed.actor("pm")

    class Abort(Exception):
        pass

    with pytest.raises(Abort), seed.db.uow() as s:
        tasks.create_task(s, pm, seed.p1, name="Quokka firewall rules", work_package_id=seed.wp_a)
        assert _titles(s, seed, "pm", "quokka") == ["Quokka firewall rules"]  # before commit
        raise Abort
    with seed.db.uow(readonly=True) as s:
        assert _titles(s, seed, "pm", "quokka") == []
        assert s.scalar(select(func.count()).where(SearchDoc.title.like("Quokka%"))) == 0


def test_renames_and_deletes_update_the_index_and_other_edits_leave_it_alone(seed: Any) -> None:
    pm = seed.actor("pm")
    tid = seed.tasks["a"]
    with seed.db.uow() as s:
        t = tasks.get_task(s, pm, seed.p1, tid)
        old_word = t["name"].split()[0]
        before = _doc(s, "task", tid)
        assert before is not None and before.title == t["name"]
        first_id = before.id
        t = tasks.update_task(s, pm, seed.p1, tid, t["version"], percent_complete=40)
        assert (
            _doc(s, "task", tid).id == first_id
        )  # progress is not indexed text: the entry was not rewritten
        t = tasks.update_task(s, pm, seed.p1, tid, t["version"], name="Wombat cabling",
                              description="patch panel in rack 7")  # fmt: skip
    with seed.db.uow(readonly=True) as s:
        assert _titles(s, seed, "pm", "wombat rack") == ["Wombat cabling"]
        assert t["name"] not in _titles(s, seed, "pm", old_word)  # the old name is gone
    with seed.db.uow() as s:
        tasks.delete_task(s, pm, seed.p1, tid, t["version"])
    with seed.db.uow(readonly=True) as s:
        assert _doc(s, "task", tid) is None and _titles(s, seed, "pm", "wombat") == []


def test_a_thread_renamed_reindexes_its_messages(seed: Any, frozen_clock: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        item = comms.send(s, pm, seed.p1, to="user", to_user_id=seed.users["task_leader"], subject="Numbat",
                          body="the backup window")  # fmt: skip
    with seed.db.uow() as s:
        assert _titles(s, seed, "task_leader", "numbat backup") == ["Numbat"]
        from charter.persistence.models import CommItem

        s.get(CommItem, item["id"]).subject = "Bilby"
        s.flush()
        assert _titles(s, seed, "task_leader", "bilby backup") == ["Bilby"]
        assert _titles(s, seed, "task_leader", "numbat") == []


def test_search_reads_the_index_not_the_tables_and_reindex_catches_up(seed: Any) -> None:
    """A change made behind Charter's back (plain SQL) is not seen until the index is rebuilt: the search
    answers from the persistent index, it does not rebuild one from the source rows per query."""
    tid = seed.tasks["a"]
    with seed.db.uow() as s:
        s.execute(text("UPDATE tasks SET name = 'Platypus migration' WHERE id = :id"), {"id": tid})
    with seed.db.uow(readonly=True) as s:
        assert _titles(s, seed, "pm", "platypus") == []
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        search_index.rebuild(s, seed.actor("pm"))
    with seed.db.uow() as s:
        counts = search_index.rebuild(s, seed.actor("admin"))
    assert counts["task"] == len(seed.tasks) and counts["project"] == 2
    with seed.db.uow(readonly=True) as s:
        assert _titles(s, seed, "pm", "platypus") == ["Platypus migration"]
        assert _titles(s, seed, "outsider", "platypus") == []  # still filtered by permission


def test_the_query_plan_uses_the_full_text_index(seed: Any) -> None:
    with seed.db.uow() as s:
        actor, pids = seed.actor("pm"), [seed.p1]
        k = next(k for k in search.KINDS if k.kind == "task")
        if s.get_bind().dialect.name == "postgresql":
            # enough rows of the same kind that only the full-text index narrows them down
            s.execute(text("INSERT INTO search_docs (kind, ref_id, target_id, project_id, title, body) "
                           "SELECT 'task', 100000 + g, 100000 + g, :p, 'filler ' || g, 'routine work item' "
                           "FROM generate_series(1, 5000) AS g"), {"p": seed.p1})  # fmt: skip
            # the suite empties tables with DELETE, so the GIN index's pending list holds the entries of earlier
            # tests until a vacuum, and the planner costs a scan of it as reading the whole list: merge it into the
            # index first, as autovacuum would
            s.execute(text("SELECT gin_clean_pending_list('ix_search_docs_fts')"))
            s.execute(text("ANALYZE search_docs"))
            # with three visible tasks a nested loop over them is cheapest; without it, the match itself must
            # come from an index, and the expression has to be the GIN index's for that
            s.execute(text("SET LOCAL enable_nestloop = off"))
            s.execute(text("SET LOCAL enable_seqscan = off"))
            stmt = search.pg_statement(s, actor, "cabling", [k], pids)
            sql = str(stmt.compile(s.get_bind(), compile_kwargs={"literal_binds": True}))
            plan = "\n".join(r[0] for r in s.execute(text("EXPLAIN " + sql)))
            assert "ix_search_docs_fts" in plan, plan
        else:
            stmt = search.sqlite_statement(s, actor, "cabling", [k], pids)
            sql = str(stmt.compile(s.get_bind(), compile_kwargs={"literal_binds": True}))
            plan = " | ".join(str(r[-1]) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "VIRTUAL TABLE INDEX" in plan and "search_fts" in plan, plan
        s.rollback()


def test_cli_search_reindex(seed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.config import get_settings

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    monkeypatch.setenv("CHARTER_USER", "admin")
    get_settings.cache_clear()
    runner = CliRunner()
    with seed.db.uow() as s:
        s.execute(text("DELETE FROM search_docs"))
    r = runner.invoke(app, ["search", "reindex", "--json"])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert json.loads(r.stdout)["task"] == len(seed.tasks)
    r = runner.invoke(app, ["search", "Project", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["total"] >= 2
    r = runner.invoke(app, ["search", "query", "reindex", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["total"] == 0
    monkeypatch.setenv("CHARTER_USER", "pm")
    r = runner.invoke(app, ["search", "reindex"])
    assert r.exit_code != 0
