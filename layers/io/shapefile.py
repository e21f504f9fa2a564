"""Shapefile sanity checks made from the files' own headers, before GDAL reads them.

GDAL is forgiving: a truncated ``.shp`` reads with missing geometries, a short
``.dbf`` silently loses its last records (with Arrow). These checks find such
damage first and name the records it affects, so the report can be precise:
``.shp``/``.shx``/``.dbf`` present, magic numbers right, record counts equal,
file lengths as declared.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Big-endian file code at the start of .shp and .shx.
SHP_MAGIC = 9994
SHP_HEADER_BYTES = 100
SHX_RECORD_BYTES = 8
#: dBASE versions GDAL and ArcGIS write (III, III with memo, FoxPro, Visual FoxPro, dBASE IV/7).
DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x43, 0x63, 0x83, 0x8B, 0x8E, 0xCB, 0xF5, 0xFB}
DBF_FIELD_TERMINATOR = 0x0D


@dataclass(frozen=True)
class DbfField:
    name_bytes: bytes
    kind: str
    offset: int
    length: int


@dataclass
class DbfLayout:
    """The parts of a ``.dbf`` header the checks and the encoding detection need."""

    path: Path
    n_records: int
    header_bytes: int
    record_bytes: int
    fields: list[DbfField]
    records_present: int

    def text_columns(self) -> list[tuple[DbfField, np.ndarray]]:
        """Raw bytes of every character field, one array row per record present."""
        with open(self.path, "rb") as handle:
            handle.seek(self.header_bytes)
            data = handle.read(self.records_present * self.record_bytes)
        n = len(data) // self.record_bytes if self.record_bytes else 0
        table = np.frombuffer(data[: n * self.record_bytes], dtype=np.uint8).reshape(n, self.record_bytes)
        return [(f, table[:, f.offset: f.offset + f.length]) for f in self.fields if f.kind == "C"]


@dataclass
class ShapefileCheck:
    """What the header checks found: hard errors, and records that cannot be read whole."""

    errors: list[str] = field(default_factory=list)
    damaged_records: dict[int, str] = field(default_factory=dict)  # 0-based record → reason
    n_shapes: int | None = None
    dbf: DbfLayout | None = None


def sidecar(shp: Path, extension: str) -> Path | None:
    """The file beside ``shp`` with ``extension`` (any letter case), or None."""
    for candidate in shp.parent.iterdir():
        if candidate.stem == shp.stem and candidate.suffix.lower() == extension:
            return candidate
    return None


def read_dbf_layout(path: Path) -> DbfLayout:
    """Parse a ``.dbf`` header; ``ValueError`` with the reason when it is not one."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(32)
        if len(head) < 32 or head[0] not in DBF_VERSIONS:
            msg = f"{path.name} is not a dBASE file (version byte {head[:1].hex() or 'missing'})"
            raise ValueError(msg)
        n_records, header_bytes, record_bytes = struct.unpack("<IHH", head[4:12])
        descriptors = handle.read(max(header_bytes - 32, 0))
    fields = []
    offset = 1  # byte 0 of every record is the deletion flag
    for start in range(0, len(descriptors) - 31, 32):
        chunk = descriptors[start: start + 32]
        if chunk[0] == DBF_FIELD_TERMINATOR:
            break
        length = chunk[16]
        fields.append(DbfField(chunk[:11].split(b"\x00")[0], chr(chunk[11]), offset, length))
        offset += length
    if header_bytes < 33 or record_bytes < 1 or offset > record_bytes:
        msg = f"{path.name} has an inconsistent header (header {header_bytes} B, record {record_bytes} B)"
        raise ValueError(msg)
    present = max(0, min(n_records, (size - header_bytes) // record_bytes))
    return DbfLayout(path, n_records, header_bytes, record_bytes, fields, present)


def with_field_names(dbf: Path, names: list[bytes], copy: Path) -> None:
    """Write ``copy``: the ``.dbf`` ``dbf`` with its field names replaced by ``names`` (one per field, in order, at
    most 10 bytes each); nothing else changes."""
    data = bytearray(dbf.read_bytes())
    for i, name in enumerate(names):
        start = 32 + 32 * i
        data[start: start + 11] = name[:10].ljust(11, b"\x00")
    copy.write_bytes(bytes(data))


def check_shapefile(shp: Path) -> ShapefileCheck:
    """Check the ``.shp``/``.shx``/``.dbf`` trio behind ``shp``.

    Errors are reasons to reject the file outright (wrong magic, missing
    ``.dbf``/``.shx``, record counts that disagree). Damaged records are those
    the files declare but do not hold whole: their numbers are reported and the
    rest can still be read.
    """
    check = ShapefileCheck()
    dbf_path, shx_path = sidecar(shp, ".dbf"), sidecar(shp, ".shx")
    if dbf_path is None:
        check.errors.append(
            f"{shp.name} has no {shp.stem}.dbf beside it: a Shapefile needs .shp, .shx and .dbf "
            "(the .dbf holds every attribute); send all of its files, e.g. zipped together"
        )
    if shx_path is None:
        check.errors.append(
            f"{shp.name} has no {shp.stem}.shx (the record index) beside it; send all of the Shapefile's files"
        )
    size = shp.stat().st_size
    with open(shp, "rb") as handle:
        header = handle.read(SHP_HEADER_BYTES)
    if len(header) < SHP_HEADER_BYTES or struct.unpack(">i", header[:4])[0] != SHP_MAGIC:
        check.errors.append(
            f"{shp.name} is not a Shapefile: its first bytes are {header[:4].hex() or 'missing'}, "
            f"a .shp starts with the file code {SHP_MAGIC} (0000270a)"
        )
        return check
    declared = struct.unpack(">i", header[24:28])[0] * 2
    if declared > size:
        check.errors.append(f"{shp.name} is truncated: its header declares {declared} bytes, the file has {size}")
    if shx_path is not None:
        _check_index(shx_path, size, check)
    if dbf_path is not None:
        try:
            check.dbf = read_dbf_layout(dbf_path)
        except ValueError as exc:
            check.errors.append(str(exc))
    if check.dbf is not None and check.n_shapes is not None:
        dbf = check.dbf
        if dbf.n_records != check.n_shapes:
            check.errors.append(
                f"record counts disagree: {shx_path.name} indexes {check.n_shapes} shapes but "
                f"{dbf.path.name} declares {dbf.n_records} records; the files do not belong together"
            )
        for index in range(dbf.records_present, dbf.n_records):
            check.damaged_records.setdefault(index, f"attributes missing: {dbf.path.name} ends before this record")
    return check


def _check_index(shx_path: Path, shp_size: int, check: ShapefileCheck) -> None:
    with open(shx_path, "rb") as handle:
        index = handle.read()
    if len(index) < SHP_HEADER_BYTES or struct.unpack(">i", index[:4])[0] != SHP_MAGIC:
        check.errors.append(f"{shx_path.name} is not a Shapefile index (wrong file code)")
        return
    n = (len(index) - SHP_HEADER_BYTES) // SHX_RECORD_BYTES
    check.n_shapes = n
    entries = np.frombuffer(index[SHP_HEADER_BYTES: SHP_HEADER_BYTES + n * SHX_RECORD_BYTES], dtype=">i4")
    offsets = entries[0::2].astype(np.int64) * 2
    lengths = entries[1::2].astype(np.int64) * 2
    beyond = np.flatnonzero(offsets + SHX_RECORD_BYTES + lengths > shp_size)
    for i in beyond.tolist():
        check.damaged_records[i] = "geometry missing: the .shp ends before this record"
