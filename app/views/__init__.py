"""One page per file, run by st.navigation from app/streamlit_app.py."""
