"""The heatmap panel: the tokens as the model read them, layer/direction pickers, and one heatmap
per recorded quantity (lstm_viz.figures.heatmap builds the figures; this only lays them out).

Every function takes a ``key`` and prefixes its widget keys with it, so a panel can appear twice
on one page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go
import streamlit as st

from app import classroom
from app.heatmap_figures import (
    build_heatmap_figure,
    build_heatmap_panel,
    outlined,
    panel_figure,
    split_choice,
)
from app.resources import shared_heatmap_figure
from app.text import escape_markdown
from lstm_viz import DIRECTION_NAMES, Trace
from lstm_viz.figures.heatmap import DEFAULT_MAX_STEPS, DEFAULT_MAX_UNITS, Window, plan_window
from lstm_viz.quantities import display_order, display_token, label, unknown_tokens_line

MAX_CHIPS = 400  # tokens drawn as chips; the rest are counted
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}

_CHIP = (
    "display:inline-block;margin:1px;padding:0 4px;border-radius:4px;"
    "font-family:monospace;font-size:0.85rem;line-height:1.5;white-space:pre;"
)
_KNOWN = "background:rgba(128,128,128,0.15);"
_UNKNOWN = "background:#fde0e0;color:#b2182b;border:1px solid #b2182b;font-weight:600;"


def tokens_html(tokens: Sequence[str], unknown: Sequence[bool], max_chips: int = MAX_CHIPS) -> str:
    """The tokens as chips (spaces and line breaks made visible); unknown ones red, with a
    tooltip saying the model read <unk> there. Safe HTML: every token is escaped."""
    chips = []
    for step, (token, unk) in enumerate(zip(tokens[:max_chips], unknown[:max_chips], strict=True)):
        text = html.escape(display_token(token))
        if unk:
            tip = html.escape(f"step {step}: {token!r} is not in the vocabulary: read as <unk>")
            chips.append(
                f'<span class="lv-token lv-unknown" style="{_CHIP}{_UNKNOWN}" '
                f'title="{tip}">{text}</span>'
            )
        else:
            tip = html.escape(f"step {step}")
            chips.append(
                f'<span class="lv-token" style="{_CHIP}{_KNOWN}" title="{tip}">{text}</span>'
            )
    more = len(tokens) - max_chips
    if more > 0:
        chips.append(f"<span> … and {more:,} more</span>")
    return f'<div class="lv-tokens" style="line-height:1.9">{"".join(chips)}</div>'


def render_tokens(
    tokens: Sequence[str],
    unknown: Sequence[bool],
    numeric: bool = False,
    key: str = "tokens",
    heading: str = "As the model reads it",
    unknown_note: str = "",
) -> None:
    """A line of chips with the tokens as the model read them, and one warning on unknown ones:
    ``unknown_note`` when the caller has it (the Upload page's, naming the unknown token and its
    id), else lstm_viz.quantities.unknown_tokens_line's (steps and distinct tokens counted)."""
    what = "steps (the numbers of each step)" if numeric else "tokens"
    st.markdown(
        f"**{heading}:** {len(tokens):,} {what}",
        help="Spaces show as ␣, line breaks as ⏎. Red: not in the model's vocabulary.",
    )
    with st.container(key=f"{key}.chips", height="content" if len(tokens) <= 150 else 160):
        st.markdown(tokens_html(tokens, unknown), unsafe_allow_html=True)
    line = unknown_note or unknown_tokens_line(tokens, unknown)
    if line:
        st.warning(_markdown_escape(line), icon="⚠️")


def _markdown_escape(text: str) -> str:
    """Backslash-escape markdown's punctuation, so a token such as '*' shows as itself."""
    return escape_markdown(text)


