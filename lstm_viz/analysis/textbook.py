"""What the gradient-flow page may say, computed from the curves it shows (issue 16).

    gradient_summary(curves, kinds, radii)     # one sentence per finding, from the numbers
    textbook_curves(length=100, hidden=16)     # LSTM, GRU, RNN on the adding problem, seeded

The textbook picture (a vanilla RNN's gradient falls geometrically, an LSTM's cell path keeps
it) is a statement about weights like those a network starts from. A trained model can differ:
the shipped bracket RNN keeps a larger gradient than the LSTM over 10 steps, because counting
brackets taught it recurrent weights with a gain above 1. ``gradient_summary`` says what the
shown curves do; ``textbook_curves`` shows where the textbook effect holds, built the same way
every time (fixed seeds, the adding problem's first validation sequence). No streamlit here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from lstm_viz.analysis.gradients import gradient_flow

TEXTBOOK_CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "vanilla RNN"}
SUMMARY_DISTANCE = 10  # the distance the summary compares models at (shorter inputs: their end)


def value_at(curve: np.ndarray, distance: int) -> float:
    """The norm at ``distance`` steps before the last (curve[t] is the norm at step t)."""
    return float(curve[len(curve) - 1 - distance])


def spectral_radius(model: torch.nn.Module) -> float | None:
    """The largest |eigenvalue| of a vanilla RNN's first-layer recurrent weights (its gain
    per step before the tanh's slope), or None for other cells."""
    rnn = getattr(model, "rnn", model)
    if not isinstance(rnn, torch.nn.RNN):
        return None
    weights = rnn.weight_hh_l0.detach().double()
    return float(torch.linalg.eigvals(weights).abs().max())


def gradient_summary(
    curves: Mapping[str, np.ndarray],
    kinds: Mapping[str, str] | None = None,
    radii: Mapping[str, float | None] | None = None,
    distance: int = SUMMARY_DISTANCE,
) -> str:
    """Markdown: which model keeps the most and the least gradient at ``distance`` (or the
    shortest curve's first step), with the numbers; and, when a vanilla RNN (``kinds[name]``
    "rnn_tanh"/"rnn_relu") keeps more than an LSTM, that this is the opposite of the textbook
    picture and why (its measured spectral radius, ``radii[name]``). "" for no curves."""
    if not curves:
        return ""
    distance = min(distance, min(len(c) for c in curves.values()) - 1)
    if distance < 1:
        return ""
    values = sorted(((value_at(c, distance), n) for n, c in curves.items()), reverse=True)
    listed = ", ".join(f"**{name}** {value:.2g}" for value, name in values)
    text = f"On this input, ‖∂h_T/∂x_t‖ at distance {distance}: {listed}."
    longest = min(len(c) for c in curves.values()) - 1
    if longest >= 2 * distance and len(curves) > 1:
        far = sorted(((value_at(c, longest), n) for n, c in curves.items()), reverse=True)
        text += f" At distance {longest}: " + ", ".join(f"**{n}** {v:.2g}" for v, n in far) + "."
    kinds = kinds or {}
    rnns = [n for v, n in values if kinds.get(n, "").startswith("rnn")]
    lstms = [n for v, n in values if kinds.get(n) == "lstm"]
    by_name = {n: v for v, n in values}
    for rnn in rnns:
        beaten = [n for n in lstms if by_name[rnn] > by_name[n]]
        if not beaten:
            continue
        radius = (radii or {}).get(rnn)
        why = (
            f" Its recurrent weights have a spectral radius of {radius:.2f}: a gain above 1 "
            "per step, which the tanh's slope (at most 1) does not fully undo."
            if radius is not None and radius > 1
            else ""
        )
        text += (
            f" At distance {distance} the vanilla RNN **{rnn}** keeps more than the LSTM "
            f"**{beaten[0]}**: the "
            "opposite of the textbook picture, which is about weights like those a network "
            f"starts from: a trained model keeps what its task taught it to keep.{why} See "
            "below for where the textbook effect holds."
        )
        break
    return text


def textbook_curves(
    length: int = 100,
    hidden: int = 16,
    train_steps: int = 0,
    seed: int = 0,
    cells: tuple[str, ...] = tuple(TEXTBOOK_CELLS),
) -> dict[str, np.ndarray]:
    """{label: [length] norms}: an LSTM, a GRU and a vanilla RNN of ``hidden`` units, built with
    ``seed`` for the adding problem (T = ``length``), trained for ``train_steps`` steps (0: as
    initialised), each reading the task's first validation sequence. Deterministic."""
    from lstm_viz.training import Callbacks, build_run

    curves = {}
    with torch.random.fork_rng():
        for cell in cells:
            run = build_run(
                "adding",
                {
                    "length": length,
                    "train_size": 32 * max(train_steps, 1),
                    "validation_size": 32,
                    "seed": seed,
                },
                {"cell": cell, "hidden_size": hidden, "num_layers": 1},
                {"epochs": 1, "batch_size": 32, "device": "cpu", "seed": seed, "patience": 0},
                save=False,
                seed=seed,
            )
            if train_steps:
                run.trainer(Callbacks()).fit()
            inputs = run.task.sequences("validation")[0][None]  # [1, T, 2]
            curves[TEXTBOOK_CELLS[cell]] = gradient_flow(run.model, inputs)
    return curves


def textbook_summary(curves: Mapping[str, np.ndarray], distance: int = 50) -> str:
    """Markdown: the LSTM's and the vanilla RNN's norms at ``distance`` (capped by the curves'
    length) and how many orders of magnitude apart they are."""
    lstm, rnn = curves.get("LSTM"), curves.get("vanilla RNN")
    if lstm is None or rnn is None:
        return ""
    distance = min(distance, len(lstm) - 1, len(rnn) - 1)
    a, b = value_at(lstm, distance), value_at(rnn, distance)
    if a <= 0 or b <= 0:
        return ""
    orders = np.log10(a / b)
    way = "more" if orders > 0 else "less"
    return (
        f"At distance {distance}: LSTM {a:.2g}, vanilla RNN {b:.2g}: the LSTM keeps "
        f"{abs(orders):.0f} orders of magnitude {way}."
    )


__all__ = [
    "gradient_summary",
    "spectral_radius",
    "textbook_curves",
    "textbook_summary",
    "value_at",
]
