"""Upload: bring your own model. The file is read as data (never executed), its recurrent layers
are mapped onto PyTorch's cells and shown as a table; the chosen layer is recorded, checked
against a reference implementation, shown as heatmaps, and can be opened in Explore.

The work is in lstm_viz.importers; app/components/upload/ lays it out; this page is the layout.
"""

from __future__ import annotations

import streamlit as st

from app import state
from app.components.upload.autoencoder import render_keras_autoencoder
from app.components.upload.file import limit_mb, read_file, render_file_picker, render_layers
from app.components.upload.inputs import render_choice, render_input, render_mask
from app.components.upload.recording import (
    record_layer,
    render_open_in_explore,
    render_recording,
)

K = state.UPLOAD_PREFIX  # widget-key prefix of this page

st.title("📤 Upload")
st.markdown(
    "Bring your own recurrent model and look inside it. The file is **read as data**: no code in "
    "it is ever run (PyTorch files load with `weights_only=True`; ONNX and Keras files are parsed "
    "in a separate process). To check our reading, the file's own runtime runs it in another "
    "separate process with limits: onnxruntime, or Keras with `safe_mode=True`, which refuses "
    "code in a file (Lambda layers)."
)
st.caption(
    f"Formats: safetensors · PyTorch state dict (.pt, .pth) · ONNX · Keras 3 (.keras) and legacy "
    f".h5. **Limit: {limit_mb()} MB per file.** LSTM, GRU and vanilla RNN layers are found by "
    "their weights; the gate order is converted to PyTorch's. Keras ConvLSTM2D layers are "
    "recorded from frames."
)

upload = render_file_picker()
data = upload.getvalue()
digest, imported = read_file(upload.name, data)
render_keras_autoencoder(upload.name, data, digest, imported)  # only a Keras LSTM autoencoder shows

# ---- the mapping table --------------------------------------------------------------------------
layer = render_layers(imported, upload.name, len(data), digest)

# ---- what to attach, and the input --------------------------------------------------------------
prefix = f"{K}.{digest[:12]}.{layer.name}"
choice = render_choice(layer, prefix)
given = render_input(layer, choice, prefix)
mask = render_mask(layer, prefix)

# ---- record, check, show ------------------------------------------------------------------------
result = record_layer(digest, imported, layer, choice, given, mask)
numeric = choice.embedding is None and given.mode != "One-hot tokens"
render_recording(result, numeric)

# ---- open in Explore ----------------------------------------------------------------------------
st.divider()
render_open_in_explore(upload.name, layer, choice, given, result.prepared)
