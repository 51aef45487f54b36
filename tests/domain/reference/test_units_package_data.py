"""The map data is read from the ``vietnamadminunits`` package's files without importing the
package (its address parsers cost a CLI command about 0.7 s): what is read must be exactly
what the package's own functions return."""

from __future__ import annotations

from vietnamadminunits.converter import converter_2025
from vietnamadminunits.database import query

from domain.reference.units import _converter_2025, _dataset_query, _package_data

QUERIES = (
    "SELECT DISTINCT province, provinceCode, provinceKey, district, districtCode, districtKey,"
    " ward, wardCode, wardKey FROM admin_units_legacy",
    "SELECT DISTINCT province, provinceCode, provinceKey, ward, wardCode, wardKey FROM admin_units",
)


def test_the_files_are_where_this_version_keeps_them() -> None:
    assert _package_data("dataset.db") is not None
    assert _package_data("converter_2025.json") is not None
    assert _package_data("no-such-file") is None


def test_the_dataset_reads_as_the_packages_query() -> None:
    read = _dataset_query()
    for sql in QUERIES:
        assert read(sql) == query(sql)


def test_the_crosswalk_reads_as_the_packages_converter() -> None:
    assert _converter_2025() == converter_2025.converter_data
