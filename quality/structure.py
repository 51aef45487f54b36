"""Structural faults of a rollup (lỗi cấu trúc), each named once with its consequences.

A fault of the table's *shape* makes many cells look wrong: a deleted year column makes every
stated total disagree with its years; a deleted form row leaves its breakdown incomplete and
its parent's sum short; a cell that is not a number (or could be two) blanks every sum it is
in. Each such fault is **one finding**, and every cell finding that read an affected cell
becomes one of its ``consequences`` instead of a line of its own.

Faults found here (engine-independent, in Python):

* ``form_rows_missing`` — a unit left out rows of the paper form (one finding per unit,
  naming the rows; socai's "không rõ" lines are not required);
* ``child_units_missing`` — a parent unit differs from the sum of its child units *and* some
  of its child units are not in the table (a province's workbook without some communes'
  sheets): the hierarchy findings at that parent are grouped under it.

Faults found by the importer (:mod:`quality.importer`) and passed in as :class:`Structural`:
a year column or the total column missing, an unknown column, a cell that is not a number
or is ambiguous (:mod:`quality.numbers`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from domain.reference.rollup_form import official_row_ids
from domain.reference.units import AdminMap, unit_directory
from quality.frames import Grid
from quality.results import ERROR, Cell, Finding

#: How many row ids a "rows missing" finding spells out before "…".
LISTED_ROWS = 8


@dataclass(frozen=True, slots=True)
class Scope:
    """The cells a structural fault affects: any cell matching every given part (``None``
    matches all), or exactly ``cells``."""

    units: frozenset[tuple[str, str]] | None = None
    rows: frozenset[str] | None = None
    columns: frozenset[str] | None = None
    cells: frozenset[Cell] | None = None

    def covers(self, cell: Cell) -> bool:
        if self.cells is not None:
            return cell in self.cells
        return (
            (self.units is None or (cell[0], cell[1]) in self.units)
            and (self.rows is None or cell[2] in self.rows)
            and (self.columns is None or cell[3] in self.columns)
        )


@dataclass(frozen=True, slots=True)
class Structural:
    """A structural finding and the cells it affects."""

    finding: Finding
    scope: Scope


def rows_missing(grid: Grid) -> list[Structural]:
    """One finding per unit that left out rows of the paper form."""
    official = len(official_row_ids())
    out = []
    for (admin_map, code), rows in grid.missing_rows.items():
        shown = ", ".join(rows[:LISTED_ROWS]) + (" …" if len(rows) > LISTED_ROWS else "")
        finding = Finding(
            admin_map,
            code,
            rows[0] if len(rows) == 1 else "",
            "",
            "form_rows_missing",
            f"all {official} rows of the form",
            f"{len(rows)} missing: {shown}",
            ERROR,
        )
        out.append(
            Structural(finding, Scope(units=frozenset({(admin_map, code)}), rows=frozenset(rows)))
        )
    return out


def _children_missing(parent: tuple[str, str], present: set[tuple[str, str]]) -> Finding | None:
    directory = unit_directory()
    unit = directory.get(AdminMap(parent[0]), parent[1])
    if unit is None:
        return None
    kids = [(parent[0], k.code) for k in directory.children(unit)]
    absent = [k for k in kids if k not in present]
    if not absent:
        return None
    shown = ", ".join(code for _m, code in absent[:LISTED_ROWS])
    shown += " …" if len(absent) > LISTED_ROWS else ""
    return Finding(
        parent[0],
        parent[1],
        "",
        "",
        "child_units_missing",
        f"all {len(kids)} child units",
        f"{len(absent)} without figures: {shown}",
        ERROR,
    )


def group(
    findings: Iterable[Finding], structural: list[Structural], present: set[tuple[str, str]]
) -> list[Finding]:
    """Attach each finding that read an affected cell to the first structural fault affecting
    it; hierarchy findings at a parent with absent child units go under
    ``child_units_missing``. Returns the structural findings (with their consequences) and
    the findings that stand alone."""
    faults = list(structural)
    attached: dict[int, list[Finding]] = {i: [] for i in range(len(faults))}
    by_parent: dict[tuple[str, str], int | None] = {}
    alone: list[Finding] = []
    for finding in findings:
        at = next(
            (i for i, s in enumerate(faults) if any(s.scope.covers(c) for c in finding.cells)),
            None,
        )
        parent = (finding.unit_map, finding.unit_code)
        if at is None and finding.rule in ("children_sum_to_parent", "children_blank_as_zero"):
            if parent not in by_parent:
                fault = _children_missing(parent, present)
                by_parent[parent] = None
                if fault is not None:
                    faults.append(Structural(fault, Scope(cells=frozenset())))
                    attached[len(faults) - 1] = []
                    by_parent[parent] = len(faults) - 1
            at = by_parent[parent]
        if at is None:
            alone.append(finding)
        else:
            attached[at].append(finding)
    grouped = [
        replace(s.finding, consequences=tuple(sorted(attached[i], key=sort_key)))
        for i, s in enumerate(faults)
    ]
    return sorted([*grouped, *alone], key=sort_key)


def sort_key(f: Finding) -> tuple[str, str, str, str, str]:
    return (f.unit_map, f.unit_code, f.row_id, f.year, f.rule)
