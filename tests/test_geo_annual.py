"""A park's year in figures (geo.annual), computed by hand on a small park for 2025.

Parcels are 100 m × 100 m = 10 000 m² = 15 亩 (1 亩 = 2000/3 m²) unless said:

======  ===========  ===========  ==========================================================
parcel  contract     land use     what happens
======  ===========  ===========  ==========================================================
A       2025-01-01   100101 ind.  supplied on the year's first day, started 2025-03-01
B       2025-12-31   1101 logist. supplied on its last day, not started
C       2024-12-31   100101       supplied the year before; started 2024-02-01, completed
                                  2025-06-30 (status completed: 建而未投 at the year end)
D       2026-01-01   100101       approved, contract the next year: not supplied in 2025
E       2025-05-01   100102 ind.  supplied, started 2025-06-01 and completed 2025-11-30 in 2025
F       2025-07-01   100101       entered in error: never true (valid_from = valid_to)
G       2025-03-01   100101       split on 2025-09-01 into G-1, G-2 (50 m × 100 m = 7.5 亩 each,
                                  contract date copied): supplied once, as G
H       2023-01-01   100101       agreed start 2024-03-01, never started: idle from 2025-03-01
I       2023-01-01   100101       agreed start 2023-06-01, never started: idle at both ends;
                                  reclaimed by case K1 (closed 2025-12-31)
======  ===========  ===========  ==========================================================

Land supplied in 2025: A, B, E, G = 4 parcels, 60 亩; industrial A, E, G = 45 亩.
Started: A, E = 2; completed: C, E = 2.
Idle (闲置, IDLE-A a full year after the agreed start) at 2025-12-31: H (fee), I (reclaim) = 2, 30 亩;
at 2024-12-31 only I (H was 10 months late): newly idle H = 1, 15 亩.
"""

from __future__ import annotations

import pandas as pd
import pytest
from annual_samples import RULES, annual_park

from geo.analysis import analyse_land
from geo.annual import FIGURES, compare, happened_in, year_end, year_figures


@pytest.fixture(scope="module")
def park():
    return annual_park()


def figures_of(park, year, **kwargs):
    end = analyse_land(park, as_of=year_end(year), rules=RULES)
    start = analyse_land(park, as_of=year_end(year - 1), rules=RULES)
    return year_figures(park, year, end=end, start=start, **kwargs)


@pytest.fixture(scope="module")
def y2025(park):
    return figures_of(park, 2025)


def test_land_supplied_counts_contracts_of_the_year_once_each(y2025):
    f = y2025.figures
    assert (f["land_supplied_parcels"], f["land_supplied_mu"]) == (4, pytest.approx(60.0))
    assert f["land_supplied_industrial_mu"] == pytest.approx(45.0)
    by_tenure = y2025.tables["supplied_by_tenure"].set_index("tenure")
    assert by_tenure.loc["granted", "parcels"] == 3 and by_tenure.loc["allocated", "mu"] == pytest.approx(15.0)
    assert y2025.tables["supplied_by_land_use"].set_index("land_use").loc["100101", "parcels"] == 2  # A, G


@pytest.mark.parametrize(("day", "counted"), [("2024-12-31", False), ("2025-01-01", True), ("2025-12-31", True),
                                              ("2026-01-01", False)])
def test_a_date_on_either_side_of_the_year(day, counted):
    frame = pd.DataFrame({"contract_date": pd.to_datetime([day])})
    assert bool(happened_in(frame, "contract_date", 2025)[0]) is counted


def test_projects_started_and_completed(y2025):
    assert (y2025.figures["projects_started"], y2025.figures["projects_completed"]) == (2, 2)


def test_idle_land_at_the_year_end_and_newly_idle(y2025):
    f = y2025.figures
    assert (f["idle_year_end_parcels"], f["idle_year_end_mu"]) == (2, pytest.approx(30.0))
    assert (f["idle_new_parcels"], f["idle_new_mu"]) == (1, pytest.approx(15.0))


def test_cases_completed_in_the_year_by_method(y2025):
    f = y2025.figures
    # K1 (closed on the year's last day) and K2 (its first); K3 closes the next year, K4 was dropped.
    assert f["cases_closed"] == 2
    assert (f["idle_disposed_parcels"], f["idle_disposed_mu"]) == (1, pytest.approx(15.0))
    assert (f["revitalised_land_mu"], f["revitalised_floor_m2"]) == (pytest.approx(15.0), 800.0)
    methods = y2025.tables["disposed_by_method"].set_index("method")
    assert methods["cases"].to_dict() == {"lease": 1, "reclaim": 1}


