"""Staging source files safely: zips unpacked with limits, uploads parked until confirmed.

A zip (or KMZ, or the zip inside an XLSX) is inspected before anything is
unpacked: entries with absolute or ``..`` paths (zip-slip), links and
encrypted entries are refused; the declared sizes, the compression ratio of
every large member, of all members together, and the number of members are
bounded (zip bombs); then the dataset to read is chosen from the member names
and only its files are unpacked, with byte counting in case the headers lie.
A workbook is checked the same way where it is read, however deep in a zip it
was. Everything lands in a temporary directory that is removed when the import
ends, whatever happens. A source path that is a GDAL virtual path or a URL is
refused (:func:`layers.io.formats.refuse_virtual_path`).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import stat
import tempfile
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from layers.io.formats import refuse_virtual_path, sniff
from layers.io.options import ImportLimits
from layers.io.source_error import SourceError

#: Files a dataset may consist of; anything else in a zip is listed and left packed.
DATASET_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".dxf", ".csv", ".txt", ".xlsx", ".pbf")
SIDECAR_SUFFIXES = (".shx", ".dbf", ".prj", ".cpg", ".qpj")
#: The field-name table ParkAtlas writes beside an exported Shapefile.
FIELD_TABLE_SUFFIX = ".fields.csv"
EXPECTED_SUFFIXES = DATASET_SUFFIXES + SIDECAR_SUFFIXES
_CHUNK = 1024 * 1024
#: The comment of the zip that keeps files a user chose together in the upload form (:meth:`UploadStore.save_files`).
CHOSEN_TOGETHER = b"ParkAtlas: files chosen together in the upload form"
_UTF8_NAME_FLAG = 0x800


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; names from Chinese Windows zips are GBK (Big5 in Taiwan) without the UTF-8 flag."""
    if info.flag_bits & _UTF8_NAME_FLAG:
        return info.filename
    from layers.io.hanzi import guess_script

    raw = info.filename.encode("cp437", errors="replace")
    guess = guess_script([raw])
    for codec in ("utf-8", guess.codec, guess.other):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _safe_relative(name: str, archive: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        msg = f"{archive}: member {name!r} would be written outside the folder it is unpacked to (zip-slip); refused"
        raise SourceError(msg)
    return path


def inspect_zip(path: Path, *, limits: ImportLimits) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Check a zip against the limits without unpacking; returns (entry, safe relative path) of files."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        msg = f"{path.name}: not a readable zip archive ({exc})"
        raise SourceError(msg) from None
    with archive:
        infos = archive.infolist()
    if len(infos) > limits.max_zip_members:
        msg = f"{path.name}: {len(infos)} members; at most {limits.max_zip_members} are accepted"
        raise SourceError(msg)
    total = sum(info.file_size for info in infos)
    if total > limits.max_unpacked_bytes:
        msg = (f"{path.name}: unpacks to {total:,} bytes, more than the {limits.max_unpacked_bytes:,} allowed "
               "(a zip bomb, or a dataset to import in parts)")
        raise SourceError(msg)
    entries = []
    for info in infos:
        name = _member_name(info)
        relative = _safe_relative(name, path.name)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            msg = f"{path.name}: member {name!r} is a symbolic link; refused"
            raise SourceError(msg)
        if info.flag_bits & 0x1:
            msg = f"{path.name}: member {name!r} is encrypted; send it without a password"
            raise SourceError(msg)
        if info.is_dir():
            continue
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                msg = (f"{path.name}: member {name!r} expands {ratio:,.0f}× ({info.compress_size:,} → "
                       f"{info.file_size:,} bytes), more than the {limits.max_compression_ratio:g}× allowed "
                       "(zip bomb); refused")
                raise SourceError(msg)
        entries.append((info, relative))
    packed = sum(info.compress_size for info in infos)
    if total > limits.ratio_floor_bytes and total / max(packed, 1) > limits.max_compression_ratio:
        # Many small members, each under the per-member floor, can still make a bomb together.
        msg = (f"{path.name}: its members expand {total / max(packed, 1):,.0f}× together ({packed:,} → {total:,} "
               f"bytes), more than the {limits.max_compression_ratio:g}× allowed (zip bomb); refused")
        raise SourceError(msg)
    return entries


def _is_expected(relative: PurePosixPath) -> bool:
    name = relative.name.lower()
    if relative.parts and relative.parts[0] == "__MACOSX" or name.startswith("._"):
        return False
    return name.endswith(FIELD_TABLE_SUFFIX) or relative.suffix.lower() in EXPECTED_SUFFIXES


def extract_members(path: Path, entries: list[tuple[zipfile.ZipInfo, PurePosixPath]], destination: Path, *,
                    limits: ImportLimits, expected) -> tuple[list[Path], list[str]]:
    """Unpack the ``entries`` (from :func:`inspect_zip`) that ``expected`` accepts; returns (files, ignored names)."""
    written: list[Path] = []
    ignored: list[str] = []
    budget = limits.max_unpacked_bytes
    with zipfile.ZipFile(path) as archive:
        for info, relative in entries:
            if not expected(relative):
                ignored.append(str(relative))
                continue
            target = destination.joinpath(*relative.parts)
            if destination.resolve() not in target.resolve().parents:
                msg = f"{path.name}: member {str(relative)!r} resolves outside the unpack folder; refused"
                raise SourceError(msg)
            target.parent.mkdir(parents=True, exist_ok=True)
            remaining = info.file_size
            try:
                with archive.open(info) as source, open(target, "wb") as sink:
                    while True:
                        chunk = source.read(_CHUNK)
                        if not chunk:
                            break
                        remaining -= len(chunk)
                        budget -= len(chunk)
                        if remaining < 0 or budget < 0:
                            msg = (f"{path.name}: member {str(relative)!r} unpacks to more than its header "
                                   "declares or than the limit allows (zip bomb); refused")
                            raise SourceError(msg)
                        sink.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                msg = f"{path.name}: member {str(relative)!r} is damaged and cannot be unpacked ({exc})"
                raise SourceError(msg) from None
            written.append(target)
    return written, ignored


@dataclass
class StagedSource:
    """A source ready to read: the dataset file, the files it consists of, and what staging noted."""

    dataset: Path
    members: list[Path]
    original: Path
    notes: list[str] = field(default_factory=list)
    candidates: list[Path] = field(default_factory=list)
    #: The files a user chose together in the upload form (bundled by :meth:`UploadStore.save_files`), not a zip
    #: of theirs: the source is named by the dataset read.
    chosen_together: bool = False


def _candidates(files: list) -> list:
    """The dataset files among ``files`` (paths): a .dbf counts only without its .shp (a table)."""
    shp_stems = {(f.parent, f.stem.lower()) for f in files if f.suffix.lower() == ".shp"}
    out = []
    for f in files:
        suffix = f.suffix.lower()
        if f.name.lower().endswith(FIELD_TABLE_SUFFIX):
            continue
        if suffix in DATASET_SUFFIXES or (suffix == ".dbf" and (f.parent, f.stem.lower()) not in shp_stems):
            out.append(f)
    return out


def _dataset_members(dataset: Path) -> list[Path]:
    if dataset.suffix.lower() not in (".shp", ".dbf"):
        return [dataset]
    return sorted(p for p in dataset.parent.iterdir()
                  if p.stem == dataset.stem or p.name.startswith(dataset.stem + "."))


def _pick_dataset(candidates: list, *, source: Path, wanted: tuple[str, ...]):
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        msg = (f"{source.name}: the zip holds no dataset ParkAtlas reads "
               f"(looked for {', '.join(DATASET_SUFFIXES)})")
        raise SourceError(msg)
    from layers.values import normalise_text

    keys = {normalise_text(w) for w in wanted if w}
    matches = [c for c in candidates if normalise_text(c.stem) in keys or normalise_text(c.name) in keys]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(c.name for c in candidates)
    msg = f"{source.name}: the zip holds several datasets ({names}); choose one with --source-layer"
    raise SourceError(msg)


@contextmanager
def stage_source(path: str | Path, *, limits: ImportLimits = ImportLimits(),
                 wanted: tuple[str, ...] = ()) -> Iterator[StagedSource]:
    """Make ``path`` readable: unpack a zip/KMZ safely into a temporary folder that is always removed.

    ``wanted`` names to match when a zip holds several datasets (the
    ``--source-layer`` choice, the target layer's names).
    """
    refuse_virtual_path(str(path))
    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file"
        raise SourceError(msg)
    if path.is_dir():
        msg = f"{path}: is a folder; give the dataset file (.shp, .gpkg, .geojson, .kml, .dxf, .csv, .xlsx) or a zip"
        raise SourceError(msg)
    size = path.stat().st_size
    if size > limits.max_upload_bytes:
        msg = f"{path.name}: {size:,} bytes, more than the {limits.max_upload_bytes:,} accepted"
        raise SourceError(msg)
    if size == 0:
        msg = f"{path.name}: the file is empty"
        raise SourceError(msg)
    suffix = path.suffix.lower()
    with tempfile.TemporaryDirectory(prefix="parkatlas-import-") as workdir:
        # A zip is a zip by its bytes, whatever its name (a workbook is one too, and read as one).
        if suffix in (".zip", ".kmz") or (suffix not in (".xlsx", ".gpkg") and sniff(path) == "zip"):
            unpacked = Path(workdir) / "unpacked"
            unpacked.mkdir()
            entries = inspect_zip(path, limits=limits)
            chosen, candidates = _choose_member(entries, source=path, wanted=wanted, kml_only=suffix == ".kmz")
            members = {relative for relative in _member_group(chosen, [r for _, r in entries])}
            files, ignored = extract_members(path, entries, unpacked, limits=limits,
                                             expected=lambda relative: relative in members)
            dataset = unpacked.joinpath(*chosen.parts)
            ignored = [name for name in ignored if not name.endswith("/")]
            together = _chosen_together(path)
            yield StagedSource(dataset, _dataset_members(dataset), path,
                               _unpacked_notes(path, chosen, len(files), ignored, chosen_together=together),
                               [unpacked.joinpath(*c.parts) for c in candidates], chosen_together=together)
        else:
            yield StagedSource(path, _dataset_members(path), path)


def _unpacked_notes(path: Path, chosen: PurePosixPath, files: int, ignored: list[str], *,
                    chosen_together: bool) -> list[str]:
    """What unpacking ``path`` read and left: said of a zip, or of the files a user chose together in the upload
    form (:meth:`UploadStore.save_files` bundles them; the user never made that zip)."""
    left = ", ".join(ignored[:20]) + (" …" if len(ignored) > 20 else "")
    if chosen_together:
        return [f"files chosen together: {files} file(s) of {chosen} read"] + (
            [f"not read (not part of the dataset read): {left}"] if ignored else [])
    return [f"unpacked {path.name}: {files} file(s) of {chosen}"] + (
        [f"left packed (not part of the dataset read): {left}"] if ignored else [])


def _chosen_together(path: Path) -> bool:
    """Whether the zip at ``path`` is a bundle of files chosen together (its comment says so; only the wording of
    the notes depends on it)."""
    with zipfile.ZipFile(path) as archive:
        return archive.comment == CHOSEN_TOGETHER


def _choose_member(entries: list[tuple[zipfile.ZipInfo, PurePosixPath]], *, source: Path,
                   wanted: tuple[str, ...], kml_only: bool) -> tuple[PurePosixPath, list[PurePosixPath]]:
    """The dataset to read among a zip's members, chosen from their names before anything is unpacked."""
    names = [relative for _, relative in entries if _is_expected(relative)]
    if kml_only:
        kml = [r for r in names if r.suffix.lower() == ".kml"]
        candidates = [r for r in kml if r.name.lower() == "doc.kml"] or kml[:1]
    else:
        candidates = _candidates(names)
    return _pick_dataset(candidates, source=source, wanted=wanted), candidates


def _member_group(chosen: PurePosixPath, names: list[PurePosixPath]) -> list[PurePosixPath]:
    """The chosen dataset and the members read with it: a Shapefile's sidecars and field-name table."""
    if chosen.suffix.lower() not in (".shp", ".dbf"):
        return [chosen]
    return [r for r in names if r.parent == chosen.parent and _is_expected(r)
            and (r.stem == chosen.stem or r.name.lower() == (chosen.stem + FIELD_TABLE_SUFFIX).lower())]


# -- uploads waiting for confirmation ----------------------------------------------------------------

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
#: Uploads not confirmed within this time are removed.
UPLOAD_MAX_AGE_S = 6 * 3600


def safe_filename(name: str) -> str:
    """A file name safe to write: the last path part, no control or separator characters, Chinese kept."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = re.sub(r'[<>:"|?*]', "_", base).strip().lstrip(".")
    if len(base) > 120:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: 110] + dot + suffix[:9]) if dot else base[:120]
    return base or "upload"


class UploadNotFound(SourceError):
    """No such upload for this user: unknown, expired, or someone else's (one answer for all three)."""


class UploadSpent(SourceError):
    """The user's own upload was confirmed or cancelled already: a preview is acted on once.

    ``how`` is ``confirmed`` (being imported, or done) or ``cancelled``.
    """

    def __init__(self, how: str):
        self.how = how
        super().__init__(f"this upload was {how} already; a preview is confirmed once (see the history), "
                         "or upload the file again")


#: Files one upload may hold (a Shapefile's parts chosen together; more go zipped).
MAX_UPLOAD_PARTS = 20


def _part_names(names: list[str]) -> list[str]:
    """Safe, distinct names for the files of one upload (the same name twice gets a digit before its suffix)."""
    out: list[str] = []
    taken: set[str] = set()
    for name in names:
        safe = safe_filename(name)
        stem, dot, suffix = safe.partition(".")
        unique, n = safe, 2
        while unique.casefold() in taken:
            unique, n = f"{stem}-{n}{dot}{suffix}", n + 1
        taken.add(unique.casefold())
        out.append(unique)
    return out


def _copy_within(stream, sink, budget: list[int], limit_bytes: int, name: str) -> None:
    """Copy ``stream`` to ``sink`` while the upload's byte ``budget`` (shared by its files) lasts."""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return
        budget[0] -= len(chunk)
        if budget[0] < 0:
            msg = f"{name}: more than the {limit_bytes:,} bytes accepted"
            raise SourceError(msg)
        sink.write(chunk)


#: Names in the upload folder: ``<token>/`` waiting, ``<token>.claimed/`` being imported, ``<token>.spent`` done.
_PARKED = re.compile(r"^([0-9a-f]{32})(\.claimed|\.spent)?(\.partial)?$")
_OPTIONS = "options.json"


class UploadStore:
    """Uploaded files parked on disk between the preview and the confirmation.

    Each upload gets a random token and its own folder holding the file and the
    options it was sent with, among them its ``uploader``: only that user may see,
    confirm or cancel it, and to anyone else it does not exist. A token is spent
    once: :meth:`claim` renames the folder to ``<token>.claimed`` (one rename wins
    however many confirmations race), and when the import ends a ``<token>.spent``
    note says the token was used, so a second confirmation is told so rather than
    told to upload again.
    """

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else Path(tempfile.gettempdir()) / "parkatlas-uploads"

    def _folder(self, token: str) -> Path:
        if not _TOKEN.match(token or ""):
            raise UploadNotFound("unknown or expired upload; upload the file again")
        return self.root / token

    def save(self, stream, filename: str, options: dict, *, limit_bytes: int, uploader: str) -> str:
        """Copy ``stream`` to a new folder (at most ``limit_bytes``) as ``uploader``'s; returns the upload's token."""
        return self.save_files([(stream, filename)], options, limit_bytes=limit_bytes, uploader=uploader)

    def save_files(self, files: list[tuple[object, str]], options: dict, *, limit_bytes: int, uploader: str) -> str:
        """Park the ``(stream, filename)`` files of one upload (at most ``limit_bytes`` together, at most
        :data:`MAX_UPLOAD_PARTS`) as ``uploader``'s; returns the upload's token.

        One file is kept as it is. Several (a Shapefile's .shp, .shx, .dbf, .prj … chosen together in the file
        dialog) are kept as one zip of them, stored, named after the first: everything downstream reads it as a
        zip, with the zip's checks, its choice among datasets and its note on the files it leaves out.
        """
        if not files:
            raise SourceError("no file in the upload")
        if len(files) > MAX_UPLOAD_PARTS:
            msg = f"{len(files)} files in one upload; at most {MAX_UPLOAD_PARTS} (zip them)"
            raise SourceError(msg)
        self.cleanup()
        token = secrets.token_hex(16)
        folder = self._folder(token)
        folder.mkdir(parents=True)
        names = _part_names([name for _, name in files])
        bundled = len(files) > 1
        target = folder / (f"{PurePosixPath(names[0]).stem or 'upload'}.zip" if bundled else names[0])
        budget = [limit_bytes]
        try:
            if bundled:
                with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as bundle:
                    bundle.comment = CHOSEN_TOGETHER
                    for (stream, _), name in zip(files, names):
                        with bundle.open(zipfile.ZipInfo(name), "w") as sink:
                            _copy_within(stream, sink, budget, limit_bytes, name)
            else:
                with open(target, "wb") as sink:
                    _copy_within(files[0][0], sink, budget, limit_bytes, target.name)
            _write_json(folder / _OPTIONS, {"filename": target.name, **options, "uploader": uploader})
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return token

    def get(self, token: str, *, uploader: str) -> tuple[Path, dict]:
        """``uploader``'s parked file and its options.

        Raises
        ------
        UploadNotFound
            Unknown, expired, or another user's upload.
        UploadSpent
            The user's upload was confirmed or cancelled already.
        """
        folder = self._folder(token)
        options = _read_json(folder / _OPTIONS)
        if options is None or options.get("uploader") != uploader:
            raise self._gone(token, uploader)
        return folder / options["filename"], options

    def update_options(self, token: str, *, uploader: str, **changes) -> None:
        """Add to the options kept with an upload."""
        path, options = self.get(token, uploader=uploader)
        options.update(changes)
        _write_json(path.parent / _OPTIONS, options)

    def save_extra(self, token: str, name: str, data: bytes) -> Path:
        """Keep a second file with the upload (a mapping file)."""
        path = self._folder(token) / safe_filename(name)
        path.write_bytes(data)
        return path

    @contextmanager
    def claim(self, token: str, *, uploader: str, how: str = "confirmed") -> Iterator[tuple[Path, dict]]:
        """Take ``uploader``'s upload for good: yields (file, options); the token is spent afterwards.

        Of several confirmations racing for one token exactly one gets past the
        rename; the others get :class:`UploadSpent`. Whatever happens inside, the
        upload is removed and the token stays spent.
        """
        path, options = self.get(token, uploader=uploader)
        claimed = self.root / f"{token}.claimed"
        try:
            path.parent.rename(claimed)
        except FileNotFoundError:
            raise self._gone(token, uploader) from None
        try:
            # Written into the claimed folder, so its age (what cleanup goes by) counts from now.
            _write_json(claimed / "claimed.json", {"uploader": uploader, "at": time.time()})
            yield claimed / options["filename"], options
        finally:
            _write_json(self.root / f"{token}.spent", {"uploader": uploader, "spent": how, "at": time.time()})
            shutil.rmtree(claimed, ignore_errors=True)

    def drop(self, token: str) -> None:
        """Remove an upload whose token was never shown (its preview was rejected): nothing is left behind."""
        shutil.rmtree(self._folder(token), ignore_errors=True)

    def _gone(self, token: str, uploader: str) -> SourceError:
        """Why ``token`` is not waiting: spent (the user's own) or not found (unknown, expired, someone else's)."""
        notes = ((self.root / f"{token}.claimed" / _OPTIONS, "confirmed"), (self.root / f"{token}.spent", None))
        for note, how in notes:
            info = _read_json(note)
            if info is not None and info.get("uploader") == uploader:
                return UploadSpent(how or info.get("spent", "confirmed"))
        return UploadNotFound("unknown or expired upload; upload the file again")

    def cleanup(self, *, max_age_s: float = UPLOAD_MAX_AGE_S) -> None:
        """Remove uploads (and notes of spent tokens) older than ``max_age_s``."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - max_age_s
        for entry in self.root.iterdir():
            if not _PARKED.match(entry.name):
                continue
            try:
                if entry.stat().st_mtime >= cutoff:
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
            except FileNotFoundError:
                continue  # claimed or removed by another request meanwhile


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None


def _write_json(path: Path, data: dict) -> None:
    """Write ``data`` whole or not at all (a reader never sees half a file)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)
