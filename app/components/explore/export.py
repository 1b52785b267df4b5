"""Explore's Export view: downloads of the recording, and the format charts are saved in.
Every function takes a ``key`` and prefixes its widget keys with it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.components.heatmaps import PLOTLY_CONFIG
from app.resources import ModelRef, html_page
from app.text import escape_markdown
from lstm_viz import Trace
from lstm_viz.export import ExportError
from lstm_viz.figures.export import FORMATS, MIME, trace_bytes

MAX_CSV_VALUES = 5_000_000  # a CSV row per value: beyond this, offer npz and parquet only


FIGURE_FORMATS = ("png", "svg")


def plotly_config(key: str) -> dict[str, Any]:
    """The plotly config of Explore's charts: the modebar's camera saves PNG or SVG (chosen in
    Export) in the browser, offline."""
    fmt = st.session_state.get(f"{key}.figure_format", "png")
    return {
        **PLOTLY_CONFIG,
        "toImageButtonOptions": {"format": fmt, "filename": "lstm-viz", "scale": 2},
    }


def render_page_download(ref: ModelRef, text: str, device: str, key: str) -> None:
    """A download of the self-contained HTML page of this model and input, its size stated."""
    st.markdown("**A page that opens anywhere**")
    try:
        page = html_page(ref, text, device)
    except ExportError as error:
        st.info(f"No page for this input: {escape_markdown(error)}.", icon="ℹ️")
        return
    left, right = st.columns([1, 2], vertical_alignment="center")
    with left:
        st.download_button(
            f"⬇️ HTML page ({len(page) / 1e6:.1f} MB)",
            data=page,
            file_name=f"{ref.name}-page.html",
            mime="text/html",
            key=f"{key}.download.html",
            on_click="ignore",
            width="stretch",
        )
    with right:
        st.caption(
            f"One file, {len(page):,} bytes: every gate and state heatmap of every layer, the "
            "unit view and plotly.js inside, so it opens offline in any browser, with no "
            "server: mail it to students. The same as `python -m lstm_viz export-html`."
        )


def render_export(
    ref: ModelRef,
    trace: Trace,
    layer: int,
    direction: int,
    key: str,
    text: str | None = None,
    device: str = "cpu",
) -> None:
    """Downloads of the trace (npz, parquet, csv), the HTML page of the model and ``text``
    (when given), and the format charts are saved in."""
    if text is not None:
        render_page_download(ref, text, device, key)
    st.markdown("**The recording**")
    scope = st.radio(
        "What to download",
        ["view", "all"],
        format_func={
            "view": f"this layer{' and direction' if trace.num_directions > 1 else ''}",
            "all": "every layer and direction",
        }.get,
        horizontal=True,
        key=f"{key}.export_scope",
        persist_state="session",
    )
    chosen = trace.select(layer=layer, direction=direction) if scope == "view" else trace
    cells = sum(v.numel() for v in chosen.values.values())
    stem = f"{ref.name}-trace" + (f"-layer{layer}" if scope == "view" else "")
    columns = st.columns(3)
    for column, fmt in zip(columns, FORMATS, strict=True):
        with column:
            if fmt == "csv" and cells > MAX_CSV_VALUES:
                st.caption(
                    f"CSV: {cells:,} rows is too many for a spreadsheet; use .npz or .parquet, "
                    "or download one layer."
                )
                continue
            st.download_button(
                f"⬇️ .{fmt}",
                data=lambda fmt=fmt: trace_bytes(chosen, fmt),  # made on click, not every run
                file_name=f"{stem}.{fmt}",
                mime=MIME[fmt],
                key=f"{key}.download.{fmt}",
                on_click="ignore",
                width="stretch",
            )
    st.caption(
        f"{cells:,} values. .npz and .parquet load back with `lstm_viz.Trace.load`; the .csv is "
        "the long table (quantity, layer, direction, batch, time, unit, token, value)."
    )
    st.markdown("**Figures**")
    st.radio(
        "Save charts as",
        FIGURE_FORMATS,
        format_func=str.upper,
        horizontal=True,
        key=f"{key}.figure_format",
        persist_state="session",
        help="Hover a chart and click the camera in its toolbar: the browser saves it, offline.",
    )
    st.caption("Hover any chart and click 📷 in its toolbar to save it in this format.")