def render_pickers(trace: Trace, key: str) -> tuple[int, int]:
    """Layer (and direction, for a bidirectional core) pickers; returns (layer, direction)."""
    columns = st.columns([3, 2]) if trace.num_directions > 1 else [st.container()]
    with columns[0]:
        layer = st.radio(
            "Layer",
            options=list(range(trace.num_layers)),
            format_func=lambda i: f"Layer {i}",
            horizontal=True,
            key=f"{key}.layer",
            help="Layer 0 reads the input; each next layer reads the hidden states below it.",
            persist_state="session",
        )
    direction = 0
    if trace.num_directions > 1:
        with columns[1]:
            direction = st.radio(
                "Direction",
                options=list(range(trace.num_directions)),
                format_func=lambda d: {
                    "forward": "→ forward",
                    "backward": "← backward (reads from the end)",
                }[DIRECTION_NAMES[d]],
                horizontal=True,
                key=f"{key}.direction",
                persist_state="session",
            )
    return layer or 0, direction or 0


def highlight_row(unit: int | None, units, window) -> float | None:
    """Where ``unit``'s row sits on a heatmap's y axis: the unit itself on a numeric axis, its
    position among the shown rows on an ordered (categorical) one; None when not on screen."""
    if unit is None:
        return None
    if units is None:
        return unit if window.unit_start <= unit < window.unit_stop else None
    shown = [int(u) for u in units[window.unit_start : window.unit_stop]]
    return shown.index(unit) if unit in shown else None


def render_heatmaps(
    trace: Trace,
    layer: int = 0,
    direction: int = 0,
    key: str = "heatmaps",
    max_steps: int = DEFAULT_MAX_STEPS,
    max_units: int = DEFAULT_MAX_UNITS,
    columns: int = 2,
    units=None,
    config: dict | None = None,
    highlight: int | None = None,
    recording: str | None = None,
    scales=None,
    hints: dict[str, str] | None = None,
    numeric: bool = False,
    window_picker: bool = True,
) -> None:
    """One heatmap per recorded quantity of ``layer``/``direction`` (batch element 0), in
    ``columns`` columns, gates first. Wide layers get a unit-window picker; long inputs are
    averaged over windows of steps, and the page says so above the charts.

    ``units``: the unit indices to show, in order (lstm_viz.figures.ordering), shared by every
    heatmap of the same width; ``config``: the plotly config (default PLOTLY_CONFIG);
    ``highlight``: a unit whose row is outlined in every heatmap (when it is on screen);
    ``recording``: a string naming the recording ``trace`` is (app.resources.recording_key), so
    that its figures are built once and shared by every session showing the same; None: built on
    every run; ``scales``: the model's fixed colour scales (app.resources.model_scales), used
    for the cell state (and an RNN's pre-activation); a caption says which scale is used;
    ``hints``: {quantity: a line} shown above each heatmap (lstm_viz.learn.hints), with the red
    outline explained and a button that hides them for the session. ``numeric``: the model reads
    numbers, not tokens (the x axis counts steps);
    ``window_picker``: False draws no unit-window picker (the first ``max_units`` units)."""
    widest = max(trace[n].shape[-1] for n in trace.names)
    if units is not None:
        widest = len(units)
    unit_start = 0
    if widest > max_units and window_picker:
        unit_start = render_unit_window(widest, max_units, f"{key}.units", units is not None)
    window = plan_window(trace.num_steps, widest, max_steps, max_units, unit_start)
    note = window.describe(ordered=units is not None)  # as the heatmaps' subtitles say it
    if note:
        hint = window_hint(window, window_picker and widest > max_units)
        st.info(f"Too many cells to show at once: {note}. {hint}", icon="🔎")
    names = display_order(trace.names)
    panels: dict = {}  # without a recording to share them under: built once for this run
    for row in range(0, len(names), columns):
        pair = names[row : row + columns]
        if hints and any(name in hints for name in pair):
            # The hints of a row in a row of their own above the charts: lines of different
            # lengths then never push one chart of the pair lower than the other.
            for cell, name in zip(st.columns(columns), pair, strict=False):
                if name in hints:
                    cell.caption(hints[name])
        cells = st.columns(columns)
        for cell, name in zip(cells, pair, strict=False):
            with cell:
                same_width = units is not None and trace[name].shape[-1] > max(units)
                shown = tuple(int(u) for u in units) if same_width else None
                figure = heatmap_figure(
                    trace,
                    name,
                    layer,
                    direction,
                    max_steps,
                    max_units,
                    unit_start,
                    shown,
                    highlight,
                    highlight_row(highlight, shown, window),
                    scales.bound(name, layer, direction) if scales is not None else None,
                    numeric,
                    recording=recording,
                    panels=panels,
                )
                st.plotly_chart(
                    classroom.on_screen(figure),
                    key=f"{key}.{name}",
                    config=config or PLOTLY_CONFIG,
                    alt=label(name),
                )

    render_scale_note(trace, layer, direction, scales)
    if hints:
        render_hint_footer(highlight, highlight_row(highlight, units, window) is not None, key)


