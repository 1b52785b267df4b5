"""Classroom mode: a shared link opens a page, model and input, can hide the controls, and can
enlarge the type for a projector.

The entrypoint calls ``read_link()`` first (so the linked model is selected), then
``page_config()`` and ``apply_style()`` before anything else is drawn: with ``hide=1`` the first
message the browser gets already collapses the sidebar and carries the hiding style, the
navigation is not drawn (``navigation_position()``) and neither is the sidebar, so no control
shows at any time. ``open_linked_page(page)`` follows ``st.navigation`` (it switches to the
linked page once per session). The link lives in ``state.LINK`` for the whole session; pages ask
``controls_hidden()`` before drawing their control widgets, and go to another page with
``switch_page()``, which keeps the classroom flags in the address (a reload stays in class);
``show_in_address()`` keeps the address up to date as a page moves on (a tour's stop).
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from app import links, state
from app.text import escape_markdown
from lstm_viz.learn.diagram import WIDTH as DIAGRAM_WIDTH

PRESENT_SCALE = 1.5  # present=1: type on a projector at least this much larger
FLAGS = ("hide", "present")  # what every in-app navigation keeps in the address

# hide=1 draws no sidebar and no pickers at all; this style is the backstop (and hides the
# sidebar's toggles, which Streamlit draws itself).
HIDE_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"],
[data-testid="stSidebarNav"] { display: none !important; }
"""
# While a run is in flight the page changes by itself, and every frame of it is drawn by the
# browser, which in a classroom may share the server's 2 cores (a teacher's laptop; the
# benchmarks' Chromium). Measured with benchmarks/explore_speed.py on a 5,000-step recording:
# - Streamlit dims the stale elements, fading them (and an expander's border) over 1 s after
#   0.5 s ("opacity 1s ease-in 0.5s"), which repaints every chart at each frame: a third of a
#   core, the recording 1.2-1.9 s instead of 1.0-1.3 s. Here every change in the main area and
#   sidebar is made in one step, still after its delay (a quick rerun never flickers).
# - A spinner ("Recording every gate...") turns its ring at every frame: a further 0.06 core and
#   0.1 s. Here the ring is an hourglass that stands still beside its words (Streamlit shows
#   such a spinner only when a step runs long: a cache miss past a short delay).
RUNNING_CSS = (
    '[data-testid="stMain"] *, [data-testid="stSidebar"] * { transition-duration: 0s !important; }'
    '\n[data-testid="stSpinnerIcon"] { animation: none !important; border: none !important; }'
    '\n[data-testid="stSpinnerIcon"]::before { content: "\u23f3"; }'
)
# Long names wrap instead of being cut in a select's options (two trained models "…-seed6-best"
# and "…-seed7-best" read the same when cut at the sidebar's width). The chosen value is an
# <input>, which cannot wrap: the sidebar writes a long one out under it (components/sidebar.py).
WRAP_CSS = (
    '\n[role="listbox"] [role="option"] { height: auto !important; min-height: 2.5rem; '
    "padding-top: 0.4rem !important; padding-bottom: 0.4rem !important; }"
    '\n[role="listbox"] [role="option"] > div { white-space: normal !important; '
    "overflow-wrap: anywhere; height: auto !important; }"
)
# Every size at least PRESENT_SCALE x Streamlit 1.67's default (text 1rem, captions and labels
# 0.875rem, h1-h6 2.75/2.25/1.75/1.5/1.25/1rem, metric 2.25rem, code 0.875rem); the more specific
# selectors come with their own rule, since !important rules go by specificity (and, on a tie, the
# later rule wins: the metric's value comes last, after the rule for all Markdown). A slider's
# value sits on its handle from the top (1.6em up): in larger type it grew down over the handle,
# so it is set on the handle's top edge instead.
_MAIN = '[data-testid="stMain"]'
_MARKDOWN = '[data-testid="stMarkdownContainer"]'
PRESENT_CSS = f"""
{_MAIN} {_MARKDOWN} p, {_MAIN} {_MARKDOWN} li, {_MAIN} [data-testid="stCaptionContainer"],
{_MAIN} [data-testid="stWidgetLabel"] p {{ font-size: 1.5rem !important;
  line-height: 1.55 !important; }}
{_MAIN} h1 {{ font-size: 4.2rem !important; }}
{_MAIN} h2 {{ font-size: 3.4rem !important; }}
{_MAIN} h3 {{ font-size: 2.65rem !important; }}
{_MAIN} h4 {{ font-size: 2.25rem !important; }}
{_MAIN} h5 {{ font-size: 1.9rem !important; }}
{_MAIN} h6 {{ font-size: 1.5rem !important; }}
{_MAIN} .katex {{ font-size: 1.5em !important; }}
{_MAIN} .katex-display {{ overflow-x: auto; overflow-y: hidden; }}
{_MAIN} button p, {_MAIN} button {_MARKDOWN} p {{ font-size: 1.5rem !important; }}
{_MAIN} [data-testid="stMetricLabel"] {_MARKDOWN} p,
{_MAIN} [data-testid="stMetricLabel"] p {{ font-size: 1.5rem !important; }}
{_MAIN} [data-testid="stCode"] code, {_MAIN} [data-testid="stCode"] pre {{
  font-size: 1.35rem !important; }}
{_MAIN} input, {_MAIN} textarea, {_MAIN} [data-baseweb="select"] div,
{_MAIN} [data-testid="stWidgetLabel"], {_MAIN} [data-testid="stMarkdownContainer"] {{
  font-size: 1.5rem !important; }}
{_MAIN} [data-testid="stMetricLabel"], {_MAIN} [data-testid="stMetricLabel"] * {{
  font-size: 1.5rem !important; }}
{_MAIN} .lv-token {{ font-size: 1.3rem !important; }}
{_MAIN} [data-testid="stSliderThumbValue"] {{ top: auto !important; bottom: 100% !important; }}
{_MAIN} .lv-coloured {{ font-size: 1.5rem !important; }}
[data-testid="stMainBlockContainer"] {{ padding-left: 2rem !important;
  padding-right: 2rem !important; }}
.lv-cell-diagram {{ max-width: {round(PRESENT_SCALE * DIAGRAM_WIDTH)}px !important; }}
{_MAIN} [data-testid="stMetricValue"], {_MAIN} [data-testid="stMetricValue"] {_MARKDOWN},
{_MAIN} [data-testid="stMetricValue"] {_MARKDOWN} p, {_MAIN} [data-testid="stMetricValue"] * {{
  font-size: 3.4rem !important; line-height: 1.2 !important; }}
"""


