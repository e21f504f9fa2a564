"""Options of an import and the safety limits that bound it.

The limits are not domain rules (DOMAIN.md sets none for files); they are the
defences an upload needs, each a keyword with a default chosen from what real
park data looks like, overridable per call and, on the server, from the app
configuration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MODES = ("replace", "append", "upsert")


@dataclass(frozen=True)
class ImportLimits:
    """Bounds that keep a hostile or broken file from exhausting the machine.

    Parameters
    ----------
    max_upload_bytes
        Largest file accepted. The default suits a province-wide inventory read
        from disk (10⁶ parcels ≈ 300 MB of GeoPackage); the server passes its
        ``MAX_CONTENT_LENGTH`` instead.
    max_unpacked_bytes
        Largest total a zip may unpack to.
    max_compression_ratio
        Largest uncompressed/compressed ratio of a zip member bigger than
        ``ratio_floor_bytes``; GIS files compress 2–20×, zip bombs 1000× and more.
    ratio_floor_bytes
        Members smaller than this are not ratio-checked (tiny text files compress well).
    max_zip_members
        Most members a zip may list.
    max_vertices_per_feature
        Most vertices one feature may have; a surveyed parcel has tens to
        thousands, a 10⁶-vertex polygon is an attack or an error.
    max_features
        Most records one import may hold (a province-wide inventory is ~10⁶).
    max_columns
        Most columns a CSV or XLSX table may have. Registers have tens to a few
        hundred (a Shapefile at most 255); 10⁶ columns is an attack that costs
        minutes to parse.
    max_table_cells
        Most cells (rows × columns) of a CSV or XLSX table: each is a Python
        string while it is read (≈ 60 bytes), so 3·10⁷ cells ≈ 2 GB.
    max_dxf_entities
        Most entities (vertices of old polylines included) of a DXF drawing,
        counted from the text before it is parsed: ezdxf reads about 10⁴ a
        second, and a park's CAD plan has 10⁴–10⁵.
    max_gtxt_lines
        Most lines of a 国土 TXT, counted before it is parsed: ParkAtlas's own
        reader takes about 30 µs a line (5·10⁵ lines ≈ 15 s); a land approval
        has tens to thousands of plots of tens of points.
    view_rows_min, view_rows_per_mb
        Rows a GeoPackage *view* may compute: at least ``view_rows_min``, else
        ``view_rows_per_mb`` per MB of the file. A stored row takes ≥ 50 bytes,
        so a table cannot hold more than 2·10⁴ rows a MB; a view that computes
        far more from a small file (a recursive one) is an amplification attack,
        like a zip bomb.
    max_sql_steps
        SQLite virtual-machine steps allowed for counting a layer's rows (about
        10⁷ a second): a view that computes forever is stopped.
    """

    max_upload_bytes: int = 2 * 1024**3
    max_unpacked_bytes: int = 4 * 1024**3
    max_compression_ratio: float = 200.0
    ratio_floor_bytes: int = 1024 * 1024
    max_zip_members: int = 2000
    max_vertices_per_feature: int = 200_000
    max_features: int = 5_000_000
    max_columns: int = 2000
    max_table_cells: int = 30_000_000
    max_dxf_entities: int = 300_000
    max_gtxt_lines: int = 500_000
    view_rows_min: int = 10_000
    view_rows_per_mb: int = 20_000
    max_sql_steps: int = 20_000_000

    def view_rows_for(self, file_bytes: int) -> int:
        """The most rows a view of a ``file_bytes``-byte GeoPackage may compute."""
        return min(self.max_features, max(self.view_rows_min, file_bytes * self.view_rows_per_mb // 1024**2))


@dataclass(frozen=True)
class TopologyTolerances:
    """Tolerances for flagging overlaps, slivers and gaps between parcels (data-quality checks).

    Parameters
    ----------
    noise_m2
        Overlaps and gaps smaller than this are digitising noise and not flagged.
    sliver_max_width_m
        A parcel whose mean width (2 · area / perimeter) is below this is a sliver.
    sliver_max_area_m2
        A parcel smaller than this is a sliver whatever its shape.
    gap_max_area_m2
        Holes in the union of parcels up to this size are gaps between
        neighbours; larger holes are unparcelled land (roads, green space).
    """

    noise_m2: float = 1.0
    sliver_max_width_m: float = 1.0
    sliver_max_area_m2: float = 10.0
    gap_max_area_m2: float = 100.0


@dataclass(frozen=True)
class ImportChecks:
    """Judgements about messy files that need a threshold (docs/import.md, "Messy files").

    Parameters
    ----------
    far_km
        Records farther than this from the park — its boundary zone, else the
        extent of its layers — are flagged and imported only when the import is
        confirmed for them (``--accept-far``, the preview's checkbox). The
        largest Chinese development zones span 20–30 km; data 10 km beyond
        everything the park holds is almost always a wrong CRS, a wrong zone or
        another place's file (the failure seen: a file 430 km away imported
        silently, the overview zoomed out to a dot).
    encoding_min_confidence
        Below this probability the choice between GB18030 and Big5 is reported
        as unsure and the preview asks which reading is right; a ``.cpg`` is
        overruled only at or above it. 0.99: one wrong guess in a hundred is
        as often as people should be asked.
    collapsed_part_m
        A line part shorter than this (a polygon part with less area than its
        square) after transformation into the working CRS is dropped with a
        notice: 1 µm is far below any survey's precision and far above the
        rounding of a reprojection (about 10⁻⁹ m at GK coordinates).
    """

    far_km: float = 10.0
    encoding_min_confidence: float = 0.99
    collapsed_part_m: float = 1e-6

    @classmethod
    def from_config(cls, config) -> ImportChecks:
        """The checks an application configures (``IMPORT_FAR_KM``, ``IMPORT_ENCODING_MIN_CONFIDENCE``)."""
        defaults = cls()
        return cls(far_km=float(config.get("IMPORT_FAR_KM", defaults.far_km)),
                   encoding_min_confidence=float(config.get("IMPORT_ENCODING_MIN_CONFIDENCE",
                                                            defaults.encoding_min_confidence)))

    def __post_init__(self):
        if not self.far_km > 0:
            msg = f"far_km must be a positive distance in km, got {self.far_km!r}"
            raise ValueError(msg)
        if not 0.5 <= self.encoding_min_confidence <= 1:
            msg = f"encoding_min_confidence must be between 0.5 and 1, got {self.encoding_min_confidence!r}"
            raise ValueError(msg)


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for (CLI flags, upload form).

    Parameters
    ----------
    crs
        Source CRS overriding what the file says: EPSG code, WKT, PROJ string,
        ``gcj02`` or ``bd09``.
    encoding
        Text encoding overriding ``.cpg`` and detection.
    mapping_path
        YAML mapping file (source fields → layer fields, values, defaults, units).
    mapping_name
        A mapping saved in the park under this name (:mod:`layers.saved_mappings`),
        instead of a file.
    mode
        ``replace`` (the file is the layer; absent records are retired),
        ``append`` (new records only) or ``upsert`` (update by id, add new).
    dry_run
        Check and report, write nothing.
    source_layer
        Layer of a multi-layer source (GeoPackage, KML folders are merged, zip of Shapefiles).
    accept_damaged
        Import the readable records of a damaged file (the bad ones are still
        listed); without it a damaged file is rejected.
    park_name
        Name for a park created by this import.
    id_field
        The source field that holds the records' ids, chosen by the user
        (``--id-field``, the preview's choice); ``AUTO`` generates ids even
        when the source has a column that looks like one.
    accept_far
        Import records that lie far from the park (:attr:`ImportChecks.far_km`);
        without it they reject the import.
    ask_far
        The web preview: records far from the park are flagged for the
        confirmation (its checkbox) instead of rejecting the preview.
    today
        The date written to history fields (tests fix it).
    valid_from
        Since when the file's records were true in the world, for those whose own dates do
        not say (``data/valid_time.yaml``) and that have no ``valid_from`` of their own;
        ``None``: unknown, i.e. always (docs/valid-time.md).
    profile_values
        How many distinct values of each source field the report profiles for
        the web's mapping step (0: none; the command line needs none).
    """

    crs: str | None = None
    encoding: str | None = None
    mapping_path: str | None = None
    mapping_name: str | None = None
    mode: str = "replace"
    dry_run: bool = False
    source_layer: str | None = None
    accept_damaged: bool = False
    park_name: str | None = None
    id_field: str | None = None
    accept_far: bool = False
    ask_far: bool = False
    today: dt.date | None = None
    valid_from: dt.date | None = None
    limits: ImportLimits = ImportLimits()
    topology: TopologyTolerances = TopologyTolerances()
    checks: ImportChecks = ImportChecks()
    profile_values: int = 0

    def __post_init__(self):
        if self.mode not in MODES:
            msg = f"mode must be one of {', '.join(MODES)}, got {self.mode!r}"
            raise ValueError(msg)
        if self.valid_from is not None and not isinstance(self.valid_from, dt.date):
            msg = f"valid_from must be a date (YYYY-MM-DD), got {self.valid_from!r}"
            raise ValueError(msg)

    @property
    def date(self) -> dt.date:
        return self.today or dt.date.today()
