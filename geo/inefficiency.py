"""Inefficient land (五类低效用地, DOMAIN.md §2.2), each category with its reason.

* ``approved_unsupplied`` 批而未供 — approved for construction, not supplied;
* ``supplied_unused`` 供而未用 — supplied, development not started;
* ``underused`` 用而未尽 — built, below the required FAR or building coefficient;
* ``built_not_operating`` 建而未投 — built, not in production;
* ``below_target`` 投而未达标 — in production, below the contracted investment, output or tax per 亩.

A parcel may fall in several categories. The triggers are ``LandRules.inefficiency``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.reasons import TEXT_DTYPE, as_bool, date_column, float_column, join_reasons, take_text
from layers.rules import LandRules

CATEGORIES = ("approved_unsupplied", "supplied_unused", "underused", "built_not_operating", "below_target")
LABELS_ZH = {
    "approved_unsupplied": "批而未供",
    "supplied_unused": "供而未用",
    "underused": "用而未尽",
    "built_not_operating": "建而未投",
    "below_target": "投而未达标",
}


def _number_text(values: np.ndarray, digits: int = 2) -> np.ndarray:
    """Numbers as short text for reasons (only the rows that need it are formatted)."""
    return np.array([f"{v:.{digits}f}" if np.isfinite(v) else "?" for v in values], dtype=object)


def _reason_text(rows: np.ndarray, template: str, **columns: np.ndarray) -> np.ndarray:
    """``template`` filled with the numbers of ``columns`` at ``rows``, one text per row."""
    formatted = {name: _number_text(values[rows]) for name, values in columns.items()}
    out = np.empty(len(rows), dtype=object)
    out[:] = [template.format(**{name: formatted[name][i] for name in formatted}) for i in range(len(rows))]
    return out


def _add_reason(reason: np.ndarray, mask: np.ndarray, text) -> None:
    """Append ``text`` (one for all, or ``text(rows)``: one per row) to ``reason`` where ``mask``, after "; "
    where a reason is there already. One text at a time: at 10⁶ parcels the texts of every reason at once were
    the analysis's peak memory."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return
    text = text(rows) if callable(text) else text
    current = reason[rows]
    reason[rows] = np.where(current == "", text, current + "; " + text)


def inefficient_land(
    parcels: pd.DataFrame,
    *,
    util: pd.DataFrame,
    idle: pd.DataFrame,
    per_mu: pd.DataFrame | None = None,
    as_of,
    rules: LandRules,
) -> pd.DataFrame:
    """The five kinds of inefficient land per parcel, as of ``as_of``.

    Parameters
    ----------
    parcels
        Validated parcels.
    util
        ``geo.utilisation.utilisation`` of the parcels.
    idle
        ``geo.idle.idle_land`` of the parcels (for the development stage).
    per_mu
        ``geo.muju`` parcel figures (``output_per_mu_wan``, ``tax_per_mu_wan``) for the targets.

    Returns
    -------
    DataFrame indexed like ``parcels``: one boolean column per category, ``inefficiency``
    (categories joined by ','; NaN when none) and ``inefficiency_reason``.
    """
    trig = rules.inefficiency
    when = pd.Timestamp(as_of).normalize()
    index = parcels.index
    n = len(parcels)
    status = parcels["status"].astype(TEXT_DTYPE)
    stage = idle["development_stage"]

    def days_since(name: str) -> np.ndarray:
        return (when - date_column(parcels, name)).dt.days.to_numpy(dtype=float, na_value=np.nan)

    approved = as_bool(status == "approved_unsupplied", index)
    contract_days = days_since("contract_date")
    unused = as_bool(stage == "not_started", index) & ~(contract_days < trig.supplied_unused_grace_days)

    far = util["far"].to_numpy(dtype=float)
    far_required = util["far_required"].to_numpy(dtype=float)
    coef = util["building_coef"].to_numpy(dtype=float)
    coef_required = util["building_coef_required"].to_numpy(dtype=float)
    judged = util["compliance_judged"].to_numpy(dtype=bool)
    far_low = judged & (far < far_required) & trig.underused_far_below_required
    coef_low = judged & (coef < coef_required) & trig.underused_coef_below_min
    underused = far_low | coef_low

    completion_days = days_since("actual_completion_date")
    built_idle = as_bool(status == "completed", index) & as_bool(stage == "completed", index) & ~(
        completion_days < trig.built_not_operating_grace_days)

    operating = as_bool(status == "operating", index)
    share = trig.below_target_share
    checks = trig.below_target_indicators

    planned = float_column(parcels, "investment_planned_wan")
    done = float_column(parcels, "investment_done_wan")
    output_target = float_column(parcels, "contract_output_per_mu_wan")
    tax_target = float_column(parcels, "contract_tax_per_mu_wan")
    output_per_mu = float_column(per_mu, "output_per_mu_wan", index)
    tax_per_mu = float_column(per_mu, "tax_per_mu_wan", index)
    inv_low = operating & ("investment" in checks) & (done < share * planned)
    out_low = operating & ("output_per_mu" in checks) & (output_per_mu < share * output_target)
    tax_low = operating & ("tax_per_mu" in checks) & (tax_per_mu < share * tax_target)
    below = inv_low | out_low | tax_low

    flags = {"approved_unsupplied": approved, "supplied_unused": unused, "underused": underused,
             "built_not_operating": built_idle, "below_target": below}
    names = join_reasons(index, [(flags[c], c) for c in CATEGORIES], separator=",")
    reason = np.full(n, "", dtype=object)
    _add_reason(reason, approved, "批而未供: approved, not supplied")
    _add_reason(reason, unused, "供而未用: supplied, development not started")
    _add_reason(reason, far_low, lambda rows: _reason_text(rows, "用而未尽: FAR {far} < {req}", far=far,
                                                           req=far_required))
    _add_reason(reason, coef_low, lambda rows: _reason_text(rows, "用而未尽: building coefficient {coef} < {req}",
                                                            coef=coef, req=coef_required))
    _add_reason(reason, built_idle, "建而未投: completed, not in production")
    _add_reason(reason, inv_low, lambda rows: _reason_text(
        rows, "投而未达标: investment {done} < contracted {planned} 万元", done=done, planned=planned))
    _add_reason(reason, out_low, lambda rows: _reason_text(rows, "投而未达标: output {v} < contracted {t} 万元/亩",
                                                           v=output_per_mu, t=output_target))
    _add_reason(reason, tax_low, lambda rows: _reason_text(rows, "投而未达标: tax {v} < contracted {t} 万元/亩",
                                                           v=tax_per_mu, t=tax_target))
    unjudged = operating & (
        (("tax_per_mu" in checks) & ~np.isnan(tax_target) & np.isnan(tax_per_mu))
        | (("output_per_mu" in checks) & ~np.isnan(output_target) & np.isnan(output_per_mu)))
    out = pd.DataFrame({name: flags[name] for name in CATEGORIES}, index=index)
    out["inefficiency"] = names.astype(TEXT_DTYPE)
    # Text of the parcels with a reason only, taken per parcel (missing elsewhere).
    given = np.flatnonzero(reason != "")
    at = np.full(n, -1)
    at[given] = np.arange(len(given))
    out["inefficiency_reason"] = pd.Series(take_text([pd.Series(reason[given], dtype=TEXT_DTYPE)], at), index=index)
    out["inefficiency_not_judged"] = join_reasons(index, [
        (unjudged, "contracted output/tax per 亩 set but the land user's figures are unknown"),
        (as_bool(stage.isna(), index), "supply unknown: neither a status nor a contract date (供而未用 not judged)"),
    ])
    return out