def test_factory_space_at_both_ends_and_units_newly_let(y2025):
    f = y2025.figures
    assert (f["factory_leasable_m2_start"], f["factory_leasable_m2_end"]) == (1500.0, 1500.0)
    assert (f["factory_let_m2_start"], f["factory_let_m2_end"]) == (1000.0, 1500.0)
    assert (f["factory_vacant_m2_start"], f["factory_vacant_m2_end"]) == (500.0, 0.0)
    assert (f["units_newly_let"], f["units_newly_let_m2"]) == (1, 500.0)


def test_networks_built_in_the_year(y2025):
    f = y2025.figures
    assert f["roads_completed_km"] == pytest.approx(1.0)  # R1; R3 is at the subgrade, R2 was built in 2024
    assert f["pipelines_built_km"] == pytest.approx(0.2)
    stages = y2025.tables["roads_by_stage"].set_index("status")["km"]
    assert stages.to_dict() == {"completed": pytest.approx(1.5), "subgrade": pytest.approx(0.3)}
    assert y2025.tables["roads_completed_by_grade"].set_index("grade")["km"].to_dict() == {
        "secondary": pytest.approx(1.0)}


def test_enterprise_figures_of_the_year(y2025):
    f = y2025.figures
    assert (f["tax_wan"], f["output_wan"], f["value_added_wan"]) == (150.0, 1500.0, 400.0)


def test_an_enterprise_figure_nobody_reported_for_the_year_is_not_judged_never_0():
    from geo.annual import enterprise_figures

    # An office's list gave 2025's tax (one enterprise's left blank) and no output or value added at all; 2024 holds
    # only a revenue figure.
    years = pd.DataFrame({"enterprise_id": ["E1", "E2", "E1"], "year": [2025, 2025, 2024],
                          "tax_wan": [120.5, None, None], "output_wan": [None, None, None],
                          "value_added_wan": [None, None, None], "revenue_wan": [3000.0, 800.0, 2500.0]})
    assert enterprise_figures(years, 2025) == {"tax_wan": 120.5, "output_wan": None, "value_added_wan": None}
    assert enterprise_figures(years, 2024) == {"tax_wan": None, "output_wan": None, "value_added_wan": None}
    # A reported 0 is a 0.
    years.loc[1, "output_wan"] = 0.0
    assert enterprise_figures(years, 2025)["output_wan"] == 0.0


def test_the_year_beside_the_one_before(park, y2025):
    before = figures_of(park, 2024)
    # 2024: C supplied on its last day; started C (2024-02-01); nothing completed; roads R2 0.5 km, pipe S1 0.4 km.
    assert (before.figures["land_supplied_parcels"], before.figures["projects_started"]) == (1, 1)
    table = compare(y2025, before).set_index("key")
    assert list(table.index) == list(FIGURES)
    assert table.loc["land_supplied_parcels", ["current", "previous", "change"]].tolist() == [4, 1, 3]
    assert table.loc["land_supplied_parcels", "change_pct"] == pytest.approx(300.0)
    assert table.loc["roads_completed_km", "change"] == pytest.approx(1.0 - 0.5)
    assert pd.isna(table.loc["projects_completed", "change_pct"])  # nothing completed in 2024: no percentage


def test_a_park_without_the_layers_gives_no_number_for_what_it_cannot_judge(park):
    parcels_only = {"parcels": park["parcels"]}
    result = figures_of(parcels_only, 2025, judgeable={"land_supply", "idle_land", "inefficient_land"})
    assert result.figures["land_supplied_parcels"] == 4
    assert result.figures["roads_completed_km"] is None and result.figures["tax_wan"] is None
    assert result.figures["units_newly_let"] is None and result.figures["cases_closed"] is None


def test_inefficient_land_at_the_year_end_by_kind(y2025):
    # 供而未用: B, G-1, G-2, H, I (supplied, not started) = 15 + 7.5 + 7.5 + 15 + 15 = 60 亩; 建而未投: C (completed
    # 2025-06-30, not operating) 15 亩; 批而未供: D 15 亩. G and F are not true on 31 December.
    assert y2025.figures["inefficient_year_end_mu"] == pytest.approx(90.0)
    kinds = y2025.tables["inefficient_by_kind"].set_index("kind")
    assert kinds["parcels"].to_dict() == {"approved_unsupplied": 1, "supplied_unused": 5, "underused": 0,
                                          "built_not_operating": 1, "below_target": 0}
    assert kinds.loc["supplied_unused", "mu"] == pytest.approx(60.0)


def _surveyed(park, *, keep_dates: bool):
    """The sample park as a surveyor's file holds it: no status; its dates kept, or none (valid time kept)."""
    from layers.evaluation_rules import PARCEL_WORLD_DATES
    from layers.schema import VALID_TIME_FIELD_NAMES

    parcels = park["parcels"].copy()
    parcels["status"] = pd.Series(None, index=parcels.index, dtype=parcels["status"].dtype)
    if not keep_dates:
        for name in set(PARCEL_WORLD_DATES) - set(VALID_TIME_FIELD_NAMES):
            if name in parcels.columns:
                parcels[name] = pd.Series(pd.NaT, index=parcels.index, dtype="datetime64[ms]")
    return {**park, "parcels": parcels}


