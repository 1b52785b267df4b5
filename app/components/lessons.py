"""The Learn page's parts: the cell playground, the vanilla RNN beside it, the memory story,
guided tours, exercises and the classroom-link builder. The numbers come from the library
(lstm_viz.learn.cell_step, memory_story, tours, lessons); this module lays them out.

Every function takes a ``key`` and prefixes its widget keys with it. Controls are skipped when
the session's classroom link hides them (``hide=1``): the values then come from session state
or the defaults.
"""

from __future__ import annotations

import time
from dataclasses import asdict

import streamlit as st

from app import classroom, links, state
from app.components.heatmaps import PLOTLY_CONFIG
from app.resources import (
    ModelRef,
    find_model,
    list_shipped_models,
    list_trained_models,
    load_model,
    model_version,
    record_text,
)
from app.text import escape_markdown
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.learn.cell_step import (
    CellParams,
    RNNParams,
    equations,
    lstm_step,
    rnn_equation,
    rnn_sentence,
    rnn_step,
    sentences,
    setting_from_text,
    setting_to_text,
)
from lstm_viz.learn.diagram import cell_diagram, trace_diagram
from lstm_viz.learn.lessons import TRACKING_THRESHOLD, check_keeps_memory, check_tracking_unit
from lstm_viz.learn.memory_story import (
    STORY_LSTM,
    STORY_RNN,
    memory_figure,
    memory_story,
    signal_then_gap,
    story_sentence,
)
from lstm_viz.learn.tour_figures import stop_figure
from lstm_viz.learn.tours import (
    AGREEMENT_MODEL,
    AGREEMENT_PLURAL,
    AGREEMENT_TEXT,
    CAT_MODEL,
    CAT_TEXT,
    agreement_tour,
    cat_tour,
)

BRACKETS_MODEL = "shipped/brackets-lstm"
MAX_UNITS = 64  # rows of the exercise's heatmap
GATE_TITLES = {
    "forget": "Forget gate",
    "input": "Input gate",
    "candidate": "Candidate",
    "output": "Output gate",
}
GATE_EMOJI = {"forget": "🧹", "input": "✍️", "candidate": "💡", "output": "📢"}
SYMBOL = {"forget": "f", "input": "i", "candidate": "g", "output": "o"}
PART_LABELS = {"x": "weight on x", "h": "weight on h_prev", "bias": "bias"}
INPUT_RANGES = {"x": (-2.0, 2.0, 1.0), "h_prev": (-1.0, 1.0, 0.0), "c_prev": (-3.0, 3.0, 0.5)}
INPUT_LABELS = {
    "x": "input x",
    "h_prev": "previous hidden h_prev",
    "c_prev": "previous cell c_prev",
}
WEIGHT_RANGE = (-6.0, 6.0)
_TRACE_NAMES = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")


# ---- The playground ----------------------------------------------------------------------------


def _slider(label: str, low: float, high: float, default: float, key: str, **kwargs) -> float:
    st.session_state.setdefault(key, default)
    return st.slider(
        label, low, high, step=0.1, key=key, persist_state="session", format="%.1f", **kwargs
    )


def playground_values(key: str) -> tuple[float, float, float, CellParams, RNNParams]:
    """(x, h_prev, c_prev, LSTM weights, RNN weights) as the sliders (or defaults) set them."""
    get = st.session_state.get
    x, h, c = (get(f"{key}.{name}", INPUT_RANGES[name][2]) for name in ("x", "h_prev", "c_prev"))
    defaults = CellParams()
    lstm = CellParams(
        **{n: float(get(f"{key}.{n}", getattr(defaults, n))) for n in CellParams.names()}
    )
    rnn_defaults = RNNParams()
    rnn = RNNParams(**{n: float(get(f"{key}.rnn.{n}", v)) for n, v in asdict(rnn_defaults).items()})
    return float(x), float(h), float(c), lstm, rnn


