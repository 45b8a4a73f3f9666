"""The site types of maps/site_types.csv: typical places, lead times and stays of temporary sites."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from contingency import MAPS_DIR
from contingency.errors import ReferenceDataError
from contingency.refdata.sites import SITE_KINDS, SITE_TYPES_FILE, site_types

ISSUE_TYPES = {"school", "sports_hall", "sanatorium", "tent_camp", "modular_town"}


def _copy_maps(tmp_path: Path) -> Path:
    dest = tmp_path / "maps"
    shutil.copytree(MAPS_DIR, dest)
    return dest


def _damage(maps: Path, line: int, column: str, value: str) -> Path:
    """Write ``value`` into ``column`` on ``line`` (the header is line 1) of the copied file."""
    path = maps / SITE_TYPES_FILE
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.at[line - 2, column] = value
    table.to_csv(path, index=False)
    return path


def test_bundled_file_loads_with_the_issue_types():
    types = site_types()
    assert set(types) >= ISSUE_TYPES
    assert all(t.type == key for key, t in types.items())
    assert {t.kind for t in types.values()} <= SITE_KINDS
    assert types["sports_hall"].kind == "transit"
    assert types["sports_hall"].stay_hours_typical == pytest.approx(6.0)


def test_every_row_has_a_basis_and_its_assumptions_are_marked():
    for t in site_types().values():
        assert len(t.basis) > 40, t.type
        assert t.name_ru and t.name_kk and t.name_en
        # a row whose figures are not all sourced says so
        assert t.assumption or t.source, t.type
        assert "assumption" in t.basis or not t.assumption, t.type


def test_places_are_in_order():
    for t in site_types().values():
        assert 0 < t.places_min <= t.places_typical <= t.places_max, t.type


def test_figures_are_plausible():
    types = site_types()
    assert types["school"].lead_time_h < types["tent_camp"].lead_time_h
    assert types["tent_camp"].lead_time_h < types["modular_town"].lead_time_h
    for t in types.values():
        assert t.lead_time_h <= 24 * 60 and t.stay_days_typical <= 365, t.type


def test_a_pack_without_the_file_has_no_site_types(tmp_path):
    maps = _copy_maps(tmp_path)
    (maps / SITE_TYPES_FILE).unlink()
    assert site_types(maps) == {}


def test_a_bad_cell_names_file_line_and_field(tmp_path):
    maps = _copy_maps(tmp_path)
    path = _damage(maps, 3, "places_typical", "many")
    with pytest.raises(ReferenceDataError) as err:
        site_types(maps)
    text = str(err.value)
    assert f"{path}: line 3: places_typical: input should be a valid integer" in text
    assert "(got 'many')" in text


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("kind", "hostel", "kind: must be one of"),
        ("places_min", "5000", "places_max: places_min <= places_typical <= places_max"),
        ("lead_time_h", "-1", "lead_time_h: input should be greater than or equal to 0"),
        ("basis", "", "basis: is required"),
        ("type", "school", "type: listed twice (got 'school')"),
    ],
)
def test_bad_rows_are_refused(tmp_path, column, value, message):
    maps = _copy_maps(tmp_path)
    path = _damage(maps, 4, column, value)
    with pytest.raises(ReferenceDataError) as err:
        site_types(maps)
    assert f"{path}: line 4: {message}" in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path):
    maps = _copy_maps(tmp_path)
    _damage(maps, 2, "kind", "camp")
    path = _damage(maps, 5, "stay_days_typical", "0")
    with pytest.raises(ReferenceDataError) as err:
        site_types(maps)
    assert len(err.value.problems) == 2
    assert f"{path}: line 5: stay_days_typical: input should be greater than 0" in str(err.value)


def test_a_missing_column_is_named(tmp_path):
    maps = _copy_maps(tmp_path)
    path = maps / SITE_TYPES_FILE
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns="lead_time_h").to_csv(
        path, index=False
    )
    with pytest.raises(
        ReferenceDataError, match=r"site_types\.csv: lead_time_h: column is missing"
    ):
        site_types(maps)
