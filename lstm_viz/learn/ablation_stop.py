"""The agreement tour's last stop: Lakretz et al.'s ablation of the number unit, measured."""

from __future__ import annotations

import numpy as np

from lstm_viz.quantities import drop_in_points, shown_percent

from .tours import Stop


def ablation_stop(result, previous: tuple[int, int] | None = None) -> Stop:
    """ "Zero it, and agreement breaks": Lakretz et al.'s ablation, from ``result`` (an
    analysis.agreement.AgreementResult). The figure (``figure="ablation"``) draws every unit's
    drop in agreement with an attractor, ``compare`` {"layer L": [U floats]}."""
    drops = result.attractor_drops()  # [L, U]
    layer, unit = (int(i) for i in np.unravel_index(np.argmax(drops), drops.shape))
    before = result.attractor_accuracy()
    after = before - float(drops[layer, unit])
    sentences = sum(result.counts[n] for n in result.attractor_conditions)
    same = ""
    if previous is not None:
        same = (
            " It is the unit of the stop before: what correlates with the number is also what "
            "the model uses."
            if previous == (layer, unit)
            else f" (The stop before pointed at unit {previous[1]} of layer {previous[0]}, "
            "which correlates best; this one is the unit the model cannot do without.)"
        )
    found = drops[layer, unit] >= 0.1
    return Stop(
        "Zero it, and agreement breaks",
        f"Lakretz et al. (2019) tested such a unit by removing it. Over {sentences} sentences "
        "with an **attractor** (*the cat near the dogs …*, *the cats that the dog saw …*) the "
        "model picks the verb form that agrees (*is* or *are*, as the subject needs) "
        f"**{before:.0%}** of the time. Zero "
        f"unit **{unit}** of layer {layer} (its cell and hidden state, at every word) and that "
        f"falls to **{after:.0%}**, a drop of **{drop_in_points(before, after, 0):.0f} "
        "percentage points**; zeroing the median unit drops it by "
        f"**{shown_percent(result.median_drop(), 0):.0f} points**."
        + (same if found else " No single unit matters much here: the number is spread out.")
        + " Every unit was zeroed in turn; the bars are their drops.",
        layer,
        unit,
        "cell",
        figure="ablation",
        compare={f"layer {k}": row.tolist() for k, row in enumerate(drops)},
    )
