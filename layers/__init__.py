"""Layers: the registry, the park stores and reading and writing GIS files.

Importing this package limits GDAL to the drivers ParkAtlas uses and cuts it off
the network (:mod:`layers.gdal_guard`) before any of its modules opens a file.
"""

from layers.gdal_guard import restrict_gdal

restrict_gdal()
