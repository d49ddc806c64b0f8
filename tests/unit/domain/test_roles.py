"""Roles, RACI, time-bounded assignments, scoped permissions and gaps: pure domain rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.domain.errors import Conflict, ValidationError
from charter.domain.roles import (
    BUILTIN_BY_KEY,
    BUILTIN_ROLES,
    LIAISON,
    OBSERVER,
    PM,
    STAKEHOLDER,
    TASK_LEADER,
    TASK_WORKER,
    Area,
    Assignment,
    GapKind,
    Grant,
    Perm,
    Raci,
    RaciMatrix,
    RoleRules,
    ScopeKind,
    Target,
    check_assignment,
    find_gaps,
    parse_permissions,
    permits,
    plan_handover,
)

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def grant(key: str, scope_id: int | None = None) -> Grant:
    tpl = BUILTIN_BY_KEY[key]
    return Grant(tpl.permissions, tpl.scope_kind, scope_id)


PM_ROLE = RoleRules(1, "Project Manager", ScopeKind.PROJECT, exclusive=True)
WORKER_ROLE = RoleRules(3, "Task Worker", ScopeKind.PROJECT, exclusive=False)
LEADER_ROLE = RoleRules(2, "Task Leader", ScopeKind.WORK_PACKAGE, exclusive=True)
LIAISON_ROLE = RoleRules(5, "Relationship Liaison", ScopeKind.DEPARTMENT, exclusive=True)


# --------------------------------------------------------------------------------------------- RACI


def test_set_accountable_moves_a_and_previous_becomes_responsible() -> None:
    m = RaciMatrix({(Area.RISK, 1): Raci.ACCOUNTABLE})
    changes = m.set(Area.RISK, 9, Raci.ACCOUNTABLE)
    assert m.accountable(Area.RISK) == 9
    assert m.get(Area.RISK, 1) is Raci.RESPONSIBLE
    assert (Area.RISK, 1, Raci.ACCOUNTABLE, Raci.RESPONSIBLE) in changes
    assert (Area.RISK, 9, None, Raci.ACCOUNTABLE) in changes


def test_setting_the_same_accountable_again_changes_nothing() -> None:
    m = RaciMatrix({(Area.BUDGET, 1): Raci.ACCOUNTABLE})
    assert m.set(Area.BUDGET, 1, Raci.ACCOUNTABLE) == []
    assert m.accountable(Area.BUDGET) == 1


def test_clearing_the_accountable_cell_leaves_the_area_without_one() -> None:
    m = RaciMatrix({(Area.SCOPE, 1): Raci.ACCOUNTABLE, (Area.SCOPE, 2): Raci.CONSULTED})
    assert m.set(Area.SCOPE, 1, None) == [(Area.SCOPE, 1, Raci.ACCOUNTABLE, None)]
    assert m.accountable(Area.SCOPE) is None
    assert m.get(Area.SCOPE, 2) is Raci.CONSULTED


def test_other_areas_are_untouched_when_accountability_moves() -> None:
    m = RaciMatrix({(a, 1): Raci.ACCOUNTABLE for a in Area})
    m.set(Area.QUALITY, 2, Raci.ACCOUNTABLE)
    assert all(m.accountable(a) == 1 for a in Area if a is not Area.QUALITY)


def test_builtin_roles_make_pm_the_only_accountable_everywhere() -> None:
    assert len(BUILTIN_ROLES) == 7
    for area in Area:
        accountable = [r.key for r in BUILTIN_ROLES if r.raci.get(area) is Raci.ACCOUNTABLE]
        assert accountable == [PM]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Area)),
            st.integers(min_value=1, max_value=6),
            st.sampled_from([*Raci, None]),
        ),
        max_size=60,
    )
)
def test_property_every_area_has_at_most_one_accountable(ops: list[tuple[Area, int, Raci | None]]) -> None:
    m = RaciMatrix()
    for area, role_id, letter in ops:
        m.set(area, role_id, letter)
        assert m.get(area, role_id) is letter
        if letter is Raci.ACCOUNTABLE:
            assert m.accountable(area) == role_id
    for area in Area:
        holders = [r for (a, r), v in m.cells.items() if a is area and v is Raci.ACCOUNTABLE]
        assert len(holders) <= 1


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Area)), st.integers(1, 4), st.sampled_from([*Raci, None])), max_size=30
    )
)
def test_property_reported_changes_replay_to_the_same_matrix(
    ops: list[tuple[Area, int, Raci | None]],
) -> None:
    m = RaciMatrix()
    replay: dict[tuple[Area, int], Raci] = {}
    for area, role_id, letter in ops:
        for a, r, before, after in m.set(area, role_id, letter):
            assert replay.get((a, r)) is before
            if after is None:
                replay.pop((a, r), None)
            else:
                replay[(a, r)] = after
    assert replay == m.cells


# --------------------------------------------------------------------------------------------- periods


def test_overlap_of_closed_periods() -> None:
    a = Assignment(1, 10, None, at(0), at(10))
    assert a.overlaps(Assignment(1, 11, None, at(5), at(15)))
    assert a.overlaps(Assignment(1, 11, None, at(-5), at(1)))
    assert a.overlaps(Assignment(1, 11, None, at(2), at(3)))
    assert not a.overlaps(Assignment(1, 11, None, at(10), at(20)))  # touching ends do not overlap
    assert not a.overlaps(Assignment(1, 11, None, at(-5), at(0)))


def test_overlap_with_open_ended_periods() -> None:
    open_a = Assignment(1, 10, None, at(0))
    assert open_a.overlaps(Assignment(1, 11, None, at(100)))
    assert open_a.overlaps(Assignment(1, 11, None, at(-10), at(1)))
    assert not open_a.overlaps(Assignment(1, 11, None, at(-10), at(0)))
    assert Assignment(1, 11, None, at(-10), at(1)).overlaps(open_a)


def test_is_current_is_half_open() -> None:
    a = Assignment(1, 10, None, at(0), at(10))
    assert not a.is_current(at(-1))
    assert a.is_current(at(0))
    assert a.is_current(at(9.99))
    assert not a.is_current(at(10))  # ended roles are not current
    assert Assignment(1, 10, None, at(0)).is_current(at(10_000))


# --------------------------------------------------------------------------------------------- assignment rules


def test_exclusive_role_refuses_a_second_holder() -> None:
    held = [Assignment(PM_ROLE.id, 10, None, at(0), id=1)]
    with pytest.raises(Conflict) as e:
        check_assignment(PM_ROLE, Assignment(PM_ROLE.id, 11, None, at(5)), held, {10: "Pat"})
    assert e.value.field == "user_id"
    assert "Pat" in e.value.message


def test_exclusive_role_accepts_a_holder_after_the_previous_one_ends() -> None:
    held = [Assignment(PM_ROLE.id, 10, None, at(0), at(5), id=1)]
    check_assignment(PM_ROLE, Assignment(PM_ROLE.id, 11, None, at(5)), held)


def test_exclusive_role_refuses_a_future_holder_overlapping_an_open_ended_one() -> None:
    held = [Assignment(PM_ROLE.id, 10, None, at(0), id=1)]
    with pytest.raises(Conflict):
        check_assignment(PM_ROLE, Assignment(PM_ROLE.id, 11, None, at(300), at(400)), held)


def test_non_exclusive_role_takes_many_holders_but_not_the_same_person_twice() -> None:
    held = [Assignment(WORKER_ROLE.id, 10, None, at(0), id=1)]
    check_assignment(WORKER_ROLE, Assignment(WORKER_ROLE.id, 11, None, at(1)), held)
    with pytest.raises(Conflict) as e:
        check_assignment(WORKER_ROLE, Assignment(WORKER_ROLE.id, 10, None, at(1), at(2)), held)
    assert "already holds" in e.value.message


def test_exclusive_per_scope_two_leaders_of_different_packages_are_fine() -> None:
    held = [Assignment(LEADER_ROLE.id, 10, 100, at(0), id=1)]
    check_assignment(LEADER_ROLE, Assignment(LEADER_ROLE.id, 11, 200, at(0)), held)
    with pytest.raises(Conflict):
        check_assignment(LEADER_ROLE, Assignment(LEADER_ROLE.id, 11, 100, at(0)), held)


def test_other_roles_do_not_collide() -> None:
    held = [Assignment(WORKER_ROLE.id, 10, None, at(0), id=1)]
    check_assignment(PM_ROLE, Assignment(PM_ROLE.id, 10, None, at(0)), held)


def test_an_assignment_does_not_collide_with_itself() -> None:
    a = Assignment(PM_ROLE.id, 10, None, at(0), id=7)
    check_assignment(PM_ROLE, Assignment(PM_ROLE.id, 10, None, at(0), at(3), id=7), [a])


def test_empty_period_is_refused() -> None:
    with pytest.raises(ValidationError) as e:
        check_assignment(PM_ROLE, Assignment(PM_ROLE.id, 10, None, at(1), at(1)), [])
    assert e.value.field == "valid_until"


@pytest.mark.parametrize(
    ("role", "scope_id", "ok"),
    [
        (PM_ROLE, None, True),
        (PM_ROLE, 5, False),  # project-wide roles take no scope
        (LEADER_ROLE, 5, True),
        (LEADER_ROLE, None, False),  # a Task Leader needs a work package
        (LIAISON_ROLE, 3, True),
        (LIAISON_ROLE, None, False),  # a Liaison needs a department
    ],
)
def test_scope_required_or_forbidden_by_scope_kind(role: RoleRules, scope_id: int | None, ok: bool) -> None:
    new = Assignment(role.id, 10, scope_id, at(0))
    if ok:
        check_assignment(role, new, [])
    else:
        with pytest.raises(ValidationError) as e:
            check_assignment(role, new, [])
        assert e.value.field == "scope_id"


# --------------------------------------------------------------------------------------------- hand-over


def test_handover_ends_one_and_starts_the_other_at_the_same_instant() -> None:
    current = Assignment(PM_ROLE.id, 10, None, at(0), id=1)
    ended, started = plan_handover(current, 11, at(30))
    assert ended.valid_until == started.valid_from == at(30)
    assert (ended.user_id, ended.id, ended.valid_from) == (10, 1, at(0))
    assert (started.user_id, started.role_id, started.scope_id, started.id) == (11, PM_ROLE.id, None, None)
    assert not ended.overlaps(started)
    assert not ended.is_current(at(30)) and started.is_current(at(30))
    check_assignment(PM_ROLE, started, [ended])  # the hand-over itself passes the exclusivity rule


def test_handover_keeps_scope_and_planned_end() -> None:
    current = Assignment(LEADER_ROLE.id, 10, 100, at(0), at(90), id=1)
    ended, started = plan_handover(current, 11, at(30))
    assert ended.valid_until == at(30)
    assert started.scope_id == 100
    assert started.valid_until == at(90)


def test_handover_outside_the_holders_period_or_to_the_same_person_is_refused() -> None:
    current = Assignment(PM_ROLE.id, 10, None, at(0), at(10), id=1)
    with pytest.raises(ValidationError):
        plan_handover(current, 11, at(10))
    with pytest.raises(ValidationError):
        plan_handover(current, 11, at(-1))
    with pytest.raises(ValidationError):
        plan_handover(current, 10, at(5))


# --------------------------------------------------------------------------------------------- permissions

WP_A, WP_A1, WP_B, SALES, IT = 100, 101, 200, 7, 8
IN_A = Target(work_package_path=(WP_A,))
IN_A1 = Target(work_package_path=(WP_A1, WP_A))  # a sub-package of WP-A: its path includes WP-A
IN_B = Target(work_package_path=(WP_B,))


def test_task_leader_edits_own_package_and_its_sub_packages_only() -> None:
    leader_a = [grant(TASK_LEADER, WP_A)]
    for perm in (Perm.WBS_EDIT, Perm.TASK_EDIT, Perm.TEAM_MANAGE, Perm.TIMESHEET_APPROVE):
        assert permits(leader_a, perm, IN_A)
        assert permits(leader_a, perm, IN_A1)
        assert not permits(leader_a, perm, IN_B)
        assert not permits(leader_a, perm)  # not the project as a whole
    assert not permits([grant(TASK_LEADER, WP_A1)], Perm.TASK_EDIT, IN_A)  # a sub-package's leader: not up


def test_task_leader_reads_and_raises_across_the_project() -> None:
    leader_a = [grant(TASK_LEADER, WP_A)]
    for perm in (Perm.PROJECT_READ, Perm.RISK_RAISE, Perm.CONCERN_RAISE, Perm.CHANGE_REQUEST):
        assert permits(leader_a, perm, IN_B)
        assert permits(leader_a, perm)
    assert not permits(leader_a, Perm.PROJECT_EDIT)
    assert not permits(leader_a, Perm.ROLES_MANAGE)


def test_stakeholder_reads_and_raises_concerns_but_cannot_edit() -> None:
    g = [grant(STAKEHOLDER)]
    assert permits(g, Perm.PROJECT_READ)
    assert permits(g, Perm.CONCERN_RAISE)
    assert permits(g, Perm.RISK_RAISE)
    for perm in (Perm.PROJECT_EDIT, Perm.WBS_EDIT, Perm.TASK_EDIT, Perm.BUDGET_EDIT, Perm.RISK_MANAGE):
        assert not permits(g, perm)
        assert not permits(g, perm, IN_A)


def test_liaison_works_own_departments_communications_only() -> None:
    g = [grant(LIAISON, SALES)]
    assert permits(g, Perm.COMMS_DEPARTMENT, Target(department_id=SALES))
    assert not permits(g, Perm.COMMS_DEPARTMENT, Target(department_id=IT))
    assert not permits(g, Perm.COMMS_DEPARTMENT)  # no department: not theirs
    assert not permits(g, Perm.TASK_EDIT, Target(department_id=SALES))


def test_department_scope_without_id_grants_nothing_scoped() -> None:
    g = [Grant(frozenset({Perm.COMMS_DEPARTMENT}), ScopeKind.DEPARTMENT, None)]
    assert not permits(g, Perm.COMMS_DEPARTMENT, Target(department_id=None))


def test_observer_only_reads() -> None:
    g = [grant(OBSERVER)]
    allowed = {p for p in Perm if permits(g, p) or permits(g, p, IN_A)}
    assert allowed == {Perm.PROJECT_READ, Perm.JOURNAL_READ}


def test_worker_records_progress_but_does_not_plan() -> None:
    g = [grant(TASK_WORKER)]
    assert permits(g, Perm.TASK_PROGRESS, IN_A)
    assert permits(g, Perm.TIMESHEET_LOG)
    assert not permits(g, Perm.TASK_EDIT, IN_A)


def test_pm_may_do_everything_but_approve_the_budget() -> None:
    g = [grant(PM)]
    assert {p for p in Perm if not permits(g, p, IN_B)} == {Perm.BUDGET_APPROVE}


def test_grants_combine() -> None:
    g = [grant(TASK_LEADER, WP_A), grant(LIAISON, SALES)]
    assert permits(g, Perm.TASK_EDIT, IN_A)
    assert permits(g, Perm.COMMS_DEPARTMENT, Target(department_id=SALES))
    assert not permits([], Perm.PROJECT_READ)


def test_unknown_permission_names_the_field() -> None:
    assert parse_permissions(["risk.manage"]) == {Perm.RISK_MANAGE}
    with pytest.raises(ValidationError) as e:
        parse_permissions(["risk.manage", "root"])
    assert e.value.field == "permissions"


# --------------------------------------------------------------------------------------------- gaps


def test_no_gaps_when_pm_is_accountable_and_held() -> None:
    m = RaciMatrix({(a, 1): Raci.ACCOUNTABLE for a in Area})
    assert find_gaps(m, {1: "Project Manager"}, {1: 1}) == []


def test_gap_when_the_accountable_role_has_no_holder() -> None:
    m = RaciMatrix({(a, 1): Raci.ACCOUNTABLE for a in Area})
    gaps = find_gaps(m, {1: "Project Manager"}, {})
    assert {g.area for g in gaps} == set(Area)
    assert all(g.kind is GapKind.UNHELD and g.role_id == 1 for g in gaps)
    assert gaps[0].message.startswith("Project Manager, accountable for")


def test_gap_when_no_role_is_accountable() -> None:
    m = RaciMatrix({(a, 1): Raci.ACCOUNTABLE for a in Area})
    m.set(Area.RISK, 1, Raci.RESPONSIBLE)
    gaps = find_gaps(m, {1: "Project Manager"}, {1: 1})
    assert [(g.area, g.kind, g.role_id) for g in gaps] == [(Area.RISK, GapKind.NO_ACCOUNTABLE, None)]
    assert gaps[0].message == "No role is accountable for risk"


def test_gap_follows_accountability_to_a_new_unheld_role() -> None:
    m = RaciMatrix({(a, 1): Raci.ACCOUNTABLE for a in Area})
    m.set(Area.TECHNOLOGY, 8, Raci.ACCOUNTABLE)
    gaps = find_gaps(m, {1: "Project Manager", 8: "Architect"}, {1: 1})
    assert [(g.area, g.role_name) for g in gaps] == [(Area.TECHNOLOGY, "Architect")]
    assert find_gaps(m, {1: "Project Manager", 8: "Architect"}, {1: 1, 8: 1}) == []
