"""Valid time beside system time: when a record was true in the world, and when the register learnt it.

Every layer (but the audit trail) carries two pairs of dates:

* **valid time** — ``valid_from`` (the first day the record was true) and ``valid_to``
  (the first day it was no longer true); empty means unknown, and unknown is *always*;
* **system time** — ``first_added``, ``last_updated`` and ``retired_on``: when the
  register learnt, last changed and retired the record.

As-of views, analyses and exports judge a day in valid time (:func:`valid_on`); the
history pages rebuild what the register knew on a day in system time
(``layers.audit.as_known_on``). A record retired in the register is
out of "now" views (:func:`held_now`) whatever its valid time.

Records imported or created without valid dates of their own get them from their own
dates by per-layer rules (``data/valid_time.yaml``, or the file named by
``PARKATLAS_VALID_TIME``): :func:`fill_valid_time`. docs/valid-time.md tells the whole story.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from layers.registry import REGISTRY
from layers.rules import RulesError, read_yaml
from layers.schema import LayerSpec

VALID_FROM, VALID_TO = "valid_from", "valid_to"
DEFAULT_RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "valid_time.yaml"
ENV_VAR = "PARKATLAS_VALID_TIME"
SCHEMA = "parkatlas-valid-time/1"
#: An int field holds a year when its declared range lies within these (completion_year, year_built …).
YEAR_RANGE = (1000, 3000)


class ValidTimeRulesError(RulesError):
    """A valid-time rules file is unreadable or names what the registry does not have; ``problems`` lists each."""

    what = "valid-time rules"


@dataclass(frozen=True)
class DerivationRule:
    """Which own fields of a layer give its valid dates (first with a value wins).

    ``valid_to`` fields name the last day the record was true; valid_to is the day after.
    """

    layer: str
    valid_from: tuple[str, ...] = ()
    valid_to: tuple[str, ...] = ()


def has_valid_time(spec: LayerSpec) -> bool:
    """Whether the layer carries ``valid_from``/``valid_to`` (every layer but the audit trail)."""
    return VALID_FROM in spec.field_names and VALID_TO in spec.field_names


def _is_year_field(spec_field) -> bool:
    low, high = YEAR_RANGE
    return (spec_field.kind == "int" and spec_field.min_value is not None and spec_field.max_value is not None
            and low <= spec_field.min_value and spec_field.max_value <= high)


def _fields(path: str, layer: str, key: str, value: object, problems: list[str]) -> tuple[str, ...]:
    """The field names of ``layers.<layer>.<key>``, each checked against the registry."""
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        problems.append(f"{path}: layers.{layer}.{key}: expected a list of field names, got {value!r}")
        return ()
    spec = REGISTRY[layer]
    kept = []
    for name in names:
        if name not in spec.field_names:
            problems.append(f"{path}: layers.{layer}.{key}: {layer!r} has no field {name!r}; date and year "
                            f"fields: {', '.join(_date_fields(spec))}")
        elif name not in _date_fields(spec):
            problems.append(f"{path}: layers.{layer}.{key}: field {name!r} is a {spec.field(name).kind}, not a "
                            f"date or a year; allowed: {', '.join(_date_fields(spec))}")
        else:
            kept.append(name)
    return tuple(kept)


def _date_fields(spec: LayerSpec) -> list[str]:
    """The fields of ``spec`` that can give a valid date: dates and years, bar the time fields themselves."""
    own = (VALID_FROM, VALID_TO, "first_added", "last_updated", "retired_on")
    return [f.name for f in spec.fields if f.name not in own and (f.kind == "date" or _is_year_field(f))]


def parse_rules(data: object, *, path: str = "valid-time rules") -> dict[str, DerivationRule]:
    """Derivation rules from the parsed YAML ``data``; :class:`ValidTimeRulesError` listing every problem."""
    if not isinstance(data, Mapping):
        raise ValidTimeRulesError([f"{path}: the top level must be a mapping with 'schema' and 'layers'"])
    problems: list[str] = []
    if data.get("schema") != SCHEMA:
        problems.append(f"{path}: schema must be {SCHEMA!r}, got {data.get('schema')!r}")
    layers = data.get("layers") or {}
    if not isinstance(layers, Mapping):
        raise ValidTimeRulesError([*problems, f"{path}: 'layers' must be a mapping of layer: rule"])
    rules = {}
    for layer, entry in layers.items():
        spec = REGISTRY.get(layer)
        if spec is None or not has_valid_time(spec):
            known = [name for name, s in REGISTRY.items() if has_valid_time(s)]
            problems.append(f"{path}: layers.{layer}: not a layer with valid time; layers: {', '.join(known)}")
            continue
        if not isinstance(entry, Mapping) or set(entry) - {VALID_FROM, VALID_TO}:
            problems.append(f"{path}: layers.{layer}: expected a mapping with valid_from and/or valid_to, "
                            f"got {entry!r}")
            continue
        rules[layer] = DerivationRule(layer, _fields(path, layer, VALID_FROM, entry.get(VALID_FROM), problems),
                                      _fields(path, layer, VALID_TO, entry.get(VALID_TO), problems))
    if problems:
        raise ValidTimeRulesError(problems)
    return rules


def load_rules(path: str | os.PathLike | None = None) -> dict[str, DerivationRule]:
    """The derivation rules of ``path`` (default: ``PARKATLAS_VALID_TIME``, else ``data/valid_time.yaml``)."""
    path = Path(path or os.environ.get(ENV_VAR) or DEFAULT_RULES_PATH)
    return _cached_rules(str(path))


@lru_cache(maxsize=8)
def _cached_rules(path: str) -> dict[str, DerivationRule]:
    try:
        data = read_yaml(Path(path))
    except RulesError as exc:
        raise ValidTimeRulesError(exc.problems) from None
    return parse_rules(data, path=path)


# -- the dates ---------------------------------------------------------------------------------------


def _day(value) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def own_date(frame: pd.DataFrame, spec: LayerSpec, name: str) -> pd.Series:
    """Field ``name`` of ``frame`` as days (datetime64[ms]): a date as it is, a year as its 1 January."""
    if name not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms]")
    if spec.field(name).kind == "date":
        return pd.to_datetime(frame[name]).astype("datetime64[ms]")
    years = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out = np.full(len(years), np.datetime64("NaT"), dtype="datetime64[ms]")
    known = ~np.isnan(years)
    out[known] = (years[known].astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[ms]")
    return pd.Series(out, index=frame.index)


def _first_present(frame: pd.DataFrame, spec: LayerSpec, names: tuple[str, ...]) -> pd.Series:
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms]")
    for name in names:
        out = out.fillna(own_date(frame, spec, name))
    return out


def derived_dates(frame: pd.DataFrame, spec: LayerSpec, rule: DerivationRule | None, *,
                  today) -> tuple[pd.Series, pd.Series]:
    """(valid_from, valid_to) of every record of ``frame`` from its own dates by ``rule`` (NaT where none).

    A valid_from after ``today`` (the day the record is entered) is a plan, not a fact, and gives nothing;
    valid_to is the day after the last day its field names.
    """
    empty = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms]")
    if rule is None:
        return empty, empty.copy()
    start = _first_present(frame, spec, rule.valid_from)
    start = start.where(~(start > _day(today)))
    end = _first_present(frame, spec, rule.valid_to) + pd.Timedelta(days=1)
    return start, end


def fill_valid_time(frame: pd.DataFrame, spec: LayerSpec, *, today, rows: np.ndarray | None = None,
                    valid_from=None, rules: Mapping[str, DerivationRule] | None = None,
                    own_dates: tuple[str, ...] = (VALID_FROM, VALID_TO)) -> pd.DataFrame:
    """``frame`` with empty valid dates of the records at ``rows`` (positions; default all) filled.

    valid_from: the record's own date by the layer's rule, else ``valid_from`` (given for a whole
    file), else left unknown. valid_to: the record's own end by the rule. Only the fields named in
    ``own_dates`` are derived from own dates (a file with a valid_from column states it, empty
    cells included). A filled date that would end the record before it starts is not filled (the
    record keeps what it had). A layer without valid time, or nothing to fill, returns ``frame`` itself.
    """
    if not has_valid_time(spec) or not len(frame):
        return frame
    rule = (load_rules() if rules is None else rules).get(spec.name)
    if rule is not None:
        rule = DerivationRule(rule.layer, rule.valid_from if VALID_FROM in own_dates else (),
                              rule.valid_to if VALID_TO in own_dates else ())
    if (rule is None or not (rule.valid_from or rule.valid_to)) and valid_from is None:
        return frame
    chosen = np.zeros(len(frame), dtype=bool)
    chosen[np.arange(len(frame)) if rows is None else rows] = True
    start, end = derived_dates(frame, spec, rule, today=today)
    if valid_from is not None:
        start = start.fillna(_day(valid_from))
    old_start = pd.to_datetime(_dates(frame, VALID_FROM)).astype("datetime64[ms]")
    old_end = pd.to_datetime(_dates(frame, VALID_TO)).astype("datetime64[ms]")
    fill_start = chosen & old_start.isna().to_numpy() & start.notna().to_numpy() \
        & ~(old_end <= start).to_numpy(dtype=bool)
    new_start = old_start.where(~fill_start, start)
    fill_end = chosen & old_end.isna().to_numpy() & end.notna().to_numpy() & ~(end <= new_start).to_numpy(dtype=bool)
    if not fill_start.any() and not fill_end.any():
        return frame
    out = frame.copy()
    out[VALID_FROM] = new_start
    out[VALID_TO] = old_end.where(~fill_end, end)
    return out


def derive_for_older_park(frame: pd.DataFrame, spec: LayerSpec, *, today,
                          rules: Mapping[str, DerivationRule] | None = None) -> pd.DataFrame:
    """A layer of a park kept before valid time, with its valid dates derived once (the migration).

    Every record gets :func:`fill_valid_time`'s dates (own dates by the rules; ``today``,
    the day of the migration, decides what is still a plan), and a retired record without
    an end is no longer true from the day it was retired.
    """
    out = fill_valid_time(frame, spec, today=today, rules=rules)
    if not has_valid_time(spec) or not len(out):
        return out
    retired = pd.to_datetime(_dates(out, "retired_on")).astype("datetime64[ms]")
    start = pd.to_datetime(_dates(out, VALID_FROM)).astype("datetime64[ms]")
    end = pd.to_datetime(_dates(out, VALID_TO)).astype("datetime64[ms]")
    ends = (end.isna() & retired.notna() & ~(start >= retired)).to_numpy(dtype=bool)
    if not ends.any():
        return out
    out = out.copy()
    out[VALID_FROM] = start
    out[VALID_TO] = end.where(~ends, retired)
    return out


# -- which records a view holds -------------------------------------------------------------------------


def _dates(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms]")
    return frame[name]


def valid_on(frame: pd.DataFrame, day) -> np.ndarray:
    """Which records were true in the world on ``day`` (valid time): valid_from ≤ day < valid_to.

    Unknown dates are always; a retired record without a valid_to is taken to have ended
    the day it was retired (records retired before valid time was kept).
    """
    when = _day(day)
    end = _dates(frame, VALID_TO).fillna(_dates(frame, "retired_on"))
    started = ~(_dates(frame, VALID_FROM) > when).to_numpy(dtype=bool)
    return started & ~(end <= when).to_numpy(dtype=bool)


def valid_on_each(frame: pd.DataFrame, days: pd.Series) -> np.ndarray:
    """:func:`valid_on` with a day per record (``days`` aligned with ``frame``; a missing day is never)."""
    when = pd.to_datetime(days).astype("datetime64[ms]")
    end = _dates(frame, VALID_TO).fillna(_dates(frame, "retired_on"))
    started = ~(_dates(frame, VALID_FROM) > when).to_numpy(dtype=bool)
    return started & ~(end <= when).to_numpy(dtype=bool) & when.notna().to_numpy()


def held_now(frame: pd.DataFrame) -> np.ndarray:
    """Which records the register holds now: those not retired (system time; "now" views)."""
    return _dates(frame, HELD_NOW_FIELD).isna().to_numpy()


#: :func:`held_now` as the field a store filters on: a record is held now while this field is empty.
HELD_NOW_FIELD = "retired_on"


__all__ = [
    "HELD_NOW_FIELD",
    "DerivationRule",
    "ENV_VAR",
    "VALID_FROM",
    "VALID_TO",
    "ValidTimeRulesError",
    "derive_for_older_park",
    "derived_dates",
    "fill_valid_time",
    "has_valid_time",
    "held_now",
    "load_rules",
    "own_date",
    "parse_rules",
    "valid_on",
    "valid_on_each",
]
