"""Recordings made elsewhere, opened in Explore and Analyze instead of the sidebar's model: an
LSTMVis project (a zip of its folder, uploaded, or a folder the server offers), a trace exported
as .npz (Explore's Export, ``Trace.save``; uploaded) or a corpus store written by
``record-corpus`` (offered by the server: stores are gigabytes, never uploaded).

Users never type a path: the server lists what its administrator put under
$LSTM_VIZ_RECORDINGS (app/corpora/), and an uploaded zip is checked and unpacked (an .npz
checked and written: lstm_viz/export/trace_npz.py) into this session's upload folder
(lstm_viz/importers/_workspace.py), removed with the session.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import corpora, state
from app.text import escape_markdown
from lstm_viz.export import ExportError
from lstm_viz.export.folders import KINDS
from lstm_viz.importers import MAX_FILE_MB, UploadFolder, folder_name

K = state.OPENED_PREFIX
ACCEPTS = (
    "This box opens an LSTMVis project folder, zipped (.zip), or a trace exported by lstm_viz "
    f"(.npz: Explore's Export, Trace.save), of at most {MAX_FILE_MB} MB."
)


def opened() -> dict[str, Any] | None:
    """The recording this session looks at, or None (the sidebar's model)."""
    return st.session_state.get(state.OPENED)


def open_recording(kind: str, name: str, path: str, origin: str) -> None:
    st.session_state[state.OPENED] = {"kind": kind, "name": name, "path": path, "origin": origin}
    st.session_state[state.OPENED_ERROR] = None


def close_recording() -> None:
    st.session_state[state.OPENED] = None


def _session_folder() -> UploadFolder:
    folder = st.session_state.get(state.UPLOAD_FOLDER)
    if not isinstance(folder, UploadFolder) or folder.removed:
        folder = UploadFolder()  # removed when this session's state goes (or the server stops)
        st.session_state[state.UPLOAD_FOLDER] = folder
    return folder


def _unpack(upload: Any) -> None:
    """Unpack and read an uploaded zip; open it, or keep the reason for the page."""
    from lstm_viz.export.folders import unpack_zip

    stem = folder_name(upload.name.rsplit(".", 1)[0], "project", keep=".")
    target, _ = _session_folder().place(f"lstmvis-{stem}"[:80])
    try:
        folder = unpack_zip(upload.getvalue(), upload.name, target)
        corpora.lstmvis_project(str(folder))  # read now: a bad project says so here
    except (ExportError, OSError) as error:
        _keep_error(error, target, upload.name)
        return
    open_recording("lstmvis", stem, str(folder), "upload")


def _keep_error(error: Exception, target: Any, name: str) -> None:
    """The reason an upload was refused, for the page: the reader may name the folder it wrote
    to, a path on the server, so the upload's own name stands in for it."""
    said = str(error).replace(str(target), name)
    st.session_state[state.OPENED_ERROR] = said if said.startswith(name) else f"{name}: {said}"


def _open_trace(upload: Any) -> None:
    """Check, place and read an uploaded .npz trace; open it, or keep the reason for the page."""
    from lstm_viz.export.trace_npz import place_trace_npz

    stem = folder_name(upload.name.rsplit(".", 1)[0], "trace", keep=".")
    target, _ = _session_folder().place(f"trace-{stem}"[:80])
    try:
        path = place_trace_npz(upload.getvalue(), upload.name, f"{target}/{stem[:60]}.npz")
    except (ExportError, OSError) as error:
        _keep_error(error, target, upload.name)
        return
    open_recording("trace", stem, str(path), "upload")


def render_opener(page: str) -> dict[str, Any] | None:
    """At the top of Explore and Analyze: the opened recording's banner (what it is, what it
    lacks, a button back to the model), or an expander to open one. Returns the opened
    recording, or None."""
    current = opened()
    if current is not None:
        return _render_banner(current, page)
    from app import classroom

    if classroom.controls_hidden():  # a classroom link shows the linked model, nothing to open
        return None
    error = st.session_state.get(state.OPENED_ERROR)
    offered = corpora.offered_recordings()
    with st.expander(
        "📂 Open a recording made elsewhere (LSTMVis project .zip, trace .npz, corpus store)",
        expanded=bool(error),
    ):
        st.caption(
            "Recorded states without a model: an **LSTMVis project** (its folder zipped: "
            "lstm.yml, the states and word-id HDF5 files, the .dict file), a **trace exported "
            "as .npz** (Explore's Export, `Trace.save`) or a **corpus store** "
            "(`python -m lstm_viz record-corpus`). They open here instead of the sidebar's model."
        )
        # No type= here: the browser would refuse another file with only a hover on its chip;
        # the page says why instead (ACCEPTS). Over the size limit, the chip's "!" and the label.
        upload = st.file_uploader(
            f"An LSTMVis project, zipped (.zip), or a trace (.npz); at most {MAX_FILE_MB} MB",
            key=f"{K}.{page}.zip",
            max_upload_size=MAX_FILE_MB,
            help=ACCEPTS,
        )
        suffix = upload.name.rsplit(".", 1)[-1].lower() if upload is not None else ""
        if upload is not None and suffix not in ("zip", "npz"):
            st.error(
                f"{escape_markdown(upload.name, 120)} is not opened here. {ACCEPTS}", icon="🚫"
            )
        elif upload is not None and st.button(
            "Open the trace" if suffix == "npz" else "Open the zip", key=f"{K}.{page}.open_zip"
        ):
            (_open_trace if suffix == "npz" else _unpack)(upload)
            st.rerun()
        if offered:
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            with left:
                pick = st.selectbox(
                    "Or one this server offers",
                    range(len(offered)),
                    format_func=lambda i: offered[i].label,
                    key=f"{K}.{page}.offered",
                )
            with right:
                if st.button("Open", key=f"{K}.{page}.open_offered", width="stretch"):
                    found = offered[pick or 0]
                    open_recording(found.kind, found.name, str(found.path), "server")
                    st.rerun()
        else:
            st.caption(
                "This server offers no recording folders (whoever runs it can list some: "
                "LSTM_VIZ_RECORDINGS=/path/to/folders)."
            )
        if error:
            st.error(escape_markdown(error), icon="🚫")
    return None


def _render_banner(current: dict[str, Any], page: str) -> dict[str, Any] | None:
    kind, name = current["kind"], escape_markdown(current["name"])
    left, right = st.columns([4, 1], vertical_alignment="center")
    with right:
        if st.button(
            "✖ Close it",
            key=f"{K}.{page}.close",
            width="stretch",
            help="Back to the model picked in the sidebar",
        ):
            close_recording()
            st.rerun()
    with left:
        try:
            if kind == "lstmvis":
                project = corpora.lstmvis_project(current["path"])
                st.info(
                    f"{escape_markdown(project.message)}. Only what needs recorded states works "
                    "here; the sidebar's model is not used.",
                    icon="📂",
                )
                for note in project.notes:
                    st.caption(escape_markdown(note))
            elif kind == "trace":
                trace = corpora.trace_file(current["path"])
                st.info(
                    f"**Trace {name}** (an lstm_viz .npz): {trace.batch_size:,} sequence(s), "
                    f"{trace.num_steps:,} steps of {escape_markdown(', '.join(trace.names))} "
                    f"(recording kind: {escape_markdown(trace.kind)}); no model is run here.",
                    icon="📂",
                )
            else:
                meta = corpora.store_meta(current["path"])
                st.info(
                    f"**{KINDS[kind]} {name}**: {meta['steps']:,} steps of "
                    f"{escape_markdown(', '.join(meta['quantities']))} from "
                    f"{escape_markdown(meta.get('model', '?'))}; no model is run here.",
                    icon="📂",
                )
        except (ExportError, OSError) as error:
            st.error(f"{name} cannot be read: {escape_markdown(error)}", icon="🚫")
            return None
    return current
