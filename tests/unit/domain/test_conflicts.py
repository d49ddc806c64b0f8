"""The conflict log's pure rules: lifecycle transitions, what resolving needs, the ladder and its limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from charter.domain import conflicts as rules
from charter.domain.errors import Conflict, ValidationError

NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)


def test_transitions() -> None:
    rules.check_transition(rules.Status.OPEN, rules.Status.RESOLVING)
    rules.check_transition(rules.Status.RESOLVED, rules.Status.OPEN)  # reopened
    rules.check_transition(rules.Status.CLOSED, rules.Status.OPEN)
    with pytest.raises(Conflict) as e:
        rules.check_transition(rules.Status.OPEN, rules.Status.CLOSED)
    assert "resolved" in e.value.message and e.value.field == "status"


def test_resolving_needs_an_approach_and_an_outcome() -> None:
    with pytest.raises(ValidationError) as e:
        rules.check_resolution(None, "Agreed")
    assert e.value.field == "approach"
    with pytest.raises(ValidationError) as e:
        rules.check_resolution(rules.Approach.COMPROMISE, "   ")
    assert e.value.field == "outcome"
    rules.check_resolution(rules.Approach.FORCE, "The sponsor decided")


def test_the_ladder_and_its_limits() -> None:
    p = rules.Policy(task_leader_hours=8, pm_hours=24)
    assert rules.escalate_at(p, rules.Level.TASK_LEADER, NOW, rules.Status.OPEN) == NOW + timedelta(hours=8)
    assert rules.escalate_at(p, rules.Level.PM, NOW, rules.Status.RESOLVING) == NOW + timedelta(hours=24)
    assert rules.escalate_at(p, rules.Level.SPONSOR, NOW, rules.Status.OPEN) is None
    assert rules.escalate_at(p, rules.Level.PM, NOW, rules.Status.RESOLVED) is None
    assert [rules.next_level(x) for x in rules.LADDER] == [rules.Level.PM, rules.Level.SPONSOR, None]
    for bad in (0, -1, rules.MAX_LIMIT_HOURS + 1, True):
        with pytest.raises(ValidationError):
            rules.Policy(task_leader_hours=bad)


def test_time_left_reads_like_a_person_would_say_it() -> None:
    assert rules.time_left(NOW + timedelta(hours=26), NOW) == "1d 2h"
    assert rules.time_left(NOW + timedelta(hours=3), NOW) == "3h"
    assert rules.time_left(NOW + timedelta(seconds=30), NOW) == "1m"
    assert rules.time_left(NOW - timedelta(hours=5), NOW) == "overdue 5h"
    assert rules.time_left(None, NOW) is None


def test_parse_names_the_field() -> None:
    assert rules.parse(rules.Kind, "people", "kind") is rules.Kind.PEOPLE
    with pytest.raises(ValidationError) as e:
        rules.parse(rules.Severity, "huge", "severity")
    assert e.value.field == "severity" and "critical" in e.value.message


def test_limits_count_weekday_time_only() -> None:
    from datetime import UTC, datetime, timedelta

    from charter.domain.conflicts import add_weekday_time

    h = timedelta(hours=1)
    assert add_weekday_time(datetime(2026, 11, 23, 9), 72 * h) == datetime(2026, 11, 26, 9)  # Mon -> Thu
    assert add_weekday_time(datetime(2026, 11, 27, 15), 72 * h) == datetime(2026, 12, 2, 15)  # Fri -> Wed
    assert add_weekday_time(datetime(2026, 11, 28, 10, tzinfo=UTC), 5 * h) == datetime(
        2026, 11, 30, 5, tzinfo=UTC
    )
    assert add_weekday_time(datetime(2026, 11, 29, 23), 0 * h) == datetime(2026, 11, 30, 0)  # Sunday: Monday
    assert add_weekday_time(datetime(2026, 11, 27, 20), 5 * h) == datetime(
        2026, 11, 30, 1
    )  # over the weekend
