"""A trace exported as ``.npz`` (``Trace.save``), uploaded to be opened again: checked from the
archive's table of contents before anything is written or read, then read by ``Trace.load``
(``np.load(allow_pickle=False)``: nothing is ever unpickled).

    path = place_trace_npz(data, "trace.npz", target)  # checked, then written to target
    trace = read_trace_npz(path)                        # ExportError when it is not a trace

The checks are those an uploaded LSTMVis zip gets (lstm_viz.export.folders): at most
``MAX_MEMBERS`` members and ``MAX_UNPACKED`` bytes unpacked, no member that would unpack more
than ``MAX_RATIO``-fold; and every member an ``.npy`` array at the archive's top, with the
trace's ``__metadata__.npy`` among them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from lstm_viz.export.folders import MAX_MEMBERS, check_unpacked_sizes
from lstm_viz.export.text import ExportError

WHAT = "a trace exported by lstm_viz (Trace.save, Explore's Export as .npz)"


def check_trace_npz(data: bytes, filename: str) -> None:
    """Raise ExportError (one line, naming ``filename``) unless ``data`` is a zip of top-level
    ``.npy`` members within the size limits, with ``__metadata__.npy`` among them."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ExportError(f"{filename} is not a readable .npz archive ({error})") from None
    if len(members) > MAX_MEMBERS:
        raise ExportError(f"{filename} has {len(members):,} arrays; at most {MAX_MEMBERS:,}")
    for member in members:
        name = member.filename
        if len(PurePosixPath(name).parts) != 1 or "\\" in name or not name.endswith(".npy"):
            raise ExportError(f"{filename}: member {name!r} is not a top-level .npy array")
    check_unpacked_sizes(filename, members)
    if "__metadata__.npy" not in {m.filename for m in members}:
        raise ExportError(f"{filename} is not {WHAT}: it has no __metadata__ array")


def place_trace_npz(data: bytes, filename: str, target: str | Path) -> Path:
    """Check ``data`` (check_trace_npz), write it to ``target`` (a path ending in .npz) and read
    it once (read_trace_npz); the file is removed again when either fails. ExportError."""
    check_trace_npz(data, filename)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    try:
        read_trace_npz(target, filename)
    except ExportError:
        target.unlink(missing_ok=True)
        raise
    return target


def read_trace_npz(path: str | Path, filename: str | None = None):
    """The Trace in the .npz file at ``path`` (``Trace.load``, which never unpickles).
    ExportError (one line, naming ``filename`` or the file's name) when it cannot be read."""
    from lstm_viz.trace import Trace

    path = Path(path)
    name = filename or path.name
    try:
        return Trace.load(path)
    except (ValueError, KeyError, TypeError, IndexError, RuntimeError, OSError, EOFError,
            zipfile.BadZipFile) as error:  # fmt: skip
        # json.JSONDecodeError and numpy's "Object arrays cannot be loaded" are ValueErrors.
        said = str(error).replace(str(path), name)
        if isinstance(error, KeyError):
            said = f"an array it names is missing ({said})"
        raise ExportError(f"{name} cannot be read as {WHAT}: {said}") from None
