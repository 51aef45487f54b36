"""Shared fixtures: a small clean generated rollup (Đồng Tháp on both maps, 2016–2020)."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.reference.units import AdminMap
from quality.generate import generate_rollup

#: Đồng Tháp: 87 on the old map (12 districts), 82 on the 2025 map.
SMALL = {AdminMap.OLD: ["87"], AdminMap.NEW: ["82"]}


@pytest.fixture(scope="session")
def clean_rollup() -> pd.DataFrame:
    return generate_rollup(provinces=SMALL, seed=7)


@pytest.fixture
def rollup(clean_rollup: pd.DataFrame) -> pd.DataFrame:
    """A fresh copy to plant errors in."""
    return clean_rollup.copy()
