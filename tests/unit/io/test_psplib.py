"""PSPLIB loader: j30 files, the optimum table and malformed input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from charter.engine.levelling import LinkType
from charter.io.psplib import PsplibFormatError, load_optimum, load_sm, parse_sm

REPO = Path(__file__).resolve().parents[3]
CANDIDATES = [Path("/work/shared/data/psplib/j30"), REPO.parent / "shared" / "data" / "psplib" / "j30"]
DATA = next((p for p in CANDIDATES if (p / "j301_1.sm").is_file()), None)
needs_data = pytest.mark.skipif(DATA is None, reason="PSPLIB j30 data not available")


@needs_data
def test_reads_j301_1() -> None:
    assert DATA is not None
    inst = load_sm(DATA / "j301_1.sm")
    assert inst.name == "j301_1"
    assert inst.n_jobs == 32 and inst.n_resources == 4
    assert inst.horizon == 158 and inst.due_date == 38 and inst.mpm_time == 38
    assert inst.capacities.tolist() == [12, 13, 4, 12]
    assert inst.durations[:6].tolist() == [0, 8, 4, 6, 3, 8]
    assert inst.demands[1].tolist() == [4, 0, 0, 0]
    assert inst.demands[2].tolist() == [10, 0, 0, 0]
    assert inst.demands[5].tolist() == [0, 0, 0, 8]
    assert inst.successors[0] == [1, 2, 3]
    assert inst.successors[1] == [5, 10, 14]
    assert inst.successors[31] == []
    problem = inst.to_problem()
    assert problem.n_activities == 32
    assert all(lk.kind == LinkType.FS and lk.lag == 0 for lk in problem.links)
    assert len(problem.links) == sum(len(s) for s in inst.successors)


@needs_data
@pytest.mark.parametrize("name", ["j301_1", "j3013_6", "j3048_10"])
def test_matches_psplib_package(name: str) -> None:
    psplib = pytest.importorskip("psplib")
    assert DATA is not None
    ref = psplib.parse(str(DATA / f"{name}.sm"), instance_format="psplib")
    inst = load_sm(DATA / f"{name}.sm")
    assert inst.capacities.tolist() == [r.capacity for r in ref.resources]
    assert inst.durations.tolist() == [a.modes[0].duration for a in ref.activities]
    assert inst.demands.tolist() == [a.modes[0].demands for a in ref.activities]
    assert inst.successors == [a.successors for a in ref.activities]


@needs_data
def test_optimum_file() -> None:
    assert DATA is not None
    recs = load_optimum(DATA / "j30opt.sm")
    assert len(recs) == 480
    first = recs[0]
    assert (first.parameter, first.instance, first.makespan) == (1, 1, 43)
    assert first.cpu_time == pytest.approx(0.30)
    assert first.name_suffix == "1_1"
    assert {(r.parameter, r.instance) for r in recs} == {(p, i) for p in range(1, 49) for i in range(1, 11)}


SMALL = """\
************************************************************************
jobs (incl. supersource/sink ):  4
horizon                       :  10
RESOURCES
  - renewable                 :  1   R
  - nonrenewable              :  0   N
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           4
   4        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1
------------------------------------------------------------------------
  1      1     0       0
  2      1     3       2
  3      1     2       1
  4      1     0       0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1
    2
************************************************************************
"""


def test_parse_small_text() -> None:
    inst = parse_sm(SMALL, "small.sm")
    assert inst.durations.tolist() == [0, 3, 2, 0]
    assert inst.demands[:, 0].tolist() == [0, 2, 1, 0]
    assert inst.successors == [[1, 2], [3], [3], []]
    assert np.array_equal(inst.capacities, [2])


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (
            "   2        1          1           4",
            "   2        1          2           4",
            11,
        ),  # count mismatch
        ("  3      1     2       1", "  3      1     2       x", 20),  # not an integer
        ("  2      1     3       2", "  2      1     3", 19),  # missing demand
        ("   3        1          1           4", "   3        1          1           9", 12),  # unknown job
    ],
)
def test_malformed_file_names_the_line(tmp_path: Path, old: str, new: str, line: int) -> None:
    assert old in SMALL
    path = tmp_path / "bad.sm"
    path.write_text(SMALL.replace(old, new))
    with pytest.raises(PsplibFormatError) as err:
        load_sm(path)
    assert err.value.line == line
    assert f"bad.sm:{line}:" in str(err.value)


def test_missing_section_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.sm"
    path.write_text(SMALL.split("REQUESTS/DURATIONS")[0])
    with pytest.raises(PsplibFormatError, match="REQUESTS/DURATIONS"):
        load_sm(path)


def test_malformed_optimum_row(tmp_path: Path) -> None:
    path = tmp_path / "opt.sm"
    path.write_text("Paramter Instance Makespan CPU-Time[sec.]\n-----\n1 1 43 0.3\n1 2 4x7 0.1\n")
    with pytest.raises(PsplibFormatError) as err:
        load_optimum(path)
    assert err.value.line == 4
