"""The real desktop clients from Debian packages: GDAL's command-line tools and QGIS's Python bindings.

They are installed by ``make clients`` (part of ``make test``). A test that needs one
fails with a message saying what is missing and how to install it; it is never skipped.
QGIS runs under Debian's Python (``/usr/bin/python3``, not the virtualenv) with the
``offscreen`` Qt platform, as a subprocess running ``tests/qgis_probe.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "tests" / "qgis_probe.py"
#: Debian's interpreter: QGIS's bindings (python3-qgis) are installed for it only.
QGIS_PYTHON = "/usr/bin/python3"
#: GDAL's GeoPackage validator, shipped by Debian's python3-gdal (a dependency of gdal-bin).
VALIDATE_GPKG = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
INSTALL_HINT = "install them with 'make clients' (Debian packages gdal-bin and python3-qgis)"
#: A probe that takes longer than this is stuck (QGIS waiting on something headless cannot give).
PROBE_TIMEOUT_S = 240


def require_gdal_tools() -> dict[str, str]:
    """Paths of ``ogrinfo`` and GDAL's validator; the test fails naming what is missing otherwise."""
    ogrinfo = shutil.which("ogrinfo")
    missing = [name for name, found in (("ogrinfo (gdal-bin)", ogrinfo),
                                       ("validate_gpkg.py (python3-gdal)", Path(VALIDATE_GPKG).is_file())) if not found]
    if missing:
        pytest.fail(f"GDAL's tools are missing: {', '.join(missing)}; {INSTALL_HINT}", pytrace=False)
    return {"ogrinfo": ogrinfo, "validate_gpkg": VALIDATE_GPKG}


def require_qgis() -> None:
    """Fail the test, saying how to install them, when QGIS's Python bindings cannot be imported."""
    if not Path(QGIS_PYTHON).is_file():
        pytest.fail(f"{QGIS_PYTHON} is missing: QGIS's bindings run under Debian's Python; {INSTALL_HINT}",
                    pytrace=False)
    found = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        pytest.fail(f"QGIS's Python bindings cannot be imported by {QGIS_PYTHON} "
                    f"({found.stderr.strip().splitlines()[-1] if found.stderr.strip() else 'no output'}); "
                    f"{INSTALL_HINT}", pytrace=False)


def qgis_environment(tmp_path: Path) -> dict[str, str]:
    """Headless Qt, and a QGIS profile and runtime folder of the test's own (nothing of the user's is read)."""
    runtime = tmp_path / "qgis-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(runtime), HOME=str(tmp_path / "qgis-home"),
               QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "qgis-profile"))
    return env


def run_probe(tmp_path: Path, command: str, *args: str) -> dict:
    """What ``tests/qgis_probe.py COMMAND ARGS`` reports, run by QGIS headless."""
    require_qgis()
    done = subprocess.run([QGIS_PYTHON, str(PROBE), command, *map(str, args)], capture_output=True, text=True,
                          env=qgis_environment(tmp_path), timeout=PROBE_TIMEOUT_S, check=False)
    marker = next((line for line in done.stdout.splitlines() if line.startswith("PROBE-JSON ")), None)
    if done.returncode != 0 or marker is None:
        pytest.fail(f"QGIS probe {command} {' '.join(map(str, args))} failed (exit {done.returncode}):\n"
                    f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(marker.removeprefix("PROBE-JSON "))


def ogrinfo(*args: str) -> subprocess.CompletedProcess:
    """``ogrinfo ARGS`` (Debian's GDAL), its output as text."""
    tools = require_gdal_tools()
    return subprocess.run([tools["ogrinfo"], *args], capture_output=True, text=True, check=False, timeout=120)


def validate_gpkg(path: Path) -> subprocess.CompletedProcess:
    """GDAL's ``validate_gpkg.py`` on ``path`` (exit 0 and no output when the file is valid)."""
    tools = require_gdal_tools()
    return subprocess.run([QGIS_PYTHON, tools["validate_gpkg"], str(path)], capture_output=True, text=True,
                          check=False, timeout=120)
