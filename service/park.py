"""The park service: the store, the day, the rules in force and every result, cached by what they depend on.

One :class:`ParkService` per park (the web app keeps one; CLI commands open one).
Layers are read and validated once per store version (file identity for a
GeoPackage, the change counter for PostGIS). Results that depend on the day and the
rules — ``land(day)``, ``summary(day)`` built from it, ``infrastructure(day, …)`` — are
kept in one small LRU keyed by store version + day + rules version + options, so an
edit, another day or an edited override each give a fresh result and pages never
disagree. The overview's figures are filed as well in the park's results cache
(``layers.results_cache``, :data:`STORED_RESULTS`) under the same key plus a digest of
the code, and read back where they would be computed: a restart serves them at once. A park that cannot be read, or was changed outside ParkAtlas into values that
do not validate, raises :class:`ParkUnavailable`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis import (
    LAND_SHOWN_FIELDS,
    LAND_UNREAD_FIELDS,
    READINESS_LAYERS,
    READINESS_PARCEL_FIELDS,
    LandAnalysis,
    analyse_land,
    readiness_flags,
    with_fields_shown,
)
from geo.annual import ANNUAL_TOPICS, REPORT_LAYERS, YearFigures, year_end, year_figures
from geo.clearance import CLEARANCE_BUILDING_FIELDS, CLEARANCE_LAYERS
from geo.evaluation import Evaluation, evaluate_land_use
from geo.infrastructure_summary import INFRASTRUCTURE_SHOWN_FIELDS, infrastructure_analysis, park_conflict_counts
from geo.judged import NotJudged, layer_states, not_judged
from geo.records import with_layer_fields, with_values
from geo.scenarios import ExpansionPlan, ScenarioOptions, plan_expansion
from geo.site_search import SITE_LAYERS, SITE_SHOWN_FIELDS, site_inputs
from geo.summary import LAND_LAYERS, SUMMARY_LAYERS, SUMMARY_UNREAD_FIELDS, park_summary, summary_shaped
from geo.utilisation import overlay, pairs_among
from geo.year_changes import HISTORY_LAYERS, first_year, history_fields, year_changes
from layers.audit import AUDIT_LAYER
from layers.audit import changed_fields as audit_changed_fields
from layers.patch import patch_records
from layers.registry import REGISTRY, get_layer
from layers.results_cache import NotStorable, ResultsCacheFile, code_digest, result_key
from layers.schema import SOURCE_ATTRIBUTES
from layers.store import ParkStoreError
from layers.stores import ParkStore, migrate_store
from layers.valid_time import HELD_NOW_FIELD, held_now
from layers.validate import LayerValidationError
from service.day import DayRange, day_to_judge, parse_day
from service.flights import Flights
from service.rules import RulesInForce, rules_in_force, rules_overrides, rules_version

T = TypeVar("T")
#: Runs a computation (the web passes its analysis gate; commands run it directly).
Runner = Callable[[Callable[[], T]], T]
#: Layers the infrastructure analysis reads.
INFRASTRUCTURE_LAYERS = ("parcels", "roads", "pipelines", "buildings", "facilities")
#: Day-dependent results of each kind kept in memory at once (a land analysis of a large park is hundreds of MB).
RESULTS_KEPT = 6
#: Kinds of result also filed in the park's results cache (``layers.results_cache``), so a restart with unchanged
#: data and rules serves them at once: the overview's figures, a few KB of JSON that take 13 s at 10⁵ parcels.
#: Each kind with the check of its shape, which a value read back must pass before anything shows it.
STORED_RESULTS: dict[str, Callable[[object], bool]] = {"summary": summary_shaped}
#: The code a stored result is computed by (folders, file patterns): the analyses, the service, the store and
#: validation, the national default rules. Part of its key, so an upgrade never serves the old code's figures.
RESULT_CODE = (tuple(Path(__file__).resolve().parents[1] / name for name in ("geo", "service", "layers", "data")),
               ("*.py", "*.yaml"))
#: Filed results a service remembers having filed (more are filed again once: one small write each).
FILED_REMEMBERED = 64
#: Layers an expansion plan reads.
EXPANSION_LAYERS = ("zones", "parcels", "roads", "pipelines", "facilities")
#: Expansion plans kept at once (besides the memory budget their grids are kept within).
PLANS_KEPT = 6
#: Runs a plan that takes a ``checkpoint(step)`` (the web's gate passes one that stops it past its time budget).
PlanRunner = Callable[[Callable[[Callable[[str], None]], ExpansionPlan]], ExpansionPlan]


#: The layers each kind of kept result reads — the ones its computation below asks the service for (a summary
#: also reads the land analysis of its day). A change written row by row to none of them leaves such a result as
#: it was: it is carried to the new version instead of computed again (a case entry keeps the figures of a large
#: park). Kinds not named here (the year's report and changes read the audit trail and every layer's state) are
#: computed again after any change.
RESULT_LAYERS: dict[str, frozenset[str]] = {
    "land": frozenset(LAND_LAYERS),
    "readiness": frozenset(READINESS_LAYERS),
    "conflicts": frozenset(CLEARANCE_LAYERS),
    "summary": frozenset(SUMMARY_LAYERS) | frozenset(LAND_LAYERS),
    "infrastructure": frozenset(INFRASTRUCTURE_LAYERS),
    "sites": frozenset(SITE_LAYERS),
}


#: Fields of any layer that neither the land analysis nor the figures compute with or show: what the source file held
#: beside the fields it was mapped to, and the day the register last changed a record (transaction time: the
#: analyses judge valid time).
UNREAD_BY_RESULTS = frozenset({SOURCE_ATTRIBUTES, "last_updated"})
#: The kinds of kept result that hold no record whole (:data:`UNREAD_BY_RESULTS` holds for them), and per layer they
#: read the fields they neither compute with nor show besides: a change of only such fields keeps them as they are
#: (a zone renamed keeps the park's figures).
RESULT_UNREAD_FIELDS: dict[str, Mapping[str, frozenset[str]]] = {
    "land": LAND_UNREAD_FIELDS, "summary": SUMMARY_UNREAD_FIELDS,
    "readiness": {"parcels": frozenset(REGISTRY["parcels"].field_names) - READINESS_PARCEL_FIELDS},
    "conflicts": {"buildings": frozenset(REGISTRY["buildings"].field_names) - CLEARANCE_BUILDING_FIELDS}}
#: Per kind of kept result, the fields it shows without computing with them, by layer: a change of only these (and
#: unread ones) is patched into it (:func:`patched_result`) instead of computing it again. The infrastructure
#: analysis and the site search inputs hold the records in force whole: their every descriptive field is shown.
RESULT_SHOWN_FIELDS: dict[str, Mapping[str, frozenset[str]]] = {
    "land": LAND_SHOWN_FIELDS, "infrastructure": INFRASTRUCTURE_SHOWN_FIELDS, "sites": SITE_SHOWN_FIELDS}
#: How a kept result of a kind takes the new values of fields it shows: ``patch(result, layer, records, id, fields)``.
RESULT_PATCHES: dict[str, Callable[..., object]] = {
    "land": with_fields_shown, "infrastructure": with_layer_fields, "sites": with_layer_fields}
#: :func:`carried_as`'s verdicts on a kind of kept result.
KEPT, PATCHED = "kept", "patched"


def carried_results(results: Mapping[str, OrderedDict], before: str | None, after: str,
                    changed: Mapping[str, set[str]] | None,
                    patch: Callable[[str, object], object] | None = None) -> dict[str, OrderedDict]:
    """The kept results still true at version ``after``, filed under it: those of version ``before`` whose kind
    reads none of the ``changed`` fields (per layer: :func:`carried_as`), as they were; or that only shows some of
    them, as ``patch(kind, result)`` gives them (when given). None when what changed is not known (``None``: the
    park was written whole or outside the service). Results are keyed ``(version, rules version, kind, …)``."""
    if changed is None or before is None:
        return {}
    carried = {}
    for kind, kept in results.items():
        verdict = carried_as(kind, changed)
        if verdict is None or (verdict == PATCHED and patch is None):
            continue
        moved = OrderedDict(((after, *key[1:]), value if verdict == KEPT else patch(kind, value))
                            for key, value in kept.items() if key[0] == before)
        if moved:
            carried[kind] = moved
    return carried


def carried_as(kind: str, changed: Mapping[str, set[str]]) -> str | None:
    """How a kept result of ``kind`` stays true over a change of the ``changed`` fields (per layer): :data:`KEPT`
    (it reads none of them: :data:`RESULT_LAYERS`, :data:`RESULT_UNREAD_FIELDS`), :data:`PATCHED` (it shows some
    and reads none of the others: :data:`RESULT_SHOWN_FIELDS`), or None (it must be computed again)."""
    reads = RESULT_LAYERS.get(kind)
    if reads is None:
        return None
    unread = RESULT_UNREAD_FIELDS.get(kind)
    shown = RESULT_SHOWN_FIELDS.get(kind, {})
    verdict = KEPT
    for name, fields in changed.items():
        if name not in reads:
            continue
        left = fields - UNREAD_BY_RESULTS - unread.get(name, frozenset()) if unread is not None else fields
        if not left:
            continue
        if not left <= shown.get(name, frozenset()):
            return None
        verdict = PATCHED
    return verdict


def changed_fields(chain: Sequence[RowChange]) -> dict[str, set[str]]:
    """Per layer, the fields the row changes of ``chain`` changed (``layers.audit.changed_fields``)."""
    out: dict[str, set[str]] = {}
    for change in chain:
        for name, (old, new) in change.layers.items():
            if name != AUDIT_LAYER:
                out.setdefault(name, set()).update(audit_changed_fields(old, new, get_layer(name)))
    return out


def patched_result(chain: Sequence[RowChange], kind: str, result: object) -> object:
    """A kept ``result`` of ``kind`` with the fields it shows as the records the row changes of ``chain`` wrote
    (oldest first) hold them (:data:`RESULT_PATCHES`)."""
    patch, shown = RESULT_PATCHES[kind], RESULT_SHOWN_FIELDS[kind]
    for change in chain:
        for name, (_, records) in change.layers.items():
            if shown.get(name):
                result = patch(result, name, records, get_layer(name).id_field, sorted(shown[name]))
    return result


class ParkUnavailable(ParkStoreError):
    """The park cannot be served as it is now (missing, unreadable, or changed outside ParkAtlas into values
    that do not validate); pages answer 503 instead of failing half-way.

    ``layer`` names the layer concerned (None for the park as a whole); the message
    (with paths and values) is for the log and ``check-park``, not for the client.
    """

    def __init__(self, message: str, layer: str | None = None):
        super().__init__(message)
        self.layer = layer


@contextmanager
def _unavailable_when_damaged(layer: str | None = None) -> Iterator[None]:
    try:
        yield
    except ParkUnavailable:
        raise
    except (ParkStoreError, LayerValidationError) as exc:
        raise ParkUnavailable(str(exc), layer) from exc


def park_is_new(service: ParkService) -> bool:
    """Whether ``service``'s park holds nothing yet (no GeoPackage file, no park schema) and never did while served:
    its first import creates it. A park read before and gone since is damaged, not new; and a store that cannot
    tell (a database that does not answer) is unavailable, not new."""
    if service.ever_read:
        return False
    try:
        return not service.store.exists()
    except Exception:  # noqa: BLE001 — whatever keeps us from asking, the park is not known to be new
        return False


#: What the kept results give for a result not kept (a result may be None).
_NOT_KEPT = object()


def _direct(compute: Callable[[], T]) -> T:
    return compute()


@dataclass(frozen=True)
class RowChange:
    """One change written row by row (``layers.contract.RowStore``): the store went from version ``before`` to
    ``after`` by replacing or adding, per layer, the records of ``layers[name] = (old_rows, new_rows)`` (typed
    frames; ``old_rows`` holds the records as they were, absent for records the change created)."""

    before: str
    after: str
    layers: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]]


#: Row changes remembered, so caches made at an older version can be brought up to date by patching.
ROW_CHANGES_KEPT = 256


@dataclass(frozen=True)
class YearReport:
    """A year's report: the figures of the year and of the one before, the evaluation, what is not judged."""

    year: int
    current: YearFigures
    previous: YearFigures
    evaluation: Evaluation
    not_judged: tuple[NotJudged, ...]
    #: What changed on the ground in the year (``geo.year_changes.year_changes``): the change map's features.
    changes: gpd.GeoDataFrame


