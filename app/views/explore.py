"""Explore: gate and state heatmaps over a typed sequence. Planned."""

import streamlit as st

from app import state
from app.components.placeholder import render_planned_page

render_planned_page(
    "Explore",
    "🔍",
    "Type a sequence such as *“The cat sat on the mat.”* and see inside the model as it reads "
    "it: one heatmap per quantity, units down, tokens across.",
    [
        ("🚪", "Gates", "Forget, input and output gates at every step, on a fixed 0 to 1 scale."),
        (
            "✨",
            "Candidate",
            "What each unit proposes to write (-1 to 1), before the input gate lets it in.",
        ),
        (
            "🧮",
            "Memory",
            "The cell state each unit keeps, and the hidden state the output gate lets "
            "through, token by token.",
        ),
    ],
)

choices = state.choices()
st.caption(f"Model: **{choices['model'] or 'none picked yet'}** · Device: **{choices['device']}**")