def read_link() -> dict:
    """Read the query parameters once per session into ``state.LINK`` and hand the linked model
    and text to the sidebar and Explore. Returns the session's link."""
    if not st.session_state.get(state.LINK_READ):
        st.session_state[state.LINK_READ] = True
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        # A link set before the first run (a test, another page) stands when the address has none.
        link = links.parse(params) or st.session_state.get(state.LINK) or {}
        st.session_state[state.LINK] = link
        if links.dropped(params):
            state.hand_off(state.LINK_DROPPED, links.dropped(params))
        if link.get("model"):
            from app.resources import find_model

            if find_model(link["model"]) is not None:
                state.hand_off(state.SELECT_MODEL, link["model"])
            elif link.get("page", "explore") != "explore":  # Explore says so itself, naming
                # the model shown instead; elsewhere announce_missing_model does, once
                state.hand_off(state.LINK_NOTICE, link["model"])
        if link.get("text"):
            state.hand_off(state.EXPLORE_INPUT, link["text"])
        # layer, direction, unit, step and view: Explore reads them from state.LINK itself.
    return link_of_session()


def link_of_session() -> dict:
    """The link this session was opened with ({} when none)."""
    return st.session_state.get(state.LINK) or {}


def page_config() -> None:
    """The page config: with ``hide=1`` or ``present=1`` the sidebar starts collapsed (the first
    message the browser gets says so, before anything is drawn)."""
    st.set_page_config(
        page_title="lstm-viz",
        page_icon="🔬",
        layout="wide",
        # hide=1: no sidebar at all; present=1: the projector gets the whole width (the
        # sidebar stays one click away), so the cell diagram can be 1.5x its normal size.
        initial_sidebar_state="collapsed" if controls_hidden() or presenting() else "auto",
    )


