"""Upload: bring your own model. The file is read as data (never executed), its recurrent layers
are mapped onto PyTorch's cells and shown as a table; the chosen layer is recorded, checked
against a reference implementation, shown as heatmaps, and can be opened in Explore.

The work is in lstm_viz.importers; this page lays it out.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from app import state
from app.components.heatmaps import render_heatmaps, render_pickers, render_tokens
from app.resources import ModelRef
from app.text import escape_markdown
from lstm_viz import record
from lstm_viz.importers import (
    EXTENSIONS,
    MAX_FILE_MB,
    MAX_MODELS,
    MAX_STEPS,
    Choice,
    ModelFileError,
    UploadFolder,
    build,
    checks,
    inspect_isolated,
    prepare,
    read_vocab,
    recurrent_input,
    save_as_checkpoint,
)
from lstm_viz.numbers import format_numbers

K = "upload"  # widget-key prefix of this page
IMPORTED = f"{K}.imported"  # {"digest", "name", "file" (ImportedFile) or "error" (str)}
RECORDING = f"{K}.recording"  # {"key", "result" (prepared, trace, checks) or "error"}
FOLDER = f"{K}.folder"  # this session's UploadFolder (removed with the session's state)
MAX_VOCAB_MB = 16
NONE = "(none)"

st.title("📤 Upload")
st.markdown(
    "Bring your own recurrent model and look inside it. The file is **read as data**: no code in "
    "it is ever run (PyTorch files load with `weights_only=True`; ONNX and Keras files are parsed, "
    "never loaded by their own loaders)."
)
# The smaller of our reader's limit and the server's (server.maxUploadSize), stated beside the
# uploader: a file over the server's limit never reaches this script, so say it before.
LIMIT_MB = min(MAX_FILE_MB, int(st.get_option("server.maxUploadSize") or MAX_FILE_MB))
st.caption(
    f"Formats: safetensors · PyTorch state dict (.pt, .pth) · ONNX · Keras 3 (.keras) and legacy "
    f".h5. **Limit: {LIMIT_MB} MB per file.** LSTM, GRU and vanilla RNN layers are found by "
    "their weights; the gate order is converted to PyTorch's."
)

upload = st.file_uploader(
    f"Model file (at most {LIMIT_MB} MB)",
    type=EXTENSIONS,
    key=f"{K}.file",
    max_upload_size=LIMIT_MB,
    help="To save a PyTorch model as a state dict: torch.save(model.state_dict(), 'model.pt')",
)
st.caption(
    f"📏 At most {LIMIT_MB} MB per file (this server's upload limit): a larger file is marked "
    "red in the box above and not read. Saving only the weights (a state dict, or safetensors) "
    "makes a file smaller."
)
if upload is None:
    st.info(
        "Upload a model file to see which recurrent layers it holds. Example, in PyTorch: "
        "`torch.save(nn.LSTM(10, 20, num_layers=2, batch_first=True).state_dict(), 'lstm.pt')`",
        icon="📄",
    )
    st.stop()

data = upload.getvalue()
if len(data) > LIMIT_MB * 2**20:
    size_mb = len(data) / 2**20
    st.error(
        f"{escape_markdown(upload.name)} has {size_mb:,.1f} MB, more than the {LIMIT_MB} MB "
        "this page reads: refused. Upload a smaller file (e.g. the weights only, as a state dict).",
        icon="🚫",
    )
    st.stop()
digest = hashlib.sha256(data).hexdigest()
cached = st.session_state.get(IMPORTED)
if not cached or cached["digest"] != digest or cached["name"] != upload.name:
    try:
        # In a child process with memory and time limits: a file that crashed a native parser
        # (HDF5, protobuf, zip) ends the child, never this server.
        with st.spinner("Reading the file as data, in a separate process..."):
            imported = inspect_isolated(data, upload.name)
        cached = {"digest": digest, "name": upload.name, "file": imported}
    except ModelFileError as error:
        cached = {"digest": digest, "name": upload.name, "error": str(error)}
    st.session_state[IMPORTED] = cached
if "error" in cached:
    st.error(
        f"**{escape_markdown(upload.name)}** cannot be used: {escape_markdown(cached['error'])}",
        icon="🚫",
    )
    st.stop()
imported = cached["file"]

# ---- the mapping table --------------------------------------------------------------------------
count = len(imported.layers)
st.subheader(f"🗺️ {count} recurrent layer{'s' if count > 1 else ''} found")
st.caption(f"{escape_markdown(upload.name)} · {imported.format} · {len(data) / 1024:,.1f} KB")
st.dataframe(pd.DataFrame(imported.table()), hide_index=True, key=f"{K}.table")
for note in imported.notes:
    st.caption(f"ℹ️ {escape_markdown(note)}")

names = [layer.name for layer in imported.layers]
layer_name = st.selectbox(
    "Layer to record",
    options=names,
    format_func=lambda n: f"{n} · {imported.layer(n).describe()}",
    key=f"{K}.layer.{digest[:12]}",
)
layer = imported.layer(layer_name)
for note in layer.notes:
    st.caption(f"ℹ️ {escape_markdown(note)}")
with st.expander("Where each weight came from", expanded=False):
    st.dataframe(pd.DataFrame(imported.mapping(layer.name)), hide_index=True, key=f"{K}.mapping")
if layer.problems:
    st.error(
        f"This layer cannot be recorded: {escape_markdown('; '.join(layer.problems))}", icon="🚫"
    )
    st.stop()

# ---- what to attach, and the input --------------------------------------------------------------
prefix = f"{K}.{digest[:12]}.{layer.name}"
columns = st.columns(3)
with columns[0]:
    embedding = st.selectbox(
        "Embedding",
        options=[NONE, *[e.name for e in layer.embeddings]],
        index=1 if layer.embeddings else 0,
        key=f"{prefix}.embedding",
        help="A [tokens × input size] table found beside the layer. With it, the model reads "
        "token ids (or text through a vocabulary); without it, numbers per step.",
    )
with columns[1]:
    head = st.selectbox(
        "Linear head",
        options=[NONE, *[h.name for h in layer.heads]],
        key=f"{prefix}.head",
        help="A linear layer found beside the layer, reading its output.",
    )
nonlinearity = None
with columns[2]:
    if layer.kind.startswith("rnn"):
        nonlinearity = st.radio(
            "Nonlinearity",
            options=["tanh", "relu"],
            index=0 if layer.kind == "rnn_tanh" else 1,
            horizontal=True,
            key=f"{prefix}.nonlinearity",
            help="A vanilla RNN's nonlinearity is not stored in PyTorch weights.",
        )
choice = Choice(
    embedding=None if embedding == NONE else embedding,
    head=None if head == NONE else head,
    nonlinearity=nonlinearity,
)

# Ids to start from that fit: below the embedding's rows, or the one-hot width.
width = next(
    (int(e.weight.shape[0]) for e in layer.embeddings if e.name == choice.embedding),
    layer.input_size,
)
default_ids = " ".join(str(i % width) for i in range(1, 6))
if choice.embedding:
    modes = ["Text (with a vocabulary)", "Token ids", "Random tokens"]
else:
    modes = ["Random numbers", "Numeric CSV", "One-hot tokens"]
mode = st.radio("Input", options=modes, horizontal=True, key=f"{prefix}.mode")
vocab = None
level = "char"
source, csv = "random:20", None
if mode in ("Text (with a vocabulary)", "One-hot tokens"):
    left, right = st.columns([2, 1])
    with left:
        vocab_file = st.file_uploader(
            f'vocab.json: {{"token": id, ...}} or ["token", ...] (at most {MAX_VOCAB_MB} MB)',
            type=["json"],
            key=f"{K}.vocab",
            max_upload_size=MAX_VOCAB_MB,
            help="Without one, type token ids.",
        )
    with right:
        level = st.radio("Tokens are", options=["char", "word"], horizontal=True, key=f"{K}.level")
    if vocab_file is not None:
        try:
            vocab = read_vocab(vocab_file.getvalue())
        except ModelFileError as error:
            name, why = escape_markdown(vocab_file.name), escape_markdown(error)
            st.error(
                f"{name} cannot be used as a vocabulary: {why}",
                icon="🚫",
            )
    if vocab is not None:
        text = st.text_input(
            f"Text (at most {MAX_STEPS:,} tokens)", value="The cat sat on the mat.", key=f"{K}.text"
        )
        source = f"text:{text}"
    else:
        ids = st.text_input("Token ids, e.g. 3 14 15 9", value=default_ids, key=f"{K}.ids")
        source = f"ids:{ids}"
elif mode == "Token ids":
    ids = st.text_input("Token ids, e.g. 3 14 15 9", value=default_ids, key=f"{K}.ids")
    source = f"ids:{ids}"
elif mode == "Numeric CSV":
    csv_file = st.file_uploader(
        f"CSV: its first {layer.input_size} numeric column(s), one row per step "
        f"(at most {MAX_STEPS:,} rows)",
        type=["csv"],
        key=f"{K}.csv",
    )
    if csv_file is None:
        st.info("Upload a CSV to record it; until then, random numbers are shown.", icon="📈")
    else:
        source, csv = "csv", csv_file.getvalue()
else:
    steps = st.number_input("Steps", min_value=1, max_value=MAX_STEPS, value=20, key=f"{K}.steps")
    source = f"random:{int(steps)}"

# ---- record, check, show ------------------------------------------------------------------------
# Recording and checking (onnxruntime or Keras may run) happen once per file, layer, choice and
# input; later reruns (a layer picked in the heatmaps, a button) reuse them.
recording_key = (
    digest,
    layer_name,
    repr(choice),
    source,
    level,
    None if csv is None else hashlib.sha256(csv).hexdigest(),
    None if vocab is None else hashlib.sha256(vocab_file.getvalue()).hexdigest(),
)
memo = st.session_state.get(RECORDING)
if not memo or memo["key"] != recording_key:
    try:
        module = build(layer, choice)
        prepared = prepare(layer, choice, source, vocab=vocab, level=level, csv=csv)
        _, trace = record(module, prepared.inputs, tokens=[prepared.tokens])
        found = checks(layer, recurrent_input(module, prepared.inputs), trace)
        memo = {"key": recording_key, "result": (prepared, trace, found)}
    except ValueError as error:
        memo = {"key": recording_key, "error": str(error)}
    st.session_state[RECORDING] = memo
if "error" in memo:
    st.error(f"Cannot record this: {escape_markdown(memo['error'])}", icon="🚫")
    st.stop()
prepared, trace, found = memo["result"]

st.subheader("✅ Check" if all(c.ok for c in found) else "⚠️ Check")
for check in found:
    line = (
        f"**{escape_markdown(check.reference)}** on the same weights and input: largest difference "
        f"**{check.max_difference:.2g}** ({check.compared})"
    )
    if check.ok:
        st.success(line, icon="✅")
    else:
        st.warning(line, icon="⚠️")

render_tokens(
    prepared.tokens,
    prepared.unknown,
    numeric=choice.embedding is None and mode != "One-hot tokens",
    key=f"{K}.tokens",
)
panel = f"{K}.panel"
layer_index, direction = render_pickers(trace, key=panel)
render_heatmaps(trace, layer_index, direction, key=panel)

# ---- open in Explore ----------------------------------------------------------------------------
st.divider()
if st.button("🔍 Open in Explore", key=f"{K}.explore", type="primary"):
    folder = st.session_state.get(FOLDER)
    if not isinstance(folder, UploadFolder) or folder.removed:
        folder = UploadFolder()  # removed when this session's state goes (or the server stops)
        st.session_state[FOLDER] = folder
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{Path(upload.name).stem}-{layer.name}").strip("-")
    target, dropped = folder.place(slug or "model")  # at most MAX_MODELS: the oldest go
    kept = [
        m for m in st.session_state.get(state.UPLOADED_MODELS, []) if Path(m.path) not in dropped
    ]
    st.session_state[state.UPLOADED_MODELS] = kept
    try:
        path = save_as_checkpoint(
            target,
            layer,
            choice,
            filename=upload.name,
            vocab=vocab if choice.embedding else None,
            level=level,
        )
    except ModelFileError as error:
        st.error(f"Cannot open this in Explore: {escape_markdown(error)}", icon="🚫")
    else:
        ref = ModelRef("uploaded", path.name, str(path))
        models = [m for m in st.session_state.get(state.UPLOADED_MODELS, []) if m.id != ref.id]
        st.session_state[state.UPLOADED_MODELS] = [*models, ref]
        st.session_state[state.SELECT_MODEL] = ref.id
        # Explore opens on the input recorded here (as text its input box reads back).
        if choice.embedding is None:
            handed = format_numbers(prepared.inputs[0])
        elif vocab is not None:
            handed = source.removeprefix("text:") if source.startswith("text:") else None
        else:
            handed = " ".join(prepared.tokens)  # the ids, which are the tokens without a vocab
        if handed:
            st.session_state[state.EXPLORE_INPUT] = handed
        st.switch_page("views/explore.py")
st.caption(
    "Explore lists the model under 📤 Uploaded for this browser session, and reads the input "
    f"recorded here. The last {MAX_MODELS} models opened are kept, until the session ends."
)
