"""HDF5 files read only their own bytes: every dataset's data must be stored inside the file.

HDF5 can point outside the file, and h5py follows such pointers without asking: external storage
(a dataset's bytes live in another file, e.g. ``/etc/passwd``), external links (a name opens an
object in another file) and virtual datasets (a dataset mapped from other files). Filters that
are not built in are loaded as plugins from the server's disk. An uploaded weights file could use
any of them to read a server file into a tensor, which then reaches the page and the trace.

``check_inside`` walks every link and object of an open file, without reading any dataset's
data, and refuses the file at the first one that reaches outside it. ``check_dataset`` repeats
the per-dataset part right before a dataset is read.
"""

from __future__ import annotations

from typing import Any

from ._core import ModelFileError

MAX_OBJECTS = 100_000  # links walked in one file (a Keras file has tens to a few thousand)

# Filters HDF5 (deflate, shuffle, fletcher32, szip, nbit, scaleoffset) or h5py (lzf) build in;
# any other is a plugin loaded from disk.
BUILT_IN_FILTERS = {1, 2, 3, 4, 5, 6, 32000}


def check_inside(h5: Any, filename: str) -> None:
    """Refuse (ModelFileError) an open h5py File or Group that has an external link, a user-defined
    link, or a dataset stored outside the file (external storage, a virtual dataset) or through a
    plugin filter. Soft links are not followed (they name paths inside this same file, whose
    objects the walk reaches through their hard links). Reads no dataset's data."""
    import h5py

    seen: set[int] = set()
    groups = [(h5, h5.name or "/")]
    walked = 0
    while groups:
        group, path = groups.pop()
        found: list[bytes] = []
        group.id.links.iterate(found.append)  # link names only: nothing is opened or read
        for name in found:
            walked += 1
            if walked > MAX_OBJECTS:
                raise ModelFileError(f"{filename}: more than {MAX_OBJECTS:,} HDF5 objects: refused")
            where = f"{path.rstrip('/')}/{name.decode('utf-8', 'replace')}"
            kind = group.id.links.get_info(name).type
            if kind == h5py.h5l.TYPE_SOFT:
                continue
            if kind == h5py.h5l.TYPE_EXTERNAL:
                raise ModelFileError(
                    _outside(filename, where, "is an external link to another file")
                )
            if kind != h5py.h5l.TYPE_HARD:
                raise ModelFileError(_outside(filename, where, "is a user-defined HDF5 link"))
            try:
                oid = h5py.h5o.open(group.id, name)
            except Exception as error:  # a broken object header: not readable, say so
                raise ModelFileError(f"{filename}: {where} cannot be opened: {error}") from None
            key = hash(oid)
            if key in seen:
                continue
            seen.add(key)
            if isinstance(oid, h5py.h5g.GroupID):
                groups.append((h5py.Group(oid), where))
            elif isinstance(oid, h5py.h5d.DatasetID):
                _check_storage(oid, where, filename)


def check_dataset(dataset: Any, where: str, filename: str) -> None:
    """Refuse (ModelFileError) an h5py Dataset whose data is not stored inside the file."""
    _check_storage(dataset.id, where, filename)


def _check_storage(dataset_id: Any, where: str, filename: str) -> None:
    import h5py

    plist = dataset_id.get_create_plist()
    layout = plist.get_layout()
    if layout == h5py.h5d.VIRTUAL:
        raise ModelFileError(_outside(filename, where, "is a virtual dataset mapped from files"))
    if layout not in (h5py.h5d.COMPACT, h5py.h5d.CONTIGUOUS, h5py.h5d.CHUNKED):
        raise ModelFileError(_outside(filename, where, f"has an unknown storage layout {layout}"))
    if plist.get_external_count():
        target = plist.get_external(0)[0].decode("utf-8", "replace")
        raise ModelFileError(
            _outside(filename, where, f"stores its data in another file ({target[:80]!r})")
        )
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in BUILT_IN_FILTERS:
            raise ModelFileError(
                f"{filename}: {where} needs HDF5 filter {code}, a plugin that is not built in: "
                "refused; save it uncompressed or with gzip"
            )


def _outside(filename: str, where: str, what: str) -> str:
    return (
        f"{filename}: {where} {what}; only data stored inside the uploaded file is read: "
        "refused. Save the weights with their data inside the file"
    )
