"""Analyze: saturation, memory timescales, unit finder, ablations, gradient flow. Planned."""

from app.components.placeholder import render_planned_page

render_planned_page(
    "Analyze",
    "🧪",
    "Ask questions of a trained model: which gates saturate, how long each unit remembers, "
    "which unit tracks what, and what breaks when you switch it off.",
    [
        (
            "🌡️",
            "Saturation and timescales",
            "How often gates sit near 0 or 1, and each unit's "
            "memory half-life read from its forget gate.",
        ),
        (
            "🎯",
            "Unit finder and ablations",
            "Find the units that follow a known variable, then "
            "silence them and measure what the model loses.",
        ),
        (
            "🌊",
            "Gradient flow",
            "How far back the gradient reaches through the cell state, step by step.",
        ),
    ],
)
