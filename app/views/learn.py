"""Learn: an LSTM cell to play with, guided tours, classroom mode. Planned."""

from app.components.placeholder import render_planned_page

render_planned_page(
    "Learn",
    "🎓",
    "Learn how an LSTM remembers, one gate at a time: move the inputs of a single cell and "
    "watch the forget, input and output gates decide what the cell state keeps, adds and shows.",
    [
        (
            "🎛️",
            "Play with a cell",
            "Sliders for the input and previous state; every gate and "
            "the new cell and hidden state update as you move them.",
        ),
        (
            "🧭",
            "Guided tours",
            "Short step-by-step stories: how a cell counts, remembers a "
            "bracket, or forgets at a full stop.",
        ),
        (
            "🏫",
            "Classroom mode",
            "Large type and one idea per screen, for a projector; serve "
            "it on the LAN so students follow along.",
        ),
    ],
)