class ParkService:
    """One park: its validated layers, THE day, THE rules in force, and every result cached per version.

    Parameters
    ----------
    store
        The park's store (``layers.stores.open_store``).
    days
        The days the analyses can count in (``AS_OF_EARLIEST`` … ``AS_OF_LATEST``).
    results_kept
        Day-dependent results kept at once (least recently used dropped first).
    results_file
        Where the kinds of result in :data:`STORED_RESULTS` are filed as well, to outlive the process (``None``:
        kept in memory only).
    """

    def __init__(self, store: ParkStore, *, days: DayRange = DayRange(), results_kept: int = RESULTS_KEPT,
                 results_file: ResultsCacheFile | None = None):
        self.store = store
        self.days = days
        self._results_kept = results_kept
        self.results_file = results_file
        #: Full keys of results known to be filed (read from the file, or written or tried once by this process).
        self._filed: deque[tuple] = deque(maxlen=FILED_REMEMBERED)
        self._lock = threading.Lock()
        self._version: str | None = None
        self._migrated = False
        self._layers: dict[str, pd.DataFrame] = {}
        self._meta: dict | None = None
        self._derived: dict[Hashable, object] = {}
        self._results: dict[str, OrderedDict] = {}
        self._plans: OrderedDict = OrderedDict()
        self._flights = Flights()
        self._row_changes: deque[RowChange] = deque(maxlen=ROW_CHANGES_KEPT)
        #: Records to patch into a cached layer before it is next handed out (per layer, oldest first).
        self._pending: dict[str, list[pd.DataFrame]] = {}

    # -- the store ------------------------------------------------------------------------------------

    @property
    def park_path(self) -> os.PathLike | None:
        """The GeoPackage file of the park (its rule overrides lie beside it); ``None`` for a database park."""
        return self.store.capabilities.file

    def _sync(self) -> str:
        if not self._migrated:
            migrate_store(self.store)
            self._migrated = True
        with _unavailable_when_damaged():
            version = self.store.version()
        if version != self._version:
            chain = self._chain(self._version, version) if self._version is not None else None
            if chain is None:
                self._layers, self._pending, self._meta = {}, {}, None
            else:  # written record by record: the cached layers are patched when next asked for
                for change in chain:
                    for name, (_, records) in change.layers.items():
                        if name in self._layers:
                            self._pending.setdefault(name, []).append(records)
            changed = None if chain is None or not self._results else changed_fields(chain)
            self._results = carried_results(self._results, self._version, version, changed,
                                            partial(patched_result, chain))
            self._version = version
            self._derived = {}
        return version

    def _chain(self, since: str, current: str) -> list[RowChange] | None:
        """The row changes from ``since`` to ``current`` (:meth:`row_changes`); call it holding the lock."""
        chain: list[RowChange] = []
        at = since
        for change in self._row_changes:
            if change.before == at:
                chain.append(change)
                at = change.after
        return chain if at == current else None

    def note_rows(self, change: RowChange) -> None:
        """Remember a change written row by row (the application calls this under the park's write lock, so
        changes are noted in the order they were written)."""
        with self._lock:
            self._row_changes.append(change)

    def rows_written(self, before: str, after: str, layers: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]]) -> None:
        """:meth:`note_rows` as ``layers.audit.commit`` tells it (its ``on_rows``)."""
        self.note_rows(RowChange(before, after, layers))

    def row_changes(self, since: str) -> list[RowChange] | None:
        """The row changes that lead from store version ``since`` to the current one, oldest first; ``[]`` when
        nothing changed, ``None`` when the way is not known (a whole-layer save, another process's write, or
        too long ago): then whatever was made at ``since`` must be made again."""
        current = self.version()
        with self._lock:
            return self._chain(since, current)

    @property
    def ever_read(self) -> bool:
        """Whether this service has read the park (a park that goes missing after is unavailable, not new)."""
        return self._version is not None

    def version(self) -> str:
        """The store's current version (for HTTP validators such as tile ETags)."""
        with self._lock:
            return self._sync()

    def layer(self, name: str) -> pd.DataFrame:
        """The validated layer (shared: callers must not modify it in place).

        :class:`ParkUnavailable` when the park or the layer cannot be read or no longer
        validates (changed outside ParkAtlas while the server runs).
        """
        with self._lock:
            self._sync()
            if name in self._layers:
                return self._kept_layer(name)
        # Read outside the service's lock, one read per layer at a time: a large layer takes seconds, and the
        # requests asking for something else meanwhile (a version, kept fields, a kept result) need not wait.
        with self._flights.one(("layer", name)):
            with self._lock:
                version = self._sync()
                if name in self._layers:  # read by the request this one waited for
                    return self._kept_layer(name)
            with _unavailable_when_damaged(name):
                frame = self.store.load(name)
            with self._lock:
                if self._sync() != version:  # written meanwhile: this read is handed out, not kept
                    return frame
                self._layers[name] = frame
                return frame

    def _kept_layer(self, name: str) -> pd.DataFrame:
        """The kept layer ``name`` with the records written since patched in; call it holding the lock."""
        if name in self._pending:
            records = pd.concat(self._pending.pop(name), ignore_index=True)
            self._layers[name] = patch_records(self._layers[name], records, get_layer(name).id_field)
        return self._layers[name]

    def _row_store(self):
        """The store's in-place record reader when it has one, else None. Whether the park holds the layer is not
        asked first (a round trip to a database on every record page): the reader reads a layer the park lacks as
        empty and typed, as :meth:`layer` does, and fails on a damaged park as the layer's load does."""
        return self.store.capabilities.rows

    def records(self, name: str, ids) -> pd.DataFrame:
        """The records ``ids`` of layer ``name`` as they are now: read by id where the store can (the cost of
        the records, not of the layer), else from the cached layer."""
        rows = self._row_store()
        if rows is None:
            frame = self.layer(name)
            return frame[frame[get_layer(name).id_field].isin(list(ids)).fillna(False).to_numpy(dtype=bool)]
        with _unavailable_when_damaged(name):
            return rows.read_rows(name, list(ids))

    def ids_present(self, name: str, ids) -> set[str]:
        """Which of ``ids`` layer ``name`` holds (retired records too): looked up by id where the store can."""
        rows = self._row_store()
        if rows is None:
            return set(self.layer(name)[get_layer(name).id_field].dropna().astype(str)) & {str(i) for i in ids}
        with _unavailable_when_damaged(name):
            return rows.ids_present(name, [str(i) for i in ids])

    def events(self, *, records=(), change_ids=()) -> pd.DataFrame:
        """The audit events of ``records`` ((layer, id) pairs) or of the changes ``change_ids``, in log order:
        looked up by the store where it can, else filtered from the cached log."""
        rows = self._row_store()
        if rows is not None:
            with _unavailable_when_damaged(AUDIT_LAYER):
                return rows.read_events(records=list(records), change_ids=list(change_ids))
        log = self.layer(AUDIT_LAYER)
        keys = log["layer"].astype(str) + "\x1f" + log["record_id"].astype(str)
        wanted = keys.isin([f"{layer}\x1f{record_id}" for layer, record_id in records]) | log["change_id"].isin(
            list(change_ids))
        return log[wanted.fillna(False).to_numpy(dtype=bool)].sort_values("seq", kind="stable")

    def fields(self, name: str, fields: Sequence[str]) -> pd.DataFrame:
        """Fields ``fields`` of every record of layer ``name`` (retired ones too), without geometry: the loaded
        layer's when it is loaded, else read alone where the store can and kept per version field by field (a
        large park's first page need not load its layers whole), else the layer's."""
        fields = list(dict.fromkeys(fields))
        reader = self.store.capabilities.fields
        with self._lock:
            version = self._sync()
            loaded = name in self._layers
            kept = {f: self._derived[("field", name, f)] for f in fields if ("field", name, f) in self._derived}
        if loaded or reader is None:
            return self.layer(name)[fields]
        missing = [f for f in fields if f not in kept]
        if missing:
            with _unavailable_when_damaged(name):
                read = reader.load_fields(name, missing)
            if read is None:  # not trusted, or short of a field: the layer's own read validates it
                return self.layer(name)[fields]
            with self._lock:
                current = self._sync() == version
                if current:
                    for f in missing:
                        self._derived[("field", name, f)] = kept[f] = read[f]
            if not current:  # written meanwhile: all the fields read again, not two versions' columns mixed
                with _unavailable_when_damaged(name):
                    read = reader.load_fields(name, fields)
                return read if read is not None else self.layer(name)[fields]
        return pd.DataFrame({f: kept[f] for f in fields})

    def extent(self, name: str, **values: str | None) -> tuple[float, float, float, float] | None:
        """The box ``(minx, miny, maxx, maxy)`` in the working CRS of the records of layer ``name`` whose fields
        have ``values`` (``None``: empty), once per version; None when no record does. From the store's spatial
        index where it can (no geometry loaded; its boxes may be rounded outwards by under a metre), else from
        the layer."""
        reader = self.store.capabilities.fields

        def compute() -> tuple[float, float, float, float] | None:
            with self._lock:
                loaded = name in self._layers
            if reader is not None and not loaded:
                with _unavailable_when_damaged(name):
                    box = reader.extent(name, where=values)
                if box is not None:
                    return box
            frame = self.layer(name)
            keep = with_values(frame, values)
            box = frame[keep].total_bounds if isinstance(frame, gpd.GeoDataFrame) and keep.any() else None
            return None if box is None or not np.all(np.isfinite(box)) else tuple(float(v) for v in box)

        return self.derived(("extent", name, tuple(sorted(values.items()))), compute)

    def layers(self, names) -> dict[str, pd.DataFrame]:
        """The validated layers ``names`` by name."""
        return {name: self.layer(name) for name in names}

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A result computed from this version of the park (not from the day or the rules), once per version.

        ``key`` must name everything besides the park that the result depends on. The
        computation runs outside the lock; two concurrent first requests may both
        compute, and either result is the same.
        """
        with self._lock:
            version = self._sync()
            if key in self._derived:
                return self._derived[key]
        value = compute()
        with self._lock:
            if self._sync() == version:
                self._derived[key] = value
        return value

    def pairs_among(self) -> Callable[[np.ndarray, np.ndarray], pd.DataFrame] | None:
        """The building–parcel overlay of any day's parcels and buildings (``pairs(parcel_rows, building_rows)``,
        masks over the layers), taken from one overlay of all their records kept per version: the analyses of
        several days (a year's report judges three year ends) overlay the park once. None without both layers."""
        parcels, buildings = self.layer("parcels"), self.layer("buildings")
        if not (isinstance(parcels, gpd.GeoDataFrame) and isinstance(buildings, gpd.GeoDataFrame)):
            return None
        return partial(pairs_among, self.derived("overlay", lambda: overlay(parcels, buildings)))

    def layer_states(self) -> dict[str, str]:
        """Each registry layer's state (``geo.judged``): holds records in force, empty, or absent from the park."""
        def states() -> dict[str, str]:
            with _unavailable_when_damaged():
                present = self.store.layer_names()
            # Counted on the one field held_now reads (:meth:`fields`: no layer loaded whole — the overview shown
            # with filed figures after a restart read every layer for this alone, 1.7 s at 10⁵ parcels), and
            # counted, not filtered (a filtered copy of every layer only to count it cost a large park 0.4 s).
            return layer_states({name: int(held_now(self.fields(name, [HELD_NOW_FIELD])).sum()) for name in REGISTRY},
                                present)

        return self.derived("layer_states", states)

    def meta(self) -> dict:
        with self._lock:
            self._sync()
            if self._meta is None:
                with _unavailable_when_damaged():
                    self._meta = self.store.read_meta()
            return self._meta

    # -- the day and the rules -----------------------------------------------------------------------------

    def day(self, asked: str | dt.date | None = None, *, name: str = "as_of") -> dt.date:
        """THE day judged: ``asked`` (text ``YYYY-MM-DD`` or a date, checked against :attr:`days`), else the
        park's reference date, else today. ``service.day.DayError`` (bilingual) for a bad day."""
        return day_to_judge(parse_day(asked, name=name, within=self.days), self.meta().get("reference_date"))

    def rules(self) -> RulesInForce:
        """THE rules in force: every family with the park's overrides, those it keeps itself (its metadata's
        ``rules``) and the files beside a GeoPackage (``layers.rules.RulesError`` when one does not validate)."""
        return rules_in_force(self.park_path, self.meta().get("rules"))

    def rules_version(self) -> str:
        """What the rules in force depend on (cheap: no rules are loaded)."""
        return rules_version(self.park_path, self.meta().get("rules"))

    def rules_overrides(self) -> dict[str, tuple[str, ...]]:
        """The rule families the park overrides and by what (a file, "park" for its own); others are defaults."""
        return rules_overrides(self.park_path, self.meta().get("rules"))

    # -- results ---------------------------------------------------------------------------------------

    def _result(self, key: tuple, compute: Callable[[], T], run: Runner | None) -> T:
        """``compute()`` once per store version, rules version and ``key`` (its first item names the kind of
        result: each kind keeps its own most recent ones); concurrent askers wait for one run."""
        full = (self.version(), self.rules_version(), *key)
        with self._flights.one(full):
            with self._lock:
                kept = self._results.setdefault(key[0], OrderedDict())
                value = kept.get(full, _NOT_KEPT)
                if value is not _NOT_KEPT:
                    kept.move_to_end(full)
            if value is not _NOT_KEPT:
                self._file(full, value)  # (carried over a row change: filed under the new version once)
                return value
            value = self._stored(full)
            if value is None:
                value = (run or _direct)(compute)
                if self._keep(full, value) and self.rules_version() == full[1]:
                    self._file(full, value)
            else:
                self._keep(full, value)
        return value

    def _keep(self, full: tuple, value: object) -> bool:
        """Keep ``value`` in memory under ``full`` unless the store moved on meanwhile; whether it was kept."""
        with self._lock:
            if self._sync() != full[0]:
                return False
            kept = self._results.setdefault(full[2], OrderedDict())
            kept[full] = value
            while len(kept) > self._results_kept:
                kept.popitem(last=False)
        return True

    def _kept(self, key: tuple) -> object | None:
        """The result ``key`` when it is kept for the current store and rules versions (in memory, or filed: see
        :meth:`_stored`), else None (nothing runs)."""
        full = (self.version(), self.rules_version(), *key)
        with self._lock:
            value = self._results.get(key[0], {}).get(full)
        if value is not None:
            self._file(full, value)
            return value
        value = self._stored(full)
        if value is not None:
            self._keep(full, value)
        return value

    def _stored_key(self, full: tuple) -> str | None:
        """The key result ``full`` is filed under (None when it is of a kind not filed, or no file is set): its
        kind, the store and rules versions, its arguments and the digest of the code that computes it."""
        if self.results_file is None or full[2] not in STORED_RESULTS:
            return None
        version, rules, kind, *args = full
        try:
            return result_key((kind, version, rules, *args, code_digest(*RESULT_CODE)))
        except NotStorable:  # (an argument the key cannot hold exactly: the result is kept in memory only)
            return None

    def _stored(self, full: tuple) -> object | None:
        """The filed result ``full`` when the results file holds it under exactly its key and it has the shape of
        its kind; else None (then it is computed)."""
        stored_key = self._stored_key(full)
        value = None if stored_key is None else self.results_file.get(stored_key)
        if value is None or not STORED_RESULTS[full[2]](value):
            return None
        with self._lock:
            self._filed.append(full)
        return value

    def _file(self, full: tuple, value: object) -> None:
        """File result ``full`` in the results file, once per process (a failed write is logged and not tried
        again: the result stays kept in memory)."""
        if self.results_file is None or full[2] not in STORED_RESULTS:
            return
        with self._lock:  # (asked on every kept read: the key is made only for a result not filed yet)
            if full in self._filed:
                return
            self._filed.append(full)
        stored_key = self._stored_key(full)
        if stored_key is not None:
            self.results_file.put(stored_key, value)

    def summary_kept(self, day: dt.date) -> dict[str, dict] | None:
        """The KPI figures on ``day`` when kept already, else None (nothing runs: ``service.background``)."""
        return self._kept(("summary", day))

    def land_kept(self, day: dt.date) -> LandAnalysis | None:
        """The land analysis on ``day`` (readiness included) when kept already, else None (nothing runs)."""
        return self._kept(("land", day))

    def infrastructure_kept(self, day: dt.date | None, template: str | None = None,
                            include_planned: bool = False) -> dict | None:
        """The infrastructure analysis (:meth:`infrastructure`) when kept already, else None (nothing runs)."""
        return self._kept(("infrastructure", day, template, include_planned))

    def sites_kept(self, day: dt.date) -> dict | None:
        """What the investor searches on ``day`` rest on (:meth:`sites`) when kept already, else None."""
        return self._kept(("sites", day))

    def land(self, day: dt.date, *, run: Runner | None = None, readiness: bool = True) -> LandAnalysis:
        """The land analysis on ``day`` under the rules in force, readiness columns included.

        ``readiness=False`` is for readers of the land figures only (the year's report): the
        analysis without the readiness columns, which cost about half of a large park's
        analysis; the full one when it is kept already (its other columns are the same).
        """
        if not readiness:
            kept = self._kept(("land", day))
            if kept is not None:
                return kept

        def compute() -> LandAnalysis:
            rules = self.rules()
            return analyse_land(self.layers(LAND_LAYERS), as_of=day, rules=rules.land,
                                infra_rules=rules.infrastructure if readiness else None, pairs=self.pairs_among(),
                                ready=self.readiness_flags(day) if readiness else None,
                                status_rules=rules.evaluation.status)

        # Both kinds share the land analyses' budget of kept results (each is hundreds of MB on a large park).
        return self._result(("land", day) if readiness else ("land", day, "without readiness"), compute, run)

    def readiness_flags(self, day: dt.date) -> pd.DataFrame:
        """The readiness flags of the parcels in force on ``day`` under the rules in force, which the land analysis
        takes (``geo.analysis.readiness_flags``): kept apart from it, so a change they do not read (a parcel's price
        or dates: :data:`RESULT_UNREAD_FIELDS`) has the land analysis computed again without them (at 10⁵ parcels
        they are four fifths of it)."""
        def compute() -> pd.DataFrame:
            return readiness_flags(self.layers(READINESS_LAYERS), as_of=day, infra_rules=self.rules().infrastructure)

        return self._result(("readiness", day), compute, None)

    def conflict_counts(self, day: dt.date) -> dict[str, int]:
        """The overview's clearance conflict counts on ``day`` under the rules in force
        (``geo.infrastructure_summary.park_conflict_counts``): kept apart from the figures, so a change of neither
        pipelines nor what the conflicts read of buildings does not count them again (at 10⁵ parcels they are
        two thirds of the figures after the land analysis)."""
        def compute() -> dict[str, int]:
            return park_conflict_counts(self.layers(CLEARANCE_LAYERS), as_of=day, rules=self.rules().infrastructure)

        return self._result(("conflicts", day), compute, None)

    def summary(self, day: dt.date, *, run: Runner | None = None) -> dict[str, dict]:
        """The KPI figures on ``day``, built from :meth:`land` of the same day (so every page agrees)."""
        def compute() -> dict[str, dict]:
            rules = self.rules()
            return park_summary(self.layers(SUMMARY_LAYERS), as_of=day, rules=rules.land,
                                infra_rules=rules.infrastructure, land=self.land(day),
                                conflicts=self.conflict_counts(day), evaluation_rules=rules.evaluation)

        return self._result(("summary", day), compute, run)

    def report(self, year: int, *, run: Runner | None = None) -> YearReport:
        """The year's report: its figures beside the year before's (both ends judged by :meth:`land` on
        31 December), the national evaluation of the year, and what the park lacks the layers to judge."""
        def compute() -> YearReport:
            rules = self.rules()
            lacking = tuple(not_judged(self.layer_states(), ANNUAL_TOPICS))
            judgeable = set(ANNUAL_TOPICS) - {item.topic.key for item in lacking}
            layers = self.layers(REPORT_LAYERS)
            ends = {y: self.land(year_end(y), readiness=False) for y in (year, year - 1, year - 2)}
            current = year_figures(layers, year, end=ends[year], start=ends[year - 1], judgeable=judgeable)
            previous = year_figures(layers, year - 1, end=ends[year - 1], start=ends[year - 2], judgeable=judgeable)
            evaluation = evaluate_land_use(layers, year=year, rules=rules.evaluation, land_rules=rules.land,
                                           idle=ends[year].parcels, pairs=self.pairs_among())
            return YearReport(year, current, previous, evaluation, lacking, self.changes(year))

        return self._result(("report", year), compute, run)

    def changes(self, year: int, *, run: Runner | None = None) -> gpd.GeoDataFrame:
        """What changed on the ground in ``year`` (``geo.year_changes``), its ends judged by :meth:`land`."""
        def compute() -> gpd.GeoDataFrame:
            layers = {**self.layers(REPORT_LAYERS), AUDIT_LAYER: self.layer(AUDIT_LAYER)}
            return year_changes(layers, year, end=self.land(year_end(year), readiness=False),
                                start=self.land(year_end(year - 1), readiness=False))

        return self._result(("changes", year), compute, run)

    def history_years(self) -> tuple[int, int]:
        """The first year the park's records tell of and THE day's year (the overview's history slider)."""
        first = self.derived("history_first_year", lambda: first_year(
            {name: self.fields(name, history_fields(name)) for name in HISTORY_LAYERS}))
        last = self.day().year
        return min(first or last, last), last

    def infrastructure(self, day: dt.date | None, *, template: str | None = None, include_planned: bool = False,
                       run: Runner | None = None) -> dict:
        """The infrastructure analysis on ``day`` (``None``: the records held now) under the rules in force."""
        def compute() -> dict:
            rules = self.rules()
            return infrastructure_analysis(self.layers(INFRASTRUCTURE_LAYERS), rules=rules.infrastructure,
                                           as_of=day, template=template, include_planned=include_planned,
                                           supplied_date=rules.evaluation.status.supplied_date_without_status)

        return self._result(("infrastructure", day, template, include_planned), compute, run)

    def sites(self, day: dt.date, *, run: Runner | None = None) -> dict:
        """What every investor search on ``day`` rests on (``geo.site_search.site_inputs``) under the rules in force."""
        def compute() -> dict:
            rules = self.rules()
            return site_inputs(self.layers(SITE_LAYERS), as_of=day, rules=rules.land,
                               infra_rules=rules.infrastructure, expansion_rules=rules.expansion)

        return self._result(("sites", day), compute, run)

    def plan(self, area: gpd.GeoSeries, options: ScenarioOptions, *, run: PlanRunner | None = None,
             weight_mb: float = 0.0, budget_mb: float = float("inf")) -> ExpansionPlan:
        """The expansion plan of ``area`` with ``options`` on THE day (the park's reference date, else today).

        Cached per park version, rules version, day, area and options; ``weight_mb`` is the
        plan's predicted memory: the oldest plans go while more than :data:`PLANS_KEPT` or
        more than ``budget_mb`` are kept. ``run(compute)`` runs ``compute(checkpoint)``; a
        request that waited for its slot first looks again whether the plan was made meanwhile.
        """
        day = self.day()
        digest = hashlib.sha256(shapely.to_wkb(area.union_all())).hexdigest()
        key = (self.version(), self.rules_version(), day, digest, options)
        with self._lock:
            if key in self._plans:
                self._plans.move_to_end(key)
                return self._plans[key][0]

        def compute(checkpoint: Callable[[str], None]) -> ExpansionPlan:
            with self._lock:
                if key in self._plans:
                    return self._plans[key][0]
            rules = self.rules()
            made = plan_expansion(area, self.layers(EXPANSION_LAYERS), rules=rules.expansion,
                                  infra_rules=rules.infrastructure, options=options, as_of=day, checkpoint=checkpoint)
            with self._lock:
                self._plans[key] = (made, weight_mb)
                while len(self._plans) > 1 and (len(self._plans) > PLANS_KEPT
                                                or sum(kept[1] for kept in self._plans.values()) > budget_mb):
                    self._plans.popitem(last=False)
            return made

        return (run or (lambda plan: plan(lambda step: None)))(compute)


__all__ = ["INFRASTRUCTURE_LAYERS", "ParkService", "ParkUnavailable", "Runner"]
