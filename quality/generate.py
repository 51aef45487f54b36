"""A clean, generated national rollup (tổng hợp toàn quốc) for tests and benchmarks.

Every leaf unit (a commune, or an old-map district without communes) gets random but
*internally consistent* figures for each year: parts add up to their whole, age bands nest,
bounds hold, amounts go with persons. Every parent is then the exact sum of its children, up to
the nation, on each map asked for. The result passes every quality rule; tests plant one error
in it and check that exactly that cell is named.

Deterministic by ``seed``. Not a statistical model of trafficking: the figures are small
Poisson/binomial draws with no meaning beyond being consistent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from domain.reference.rollup_form import SHELTER_SERVICES, row_ids
from domain.reference.units import NATIONAL_CODE, AdminMap, Unit, UnitLevel, unit_directory
from quality.table import ID_COLUMNS, TOTAL_COLUMN, normalise, year_column

_LEVEL_ORDER = (UnitLevel.COMMUNE, UnitLevel.DISTRICT, UnitLevel.PROVINCE, UnitLevel.NATIONAL)
_COUNTRIES = ("china", "laos", "cambodia", "thailand", "malaysia", "uk", "russia", "other")


def units_of(admin_map: AdminMap, province_codes: Iterable[str] | None = None) -> list[Unit]:
    """The nation and every unit under the given provinces (all provinces when None)."""
    directory = unit_directory()
    nation = directory.require(admin_map, NATIONAL_CODE)
    wanted = None if province_codes is None else set(province_codes)
    out = [nation]
    stack = [p for p in directory.children(nation) if wanted is None or p.code in wanted]
    if wanted is not None:
        found = {p.code for p in stack}
        assert found == wanted, f"not provinces on the {admin_map} map: {wanted - found}"
    while stack:
        unit = stack.pop()
        out.append(unit)
        stack.extend(directory.children(unit))
    return out


def _leaf_figures(rng: np.random.Generator, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Consistent figures for ``shape`` = (leaves, years), one array per form row."""
    f: dict[str, np.ndarray] = {}

    def binom(n: np.ndarray, p: float) -> np.ndarray:
        return rng.binomial(n, p)

    f["I.2.a.male"] = rng.poisson(0.8, shape)
    f["I.2.a.female"] = rng.poisson(1.6, shape)
    f["I.2.a.unknown"] = rng.poisson(0.1, shape)
    victims = f["I.2.a.male"] + f["I.2.a.female"] + f["I.2.a.unknown"]
    f["I.2"] = victims
    f["I.1"] = victims + rng.poisson(0.7, shape)
    f["I.2.b.kinh"] = binom(victims, 0.8)
    f["I.2.b.other_ethnic"] = binom(victims - f["I.2.b.kinh"], 0.9)
    f["I.2.b.unknown"] = victims - f["I.2.b.kinh"] - f["I.2.b.other_ethnic"]
    f["I.2.c.foreigner"] = binom(victims, 0.05)
    f["I.2.d.abroad"] = binom(victims, 0.7)
    f["I.2.d.domestic"] = binom(victims - f["I.2.d.abroad"], 0.9)
    f["I.2.d.unknown"] = victims - f["I.2.d.abroad"] - f["I.2.d.domestic"]
    weights = np.array([0.45, 0.15, 0.15, 0.08, 0.07, 0.03, 0.02, 0.05])
    countries = rng.multinomial(f["I.2.d.abroad"], weights)
    for i, country in enumerate(_COUNTRIES):
        f[f"I.2.d.abroad.{country}"] = countries[..., i]
    forms = rng.multinomial(victims, [0.4, 0.35, 0.25])
    for i, form in enumerate(("self_returned", "rescued", "bilateral_handover")):
        f[f"I.2.e.{form}"] = forms[..., i]
    f["I.3"] = binom(victims, 0.3) + rng.poisson(0.3, shape)
    f["II.1"] = rng.poisson(1.0, shape)
    f["II.2.sessions"] = rng.poisson(3.0, shape)
    f["II.2.participants"] = f["II.2.sessions"] * rng.poisson(30.0, shape)
    for row in ("II.2.pano", "II.2.posters", "II.2.leaflets", "II.3.courses"):
        f[row] = rng.poisson(2.0, shape)
    f["II.3.trainees"] = f["II.3.courses"] * rng.poisson(15.0, shape)
    supported = binom(victims, 0.9)
    f["II.4.1"] = supported
    f["II.4.2"] = binom(supported, 0.9)
    sheltered = binom(supported, 0.5)
    f["II.4.3"] = sheltered
    f["II.4.3.a.male"] = binom(sheltered, 0.35)
    f["II.4.3.a.female"] = binom(sheltered - f["II.4.3.a.male"], 0.95)
    f["II.4.3.a.unknown"] = sheltered - f["II.4.3.a.male"] - f["II.4.3.a.female"]
    for service in SHELTER_SERVICES:
        f[f"II.4.3.b.{service}"] = binom(sheltered, 0.7)
    reintegrated = binom(supported, 0.6)
    f["II.4.4"] = reintegrated
    for kind in ("a.legal_aid", "b.schooling", "c.vocational_training", "d.job_finding"):
        f[f"II.4.4.{kind}"] = binom(reintegrated, 0.4)
    f["II.4.4.e.loan"] = binom(reintegrated, 0.3)
    f["II.4.4.e.loan_amount"] = f["II.4.4.e.loan"] * rng.integers(10, 50, shape)
    f["II.4.4.g.hardship_allowance"] = binom(reintegrated, 0.5)
    f["II.4.4.g.hardship_allowance_amount"] = f["II.4.4.g.hardship_allowance"] * rng.integers(
        1, 5, shape
    )
    for sex in ("male", "female"):
        for prefix in ("I.2.a", "II.4.3.a"):
            u18 = binom(f[f"{prefix}.{sex}"], 0.3)
            f[f"{prefix}.{sex}_u18"] = u18
            f[f"{prefix}.{sex}_u16"] = binom(u18, 0.5)
    assert set(f) == set(row_ids()), sorted(set(row_ids()) ^ set(f))
    return f