def test_the_years_supply_is_not_judged_while_a_parcel_has_neither_status_nor_contract_date(park):
    with_dates = figures_of(_surveyed(park, keep_dates=True), 2025)
    # No status, but every parcel's contract date tells its year: the same 4 parcels, 60 亩, as with statuses.
    assert (with_dates.figures["land_supplied_parcels"], with_dates.figures["land_supplied_mu"]) == \
        (4, pytest.approx(60.0))
    assert "land_supplied_parcels" not in with_dates.reasons
    one_missing = _surveyed(park, keep_dates=True)
    parcels = one_missing["parcels"]
    first_at_end = parcels.index[valid_at_end(parcels, 2025)][0]
    parcels.loc[first_at_end, "contract_date"] = pd.NaT
    result = figures_of(one_missing, 2025)
    assert [result.figures[k] for k in ("land_supplied_parcels", "land_supplied_mu", "land_supplied_industrial_mu")] \
        == [None, None, None]
    assert result.reasons["land_supplied_mu"] == ("1 宗地块既无状态也无合同签订日期，供地年份不明",
                                                  "1 parcel has neither a status nor a contract date: the year of "
                                                  "supply cannot be told")
    # The same parcel with a status (planned, or supplied long ago): its year is not this one, the figure is told.
    parcels.loc[first_at_end, "status"] = "operating"
    assert figures_of(one_missing, 2025).figures["land_supplied_parcels"] is not None


def test_projects_started_and_completed_are_not_judged_while_a_parcel_has_neither_status_nor_date(park):
    # With statuses (the sample park): A and E started in 2025, C and E were completed in it.
    assert [figures_of(park, 2025).figures[k] for k in ("projects_started", "projects_completed")] == [2, 2]
    surveyed = _surveyed(park, keep_dates=True)
    result = figures_of(surveyed, 2025)
    # No status: of the 9 parcels in force at the end of 2025, B D G-1 G-2 H I have no start date (6), and those
    # and A no completion date (7); each may have started or been completed in 2025 or not.
    assert [result.figures[k] for k in ("projects_started", "projects_completed")] == [None, None]
    assert result.reasons["projects_started"] == ("6 宗地块既无状态也无实际开工日期，开工年份不明",
                                                  "6 parcels have neither a status nor a start date: the year of "
                                                  "the start cannot be told")
    assert result.reasons["projects_completed"][0] == "7 宗地块既无状态也无实际竣工日期，竣工年份不明"
    # Their statuses told (planned: nothing started): the start is told, 2 again; A (started, no completion date,
    # no status) still leaves the completions untold, with its count.
    parcels = surveyed["parcels"]
    undated = valid_at_end(parcels, 2025) & parcels["actual_start_date"].isna().to_numpy()
    parcels.loc[undated, "status"] = "planned"
    result = figures_of(surveyed, 2025)
    assert result.figures["projects_started"] == 2 and "projects_started" not in result.reasons
    assert result.figures["projects_completed"] is None
    assert result.reasons["projects_completed"][1] == ("1 parcel has neither a status nor a completion date: the "
                                                       "year of completion cannot be told")
    parcels.loc[parcels["parcel_id"] == "A", "status"] = "under_construction"
    result = figures_of(surveyed, 2025)
    assert [result.figures[k] for k in ("projects_started", "projects_completed")] == [2, 2]
    assert result.reasons == {}
    from geo.report import _part_paragraphs

    untold = figures_of(_surveyed(park, keep_dates=False), 2025)
    text = " ".join(_part_paragraphs(0, untold, untold, "zh"))
    assert "开工项目（宗地）无法判断（9 宗地块既无状态也无实际开工日期，开工年份不明）" in text


def test_a_register_without_statuses_or_dates_gives_no_idle_or_inefficient_figure(park):
    result = figures_of(_surveyed(park, keep_dates=False), 2025)
    f = result.figures
    assert [f[k] for k in ("idle_year_end_parcels", "idle_year_end_mu", "idle_new_parcels", "idle_new_mu",
                           "inefficient_year_end_mu")] == [None] * 5
    at_end = int(valid_at_end(park["parcels"], 2025).sum())
    assert result.reasons["idle_year_end_mu"] == (f"{at_end} 宗地块均无法判定是否闲置",
                                                  f"none of {at_end} parcels could be judged idle or not")
    from geo.report import _part_paragraphs

    text = " ".join(_part_paragraphs(1, result, figures_of(_surveyed(park, keep_dates=False), 2024), "zh"))
    assert f"年末闲置土地无法判断（{at_end} 宗地块均无法判定是否闲置）。" in text


def valid_at_end(parcels, year):
    from layers.valid_time import valid_on

    return valid_on(parcels, year_end(year))
