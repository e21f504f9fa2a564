"""Import and export of real GIS data (issue 3).

``import_layer`` reads Shapefile (loose or zipped; GBK or UTF-8), GeoPackage,
GeoJSON, KML/KMZ, DXF and CSV/XLSX (GBK, Big5, UTF-8, UTF-16) into a park layer, safely and all-or-nothing;
``export_layer`` writes a layer as GeoPackage, GeoJSON, zipped Shapefile, KML,
CSV or XLSX. Modules by job: ``read`` (bulk read, fiona fallback), ``encoding`` (and ``hanzi``),
``crs_detect``, ``mapping``, ``normalise``, ``geometry``, ``uploads``,
``archive``, ``write``, ``importer``; ``report`` is what both sides print.
"""

from layers.io.importer import ImportPlan, import_layer
from layers.io.options import ImportChecks, ImportLimits, ImportOptions, TopologyTolerances
from layers.io.report import ImportRejected, ImportReport

__all__ = [
    "ImportChecks",
    "ImportLimits",
    "ImportOptions",
    "ImportPlan",
    "ImportRejected",
    "ImportReport",
    "TopologyTolerances",
    "import_layer",
]