def render_unit_window(widest: int, max_units: int, key: str, ordered: bool = False) -> int:
    """The "Units shown" slider: which ``max_units`` of ``widest`` units (or, ``ordered``, rows
    of a chosen order) the heatmaps show; returns the first one. Draw it only when
    ``widest > max_units``."""
    return st.select_slider(
        "Units shown",
        options=list(range(0, widest, max_units)),
        # in a chosen order the window is of rows (1-64), not of unit numbers
        format_func=(lambda s: f"rows {s + 1}-{min(s + max_units, widest)}")
        if ordered
        else (lambda s: f"{s}-{min(s + max_units, widest) - 1}"),
        key=key,
        help=f"{widest} units to show; {max_units} fit on screen at a time.",
    )


def render_hint_footer(highlight: int | None, shown: bool, key: str) -> None:
    """The red outline explained, and the button that hides the hints for this session."""
    from app import state
    from lstm_viz.learn.hints import outline_hint

    line, button = st.columns([5, 1], vertical_alignment="center")
    line.caption("🔴 " + outline_hint(highlight, shown))
    if button.button("✕ Hide hints", key=f"{key}.hide_hints", help="Hide these first-visit hints"):
        st.session_state[state.HINTS_HIDDEN] = True
        st.rerun()


def scale_note(trace: Trace, layer: int, direction: int, scales) -> str:
    """Which colour scale the unbounded quantities use, in words (the colour bars say the
    same in short): the model's fixed one, or this input's largest |value| when it has none
    (lstm_viz.analysis.scales.scale_note: every page says it in the same words)."""
    from lstm_viz.analysis.scales import scale_note as note

    return note(display_order(trace.names), layer, direction, scales)


def render_scale_note(trace: Trace, layer: int, direction: int, scales) -> None:
    note = scale_note(trace, layer, direction, scales)
    if note:
        st.caption("🎨 " + note)


def heatmap_figure(
    trace: Trace, *choice, recording: str | None = None, panels: dict | None = None
) -> go.Figure:
    """app.resources.build_heatmap_figure(trace, *choice): the heatmap of one quantity, the
    highlighted unit's row outlined. The heatmaps of one layer and window are built together
    (app.resources.build_heatmap_panel: their hover grids computed once). With ``recording`` (a
    string naming the recording, see app.resources.recording_key) the panel and figure are
    cached and shared by every session: read only (st.plotly_chart copies it); a class opening
    the same input builds it once. Without, ``panels`` (a dict) keeps panels for this run."""
    if recording is not None:
        return shared_heatmap_figure(recording, choice, _trace=trace)
    if panels is None:
        return build_heatmap_figure(trace, *choice)
    name, window, highlight, row, bound = split_choice(choice)
    if window not in panels:
        panels[window] = build_heatmap_panel(trace, *window)
    return outlined(panel_figure(trace, panels[window], name, bound), highlight, row)


def window_hint(window: Window, picker: bool = True) -> str:
    """What to do about a heatmap that shows part of the recording: hover averaged columns for
    their steps; pick the other units with the Units shown slider (``picker``: it is drawn)."""
    hints = []
    if window.window > 1:
        hints.append("Hover a column for its steps.")
    if picker and window.unit_stop - window.unit_start < window.units:
        hints.append("**Units shown** above picks the others.")
    return " ".join(hints)
