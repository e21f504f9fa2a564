"""The real desktop clients (GDAL, QGIS, OWSLib) against the app on a loopback port.

* :func:`require` fails a test with the Debian package to install when a client's
  binary is missing: these tests stand for a feature, so they never skip
  (``make test`` and CI install ``gdal-bin`` and ``python3-qgis``).
* :func:`typed_frames` is the tiny park with a value in every field of the first
  record of each layer: QGIS 3.22 types the fields of an OAPIF layer from its first
  10 features (a field null in all of them comes as text), so this is the park on
  which every field's type can be checked end to end.
* :func:`park_server` serves a park (optionally with sign-in and a viewer account).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from auth_helpers import PASSWORD, auth_config, make_account
from browser_helpers import serve
from conftest import TINY_META, tiny_frames

from layers.registry import REGISTRY
from layers.schema import SOURCE_ATTRIBUTES
from layers.store import GeoPackageStore

#: Where each client comes from (the message of a missing one names the package).
PACKAGES = {"ogrinfo": "gdal-bin", "ogr2ogr": "gdal-bin", "/usr/bin/python3 -c 'import qgis.core'": "python3-qgis"}
DEBIAN_PYTHON = "/usr/bin/python3"
TESTS = Path(__file__).resolve().parent
VIEWER = "viewer1"


def require(binary: str) -> str:
    """The path of ``binary``; the test fails (never skips) naming the Debian package when it is missing."""
    found = shutil.which(binary)
    assert found, (f"{binary} is not installed: the client tests need Debian's {PACKAGES.get(binary, binary)} "
                   f"(sudo apt-get install {PACKAGES.get(binary, binary)}; make test and CI install it)")
    return found


def require_qgis() -> str:
    """Debian's python3 with QGIS's bindings; fails naming ``python3-qgis`` when they are missing."""
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True)
    assert probe.returncode == 0, ("QGIS's Python bindings are not installed: the QGIS client tests need Debian's "
                                   "python3-qgis (sudo apt-get install python3-qgis; make test and CI install it)\n"
                                   + probe.stderr[-500:])
    return DEBIAN_PYTHON


def sample_value(spec_field):
    """A valid value of ``spec_field`` (its first code, a number within its bounds, a day, true, text)."""
    if spec_field.kind == "code":
        return spec_field.allowed_values[0]
    if spec_field.kind in ("int", "float"):
        low = spec_field.min_value if spec_field.min_value is not None else 0
        high = spec_field.max_value if spec_field.max_value is not None else low + 100
        value = low + (high - low) / 2
        return int(value) if spec_field.kind == "int" else float(value)
    if spec_field.kind == "bool":
        return True
    if spec_field.kind == "date":
        return pd.Timestamp("2020-01-01")
    if spec_field.name == SOURCE_ATTRIBUTES:  # a source field kept as it came (its document: types and values)
        return '{"types":{"备注":"text"},"values":{"备注":"x"}}'
    return "x"


def typed_frames() -> dict[str, pd.DataFrame]:
    """The tiny park with every empty field of each layer's first record filled with a valid value."""
    frames = tiny_frames()
    for name, frame in frames.items():
        spec = REGISTRY[name]
        for spec_field in spec.fields:
            if spec_field.name in ("retired_on", "previously_part_of", "land_use_original", "land_use_original_std"):
                continue  # a retired record or a lineage would change what the park is; these stay empty
            if spec_field.name not in frame.columns:
                frame[spec_field.name] = pd.Series([None] * len(frame), dtype=object)
            if pd.isna(frame.at[frame.index[0], spec_field.name]):
                column = frame[spec_field.name].astype(object)
                column.iloc[0] = sample_value(spec_field)
                frame[spec_field.name] = column
    return frames


def write_park(path: Path, frames: dict[str, pd.DataFrame] | None = None) -> GeoPackageStore:
    store = GeoPackageStore(path)
    store.save_park(frames if frames is not None else tiny_frames(), TINY_META)
    return store


@contextlib.contextmanager
def park_server(park_path: Path, tmp_path: Path, *, sign_in: bool = False, **config) -> Iterator[tuple[str, object]]:
    """The app serving ``park_path`` on a loopback port: (base URL, app). With ``sign_in`` accounts are on and
    a viewer ``viewer1`` (password :data:`auth_helpers.PASSWORD`) exists."""
    from app import create_app

    settings = auth_config(park_path, tmp_path / "accounts.sqlite", **config) if sign_in else {
        "TESTING": True, "PARK_PATH": str(park_path), "SECRET_KEY": "test", **config}
    app = create_app(settings)
    if sign_in:
        make_account(app, VIEWER, "viewer")
    with serve(app) as base_url:
        yield base_url, app


def run(command: list[str], *, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a client; its output is in the assertion message when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, (f"{' '.join(command)} failed ({done.returncode}):\n"
                                  f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def credentials() -> tuple[str, str]:
    return VIEWER, PASSWORD