def render_playground_controls(key: str) -> None:
    """Sliders: the inputs, then one column per gate with its two weights and its bias."""
    defaults = CellParams()
    columns = st.columns([1.1, 1, 1, 1, 1], gap="medium")
    with columns[0]:
        st.markdown("**Inputs**")
        for name, (low, high, default) in INPUT_RANGES.items():
            _slider(INPUT_LABELS[name], low, high, default, f"{key}.{name}")
    for column, gate in zip(columns[1:], ("forget", "input", "candidate", "output"), strict=True):
        with column:
            st.markdown(f"**{GATE_EMOJI[gate]} {GATE_TITLES[gate]}**")
            for part in ("x", "h", "bias"):
                name = f"{gate}_{part}"
                _slider(
                    f"{SYMBOL[gate]}: {PART_LABELS[part]}",
                    *WEIGHT_RANGE,
                    getattr(defaults, name),
                    f"{key}.{name}",
                )


def apply_linked_setting(key: str) -> None:
    """Once per session: put the link's ``cell=`` setting into the playground's sliders."""
    text = classroom.link_of_session().get("cell")
    if not text or st.session_state.get(f"{key}.link_applied"):
        return
    st.session_state[f"{key}.link_applied"] = True
    for name, value in setting_from_text(text).items():
        low, high = INPUT_RANGES[name][:2] if name in INPUT_RANGES else WEIGHT_RANGE
        st.session_state[f"{key}.{name}"] = round(min(max(value, low), high), 1)


def current_setting(key: str) -> dict[str, float]:
    """The playground's inputs and weights that differ from the defaults."""
    x, h, c, params, _ = playground_values(key)
    values = {"x": x, "h_prev": h, "c_prev": c, **asdict(params)}
    defaults = {name: default for name, (_, _, default) in INPUT_RANGES.items()}
    defaults.update(asdict(CellParams()))
    return {n: v for n, v in values.items() if abs(v - defaults[n]) > 1e-9}


def _reset(key: str) -> None:
    for name in (*INPUT_RANGES, *CellParams.names(), *(f"rnn.{n}" for n in ("x", "h", "bias"))):
        st.session_state.pop(f"{key}.{name}", None)


def render_playground(key: str = "learn.cell") -> None:
    """One LSTM cell: sliders, the diagram with live numbers, the equations and one sentence per
    gate; a vanilla RNN step beside it."""
    apply_linked_setting(key)
    hidden = classroom.controls_hidden()
    if not hidden:
        with st.container(border=True, key=f"{key}.controls"):
            render_playground_controls(key)
            st.button("↺ Reset the cell", key=f"{key}.reset", on_click=_reset, args=(key,))
    x, h, c, params, rnn = playground_values(key)
    step = lstm_step(x, h, c, params=params)
    words = sentences(step)
    maths = equations(step, params)

    st.markdown("##### The LSTM cell, now")
    svg = cell_diagram(
        **{name: step.value(name) for name in _TRACE_NAMES},
        cell_prev=c,
        hidden_prev=h,
        x=x,
        title="The playground's LSTM cell",
    )
    st.markdown(f'<div class="lv-playground" data-key="{key}">{svg}</div>', unsafe_allow_html=True)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("##### The equations, with these numbers")
        for gate in ("forget", "input", "candidate", "output", "cell", "hidden"):
            with st.container(key=f"{key}.eq.{gate}"):
                st.latex(maths[gate])
                st.markdown(words[gate])
    with right:
        render_rnn(key, x, h, rnn, hidden)


def render_rnn(key: str, x: float, h: float, params: RNNParams, hidden: bool) -> None:
    """The vanilla RNN step on the same x and h_prev, with its own weights."""
    st.markdown("##### A vanilla RNN, side by side")
    if not hidden:
        defaults = RNNParams()
        _slider("RNN weight on x", *WEIGHT_RANGE, defaults.x, f"{key}.rnn.x")
        _slider("RNN weight on h_prev", *WEIGHT_RANGE, defaults.h, f"{key}.rnn.h")
        _slider("RNN bias", *WEIGHT_RANGE, defaults.bias, f"{key}.rnn.bias")
        x, h, _, _, params = playground_values(key)
    step = rnn_step(x, h, params)
    st.latex(rnn_equation(step, params))
    st.metric("RNN hidden state h", f"{float(step.hidden[0]):+.3f}", border=True)
    st.markdown(rnn_sentence(step, params))
    st.caption(
        "Same x and h_prev as the LSTM. The LSTM adds a separate memory c that is updated by "
        "adding (f·c + i·g), not by squashing: see below why that matters over long gaps."
    )