def _map_rollup(
    admin_map: AdminMap, years: Sequence[int], provinces: Iterable[str] | None, seed: int
) -> pd.DataFrame:
    units = units_of(admin_map, provinces)
    index = {u.code: i for i, u in enumerate(units)}
    parent = np.array([index.get(u.parent_code or "", -1) for u in units])
    has_child = np.zeros(len(units), dtype=bool)
    has_child[parent[parent >= 0]] = True
    leaves = np.flatnonzero(~has_child)
    rows = row_ids()
    rng = np.random.default_rng([seed, 2025 if admin_map is AdminMap.NEW else 0])
    figures = _leaf_figures(rng, (len(leaves), len(years)))
    cube = np.zeros((len(units), len(rows), len(years)), dtype=np.int64)
    for r, row_id in enumerate(rows):
        cube[leaves, r, :] = figures[row_id]
    levels = np.array([u.level for u in units])
    for level in _LEVEL_ORDER[:-1]:
        at_level = np.flatnonzero((levels == level) & (parent >= 0))
        np.add.at(cube, parent[at_level], cube[at_level])
    frame = pd.DataFrame(
        {
            "unit_map": admin_map.value,
            "unit_code": np.repeat([u.code for u in units], len(rows)),
            "unit_level": np.repeat([u.level.value for u in units], len(rows)),
            "row_id": np.tile(rows, len(units)),
        }
    )
    flat = cube.reshape(len(units) * len(rows), len(years))
    for i, year in enumerate(years):
        frame[year_column(year)] = flat[:, i]
    frame[TOTAL_COLUMN] = flat.sum(axis=1)
    return frame


def generate_rollup(
    years: Sequence[int] = (2016, 2017, 2018, 2019, 2020),
    maps: Sequence[AdminMap] = (AdminMap.OLD, AdminMap.NEW),
    provinces: dict[AdminMap, list[str]] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """A clean rollup of the nation and every unit below it, on each map in ``maps``.

    ``provinces`` limits a map to some provinces (the nation is then their sum) — small,
    fast tables for tests. Units are ordered nation first, then depth-first.
    """
    assert list(years) == sorted(set(years)), "years ascending, no repeats"
    frames = [
        _map_rollup(m, years, None if provinces is None else provinces.get(m), seed) for m in maps
    ]
    table = normalise(pd.concat(frames, ignore_index=True))
    assert list(table.columns[: len(ID_COLUMNS)]) == list(ID_COLUMNS)
    return table