def navigation_position() -> str:
    """Where st.navigation draws the pages: nowhere with ``hide=1``, else the sidebar."""
    return "hidden" if controls_hidden() else "sidebar"


def link_flags() -> dict:
    """The session link's classroom flags ({"hide": True, "present": True}, those set)."""
    link = link_of_session()
    return {flag: True for flag in FLAGS if link.get(flag)}


def page_params(page: str, **link) -> dict[str, str]:
    """The query parameters of an in-app move to ``page`` in a classroom session: the new page's
    link (``links.KEYS``: model, text, layer, unit, view, ...) and the session's flags; {} when
    the session has no flags (an ordinary session keeps a clean address). A text longer than a
    link carries is left out (the page then opens on the model's sample input on reload)."""
    flags = link_flags()
    if not flags:
        return {}
    if len(link.get("text") or "") > links.MAX_TEXT:
        link = {**link, "text": None}
    return links.query_params(page=page, **link, **flags)


def show_in_address(page: str, **shown) -> None:
    """In a classroom session, write what ``page`` now shows (``shown``: view, step, ...; None
    drops a key) into the address over its other link parameters, with the session's flags, so
    a reload reopens it, still in class (``page_params``). An ordinary session's address is left
    as it is (share links say where a view is there). Writes only when something changed."""
    if not link_flags():
        return
    address = links.parse({key: st.query_params.get_all(key) for key in st.query_params})
    kept = {key: value for key, value in address.items() if key not in ("page", *FLAGS)}
    wanted = page_params(page, **{**kept, **shown})
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)


def switch_page(page: str, **link) -> NoReturn:
    """``st.switch_page`` to ``views/<page>.py``; in a classroom session (``hide``/``present``)
    the address keeps the flags and says what the page shows (``page_params``), so a reload
    opens the same view, still in class."""
    st.switch_page(f"views/{page}.py", query_params=page_params(page, **link) or None)


def open_linked_page(current) -> None:
    """Switch to the link's page once per session (``current``: what st.navigation returned).
    The query parameters stay in the address, so a reload keeps the classroom view."""
    if st.session_state.get(state.PAGE_OPENED):
        return
    st.session_state[state.PAGE_OPENED] = True
    wanted = link_of_session().get("page")
    if wanted and wanted != current.title.lower():
        st.switch_page(f"views/{wanted}.py", query_params=st.query_params.to_dict())


def controls_hidden() -> bool:
    """True when the session's link asked to hide the controls (``hide=1``)."""
    return bool(link_of_session().get("hide"))


def presenting() -> bool:
    """True when the session's link asked for the presenter view (``present=1``)."""
    return bool(link_of_session().get("present"))


def apply_style() -> None:
    """Keep the page still while a run is in flight (RUNNING_CSS), hide the sidebar (``hide=1``)
    and enlarge the type (``present=1``) on this run."""
    css = RUNNING_CSS + WRAP_CSS + (HIDE_CSS if controls_hidden() else "")
    css += PRESENT_CSS if presenting() else ""
    st.html(f"<style>{css}</style>")


