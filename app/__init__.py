"""The Streamlit app for lstm-viz. Entrypoint: app/streamlit_app.py."""