# ---- The memory story ----------------------------------------------------------------------


@st.cache_data(max_entries=64, show_spinner=False)
def _story(gap: int, forget_bias: float, rnn_weight: float):
    """The memory story for these settings (autograd over the sequence: cached, so moving the
    step slider does not recompute it)."""
    lstm = CellParams(**{**asdict(STORY_LSTM), "forget_bias": forget_bias})
    rnn = RNNParams(**{**asdict(STORY_RNN), "h": rnn_weight})
    return memory_story(signal_then_gap(gap), lstm, rnn)


def render_memory_story(key: str = "learn.story") -> None:
    """A signal at step 0, then a gap: what the LSTM and the RNN still hold of it, step by step."""
    st.markdown("#### ⏳ Why the cell state keeps gradients alive")
    st.markdown(
        "Both cells read a **1** at step 0, then zeros. The LSTM writes it into its cell; after "
        "that only its **forget gate** decides how much stays: each step multiplies the memory "
        "(and the gradient flowing back to step 0) by f. The RNN must push it through "
        "tanh(w·h) at every step: each step multiplies by w·tanh′, below 1 unless w > 1, and it "
        "fades (with w > 1 it saturates instead, and tanh′ near 0 kills the gradient: try it)."
    )
    hidden = classroom.controls_hidden()
    get = st.session_state.get
    gap, bias, weight = get(f"{key}.gap", 30), get(f"{key}.bias", 3.0), get(f"{key}.w", 0.9)
    if not hidden:
        columns = st.columns(3)
        with columns[0]:
            st.session_state.setdefault(f"{key}.gap", 30)
            gap = st.slider("gap (steps)", 5, 80, key=f"{key}.gap", persist_state="session")
        with columns[1]:
            bias = _slider("LSTM forget bias", -2.0, 8.0, 3.0, f"{key}.bias")
        with columns[2]:
            weight = _slider("RNN recurrent weight", -2.0, 2.0, 0.9, f"{key}.w")
    story = _story(int(gap), float(bias), float(weight))

    step_key = f"{key}.step"
    st.session_state.setdefault(step_key, story.steps - 1)
    if st.session_state[step_key] > story.steps - 1:
        st.session_state[step_key] = story.steps - 1
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    with left:
        step = st.slider("step", 0, story.steps - 1, key=step_key, persist_state="session")
    with right:
        play = st.button("▶ Play", key=f"{key}.play", width="stretch")
    chart, words = st.empty(), st.empty()
    shown = range(0, story.steps) if play else [step]
    for t in shown:
        chart.plotly_chart(memory_figure(story, t), key=f"{key}.chart.{t}", config=PLOTLY_CONFIG)
        words.markdown(story_sentence(story, t))
        if play:
            time.sleep(0.12)
    st.markdown(
        "Gradient of the last step's state flowing back to step 0: "
        f"**{story.lstm_gradient[0]:.3g}** through the LSTM's cell (the product of its "
        f"forget gates: {story.forget_product[0]:.3g}) against "
        f"**{story.rnn_gradient[0]:.3g}** through the RNN. "
        "Learning that step 0 mattered needs that gradient."
    )


# ---- Models for tours and exercises ---------------------------------------------------------


def _all_models() -> list[ModelRef]:
    uploaded = st.session_state.get(state.UPLOADED_MODELS, [])
    return [*list_shipped_models(), *list_trained_models(), *uploaded]


def _fits_text(ref: ModelRef, text: str, level: str) -> bool:
    try:
        checkpoint = load_model(ref)
    except (ValueError, OSError):
        return False
    vocab = checkpoint.vocab
    if vocab is None or vocab.level != level:
        return False
    if checkpoint.model.config.cell not in ("lstm", "peephole_lstm"):
        return False
    tokens = vocab.tokenize(text)
    return not any(vocab.unknown(tokens))


