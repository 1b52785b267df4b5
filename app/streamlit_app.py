"""lstm-viz: the Streamlit entrypoint.

Run from the repository root:  python -m streamlit run app/streamlit_app.py
Page config, the shared sidebar, navigation. The pages live in app/views/.
"""

import os
import sys
from pathlib import Path

# onnxruntime's telemetry off before anything can load it (the Upload page's ONNX check runs it
# in this process): ORT_DISABLE_TELEMETRY is the opt-out onnxruntime 1.32 reads.
os.environ.update(ORT_DISABLE_TELEMETRY="1", ORT_TELEMETRY_DISABLED="1")

# Make `import app...` work however Streamlit was started (it puts app/ on sys.path, not the root).
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import classroom, state  # noqa: E402
from app.components.sidebar import render_sidebar  # noqa: E402
from app.resources import collect_garbage, page_run, serve_torch_threads  # noqa: E402
from lstm_viz import tune_allocator  # noqa: E402

state.init()
# A shared link first (?page=...&model=...&hide=1), once per session: with hide=1 the very first
# things the browser gets are a collapsed sidebar and the hiding style, so no control shows at
# any time (classroom.py).
classroom.read_link()
classroom.page_config()
classroom.apply_style()
tune_allocator()  # recordings reuse freed memory (lstm_viz/_allocator.py); once per process
serve_torch_threads()  # one torch thread per session's work: 30 sessions share 2 cores
collect_garbage()  # at most every 30 s: frees dropped sessions (and their upload folders)

VIEWS = Path(__file__).parent / "views"
PAGES = [
    st.Page(VIEWS / "learn.py", title="Learn", icon="🎓", url_path="learn"),
    st.Page(VIEWS / "explore.py", title="Explore", icon="🔍", url_path="explore", default=True),
    st.Page(VIEWS / "train.py", title="Train", icon="🏋️", url_path="train"),
    st.Page(VIEWS / "analyze.py", title="Analyze", icon="🧪", url_path="analyze"),
    st.Page(VIEWS / "upload.py", title="Upload", icon="📤", url_path="upload"),
]

page = st.navigation(PAGES, position=classroom.navigation_position())
classroom.open_linked_page(page)
st.session_state[state.CHOICES] = render_sidebar(hidden=classroom.controls_hidden())
classroom.announce_missing_model(st.session_state[state.CHOICES]["model"])
classroom.announce_dropped()  # a page, unit, step or text the link gave that cannot be shown
with page_run():  # counted: a long recording takes every core only when it runs alone
    page.run()
