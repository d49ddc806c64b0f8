"""CSV / Excel import and export: columns, mapping, predecessors, hierarchy, bad rows, formula safety."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.domain.errors import BadRequest, ValidationError
from charter.domain.schedule import (
    ConstraintType,
    DurationUnit,
    LagKind,
    LinkSpec,
    LinkType,
    PlanSpec,
    TaskSpec,
)
from charter.io import tabular
from charter.io.tabular import (
    parse_duration,
    read_csv,
    read_xlsx,
    safe_cell,
    write_csv,
    write_xlsx,
)

CSV = """id,wbs,name,type,duration,optimistic,most_likely,pessimistic,percent_complete,constraint_type,constraint_date,deadline,priority,predecessors,notes
1,1,Design,summary,,,,,,,,,,,
2,1.1,Requirements,task,5d,4d,5d,8d,100,,,,700,,"Talk to editors, first"
3,1.2,Mockups,task,4h,,,,50%,snet,2024-03-11 08:00,,,2FS+2d,
4,2,Build,task,2.5d,,,,,,,2024-03-29,,"3SS-1d;2FF+50%",
5,3,Go-live,milestone,0,,,,,Finish No Earlier Than,2024-04-26T17:00,,,4FS+3ed;3SF+2eh,
"""


def test_read_csv_default_columns() -> None:
    plan = read_csv(CSV.encode())
    tasks = {t.ref: t for t in plan.tasks}
    assert [t.ref for t in plan.tasks] == ["1", "2", "3", "4", "5"]
    assert tasks["1"].summary and tasks["2"].parent_ref == "1" and tasks["3"].parent_ref == "1"
    assert tasks["4"].parent_ref is None
    r = tasks["2"]
    assert (r.duration, r.duration_unit, r.optimistic, r.most_likely, r.pessimistic) == (
        2400, DurationUnit.DAYS, 1920, 2400, 3840,
    )  # fmt: skip
    assert r.percent_complete == 100 and r.priority == 700 and r.description == "Talk to editors, first"
    assert (tasks["3"].duration, tasks["3"].duration_unit, tasks["3"].percent_complete) == (
        240,
        DurationUnit.HOURS,
        50,
    )
    assert tasks["3"].constraint_type is ConstraintType.SNET and tasks["3"].constraint_date == dt.datetime(
        2024, 3, 11, 8
    )
    assert tasks["4"].duration == 1200 and tasks["4"].deadline == dt.datetime(2024, 3, 29)
    assert tasks["5"].milestone and tasks["5"].constraint_type is ConstraintType.FNET
    links = {(lk.pred_ref, lk.succ_ref): (lk.type, lk.lag, lk.lag_kind, lk.line) for lk in plan.links}
    assert links == {
        ("2", "3"): (LinkType.FS, 960, LagKind.WORKING, 4),
        ("3", "4"): (LinkType.SS, -480, LagKind.WORKING, 5),
        ("2", "4"): (LinkType.FF, 50, LagKind.PERCENT, 5),
        ("4", "5"): (LinkType.FS, 3 * 1440, LagKind.ELAPSED, 6),
        ("3", "5"): (LinkType.SF, 120, LagKind.ELAPSED, 6),
    }


def test_mapping_parent_column_and_semicolons() -> None:
    data = "Nr;Vorgang;Dauer;Über;Vorgänger\nA;Plan;;;\nB;Do;3;A;\nC;Check;2h;A;B\n".encode()
    mapping = {
        "id": "Nr",
        "name": "Vorgang",
        "duration": "Dauer",
        "parent": "Über",
        "predecessors": "Vorgänger",
    }
    plan = read_csv(data, mapping, minutes_per_day=450)
    assert [(t.ref, t.parent_ref, t.summary, t.duration) for t in plan.tasks] == [
        ("A", None, True, 0), ("B", "A", False, 1350), ("C", "A", False, 120),
    ]  # fmt: skip
    assert plan.links == [LinkSpec("B", "C", line=4)]


def test_without_id_column_rows_are_numbered() -> None:
    plan = read_csv(b"name,predecessors\nfirst,\nsecond,1\n")
    assert [t.ref for t in plan.tasks] == ["1", "2"] and plan.links[0].pred_ref == "1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5d", (2400, "days")), ("2.5d", (1200, "days")), ("4h", (240, "hours")), ("90m", (90, "hours")),
     ("3", (1440, "days")), (1.5, (720, "days")), ("1w", (2400, "days")), ("3ed", (4320, "edays")),
     ("12eh", (720, "ehours")), ("90em", (90, "emins")), ("1ew", (10080, "eweeks")), ("1emo", (43200, "emonths")),
     ("2.5 ED", (3600, "edays"))],
)  # fmt: skip
def test_parse_duration(text: object, expected: tuple[int, str]) -> None:
    assert parse_duration(text) == expected


BAD = """id,name,duration,optimistic,most_likely,pessimistic,constraint_type,constraint_date,deadline,predecessors
1,ok,1d,,,,,,,
2,negative,-2d,,,,,,,
3,estimates,,5d,4d,3d,,,,
4,constraint,,,,,mso,,,
5,date,,,,,,,2024-02-30,
6,links,,,,,,,,1XX+2d;1FS+twod;99FS
1,duplicate,,,,,,,,
,no id,,,,,,,,
"""


def test_bad_rows_are_all_reported_with_row_numbers() -> None:
    with pytest.raises(ValidationError) as err:
        read_csv(BAD.encode())
    assert err.value.details["problems"] == [
        "line 3: task '2': the duration '-2d' cannot be negative",
        "line 4: task '3': estimates must satisfy optimistic <= most likely <= pessimistic",
        "line 5: task '4': a MSO constraint needs a date",
        "line 6: task '5': '2024-02-30' is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM)",
        "line 8: task '1': the id '1' appears twice",
        "line 9: task '8': the id is empty",
        "line 7: task '6': unknown link type in '1XX+2d' (use FS, SS, FF or SF)",
        "line 7: task '6': the lag 'two' in '1FS+twod' is not a number",
        "line 7: task '6': the predecessor '99' is not a task in this file",
    ]


def test_missing_name_column_and_bad_mapping() -> None:
    with pytest.raises(ValidationError, match="no 'name' column"):
        read_csv(b"id,title\n1,x\n")
    with pytest.raises(ValidationError, match="unknown field"):
        read_csv(b"name\nx\n", {"colour": "Farbe"})
    with pytest.raises(ValidationError, match="'Dauer' mapped to 'duration'"):
        read_csv(b"name\nx\n", {"duration": "Dauer"})


def test_parent_cycle_is_reported() -> None:
    with pytest.raises(ValidationError, match="line 3: task '2': its parents form a cycle"):
        read_csv(b"id,parent,name\n1,2,a\n2,1,b\n")


def test_wbs_without_parent_row_is_reported() -> None:
    with pytest.raises(ValidationError, match="no row has the parent WBS '4'"):
        read_csv(b"wbs,name\n1,a\n4.1,b\n")


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_neutralises_formulas(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert safe_cell("plain") == "plain" and safe_cell(5) == 5 and safe_cell(None) is None


def hostile_plan() -> PlanSpec:
    return PlanSpec(
        "p", tasks=[TaskSpec("1", "=cmd|' /C calc'!A0", description="@SUM(1+1)"), TaskSpec("2", "-x")]
    )


def test_csv_export_is_formula_safe_and_round_trips() -> None:
    data = write_csv(hostile_plan())
    assert b"\"'=cmd|' /C calc'!A0\"" in data or b"'=cmd" in data
    assert [t.name for t in read_csv(data).tasks] == ["=cmd|' /C calc'!A0", "-x"]


def test_xlsx_export_holds_text_not_formulas() -> None:
    data = write_xlsx(hostile_plan())
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["D2"].value == "'=cmd|' /C calc'!A0" and ws["D2"].data_type == "s"
    assert [t.description for t in read_xlsx(data).tasks] == ["@SUM(1+1)", ""]


def test_xlsx_reading_native_cells() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "Task Name", "Duration", "Deadline", "Predecessors"])
    ws.append([1, "Plan", 2, dt.datetime(2024, 5, 1, 17), None])
    ws.append([2, "Do", "4h", None, 1])
    out = io.BytesIO()
    wb.save(out)
    plan = read_xlsx(out.getvalue(), {"name": "Task Name"})
    assert [(t.ref, t.duration, t.deadline) for t in plan.tasks] == [
        ("1", 960, dt.datetime(2024, 5, 1, 17)), ("2", 240, None),
    ]  # fmt: skip
    assert plan.links == [LinkSpec("1", "2", line=3)]


def test_xlsx_rejects_garbage_and_zip_bombs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_XLSX_UNPACKED", 100_000)
    with pytest.raises(BadRequest, match="not an Excel"):
        read_xlsx(b"id,name\n1,a\n")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/big.xml", b"0" * 200_000)
    with pytest.raises(BadRequest, match="unpacks"):
        read_xlsx(bomb.getvalue())
    with pytest.raises(BadRequest, match="limit"):
        read_csv(b"name\n" + b"x\n" * 100, max_bytes=50)


# ---------------------------------------------------------------------------------- generated round trip

text = st.text(st.sampled_from("ab Z9=+-@,;\"'\n"), min_size=1, max_size=10).map(str.strip).filter(bool)
when = st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)).map(lambda d: d.replace(microsecond=0))


@st.composite
def plans(draw: st.DrawFn) -> PlanSpec:
    tasks: list[TaskSpec] = []
    for i in range(1, draw(st.integers(1, 6)) + 1):
        kind = draw(st.sampled_from(list(ConstraintType)))
        unit = draw(st.sampled_from(list(DurationUnit)))
        three = (
            sorted(draw(st.lists(st.integers(0, 9000), min_size=3, max_size=3)))
            if draw(st.booleans())
            else [None] * 3
        )
        tasks.append(TaskSpec(
            ref=f"T{i}", name=draw(text), parent_ref=draw(st.sampled_from([None, *(t.ref for t in tasks)])),
            milestone=draw(st.booleans()), duration=draw(st.integers(0, 9000)), duration_unit=unit,
            optimistic=three[0], most_likely=three[1], pessimistic=three[2],
            percent_complete=draw(st.sampled_from([0.0, 12.5, 100.0])), constraint_type=kind,
            constraint_date=None if kind in (ConstraintType.ASAP, ConstraintType.ALAP) else draw(when),
            deadline=draw(st.none() | when), priority=draw(st.integers(0, 1000)),
            description=draw(st.sampled_from(["", "two\nlines, \"quoted\"", "=1+1"])), start=draw(st.none() | when),
        ))  # fmt: skip
    for t in tasks:
        t.summary = any(c.parent_ref == t.ref for c in tasks)
        t.milestone = t.milestone and not t.summary
    order: list[TaskSpec] = []

    def visit(parent: str | None) -> None:
        for t in tasks:
            if t.parent_ref == parent:
                order.append(t)
                visit(t.ref)

    visit(None)
    refs = [t.ref for t in tasks]
    links = []
    for p, s in draw(
        st.lists(st.tuples(st.sampled_from(refs), st.sampled_from(refs)), max_size=4, unique=True)
    ):
        if p != s:
            links.append(LinkSpec(p, s, draw(st.sampled_from(list(LinkType))), draw(st.integers(-5000, 5000)),
                                  draw(st.sampled_from(list(LagKind)))))  # fmt: skip
    return PlanSpec("Imported plan", tasks=order, links=links)


def normal(plan: PlanSpec) -> PlanSpec:
    for t in plan.tasks:
        t.line = None
    for link in plan.links:
        link.line = None
    order = {t.ref: i for i, t in enumerate(plan.tasks)}
    plan.links.sort(key=lambda lk: (order[lk.succ_ref], lk.pred_ref))
    return plan


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_generated_round_trip(plan: PlanSpec) -> None:
    assert normal(read_csv(write_csv(plan))) == normal(plan)
    assert normal(read_xlsx(write_xlsx(plan))) == normal(plan)


def test_elapsed_durations_read_and_written_back() -> None:
    plan = read_csv(
        b"id,name,duration,optimistic,most_likely,pessimistic\n1,cure,3ed,2ed,3ed,5ed\n2,ship,48eh,,,\n"
    )
    cure, ship = plan.tasks
    assert (cure.duration, cure.duration_unit, cure.optimistic, cure.pessimistic) == (
        4320, DurationUnit.ELAPSED_DAYS, 2880, 7200,
    )  # fmt: skip
    assert (ship.duration, ship.duration_unit) == (2880, DurationUnit.ELAPSED_HOURS)
    out = write_csv(plan).decode("utf-8-sig")
    assert "3ed,2ed,3ed,5ed" in out and "48eh" in out
    with pytest.raises(ValidationError) as bad:
        read_csv(b"id,name,duration,optimistic,most_likely,pessimistic\n1,cure,3ed,2d,3d,5d\n")
    assert "estimates are counted as the duration is (elapsed time)" in str(bad.value.details)


def test_import_problems_are_counted_in_words() -> None:
    from charter.domain.schedule import ImportProblem

    with pytest.raises(ValidationError, match=r"\(1 problem\):\nline 3: no name") as one:
        tabular.raise_if_problems([ImportProblem(3, "no name")], "task list")
    assert one.value.details == {"problems": ["line 3: no name"]}
    with pytest.raises(ValidationError, match=r"\(2 problems\)"):
        tabular.raise_if_problems([ImportProblem(3, "no name"), ImportProblem(4, "bad date")], "task list")
