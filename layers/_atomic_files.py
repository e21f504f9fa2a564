"""Atomic file replacement that survives a power cut (private to ``layers``)."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_and_replace(temporary: Path, final: Path) -> None:
    """Replace ``final`` by the finished ``temporary`` file, both flushed to the disk first."""
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, final)
    # The rename itself must reach the disk too, or a power cut can bring the old file back.
    directory = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
