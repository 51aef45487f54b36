"""k-anonymity: whatever the records, every published combination appears at least k times.

Property-style over generated populations (several seeds, several k, skewed so that rare
combinations exist), planted unique records, k = 1, and the age/country hierarchies of the
HTCDS export.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.period import Period
from projections.htcds import FIELDS, PERSONAL_FIELDS, age_band, hierarchies
from projections.kanon import Hierarchy, k_anonymise

PERIOD = Period.years(2016, 2020)
QI = [h.column for h in hierarchies(PERIOD)]
COUNTRIES = ["VN", "VN", "VN", "CN", "CN", "KH", "LA", "MY", "TH", "Unknown"]
AGES = ["0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+",
        "0--17", "18+", "Unknown"]  # fmt: skip


def _population(seed: int, n: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [
        {
            "cas_IncomingReferralDate": str(rng.choice(PERIOD.year_numbers)),
            "prs_Gender": rng.choice(["Feminine"] * 4 + ["Masculine", "Unknown"]),
            "vic_AgeWhenTrafficked": rng.choice(AGES),
            "prs_Citizenship": rng.choice(COUNTRIES),
            "hte_Country": rng.choice(COUNTRIES),
            "cas_Status": rng.choice(["Active", "Closed"]),
        }
        for _ in range(n)
    ]


def _groups(rows: list[dict[str, str]]) -> Counter[tuple[str, ...]]:
    return Counter(tuple(r[c] for c in QI) for r in rows)


@pytest.mark.property
@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("k", [2, 5, 11, 25])
def test_every_published_combination_appears_at_least_k_times(seed: int, k: int) -> None:
    records = _population(seed, 400)
    done = k_anonymise(records, hierarchies(PERIOD), k)
    assert all(count >= k for count in _groups(done.rows).values())
    assert len(done.rows) + done.suppressed == len(records)
    assert done.smallest_group() >= k or not done.rows
    # non-quasi-identifiers travel unchanged with their record
    assert Counter(r["cas_Status"] for r in done.rows) <= Counter(r["cas_Status"] for r in records)


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(AGES), st.sampled_from(COUNTRIES), st.sampled_from("FM")),
        max_size=120,
    ),
    st.integers(min_value=1, max_value=30),
    st.floats(min_value=0, max_value=1),
)
def test_the_invariant_holds_for_any_records_k_and_budget(
    values: list[tuple[str, str, str]], k: int, budget: float
) -> None:
    records = [
        {"cas_IncomingReferralDate": "2017", "prs_Gender": g, "vic_AgeWhenTrafficked": a,
         "prs_Citizenship": c, "hte_Country": c}
        for a, c, g in values
    ]  # fmt: skip
    done = k_anonymise(records, hierarchies(PERIOD), k, budget)
    assert all(count >= k for count in _groups(done.rows).values())
    assert len(done.rows) + done.suppressed == len(records)


def test_a_planted_rare_record_is_generalised_or_suppressed() -> None:
    records = [
        {"cas_IncomingReferralDate": "2018", "prs_Gender": "Feminine",
         "vic_AgeWhenTrafficked": "18--20", "prs_Citizenship": "VN", "hte_Country": "CN"}
        for _ in range(40)
    ]  # fmt: skip
    rare = {
        "cas_IncomingReferralDate": "2019", "prs_Gender": "Masculine",
        "vic_AgeWhenTrafficked": "48+", "prs_Citizenship": "LA", "hte_Country": "MY",
    }  # fmt: skip
    done = k_anonymise([*records, rare], hierarchies(PERIOD), 11)
    published = _groups(done.rows)
    assert tuple(rare[c] for c in QI) not in published
    assert done.suppressed == 1 or done.levels != dict.fromkeys(QI, 0)
    # at CTDC's budget (5% of 41 = 2 records) the one rare record is left out, nothing coarsened
    assert done.suppressed == 1 and set(done.levels.values()) == {0}
    # with no record to spare, every column is coarsened until the rare one hides in the crowd
    strict = k_anonymise([*records, rare], hierarchies(PERIOD), 11, max_suppressed=0)
    assert strict.suppressed == 0
    assert all(strict.levels[h.column] == h.top for h in hierarchies(PERIOD))
    assert tuple(rare[c] for c in QI) not in _groups(strict.rows)
    assert len(_groups(strict.rows)) == 1


def test_generalisation_is_chosen_when_it_saves_records() -> None:
    """Ten children of each single age band: banded, they vanish; as "0--17", they stay."""
    records = [
        {"cas_IncomingReferralDate": "2017", "prs_Gender": "Feminine",
         "vic_AgeWhenTrafficked": band, "prs_Citizenship": "VN", "hte_Country": "CN"}
        for band in ("0--8", "9--17") for _ in range(6)
    ]  # fmt: skip
    done = k_anonymise(records, hierarchies(PERIOD), 11)
    assert done.suppressed == 0
    assert done.levels["vic_AgeWhenTrafficked"] == 1
    assert {r["vic_AgeWhenTrafficked"] for r in done.rows} == {"0--17"}
    assert done.level_names["vic_AgeWhenTrafficked"] == "child (0--17) or adult (18+)"
    assert done.steps == [("vic_AgeWhenTrafficked", 1)]


def test_k_of_one_keeps_every_record_as_it_was() -> None:
    records = _population(7, 200)
    done = k_anonymise(records, hierarchies(PERIOD), 1)
    assert done.rows == records and done.suppressed == 0
    assert set(done.levels.values()) == {0} and done.steps == []


def test_fewer_records_than_k_publish_nothing_and_bad_parameters_are_refused() -> None:
    done = k_anonymise(_population(1, 5), hierarchies(PERIOD), 11)
    assert done.rows == [] and done.suppressed == 5
    assert k_anonymise([], hierarchies(PERIOD), 11).rows == []
    for k, budget in ((0, 0.05), (-1, 0.05), (11, -0.1), (11, 1.5)):
        with pytest.raises(ValueError, match=r"k must|fraction"):
            k_anonymise([], hierarchies(PERIOD), k, budget)
    with pytest.raises(AssertionError):
        Hierarchy("x", (str,), ())


def test_the_age_bands_and_the_fields_hold_no_personal_data() -> None:
    assert [age_band(a) for a in (0, 8, 9, 17, 18, 20, 21, 29, 30, 38, 39, 47, 48, 90)] == [
        "0--8", "0--8", "9--17", "9--17", "18--20", "18--20", "21--23", "27--29", "30--38",
        "30--38", "39--47", "39--47", "48+", "48+",
    ]  # fmt: skip
    assert PERSONAL_FIELDS.isdisjoint(FIELDS)
    standard = Path(__file__).parents[2] / "docs" / "reference" / "htcds_v2_fields.txt"
    listed = [
        line.split("|")[2]
        for line in standard.read_text(encoding="utf-8").splitlines()
        if line.count("|") >= 3 and not line.startswith(("#", "Status"))
    ]
    assert set(FIELDS) <= set(listed), set(FIELDS) - set(listed)