def pick_model(wanted: str, fits, key: str, what: str) -> ModelRef | None:
    """The shipped model ``wanted`` if present, else a model that ``fits`` (the sidebar's first);
    with several, a picker. None (and a message) when no model fits."""
    candidates = [ref for ref in _all_models() if ref.path and (ref.id == wanted or fits(ref))]
    if not candidates:
        st.info(
            f"This needs the shipped model **{wanted}**, which is not installed here, or "
            f"{what}. Train one on the Train page, or upload one.",
            icon="📦",
        )
        return None
    ids = [ref.id for ref in candidates]
    chosen = state.choices().get("model")
    default = wanted if wanted in ids else chosen if chosen in ids else ids[0]
    if len(ids) > 1 and not classroom.controls_hidden():
        st.session_state.setdefault(f"{key}.model", default)
        if st.session_state[f"{key}.model"] not in ids:
            st.session_state[f"{key}.model"] = default
        picked = st.selectbox("Model", ids, key=f"{key}.model")
    else:
        picked = default
    if picked != wanted:
        shown = escape_markdown(picked)
        st.caption(f"The shipped model {wanted} is not here: this runs on **{shown}**.")
    return next(ref for ref in candidates if ref.id == picked)


# ---- Tours -------------------------------------------------------------------------------


TOURS = {
    "cat": ("🐈 The cat sat on the mat.", CAT_MODEL, CAT_TEXT, "char"),
    "agreement": ("🧩 The cat, which was hungry, …", AGREEMENT_MODEL, AGREEMENT_TEXT, "word"),
}


@st.cache_data(max_entries=8, show_spinner="Measuring every unit on the validation data...")
def _correlations(path: str, version: int, quantity: str = "cell"):
    """[layer, direction, unit] r of each unit's ``quantity`` with the task's hidden variable,
    or None when the task cannot be rebuilt or has none."""
    from app.resources import _load_checkpoint
    from lstm_viz.learn.lessons import unit_correlations
    from lstm_viz.tasks import TASKS, make_task

    checkpoint = _load_checkpoint(path, version)
    task = checkpoint.info.get("task") or {}
    if task.get("name") not in TASKS:
        return None
    try:
        built = make_task(task["name"], **(task.get("params") or {}))
        if built.hidden_variable is None:
            return None
        return unit_correlations(checkpoint.model, built, quantity)
    except (ValueError, TypeError):
        return None


def correlations_of(ref: ModelRef, quantity: str = "cell"):
    return _correlations(ref.path, model_version(ref), quantity)


def build_tour(tour: str, ref: ModelRef):
    """(trace, stops) of a tour on the model ``ref``."""
    _, _, text, _ = TOURS[tour]
    trace = record_text(ref, text).trace
    if tour == "cat":
        return trace, cat_tour(trace)
    plural = record_text(ref, AGREEMENT_PLURAL).trace
    return trace, agreement_tour(trace, plural, correlations_of(ref))


def render_tour(tour: str, key: str = "learn.tour") -> None:
    """One tour: its stops one at a time, with the figure, the unit's cell at the stop's step,
    and a button that opens the view in Explore."""
    title, wanted, text, level = TOURS[tour]
    key = f"{key}.{tour}"
    st.markdown(f"#### {title}")
    what = (
        "a character-level LSTM that knows its letters (English prose)"
        if level == "char"
        else "a word-level LSTM trained on the agreement sentences"
    )
    ref = pick_model(wanted, lambda r: _fits_text(r, text, level), key, what)
    if ref is None:
        return
    try:
        trace, stops = build_tour(tour, ref)
    except ValueError as error:
        why = f"This tour cannot run on {ref.name}: {error}"
        st.error(escape_markdown(why), icon="🚫")
        return
    stop_key = f"{key}.stop"
    link = classroom.link_of_session()
    if stop_key not in st.session_state:
        linked = link.get("view") == f"tour-{tour}"
        st.session_state[stop_key] = min(link.get("step", 0) if linked else 0, len(stops) - 1)
    index = min(st.session_state[stop_key], len(stops) - 1)
    stop = stops[index]

    def move(by: int) -> None:
        st.session_state[stop_key] = min(max(0, index + by), len(stops) - 1)

    back, where, forward = st.columns([1, 3, 1], vertical_alignment="center")
    back.button("◀ Back", key=f"{key}.back", on_click=move, args=(-1,), disabled=index == 0)
    where.progress((index + 1) / len(stops), text=f"Stop {index + 1} of {len(stops)}")
    forward.button(
        "Next ▶", key=f"{key}.next", on_click=move, args=(1,), disabled=index == len(stops) - 1
    )
    st.markdown(f"**{stop.title}**")
    st.markdown(stop.text)
    st.plotly_chart(stop_figure(trace, stop), key=f"{key}.figure.{index}", config=PLOTLY_CONFIG)
    if stop.unit is not None and stop.steps:
        at = stop.steps[-1]
        with st.expander(
            f"Inside unit {stop.unit} of layer {stop.layer} at step {at} "
            f"({escape_markdown(repr(trace.tokens[0][at]))})",
            expanded=True,
        ):
            st.markdown(
                trace_diagram(trace, at, stop.unit, stop.layer, stop.direction),
                unsafe_allow_html=True,
            )
    if st.button("🔍 Open in Explore", key=f"{key}.explore"):
        st.session_state[state.EXPLORE_INPUT] = text
        st.session_state[state.SELECT_MODEL] = ref.id
        if stop.unit is not None:
            st.session_state[state.EXPLORE_UNIT] = {
                "layer": stop.layer,
                "direction": stop.direction,
                "unit": stop.unit,
            }
        st.switch_page("views/explore.py")


