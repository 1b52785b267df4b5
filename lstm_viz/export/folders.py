"""Recordings made elsewhere, as folders: find them under the roots a server offers, and unpack
an uploaded zip of an LSTMVis project safely.

    found = find_recordings(["/srv/recordings"])   # [Found(kind, name, path)], never deeper
    folder = unpack_zip(data, "project.zip", target)  # checked before anything is written

A user never names a path: a server lists what its administrator put under its roots (each root
and the folders directly in it), and a zip is unpacked into a folder the app chose. The zip is
checked first, from its table of contents: at most ``MAX_MEMBERS`` members and ``MAX_UNPACKED``
bytes, no member that would unpack more than ``MAX_RATIO``-fold (a zip bomb), no absolute path,
no ``..``, no link; only the files an LSTMVis project has (``KEPT_SUFFIXES``) are written, others
are skipped. While writing, no member may grow past the size its entry declared.
"""

from __future__ import annotations

import io
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lstm_viz.export.store import META
from lstm_viz.export.text import ExportError

MAX_MEMBERS = 1_000
MAX_UNPACKED = 1024 * 1024 * 1024  # bytes all kept members unpack to (1 GiB)
MAX_RATIO = 200  # deflate rarely beats 10:1 on float32 states; zip bombs reach 1000:1
KEPT_SUFFIXES = (".yml", ".yaml", ".h5", ".hdf5", ".dict", ".txt", ".md", ".json")
KINDS = {"lstmvis": "LSTMVis project", "store": "corpus store"}


@dataclass(frozen=True)
class Found:
    """A recording folder: ``kind`` "lstmvis" or "store", a ``name`` for people, its ``path``."""

    kind: str
    name: str
    path: Path

    @property
    def label(self) -> str:
        return f"{self.name} ({KINDS[self.kind]})"


def kind_of(folder: Path) -> str | None:
    """ "store" (store.json), "lstmvis" (lstm.yml, or a .dict file beside an HDF5 file), else
    None. Reads only the folder's listing."""
    try:
        if not folder.is_dir():
            return None
        if (folder / META).is_file():
            return "store"
        names = [p.name.lower() for p in folder.iterdir() if p.is_file()]
    except OSError:
        return None
    if "lstm.yml" in names:
        return "lstmvis"
    if any(n.endswith(".dict") for n in names) and any(n.endswith((".h5", ".hdf5")) for n in names):
        return "lstmvis"
    return None


def find_recordings(roots: list[str | Path]) -> list[Found]:
    """The recordings in ``roots``: each root that is one, and the folders directly inside it
    that are (sorted by name). Roots that do not exist are skipped."""
    found: list[Found] = []
    for root in roots:
        root = Path(root)
        kind = kind_of(root)
        if kind:
            found.append(Found(kind, root.name, root))
            continue
        try:
            children = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError:
            continue
        for child in children:
            kind = kind_of(child)
            if kind:
                found.append(Found(kind, child.name, child))
    return found


def unpack_zip(data: bytes, filename: str, target: str | Path) -> Path:
    """Unpack a zip of an LSTMVis project folder into ``target`` (created; replaced if there)
    and return the project folder in it (a single top folder in the zip is stepped into).

    Raises ExportError (one line) for a file that is not a zip, or one that breaks a rule of
    the module docstring (the target is removed again)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ExportError(
            f"{filename} is not a readable zip archive ({error}): zip the folder"
        ) from None
    if len(members) > MAX_MEMBERS:
        raise ExportError(f"{filename} has {len(members):,} members; at most {MAX_MEMBERS:,}")
    kept = []
    for member in members:
        name = member.filename
        path = PurePosixPath(name)
        mode = member.external_attr >> 16
        if name.startswith(("/", "\\")) or "\\" in name or ".." in path.parts or ":" in name:
            raise ExportError(f"{filename}: member {name!r} points outside the folder; refused")
        if stat.S_ISLNK(mode):
            raise ExportError(f"{filename}: member {name!r} is a link; refused")
        if member.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        if path.suffix.lower() not in KEPT_SUFFIXES:
            continue
        kept.append(member)
    check_unpacked_sizes(filename, kept)
    if not kept:
        raise ExportError(
            f"{filename} holds no LSTMVis files ({', '.join(KEPT_SUFFIXES)}): zip the project "
            "folder (lstm.yml, the states and word-id HDF5 files, the .dict file)"
        )
    tops = {PurePosixPath(m.filename).parts[0] for m in kept}
    nested = all(len(PurePosixPath(m.filename).parts) > 1 for m in kept)
    strip = 1 if len(tops) == 1 and nested else 0
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    try:
        for member in kept:
            _write(archive, member, target.joinpath(*PurePosixPath(member.filename).parts[strip:]))
    except ExportError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _write(archive: zipfile.ZipFile, member: zipfile.ZipInfo, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(member) as source, open(out, "wb") as sink:
        written = 0
        while block := source.read(1 << 20):
            written += len(block)
            if written > member.file_size:  # the entry lied about its size
                raise ExportError(
                    f"member {member.filename!r} is longer than its entry says; refused"
                )
            sink.write(block)


__all__ = ["Found", "KINDS", "find_recordings", "kind_of", "unpack_zip"]


def check_unpacked_sizes(filename: str, members: list[zipfile.ZipInfo]) -> None:
    """ExportError when a member over 1 MiB would unpack more than MAX_RATIO-fold (a zip bomb),
    or all of them together to more than MAX_UNPACKED bytes; sizes from the archive's own table
    of contents, before anything is unpacked."""
    total = 0
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_RATIO:
            raise ExportError(
                f"{filename}: member {member.filename!r} would unpack {ratio:,.0f}-fold; "
                "refused as a possible zip bomb"
            )
        total += member.file_size
    if total > MAX_UNPACKED:
        raise ExportError(
            f"{filename} would unpack to {total:,} bytes, more than {MAX_UNPACKED:,}: refused"
        )
