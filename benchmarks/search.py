"""Search benchmark: a project with many tasks, searched through the persistent full-text index (FTS5 on
SQLite, GIN on PostgreSQL) and, for comparison, the way search worked before the index existed: every
visible row loaded and an in-memory FTS5 table built for each query.

Measured: median and worst time of ``--queries`` searches by a project member (permission filtering
included); the same queries the way the indexed search filtered, counted and paged before (an IN over every
visible row per kind; every visible hit fetched with its text, deduplicated, sorted, counted and cut to the
page in Python), timed in the same run, query by query, so the ratio is like for like; and the same queries through the per-query build. The tasks are inserted with Core in bulk and
the index filled once with ``search_index.rebuild`` (what ``charter search reindex`` does).

Usage: ``python benchmarks/search.py [--tasks 100000] [--queries 20] [--common] [--words N] [--url URL] [--small]
[--json PATH]``;
also ``charter bench search``. Target: indexed search median < 100 ms at 100,000 tasks (reported; the exit
status is non-zero only with ``--strict``).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

TARGET_MS = 100.0
FORMER_TSVECTOR = "to_tsvector('simple'::regconfig, title || ' ' || body)"
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "server", "network", "backup", "database", "migration", "licence", "renewal", "firewall", "storage", "cluster", "gateway"]  # fmt: skip
# Task text draws from a 1,850-word vocabulary (the 37 common words above are frequent), so a
# rarer-word query matches a few hundred of 100,000 tasks, as real searches do; `--common` queries two common words instead
# (thousands of hits: the cost is then the result set, not the index).
VOCAB = WORDS + [f"{w}{i}" for i in range(49) for w in WORDS]


def build(db: Any, n: int, seed: int = 11) -> dict[str, Any]:
    from sqlalchemy import insert, text

    from charter.persistence.models import Task
    from charter.services import accounts, projects, search_index
    from charter.services.context import SYSTEM

    rng = random.Random(seed)
    with db.uow() as s:
        uid = accounts.create_user(
            s, SYSTEM, username="bench", display_name="Bench PM", password="bench-pass-1"
        )["id"]
        pid = projects.create_project(s, SYSTEM, key="SRCH", name="Search project", manager_id=uid,
                                      start_date=date(2026, 1, 5))["id"]  # fmt: skip
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    weights = [40.0 if i < len(WORDS) else 1.0 for i in range(len(VOCAB))]
    rows = [
        {"project_id": pid, "name": " ".join(rng.choices(VOCAB, weights, k=3)) + f" {i}", "description":
         " ".join(rng.choices(VOCAB, weights, k=12)), "position": i, "wbs_code": str(i + 1), "milestone": False,
         "duration": 480, "duration_unit": "days", "percent_complete": 0.0, "status": "not_started",
         "priority": 500, "constraint_type": "asap", "task_type": "fixed_units", "effort_driven": True,
         "created_at": now, "version": 1}
        for i in range(n)
    ]  # fmt: skip
    with db.uow() as s:
        for i in range(0, n, 5000):
            s.execute(insert(Task), rows[i : i + 5000])
    with db.uow() as s:
        counts = search_index.rebuild(s, SYSTEM)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            # the former path matched on the expression and its GIN expression index (before migration 0016
            # stored the vector): built here too, so both ways run in the same database
            conn.execute(
                text(f"CREATE INDEX ix_bench_former_fts ON search_docs USING gin (({FORMER_TSVECTOR}))")
            )
            conn.execute(text("ANALYZE"))  # statistics, as autovacuum would gather after a bulk load
            conn.commit()
    return {
        "project_id": pid,
        "user_id": uid,
        "build_s": round(time.perf_counter() - t0, 2),
        "indexed": counts,
    }


def _old_way(s: Any, actor: Any, q: str) -> int:
    """The former algorithm: load every visible row, build an in-memory FTS5 table, match."""
    from charter.services import search

    pids = search._visible_ids(s, actor)
    rows = []
    for k in search.KINDS:
        rows.extend(s.execute(search._restricted(s, actor, k, pids)))
    con = sqlite3.connect(":memory:")
    try:
        con.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='unicode61 remove_diacritics 2')"
        )
        con.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)",
                        [(i, str(r[2] or ""), " ".join(str(x) for x in r[3:] if x)) for i, r in enumerate(rows, 1)])  # fmt: skip
        return len(
            con.execute("SELECT rowid FROM docs WHERE docs MATCH ?", (search.fts5_query(q),)).fetchall()
        )
    finally:
        con.close()


def _former(s: Any, actor: Any, q: str) -> int:
    """The indexed search as it was before counting and paging moved into SQL: each kind's permission filter
    an IN over every visible row of the kind, then every visible hit fetched with its text, the best entry
    per result kept, sorted, counted and cut to the page in Python; on PostgreSQL matched and ranked on the
    to_tsvector expression (its GIN expression index), as before the stored column."""
    from sqlalchemy import and_, column, false, literal_column, or_, select, table

    from charter.persistence.models import SearchDoc
    from charter.persistence.search_index import FTS_TABLE
    from charter.services import search

    q = search.clean(q)
    pids = search._visible_ids(s, actor)
    visible = []
    for k in search.KINDS:
        base = search._restricted(s, actor, k, pids)
        visible.append(and_(SearchDoc.kind == k.kind,
                            SearchDoc.target_id.in_(base.with_only_columns(base.selected_columns[0]))))  # fmt: skip
    cols = (SearchDoc.kind, SearchDoc.target_id, SearchDoc.project_id, SearchDoc.title, SearchDoc.body)
    if s.get_bind().dialect.name == "postgresql":
        tsv: Any = literal_column(
            FORMER_TSVECTOR.replace("title", "search_docs.title").replace("body", "search_docs.body")
        )
        tsq = search.func.websearch_to_tsquery(literal_column("'simple'::regconfig"), q)
        stmt = select(*cols, search.func.ts_rank(tsv, tsq)).where(tsv.op("@@")(tsq), or_(false(), *visible))
    else:
        fts = table(FTS_TABLE, column("rowid"))
        matched = (
            select(fts.c.rowid.label("doc_id"), (-literal_column(f"bm25({FTS_TABLE})")).label("rank"))
            .where(literal_column(FTS_TABLE).op("MATCH")(search.fts5_query(q)))
            .cte("matched")
            .prefix_with("MATERIALIZED")
        )
        stmt = (select(*cols, matched.c.rank).select_from(matched)
                .join(SearchDoc, SearchDoc.id == matched.c.doc_id).where(or_(false(), *visible)))  # fmt: skip
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for row in s.execute(stmt):
        key, rank = (row[0], row[1]), float(row[5])
        if key not in best or best[key]["rank"] < rank:
            best[key] = {"kind": row[0], "id": row[1], "project_id": row[2], "title": row[3],
                         "snippet": (row[4] or "")[:240], "rank": rank}  # fmt: skip
    hits = sorted(best.values(), key=lambda h: (-h["rank"], h["kind"], h["id"]))
    _ = hits[: search.LIMIT]
    return len(hits)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from charter.persistence.db import Database
    from charter.services import search
    from charter.services.context import Actor

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'search.db'}"
        db = Database(url)
        db.upgrade()
        built = build(db, args.tasks)
        actor = Actor(built["user_id"], "bench")
        rng = random.Random(3)
        pool = WORDS if args.common else VOCAB[len(WORDS) :]
        words = args.words or (2 if args.common else 1)
        queries = [" ".join(rng.sample(pool, words)) for _ in range(args.queries)]
        indexed, former, old, hits = [], [], [], []
        for q in queries:  # both ways on each query, one after the other, in the same run
            with db.uow(readonly=True) as s:
                t = time.perf_counter()
                hits.append(search.search(s, actor, q)["total"])
                indexed.append((time.perf_counter() - t) * 1000)
            with db.uow(readonly=True) as s:
                t = time.perf_counter()
                assert _former(s, actor, q) == hits[-1]
                former.append((time.perf_counter() - t) * 1000)
        if db.engine.dialect.name == "sqlite":
            for q in queries[: max(1, args.queries // 4)]:
                with db.uow(readonly=True) as s:
                    t = time.perf_counter()
                    _old_way(s, actor, q)
                    old.append((time.perf_counter() - t) * 1000)
        db.dispose()
    med = statistics.median(indexed)
    before = statistics.median(former)
    return {
        "database": "postgresql" if args.url else "sqlite",
        "tasks": args.tasks,
        "queries": len(queries),
        "build_s": built["build_s"],
        "indexed_median_ms": round(med, 1),
        "indexed_max_ms": round(max(indexed), 1),
        "former_median_ms": round(before, 1),
        "speedup": round(before / med, 1) if med else None,
        "per_query_build_median_ms": round(statistics.median(old), 1) if old else None,
        "mean_hits": round(statistics.mean(hits), 1),
        "common_words": bool(args.common),
        "target_median_ms": TARGET_MS,
        "pass": med < TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--url", help="an empty PostgreSQL database (default: a temporary SQLite file)")
    ap.add_argument("--common", action="store_true", help="query two common words (thousands of hits)")
    ap.add_argument(
        "--words",
        type=int,
        default=0,
        help="words per query (default 1, or 2 with --common; --common --words 1: about 1 task in 6)",
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument("--small", action="store_true", help="CI mode: 5,000 tasks, 8 queries")
    ap.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = ap.parse_args(argv)
    if args.small:
        args.tasks, args.queries = 5000, 8
    out = run(args)
    print(f"{'db':>10} {'tasks':>8} {'hits':>8} {'indexed p50 ms':>15} {'max ms':>8} {'former p50 ms':>14} "
          f"{'ratio':>6} {'per-query build p50 ms':>23} {'pass':>5}")  # fmt: skip
    print(f"{out['database']:>10} {out['tasks']:>8} {out['mean_hits']:>8} {out['indexed_median_ms']:>15} "
          f"{out['indexed_max_ms']:>8} {out['former_median_ms']:>14} {out['speedup']!s:>6} "
          f"{out['per_query_build_median_ms']!s:>23} {out['pass']!s:>5}")  # fmt: skip
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 1 if args.strict and not out["pass"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
