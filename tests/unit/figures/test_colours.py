def test_a_text_legend_does_not_repeat_the_range_its_ends_show():
    """A fresh user read "-1 ▬ 1 h -1 to 1" under the unit's coloured text."""
    import numpy as np

    from lstm_viz.figures.colours import colour_scale, legend_html

    hidden = legend_html(colour_scale("hidden", np.zeros((2, 2)), None))
    assert hidden.endswith("<span>1</span><span>h</span></div>")
    cell = legend_html(colour_scale("cell", np.ones((2, 2)), 3.5))  # model-dependent: kept
    assert "<span>c ±3.5 (model)</span>" in cell
