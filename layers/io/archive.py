"""The park's import archive: every imported original kept, with its SHA-256.

For a park ``parks/demo.gpkg`` the archive is the folder ``parks/demo.imports/``:
one file per import (a multi-file source such as a Shapefile is kept as one zip
of its files) and ``index.jsonl``, one JSON line per import naming the layer,
mode, time, original name, archived file, size and checksum. Archiving is
two-phase so a failed import leaves nothing behind: :meth:`ImportArchive.stage`
writes a ``.partial`` file, :meth:`StagedArchive.commit` renames it and appends
the index line, :meth:`StagedArchive.discard` removes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from layers.io.uploads import safe_filename

INDEX_NAME = "index.jsonl"
_CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive_folder_for(park_path: str | os.PathLike) -> Path:
    """``x/park.gpkg`` → ``x/park.imports``."""
    path = Path(park_path)
    return path.with_name(path.stem + ".imports")


def default_archive_dir(store, fallback: str | os.PathLike) -> Path | None:
    """None for a park kept in a file (its archive lies beside it), else ``fallback`` (a database park)."""
    return None if store.capabilities.file is not None else Path(fallback)


@dataclass
class StagedArchive:
    """An archived original waiting for the import to succeed."""

    folder: Path
    partial: Path
    final: Path
    entry: dict

    def commit(self) -> dict:
        os.replace(self.partial, self.final)
        with open(self.folder / INDEX_NAME, "a", encoding="utf-8") as index:
            index.write(json.dumps(self.entry, ensure_ascii=False) + "\n")
        return self.entry

    def discard(self) -> None:
        self.partial.unlink(missing_ok=True)


class ImportArchive:
    """The archive folder of one park."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def stage(self, files: list[Path], *, original: Path, layer: str, mode: str,
              when: dt.datetime | None = None) -> StagedArchive:
        """Copy the source (one file as it is, several as one zip) under a ``.partial`` name."""
        when = when or dt.datetime.now(dt.timezone.utc)
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = when.strftime("%Y%m%dT%H%M%S%fZ")
        name = safe_filename(original.name)
        # One file, or a zip as uploaded, is kept byte for byte; loose multi-file sources are zipped.
        if (len(files) == 1 and files[0] == original) or original.suffix.lower() in (".zip", ".kmz"):
            stored_name = f"{stamp}-{layer}-{name}"
            partial = self.folder / (stored_name + ".partial")
            with open(original, "rb") as source, open(partial, "wb") as sink:
                for chunk in iter(lambda: source.read(_CHUNK), b""):
                    sink.write(chunk)
        else:
            stored_name = f"{stamp}-{layer}-{Path(name).stem}.zip"
            partial = self.folder / (stored_name + ".partial")
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                for file in files:
                    bundle.write(file, arcname=file.name)
        entry = {
            "time": when.isoformat(timespec="seconds"),
            "layer": layer,
            "mode": mode,
            "original": original.name,
            "archived": stored_name,
            "bytes": partial.stat().st_size,
            "sha256": sha256_of(partial),
            "members": {file.name: sha256_of(file) for file in files},
        }
        return StagedArchive(self.folder, partial, self.folder / stored_name, entry)

    def entries(self) -> list[dict]:
        """Every import recorded in the index, oldest first."""
        index = self.folder / INDEX_NAME
        if not index.is_file():
            return []
        return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]
