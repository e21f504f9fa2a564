"""Where the real public GIS files of ``shared/data/real`` are, wherever the checkout sits."""

from pathlib import Path

#: ``shared/`` sits beside the checkout (CI clones ``main`` next to it); this machine also keeps it at /work.
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
if not REAL.is_dir():
    REAL = Path("/work/shared/data/real")