def announce_missing_model(shown: str | None) -> None:
    """Once per session, on a page other than Explore: the link's model is not on this server,
    and ``shown`` (the model id the sidebar chose) is shown instead. A toast that stays until it
    is closed (a student on a slow load would miss a short one)."""
    missing = state.take(state.LINK_NOTICE)
    if not missing:
        return
    from app.resources import find_model

    ref = find_model(shown)
    instead = f"showing **{escape_markdown(ref.name, 80)}** instead" if ref else "no model is shown"
    st.toast(
        f"This link asks for the model **{escape_markdown(missing, 80)}**, "
        f"{why_missing(missing)}: {instead}.",
        icon="⚠️",
        duration="infinite",
    )


def announce_dropped() -> None:
    """Once per session: what the link asked for that ``links.parse`` had to drop or cut (a page
    that does not exist, a negative or non-numeric layer/unit/step, a text over MAX_TEXT), one
    toast each, with what is shown instead. Values out of a model's range: link_out_of_range."""
    for key, value in state.take(state.LINK_DROPPED) or []:
        if key == "page":
            said = (
                f"This link's page '{escape_markdown(value, 40)}' does not exist: showing Explore."
            )
        elif key == "text":
            said = f"This link's text was cut to its first {links.MAX_TEXT:,} characters."
        else:
            try:
                shown = str(int(value))  # a negative number
            except ValueError:
                shown = escape_markdown(value, 40)  # any text
            said = f"This link's {key}={shown} is not a whole number (0 or more): showing {key} 0."
        st.toast(said, icon="🔗", duration="infinite")


def link_out_of_range(key: str, value: int, count: int, shown: int, where: str = "model") -> None:
    """A toast: the link's ``key`` (layer, direction, unit; step, ``where`` "input" or "tour")
    ``value`` is not among this model's (input's, tour's) ``count``; ``shown`` is shown instead."""
    plural = {"direction": "directions"}.get(key, f"{key}s")
    have = f"{key} 0 only" if count == 1 else f"{plural} 0-{count - 1}"
    st.toast(
        f"This link's {key}={value} is not in this {where} ({have}): showing {key} {shown}.",
        icon="🔗",
        duration="infinite",
    )


def link_clipped(name: str, value: float, low: float, high: float, shown: float) -> None:
    """A toast: the link's ``cell=`` value for ``name`` lies outside its slider's range
    [``low``, ``high``]; the slider shows ``shown`` (the nearest end)."""
    st.toast(
        f"This link's cell={escape_markdown(name, 40)}:{value:g} is outside its slider "
        f"({low:g} to {high:g}): set to {shown:g}.",
        icon="🔗",
        duration="infinite",
    )


def why_missing(model_id: str) -> str:
    """Why a link's model is not here, as a clause: an upload lasts only for its browser tab."""
    if model_id.startswith("uploaded/"):
        return (
            "an upload, and uploads last only for their browser tab (until it is closed or "
            "reloaded): upload the file again on the Upload page"
        )
    return "which is not on this server"


def on_screen(figure):
    """``figure`` as this session shows it: with ``present=1`` a copy whose type (text, ticks,
    legends, colour bars, annotations) is PRESENT_SCALE times larger, set in the figure's layout
    (CSS does not reach plotly's SVG text); else ``figure`` itself."""
    if not presenting():
        return figure
    from lstm_viz.figures.layout import scale_type

    return scale_type(figure, PRESENT_SCALE)


def on_screen_chart(chart):
    """An altair chart as this session shows it: larger type with ``present=1`` (see
    on_screen)."""
    if not presenting():
        return chart
    from lstm_viz.figures.layout import scale_altair_type

    return scale_altair_type(chart, PRESENT_SCALE)


def full_url(query: str) -> str:
    """The address of this app with ``query`` ("?page=..."): from ``st.context.url`` where this
    Streamlit knows it, else relative ("/?page=...")."""
    base = ""
    url = getattr(st.context, "url", None)
    if url:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            base = f"{parts.scheme}://{parts.netloc}"
    return f"{base}/{query}"
