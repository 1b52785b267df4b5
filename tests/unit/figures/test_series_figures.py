"""The anomaly view's figure: the encoder's and decoder's heatmaps share the one colour bar it
shows, so a colour means the same value in both (it once showed the encoder's range only)."""

from __future__ import annotations

import numpy as np

from lstm_viz.figures.series import anomaly_figure


def figure(quantity, bound=None):
    steps = 20
    value = np.sin(np.arange(steps) / 3)
    grids = {"encoder": np.full((4, steps), 0.5), "decoder": np.full((4, steps), -3.0)}
    flags = np.zeros(steps, dtype=bool)
    return anomaly_figure(value, value, np.zeros(steps), flags, 0.1, grids, quantity, bound=bound)


def heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap"]


def test_the_heatmaps_share_the_colour_bar_shown():
    encoder, decoder = heatmaps(figure("cell"))
    assert (encoder.zmin, encoder.zmax) == (decoder.zmin, decoder.zmax) == (-3.0, 3.0)
    assert encoder.showscale and not decoder.showscale
    assert "this input" in encoder.colorbar.title.text
    encoder, decoder = heatmaps(figure("cell", bound=5.2))
    assert (encoder.zmax, decoder.zmax) == (5.2, 5.2) and "model" in encoder.colorbar.title.text
    encoder, decoder = heatmaps(figure("forget_gate"))
    assert (encoder.zmin, encoder.zmax, decoder.zmax) == (0.0, 1.0, 1.0)
