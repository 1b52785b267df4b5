"""PyTorch's parameter naming for recurrent layers, in one place.

``nn.LSTM``/``nn.GRU``/``nn.RNN`` name layer k's weights ``weight_ih_l{k}``, ``weight_hh_l{k}``,
``bias_ih_l{k}``, ``bias_hh_l{k}`` (and ``weight_hr_l{k}`` with a projection), with ``_reverse``
appended for the backward direction (torch/nn/modules/rnn.py, ``RNNBase.__init__``). Gate blocks
are stacked along dim 0 in PyTorch's order: LSTM i, f, g, o; GRU r, z, n; RNN one block.
"""

from __future__ import annotations

# How many gate blocks a cell's weight_ih/weight_hh stack (rows = blocks x hidden size).
GATE_BLOCKS = {"lstm": 4, "peephole_lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def suffix(layer: int, direction: int) -> str:
    """``_l{layer}`` for the forward direction, ``_l{layer}_reverse`` for the backward one."""
    return f"_l{layer}" + ("_reverse" if direction else "")
