"""The house layout of a figure: a left-aligned title with a subtitle saying what is shown, and a
horizontal legend above the plot on the right. One place, so every figure reads the same."""

from __future__ import annotations


def title(text: str, subtitle: str | None = None) -> dict:
    """A plotly ``layout.title``: ``text`` left-aligned, ``subtitle`` below it (if any)."""
    spec: dict = dict(text=text, x=0, xanchor="left")
    if subtitle is not None:
        spec["subtitle"] = dict(text=subtitle)
    return spec


def top_legend(y: float = 1.02) -> dict:
    """A plotly ``layout.legend``: one row above the plot (at ``y`` in paper units), right."""
    return dict(orientation="h", yanchor="bottom", y=y, xanchor="right", x=1)