# ---- Exercises -------------------------------------------------------------------------------


def render_memory_exercise(key: str = "learn.exercise.memory") -> None:
    """Set the forget gate so the cell keeps at least 90% of its memory (x = 1, h_prev = 0.5)."""
    st.markdown("#### 🧹 Keep the memory")
    x, h = 1.0, 0.5
    st.markdown(
        f"The cell reads **x = {x}** with **h_prev = {h}**. Set the forget gate's weights so "
        "that the cell keeps **at least 90%** of its old memory."
    )
    columns = st.columns(3)
    with columns[0]:
        w = _slider("forget weight on x", *WEIGHT_RANGE, 0.0, f"{key}.x")
    with columns[1]:
        u = _slider("forget weight on h_prev", *WEIGHT_RANGE, 0.0, f"{key}.h")
    with columns[2]:
        b = _slider("forget bias", *WEIGHT_RANGE, 0.0, f"{key}.bias")
    params = CellParams(forget_x=w, forget_h=u, forget_bias=b)
    forget = lstm_step(x, h, 1.0, params=params).value("forget_gate")
    if st.button("Check my answer", key=f"{key}.check"):
        st.session_state[f"{key}.feedback"] = asdict(check_keeps_memory(forget))
    _show_feedback(f"{key}.feedback")


def _show_feedback(key: str) -> None:
    feedback = st.session_state.get(key)
    if not feedback:
        return
    if feedback["correct"]:
        st.success(feedback["message"], icon="🎉")
    else:
        st.error(feedback["message"], icon="💡")


def _is_dyck(ref: ModelRef) -> bool:
    try:
        checkpoint = load_model(ref)
    except (ValueError, OSError):
        return False
    return (checkpoint.info.get("task") or {}).get("name") == "dyck"


@st.cache_data(max_entries=8, show_spinner=False)
def _example(path: str, version: int) -> str:
    from app.resources import _load_checkpoint
    from lstm_viz.tasks import make_task

    task = _load_checkpoint(path, version).info.get("task") or {}
    sequences = make_task("dyck", **(task.get("params") or {})).sequences("validation")
    return max(sequences[:50], key=len)


