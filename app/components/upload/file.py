"""The Upload page's file: read as data in a child process, once per file (kept in session
state), and the table of recurrent layers found in it."""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from app import state
from app.text import escape_markdown
from lstm_viz.importers import EXTENSIONS, MAX_FILE_MB, ModelFileError, inspect_isolated

K = state.UPLOAD_PREFIX


def limit_mb() -> int:
    """The smaller of our reader's limit and the server's (server.maxUploadSize), read on every
    run and stated beside the uploader: a file over the server's limit never reaches this
    script, so say it before."""
    return min(MAX_FILE_MB, int(st.get_option("server.maxUploadSize") or MAX_FILE_MB))


def render_file_picker() -> Any:
    """The file uploader; stops the page (with an example) until a file is uploaded."""
    limit = limit_mb()
    upload = st.file_uploader(
        f"Model file (at most {limit} MB)",
        type=EXTENSIONS,
        key=f"{K}.file",
        max_upload_size=limit,
        help="To save a PyTorch model as a state dict: torch.save(model.state_dict(), 'model.pt')",
    )
    st.caption(
        f"📏 At most {limit} MB per file (this server's upload limit): a larger file is marked "
        "red in the box above and not read. Saving only the weights (a state dict, or "
        "safetensors) makes a file smaller."
    )
    if upload is None:
        st.info(
            "Upload a model file to see which recurrent layers it holds. Example, in PyTorch: "
            "`torch.save(nn.LSTM(10, 20, num_layers=2, batch_first=True).state_dict(), 'lstm.pt')`",
            icon="📄",
        )
        st.stop()
    return upload


def read_file(name: str, data: bytes) -> tuple[str, Any]:
    """(sha256 of ``data``, the ImportedFile): read once per file and name; stops the page with
    the reason when the file cannot be used (over limit_mb() included)."""
    limit = limit_mb()
    if len(data) > limit * 2**20:
        size_mb = len(data) / 2**20
        st.error(
            f"{escape_markdown(name)} has {size_mb:,.1f} MB, more than the {limit} MB this "
            "page reads: refused. Upload a smaller file (e.g. the weights only, as a state dict).",
            icon="🚫",
        )
        st.stop()
    digest = hashlib.sha256(data).hexdigest()
    cached = st.session_state.get(state.UPLOAD_IMPORTED)
    if not cached or cached["digest"] != digest or cached["name"] != name:
        try:
            # In a child process with memory and time limits: a file that crashed a native parser
            # (HDF5, protobuf, zip) ends the child, never this server.
            with st.spinner("Reading the file as data, in a separate process..."):
                imported = inspect_isolated(data, name)
            cached = {"digest": digest, "name": name, "file": imported}
        except ModelFileError as error:
            cached = {"digest": digest, "name": name, "error": str(error)}
        st.session_state[state.UPLOAD_IMPORTED] = cached
    if "error" in cached:
        from app.components.upload.conv import is_conv_error, render_conv_upload

        if is_conv_error(cached["error"]):  # Keras ConvLSTM2D layers: recorded from frames
            render_conv_upload(name, data, digest)
            st.stop()
        st.error(
            f"**{escape_markdown(name)}** cannot be used: "
            f"{escape_markdown(without_name(cached['error'], name))}",
            icon="🚫",
        )
        st.stop()
    return digest, cached["file"]


def without_name(error: str, name: str) -> str:
    """A reader's message without the file name it starts with (the page names the file once):
    "m.pt holds ..." -> "this file holds ...", "m.pt: the header ..." -> "the header ..."."""
    if error.startswith(f"{name}: "):
        return error[len(name) + 2 :]
    if error.startswith(f"{name} "):
        return "this file " + error[len(name) + 1 :]
    return error


def found_title(layers: list) -> str:
    """The Upload page's title for what a file holds: "2 recurrent layers found in 1 module" for
    one nn.LSTM(num_layers=2), each stacked layer counted (a new user read "1 recurrent layer
    found" as a layer lost)."""
    stacked = sum(layer.num_layers for layer in layers)
    title = f"{stacked} recurrent layer{'s' if stacked != 1 else ''} found"
    if stacked != len(layers):
        title += f" in {len(layers)} module{'s' if len(layers) != 1 else ''}"
    return title


def render_layers(imported: Any, name: str, size: int, digest: str) -> Any:
    """The mapping table, the refused layers with their reason, a picker of the usable ones
    (default: the first usable, imported.layer()) and where its weights came from; returns the
    layer (stops the page when no layer can be recorded). The file's and the layer's notes are
    shown with the recording (record_imported's notes)."""
    st.subheader(f"🗺️ {found_title(imported.layers)}")
    st.caption(f"{escape_markdown(name)} · {imported.format} · {size / 1024:,.1f} KB")
    st.dataframe(pd.DataFrame(imported.table()), hide_index=True, key=f"{K}.table")
    refused = [
        f"**{escape_markdown(layer.name)}**: {escape_markdown('; '.join(layer.problems))}"
        for layer in imported.layers
        if layer.problems
    ]
    usable = [layer.name for layer in imported.layers if not layer.problems]
    if not usable:
        st.error(f"No layer here can be recorded: {' · '.join(refused)}", icon="🚫")
        st.stop()
    for reason in refused:
        st.warning(f"Refused, not offered for recording: {reason}", icon="🚫")
    first = imported.layer().name  # the first usable layer
    layer_name = st.selectbox(
        "Layer to record",
        options=usable,
        index=usable.index(first) if first in usable else 0,
        format_func=lambda n: f"{n} · {imported.layer(n).describe()}",
        key=f"{K}.layer.{digest[:12]}",
    )
    layer = imported.layer(layer_name)
    with st.expander("Where each weight came from", expanded=False):
        st.dataframe(
            pd.DataFrame(imported.mapping(layer.name)), hide_index=True, key=f"{K}.mapping"
        )
    return layer
