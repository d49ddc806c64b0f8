"""The load benchmark's verdicts (`charter bench load`): the targets are judged per operation kind, against the
bare endpoint measured in the same run. The benchmark itself runs in CI (`.ci/run`, small) and on request."""

from __future__ import annotations

from typing import Any

from charter.cli.bench import load


def _op(kind: str, rps: float, p99: float) -> dict[str, Any]:
    return {"kind": kind, "rps": rps, "p50_ms": p99 / 4, "p95_ms": p99 / 2, "p99_ms": p99, "failures": 0}


def test_targets_pass_and_fail_on_the_worst_operation_and_the_bare_share() -> None:
    bench = load("load")
    bare = {"operations": {"bare endpoint": _op("read", 1000.0, 20.0)}}
    good = {
        "backend": "postgresql",
        "operations": {
            "list tasks": _op("read", 200.0, 150.0),
            "open dashboard": _op("read", 150.0, 190.0),
            "edit task": _op("write", 50.0, 290.0),
        },
    }
    ev = bench.evaluate([good], bare)["postgresql"]
    assert ev["pass"] == {"read_p99_ms": True, "write_p99_ms": True, "read_share_of_bare": True}
    assert ev["read_share_of_bare"] == 0.35 and ev["worst_read_p99_ms"] == 190.0

    slow = {
        "backend": "postgresql",
        "operations": {
            "list tasks": _op("read", 100.0, 150.0),
            "open gantt data": _op("read", 10.0, 250.0),  # one slow read fails the read target
            "log time": _op("write", 5.0, 301.0),
        },
    }
    ev = bench.evaluate([slow], bare)["postgresql"]
    assert ev["pass"] == {"read_p99_ms": False, "write_p99_ms": False, "read_share_of_bare": False}
    assert ev["read_rps"] == 110.0  # writes do not count as read throughput


def test_latency_is_judged_on_the_users_run_and_throughput_on_the_capacity_run() -> None:
    bench = load("load")
    bare = {"operations": {"bare endpoint": _op("read", 1000.0, 20.0)}}
    capacity = {
        "backend": "postgresql",
        "mode": "capacity",
        "think": None,
        "operations": {"list tasks": _op("read", 100.0, 900.0), "edit task": _op("write", 20.0, 2000.0)},
    }
    users = {
        "backend": "postgresql",
        "mode": "users",
        "think": [1.0, 3.0],
        "operations": {"list tasks": _op("read", 20.0, 120.0), "edit task": _op("write", 5.0, 250.0)},
    }
    ev = bench.evaluate([capacity, users], bare)["postgresql"]
    assert ev["latency_from"] == "users" and ev["think"] == [1.0, 3.0]
    assert (ev["worst_read_p99_ms"], ev["worst_write_p99_ms"]) == (120.0, 250.0)
    assert ev["read_rps"] == 100.0  # the capacity run's, not the thinking users'
    assert ev["pass"] == {"read_p99_ms": True, "write_p99_ms": True, "read_share_of_bare": False}
    # without a users' run the capacity run is judged for latency too
    ev = bench.evaluate([capacity], bare)["postgresql"]
    assert ev["latency_from"] == "capacity" and ev["worst_read_p99_ms"] == 900.0