def render_depth_exercise(key: str = "learn.exercise.depth") -> None:
    """Find a unit whose cell tracks the bracket depth; checked against the validation data."""
    st.markdown("#### 🔢 Find the bracket counter")
    st.markdown(
        "A network that knows how deep the brackets are nested must count somewhere. Look at "
        "the cell states below and **pick the unit that tracks the depth**: the app checks it "
        f"against the model's validation data (|r| ≥ {TRACKING_THRESHOLD:.1f})."
    )
    chosen = find_model(state.choices().get("model"))
    wanted = chosen.id if chosen is not None and _is_dyck(chosen) else BRACKETS_MODEL
    ref = pick_model(wanted, _is_dyck, key, "a model trained on Bracket depth (dyck)")
    if ref is None:
        return
    example = _example(ref.path, model_version(ref))
    trace = record_text(ref, example).trace
    config = load_model(ref).model.config
    columns = st.columns([1, 1, 2], vertical_alignment="bottom")
    with columns[0]:
        layer = st.selectbox("Layer", list(range(config.num_layers)), key=f"{key}.layer.{ref.id}")
    with columns[1]:
        unit = st.number_input(
            "Unit", 0, config.hidden_size - 1, 0, step=1, key=f"{key}.unit.{ref.id}"
        )
    with columns[2]:
        check = st.button("Check my answer", key=f"{key}.check.{ref.id}")
    quantity = "cell" if "cell" in trace.names else "hidden"  # a GRU or RNN has no cell
    start = 0
    if config.hidden_size > MAX_UNITS:
        start = st.select_slider(
            "Units shown",
            options=list(range(0, config.hidden_size, MAX_UNITS)),
            format_func=lambda s: f"{s}-{min(s + MAX_UNITS, config.hidden_size) - 1}",
            key=f"{key}.units.{ref.id}",
        )
    figure = heatmap(
        trace, quantity, layer=layer, max_units=MAX_UNITS, unit_start=start, height=320
    )
    st.plotly_chart(figure, key=f"{key}.heatmap.{ref.id}", config=PLOTLY_CONFIG)
    from lstm_viz.tasks.dyck import depths

    st.caption("Depth after each bracket: " + " ".join(str(d) for d in depths(example)))
    feedback_key = f"{key}.feedback.{ref.id}"
    if check:
        r = correlations_of(ref, quantity)
        if r is None:
            st.session_state[feedback_key] = {
                "correct": False,
                "message": "This model's task cannot be rebuilt to check the answer.",
            }
        else:
            result = check_tracking_unit(
                r,
                layer=int(layer),
                unit=int(unit),
                state="cell" if quantity == "cell" else "hidden state",
            )
            st.session_state[feedback_key] = asdict(result)
    _show_feedback(feedback_key)


# ---- The classroom link ----------------------------------------------------------------------

VIEWS = {
    "cell": "🎛️ The cell",
    "tour-cat": "🐈 Tour: the cat sat on the mat",
    "tour-agreement": "🧩 Tour: the cat, which was hungry",
    "exercises": "📝 Exercises",
}


def render_link_builder(key: str = "learn.link") -> None:
    """Compose a classroom link: page, view or model and input, hide controls, presenter view."""
    st.markdown("#### 🏫 A link for your class")
    st.markdown(
        "Pick what the students should see; send them the link (or open it on the projector). "
        "**Hide controls** removes the sidebar and the sliders, **presenter view** enlarges the "
        "type."
    )
    page = st.radio(
        "Page", ["learn", "explore"], format_func=str.capitalize, horizontal=True, key=f"{key}.page"
    )
    params: dict = {"page": page}
    if page == "learn":
        params["view"] = st.selectbox("View", list(VIEWS), format_func=VIEWS.get, key=f"{key}.view")
        if params["view"] == "cell":
            setting = current_setting("learn.cell")
            if st.checkbox(
                f"With the cell as it is now ({len(setting)} slider(s) moved)",
                key=f"{key}.with_cell",
                disabled=not setting,
            ):
                params["cell"] = setting_to_text(setting) or None
        if params["view"].startswith("tour-"):
            stop = st.number_input("Start at stop", 1, 10, 1, key=f"{key}.stop")
            params["step"] = int(stop) - 1 or None
    else:
        models = [ref.id for ref in _all_models() if ref.source != "uploaded"]
        if models:
            current = state.choices().get("model")
            st.session_state.setdefault(f"{key}.model", current if current in models else models[0])
            params["model"] = st.selectbox("Model", models, key=f"{key}.model")
        st.session_state.setdefault(f"{key}.text", CAT_TEXT)
        params["text"] = st.text_input("Input", key=f"{key}.text") or None
    columns = st.columns(2)
    params["hide"] = columns[0].checkbox("Hide controls", key=f"{key}.hide")
    params["present"] = columns[1].checkbox("Presenter view (large type)", key=f"{key}.present")
    url = classroom.full_url(links.query_string(**params))
    st.code(url, language=None)
    st.link_button("Open this link", url)
