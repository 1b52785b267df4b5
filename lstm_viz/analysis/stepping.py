"""Step any recurrent core by hand, with a hook to change values as they are computed.

The recorder replays whole layers from fused kernels; interventions and activation patching
change one step and everything after it, so they run the core's own equations step by step
(its own weights; PyTorch's gate layouts, see recording/naming.py):

    LSTM      i, f, g, o = sig, sig, tanh, sig (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
              c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)  (times W_hr when proj_size > 0)
    peephole  as LSTM, plus p_i c_{t-1}, p_f c_{t-1} in i, f and p_o c_t in o
    GRU       r, z = sig(W_i. x_t + b_i. + W_h. h_{t-1} + b_h.)
              n = tanh(W_in x_t + b_in + r (W_hn h_{t-1} + b_hn));  h_t = (1 - z) n + z h_{t-1}
    RNN       a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh;  h_t = tanh(a_t) or relu(a_t)

``edit(layer, direction, t, values)`` is called with a dict of the step's tensors ([B, U] each)
at each stage; it may replace entries, which the step then uses:
    gates   LSTM {input_gate, forget_gate, candidate} (peephole: then {output_gate} after the
            cell), LSTM {output_gate}; GRU {reset_gate, update_gate, new_gate};
            RNN {pre_activation}
    cell    LSTM and peephole {cell}, before h_t is computed from it
    state   every kind {hidden} (+ {cell} for LSTMs): the state carried to the next step
Without an edit the loop equals ``record()`` within float rounding (tests check it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from lstm_viz.recording.naming import suffix
from lstm_viz.recording.recorder import _kind
from lstm_viz.trace import RECORDED_NAMES

Edit = Callable[[int, int, int, dict[str, torch.Tensor]], None]
LSTMS = ("lstm", "peephole_lstm")


def core_kind(rnn: nn.Module) -> str:
    """ "lstm", "peephole_lstm", "gru", "rnn_tanh" or "rnn_relu"; ValueError for anything else."""
    if not isinstance(rnn, nn.RNNBase | _peephole_type()):
        raise ValueError(
            f"a recurrent core is an nn.LSTM, nn.GRU, nn.RNN or PeepholeLSTM, "
            f"not {type(rnn).__name__}"
        )
    return _kind(rnn)


def _peephole_type() -> type:
    from lstm_viz.recording.peephole import PeepholeLSTM

    return PeepholeLSTM


def layer_weights(rnn: nn.Module, layer: int, direction: int) -> dict[str, Any]:
    """The weights of one layer and direction: w_ih, w_hh, b_ih, b_hh (None without bias),
    w_hr (None without projection), peephole ([3, H] or None)."""
    sfx = suffix(layer, direction)

    def get(name: str) -> torch.Tensor | None:
        return getattr(rnn, name + sfx, None)

    return {
        "w_ih": get("weight_ih"),
        "w_hh": get("weight_hh"),
        "b_ih": get("bias_ih") if rnn.bias else None,
        "b_hh": get("bias_hh") if rnn.bias else None,
        "w_hr": get("weight_hr") if getattr(rnn, "proj_size", 0) else None,
        "peephole": get("weight_peephole"),
    }


def state_sizes(rnn: nn.Module) -> tuple[int, int]:
    """(size of h, size of c): (proj_size or hidden_size, hidden_size)."""
    return (getattr(rnn, "proj_size", 0) or rnn.hidden_size), rnn.hidden_size


def run_core(
    rnn: nn.Module,
    x: torch.Tensor,
    edit: Edit | None = None,
    *,
    start: int = 0,
    initial: dict[str, torch.Tensor] | None = None,
    keep: bool = True,
) -> tuple[torch.Tensor, dict[str, torch.Tensor] | None]:
    """Run ``rnn`` step by step on ``x`` [B, T, I] (batch first whatever rnn.batch_first says;
    every sequence T steps long), from steps ``start``..T-1.

    initial: {"hidden": [L, D, B, P], "cell": [L, D, B, H]} the state before ``start`` (zeros
    when None; "cell" only for LSTMs). start > 0 needs a one-direction core.
    Returns (output [B, T, D*P] of the top layer, zeros before ``start``; with ``keep``, every
    recorded quantity {name: [L, D, B, T, U]} in RECORDED_NAMES order, zeros before ``start``).
    """
    kind = core_kind(rnn)
    if x.dim() != 3 or x.shape[-1] != rnn.input_size:
        raise ValueError(f"x must be [batch, time, {rnn.input_size}], got {list(x.shape)}")
    dirs = 2 if rnn.bidirectional else 1
    if start and dirs > 1:
        raise ValueError("only a one-direction core can start in the middle of a sequence")
    batch, steps, _ = x.shape
    out_size, hidden = state_sizes(rnn)
    dtype, device = x.dtype, x.device
    values = None
    if keep:
        values = {
            n: torch.zeros(
                rnn.num_layers,
                dirs,
                batch,
                steps,
                out_size if n == "hidden" else hidden,
                dtype=dtype,
                device=device,
            )
            for n in RECORDED_NAMES[kind]
        }
    layer_in = x
    with torch.no_grad():
        for layer in range(rnn.num_layers):
            outputs = []
            for d in range(dirs):
                w = layer_weights(rnn, layer, d)
                pre_x = layer_in @ w["w_ih"].t()  # [B, T, G*H]
                if w["b_ih"] is not None:
                    pre_x = pre_x + w["b_ih"]
                if initial is None:
                    h = torch.zeros(batch, out_size, dtype=dtype, device=device)
                    c = torch.zeros(batch, hidden, dtype=dtype, device=device)
                else:
                    h = initial["hidden"][layer, d]
                    c = initial["cell"][layer, d] if kind in LSTMS else None
                out = torch.zeros(batch, steps, out_size, dtype=dtype, device=device)
                order = range(steps - 1, -1, -1) if d else range(start, steps)
                for t in order:

                    def hook(stage_values: dict[str, torch.Tensor], t=t, d=d, layer=layer) -> None:
                        if edit is not None:
                            edit(layer, d, t, stage_values)

                    step, h, c = cell_step(kind, w, pre_x[:, t], h, c, hook)
                    if values is not None:
                        for name, value in step.items():
                            values[name][layer, d, :, t] = value
                    out[:, t] = h
                outputs.append(out)
            layer_in = torch.cat(outputs, dim=-1)  # [B, T, D*P]
    return layer_in, values


def cell_step(
    kind: str,
    w: dict[str, Any],
    pre_x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor | None,
    hook: Callable[[dict[str, torch.Tensor]], None],
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor | None]:
    """One step of one layer: ``pre_x`` [B, G*H] = W_ih x_t + b_ih; returns (every recorded
    quantity of the step, new h, new c)."""
    rec = h @ w["w_hh"].t()
    if w["b_hh"] is not None:
        rec = rec + w["b_hh"]
    if kind == "gru":
        size = w["w_hh"].shape[1]
        x_r, x_z, x_n = pre_x.split(size, dim=-1)
        h_r, h_z, h_n = rec.split(size, dim=-1)
        r = torch.sigmoid(x_r + h_r)
        gates = {"reset_gate": r, "update_gate": torch.sigmoid(x_z + h_z)}
        gates["new_gate"] = torch.tanh(x_n + gates["reset_gate"] * h_n)
        hook(gates)
        z = gates["update_gate"]
        state = {"hidden": (1 - z) * gates["new_gate"] + z * h}
        hook(state)
        return {**gates, **state}, state["hidden"], None
    if kind in ("rnn_tanh", "rnn_relu"):
        gates = {"pre_activation": pre_x + rec}
        hook(gates)
        act = torch.tanh if kind == "rnn_tanh" else torch.relu
        state = {"hidden": act(gates["pre_activation"])}
        hook(state)
        return {**gates, **state}, state["hidden"], None
    cells = w["w_hh"].shape[0] // 4
    i, f, g, o = (pre_x + rec).split(cells, dim=-1)
    peep = w["peephole"] if kind == "peephole_lstm" else None
    if peep is not None:
        i, f = i + peep[0] * c, f + peep[1] * c
    gates = {"input_gate": torch.sigmoid(i), "forget_gate": torch.sigmoid(f)}
    gates["candidate"] = torch.tanh(g)
    if peep is None:
        gates["output_gate"] = torch.sigmoid(o)
    hook(gates)
    cell = {"cell": gates["forget_gate"] * c + gates["input_gate"] * gates["candidate"]}
    hook(cell)
    if peep is not None:
        late = {"output_gate": torch.sigmoid(o + peep[2] * cell["cell"])}
        hook(late)
        gates["output_gate"] = late["output_gate"]
    new_h = gates["output_gate"] * torch.tanh(cell["cell"])
    if w["w_hr"] is not None:
        new_h = new_h @ w["w_hr"].t()
    state = {"hidden": new_h, "cell": cell["cell"]}
    hook(state)
    step = {n: gates[n] for n in ("input_gate", "forget_gate", "candidate", "output_gate")}
    step["cell"], step["hidden"] = state["cell"], state["hidden"]
    return step, state["hidden"], state["cell"]


def single_layer(rnn: nn.Module, layer: int) -> nn.Module:
    """Layer ``layer`` (forward direction) of ``rnn`` as its own one-layer module of the same
    type, batch first, sharing the weights: it runs on the fused kernel where the type has one."""
    kind = core_kind(rnn)
    if rnn.bidirectional or getattr(rnn, "proj_size", 0):
        raise ValueError("single_layer takes one-direction cores without a projection")
    w = layer_weights(rnn, layer, 0)
    size = w["w_ih"].shape[1]
    settings = dict(num_layers=1, bias=rnn.bias, batch_first=True)
    if kind.startswith("rnn_"):
        settings["nonlinearity"] = kind.removeprefix("rnn_")
    module = type(rnn)(size, rnn.hidden_size, **settings)
    with torch.no_grad():
        for name, value in (
            ("weight_ih", w["w_ih"]),
            ("weight_hh", w["w_hh"]),
            ("bias_ih", w["b_ih"]),
            ("bias_hh", w["b_hh"]),
            ("weight_peephole", w["peephole"]),
        ):
            if value is not None:
                getattr(module, name + "_l0").copy_(value)
    return module.to(w["w_ih"].device).eval()
