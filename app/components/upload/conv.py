"""Upload, for a Keras file of ConvLSTM2D layers: record them on frames (an uploaded .npy
[time, height, width, channels], or random frames), check against Keras, show the gate maps.

The file is read and recorded in a child process (lstm_viz.importers._conv.record_conv_isolated);
Keras runs on it only in its own safe-mode child. An uploaded ConvLSTM stack has no head that
predicts frames, so its maps are shown here (Explore opens shipped and trained frame models).
"""

from __future__ import annotations

import hashlib
import io

import streamlit as st

from app import state
from app.components.explore.export import plotly_config
from app.text import escape_markdown
from lstm_viz.figures.frames import gate_maps_figure
from lstm_viz.importers import ModelFileError, record_conv_isolated


def is_conv_error(message: str) -> bool:
    """The reader's refusal of a file whose recurrent layers are Keras ConvLSTM2D."""
    return "ConvLSTM2D layers record from frames" in message


def render_conv_upload(name: str, data: bytes, digest: str) -> None:
    """The ConvLSTM part of the Upload page (widgets keyed ``upload.conv.<digest>.<what>``)."""
    key = f"{state.UPLOAD_PREFIX}.conv.{digest[:12]}"
    st.success(
        f"**{escape_markdown(name)}** holds Keras ConvLSTM2D layers: every gate and state is a "
        "picture. Record them on frames.",
        icon="🖼️",
    )
    frames = st.file_uploader(
        "Frames (.npy, [time, height, width, channels]); none: 8 random frames of 12 × 12",
        type=["npy"],
        key=f"{key}.frames",
    )
    frame_bytes = frames.getvalue() if frames is not None else None
    wanted = (digest, hashlib.sha256(frame_bytes or b"").hexdigest())
    cached = st.session_state.get(state.UPLOAD_CONV)
    label = "uploaded frames" if frame_bytes else "8 random frames"
    clicked = st.button(f"Record on the {label}", key=f"{key}.record", type="primary")
    if clicked and (not cached or cached["wanted"] != wanted):
        try:
            with st.spinner("Recording every gate map and checking against Keras..."):
                result = record_conv_isolated(data, name, frame_bytes)
            cached = {"wanted": wanted, "result": result}
        except ModelFileError as error:
            cached = {"wanted": wanted, "error": str(error)}
        st.session_state[state.UPLOAD_CONV] = cached
    if not cached or cached["wanted"][0] != digest:
        return
    if "error" in cached:
        st.error(f"Cannot record it: {escape_markdown(cached['error'])}", icon="🚫")
        return
    result = cached["result"]
    lines = "\n".join(f"- {escape_markdown(line)}" for line in result.lines)
    if result.disagrees:
        st.error(f"Our numbers DIFFER from a reference:\n{lines}", icon="🚨")
    else:
        st.markdown(lines)
    trace = result.trace
    layer = 0
    if trace.num_layers > 1:
        layer = st.selectbox("Layer", range(trace.num_layers), key=f"{key}.layer")
    step = st.slider("Step", 0, trace.num_steps - 1, 0, key=f"{key}.step")
    figure = gate_maps_figure(trace, int(layer), int(step))
    st.plotly_chart(figure, key=f"{key}.maps", config=plotly_config(f"{key}.maps"))

    def trace_bytes() -> bytes:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "trace.npz"
            trace.save(path)
            return io.BytesIO(path.read_bytes()).getvalue()

    st.download_button("Download the trace (.npz)", trace_bytes, "trace.npz", key=f"{key}.download")
