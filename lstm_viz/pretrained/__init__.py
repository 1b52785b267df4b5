"""The shipped models in ``pretrained/``: how each is trained, checked and described.

    python -m lstm_viz.pretrained build            # retrain all of them from scratch (fixed seeds)
    python -m lstm_viz.pretrained build brackets-lstm
    python -m lstm_viz.pretrained check            # re-evaluate each card's numbers

Every model comes from a ``Recipe``: a task (generated data, or text the Python installation
ships), a model and a training schedule with a fixed seed and a fixed number of epochs (never a
time limit, so a rebuild gives the same weights). After training, ``build`` measures the
validation metric, searches the model for its most interpretable unit (the unit whose cell or
hidden state correlates best with a known feature of the input, on held-out data), and writes a
model card (README.md) that states both. ``check`` recomputes them from the files alone; the
tests do the same.

recipes.py  Recipe and RECIPES (what each shipped model is)
cards.py    the measurements a card states (metric, interpretable unit), written and read back
probes.py   the new prose a character model's units are measured on (Recipe.probe_text)
saturation_card.py  the cards' gate-saturation sentence (Karpathy et al. 2015)
build.py    build(): train, measure, write the card and the index
"""

from lstm_viz.pretrained.build import Built, build, shipped, write_card, write_index
from lstm_viz.pretrained.cards import (
    UnitClaim,
    card,
    check,
    claim_correlation,
    feature_label,
    find_unit,
    read_card,
    task_of,
    unit_table,
    validation_metric,
)
from lstm_viz.pretrained.recipes import CARD, MAX_MODEL_BYTES, PRETRAINED_DIR, RECIPES, Recipe

__all__ = [
    "CARD",
    "MAX_MODEL_BYTES",
    "PRETRAINED_DIR",
    "RECIPES",
    "Built",
    "Recipe",
    "UnitClaim",
    "build",
    "card",
    "check",
    "claim_correlation",
    "feature_label",
    "find_unit",
    "read_card",
    "shipped",
    "task_of",
    "unit_table",
    "validation_metric",
    "write_card",
    "write_index",
]
