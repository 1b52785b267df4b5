"""record(): run a module and record every gate and state of every recurrent layer in it.

How: while the module's own forward runs, each recurrent submodule (nn.LSTM, nn.GRU, nn.RNN,
PeepholeLSTM) has its ``forward`` temporarily replaced by a recording one; the original is put
back in a ``finally``, also when the forward raises. The recording forward runs the fused kernel
one layer at a time (so every layer's h_t is known), then recovers the gates of the whole
sequence with matrix products and a fast scan (see replay.py). Outputs equal the module's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pad_packed_sequence

from lstm_viz.recording import onednn, replay
from lstm_viz.recording.conv_lstm import ConvLSTM, conv_forward_with_trace
from lstm_viz.recording.fused import fused_layer, layer_params
from lstm_viz.recording.inputs import (
    check_finite,
    mask_padding,
    pack_lengths,
    prepare_input,
    prepare_state,
)
from lstm_viz.recording.naming import suffix
from lstm_viz.recording.peephole import PeepholeLSTM, peephole_forward_with_trace
from lstm_viz.recording.replay import LayerWeights
from lstm_viz.trace import RECORDED_NAMES, Trace

RECORDABLE = (nn.LSTM, nn.GRU, nn.RNN, PeepholeLSTM, ConvLSTM)

# Recording patches a module's forward for the duration of one call. Two threads recording the
# same module (two users of one cached model in a web app) would trip over each other's patches,
# so recordings take turns.
_RECORDING = threading.RLock()


def record(
    module: nn.Module,
    inputs: Any,
    *,
    lengths: Sequence[int] | torch.Tensor | None = None,
    tokens: Sequence[str] | Sequence[Sequence[str]] | None = None,
    initial_state: Any = None,
    enforce_sorted: bool = False,
    eval_mode: bool = True,
    forward_kwargs: dict[str, Any] | None = None,
) -> tuple[Any, Trace | dict[str, Trace]]:
    """Run ``module(inputs)`` and record every recurrent layer inside it, step by step.

    Args:
        module: a bare nn.LSTM / nn.GRU / nn.RNN / PeepholeLSTM, or any nn.Module containing some.
        inputs: what ``module`` takes as its first argument (a tensor, a PackedSequence, token ids).
        lengths: for a bare recurrent module and padded ``inputs``: each sequence's length [batch].
            The input is packed, and the returned output is padded again (zeros past the ends).
        tokens: the tokens as the model saw them, one string per step (one list per batch element);
            carried on the trace for labels.
        initial_state: for a bare recurrent module: h0, or (h0, c0) for an LSTM.
        enforce_sorted: with ``lengths``, require them sorted longest first (as packing would).
        eval_mode: record in eval mode (no dropout); the module's training flags are restored after.
        forward_kwargs: extra keyword arguments for ``module``'s forward.

    Returns:
        (output, trace): the module's own output, and a :class:`Trace` when one recurrent module
        ran once; otherwise a dict from the module's name (``"encoder"``, ``"decoder#2"`` for a
        second call) to its Trace.

    Raises:
        ValueError: a clear message for a module with no recurrent layer, a wrong feature size,
        an empty sequence, bad lengths, or NaN/Inf in the inputs or weights.
    """
    recurrent = [
        (name or type(m).__name__, m)
        for name, m in module.named_modules()
        if isinstance(m, RECORDABLE)
    ]
    if not recurrent:
        raise ValueError(
            f"record() found no nn.LSTM, nn.GRU, nn.RNN, PeepholeLSTM or ConvLSTM inside "
            f"{type(module).__name__}: there is nothing to record"
        )
    for name, m in recurrent:
        _check_weights(name, m)

    bare = isinstance(module, RECORDABLE)
    if not bare and (lengths is not None or initial_state is not None):
        raise ValueError(
            "lengths= and initial_state= apply to a bare recurrent module; for your own module, "
            "pass them the way its forward takes them (forward_kwargs=...)"
        )
    call_args: tuple[Any, ...] = (inputs,)
    packed_here = False
    if bare:
        if lengths is not None:
            if not isinstance(inputs, torch.Tensor):
                raise ValueError("lengths= needs a padded input tensor, not a PackedSequence")
            inputs = pack_lengths(module, inputs, lengths, enforce_sorted)
            packed_here = True
        call_args = (inputs,) if initial_state is None else (inputs, initial_state)

    recorded: list[tuple[str, Trace]] = []
    with _RECORDING:
        output = _run_patched(module, recurrent, call_args, forward_kwargs, eval_mode, recorded)

    if not recorded:
        raise ValueError(
            f"{type(module).__name__}'s forward never called its recurrent layers "
            f"({', '.join(n for n, _ in recurrent)}): nothing was recorded"
        )
    if tokens is not None:
        recorded = [(name, _with_tokens(trace, tokens)) for name, trace in recorded]
    if packed_here:
        sequence, hidden = output
        padded, _ = pad_packed_sequence(
            sequence,
            batch_first=module.batch_first,
            total_length=int(call_args[0].batch_sizes.shape[0]),
        )
        output = (padded, hidden)
    if len(recorded) == 1:
        return output, recorded[0][1]
    return output, dict(recorded)


# ---- the recording forward --------------------------------------------------------------------


def _run_patched(
    module: nn.Module,
    recurrent: list[tuple[str, nn.Module]],
    call_args: tuple[Any, ...],
    forward_kwargs: dict[str, Any] | None,
    eval_mode: bool,
    recorded: list[tuple[str, Trace]],
) -> Any:
    """Call ``module`` with every recurrent submodule's forward replaced by a recording one;
    put everything back afterwards (forwards and training flags), also when the call raises."""
    calls: dict[str, int] = {}
    originals = {}
    training = {m: m.training for m in module.modules()}
    try:
        for name, m in recurrent:
            originals[m] = m.__dict__.get("forward")
            m.forward = _recording_forward(m, name, recorded, calls)
        if eval_mode:
            module.eval()
        with torch.no_grad():
            return module(*call_args, **(forward_kwargs or {}))
    finally:
        for m, original in originals.items():
            del m.forward
            if original is not None:
                m.forward = original
        for m, was_training in training.items():
            m.training = was_training


def _recording_forward(
    module: nn.Module, name: str, recorded: list, calls: dict[str, int]
) -> Callable[..., Any]:
    def forward(input: Any, hx: Any = None) -> Any:
        calls[name] = calls.get(name, 0) + 1
        key = name if calls[name] == 1 else f"{name}#{calls[name]}"
        if isinstance(module, PeepholeLSTM):
            output, hidden, trace = peephole_forward_with_trace(module, input, hx, key)
        elif isinstance(module, ConvLSTM):
            output, hidden, trace = conv_forward_with_trace(module, input, hx, key)
        else:
            output, hidden, trace = _rnnbase_forward_with_trace(module, input, hx, key)
        recorded.append((key, trace))
        return output, hidden

    return forward


def _kind(module: nn.Module) -> str:
    if isinstance(module, PeepholeLSTM):
        return "peephole_lstm"
    if isinstance(module, nn.LSTM):
        return "lstm"
    if isinstance(module, nn.GRU):
        return "gru"
    return "rnn_tanh" if module.nonlinearity == "tanh" else "rnn_relu"


def recurrent_config(module: nn.Module, name: str = "") -> dict[str, Any]:
    """The configuration a trace carries: enough to know what was recorded and to rebuild it."""
    return {
        "module": name,
        "kind": _kind(module),
        "input_size": module.input_size,
        "hidden_size": module.hidden_size,
        "proj_size": getattr(module, "proj_size", 0),
        "num_layers": module.num_layers,
        "bidirectional": module.bidirectional,
        "bias": module.bias,
        "batch_first": module.batch_first,
        "dropout": module.dropout,
    }


def _rnnbase_forward_with_trace(
    module: nn.RNNBase, input: Any, hx: Any, name: str
) -> tuple[Any, Any, Trace]:
    """Run an nn.LSTM/GRU/RNN one layer at a time, recording everything; same outputs as forward."""
    kind = _kind(module)
    is_lstm = kind == "lstm"
    given = prepare_input(module, input, name)
    x, lengths = given.padded, given.lengths  # [T, B, I], [B]
    steps, batch = x.shape[:2]
    dirs = 2 if module.bidirectional else 1
    h0, c0 = prepare_state(
        module, hx, batch, given.unbatched, x, is_lstm
    )  # [L*D, B, P], [L*D, B, H]

    units = {n: module.hidden_size for n in RECORDED_NAMES[kind]}
    units["hidden"] = getattr(module, "proj_size", 0) or module.hidden_size
    # Half-precision modules run the fused kernel in their own dtype; their gates are recovered in
    # float32 from the same h_t, and kept in float32.
    dtype = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    values = {
        n: torch.empty(module.num_layers, dirs, batch, steps, u, dtype=dtype)
        for n, u in units.items()
    }  # [L, D, B, T, U]
    # One sequence on the CPU: [B, T, U] and [T, B, U] share a memory layout, so the replay writes
    # into the trace itself. Otherwise it computes time-major (strided writes are several times
    # slower) and the result is copied over.
    direct = x.device.type == "cpu" and batch == 1 and dtype == x.dtype

    packed = given.batch_sizes is not None
    h_n, c_n = [], []
    # A CPU float32 LSTM: oneDNN's kernel, one direction at a time, hands over its own gates and
    # cells (see onednn.py); otherwise they are recomputed below (replay.py). Padded sequences
    # too when the layers run forward only: the kernel runs every row to the longest length, and
    # a step depends only on the steps before it, so each row's steps up to its own length are
    # exactly the packed run's (the steps past it are masked, the final states taken at it).
    from_kernel = is_lstm and not (packed and module.bidirectional) and onednn.available(x, module)
    layer_in = given.packed_data if packed and not from_kernel else x
    layer_in_padded = x
    for layer in range(module.num_layers):
        rows = slice(layer * dirs, (layer + 1) * dirs)
        if from_kernel:
            layer_out, missing = _workspace_layer(module, layer, layer_in, h0, c0, values, h_n, c_n)
            if not missing:
                layer_in = layer_in_padded = layer_out
                continue
            layer_out_padded = layer_out  # a direction without a workspace: recompute it below
            recompute = missing
        else:
            layer_out, layer_out_padded, final = fused_layer(
                module, kind, layer, layer_in, h0[rows], c0[rows], given
            )
            h_n.append(final[0])
            if is_lstm:
                c_n.append(final[1])
            recompute = list(range(dirs))
        x_in = layer_in_padded.to(dtype)
        for d in recompute:
            row = layer * dirs + d
            h_dir = layer_out_padded[..., d * units["hidden"] : (d + 1) * units["hidden"]]
            if direct:
                out = {n: v[layer, d].transpose(0, 1) for n, v in values.items()}  # [T, B, U]
            else:
                out = {
                    n: torch.empty(steps, batch, u, dtype=dtype, device=x.device)
                    for n, u in units.items()
                }
            options = dict(
                reverse=d == 1, out=out, lengths=lengths if given.batch_sizes is not None else None
            )
            weights = _layer_weights(module, layer, d, dtype)
            h_dir, h0_row = h_dir.to(dtype), h0[row].to(dtype)  # [T, B, P], [B, P]
            if is_lstm:
                replay.lstm_layer(x_in, h_dir, h0_row, c0[row].to(dtype), weights, **options)
            elif kind == "gru":
                replay.gru_layer(x_in, h_dir, h0_row, weights, **options)
            else:
                replay.rnn_layer(x_in, h_dir, h0_row, weights, **options)
            if not direct:
                for n, v in out.items():
                    values[n][layer, d].copy_(v.transpose(0, 1))
        layer_in, layer_in_padded = layer_out, layer_out_padded

    if from_kernel and packed:  # each row's final state is at its own last step
        last, row = lengths - 1, torch.arange(batch)
        h_n = [values["hidden"][layer, 0][row, last][None] for layer in range(module.num_layers)]
        c_n = [values["cell"][layer, 0][row, last][None] for layer in range(module.num_layers)]
    if packed:  # only packed sequences have steps past their ends
        mask_padding(values, lengths)
    trace = Trace(kind, values, lengths.cpu(), None, recurrent_config(module, name))
    hidden = (torch.cat(h_n), torch.cat(c_n)) if is_lstm else torch.cat(h_n)
    if given.unbatched:
        hidden = tuple(h.squeeze(1) for h in hidden) if is_lstm else hidden.squeeze(1)
    if from_kernel and packed:
        return given.restore_padded(layer_out), hidden, trace
    return given.restore(layer_out), hidden, trace


def _workspace_layer(
    module: nn.LSTM,
    layer: int,
    layer_in: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    values: dict[str, torch.Tensor],
    h_n: list[torch.Tensor],
    c_n: list[torch.Tensor],
) -> tuple[torch.Tensor, list[int]]:
    """One LSTM layer through oneDNN, each direction on its own (the backward one reversed), its
    gates and cells copied from the kernel's workspace into ``values`` ([L, D, B, T, H]).

    layer_in: [T, B, I]; h0, c0: [L*D, B, H]. Appends each direction's final states to h_n and
    c_n. Returns (output [T, B, D*H], the directions whose workspace could not be read: their
    gates are still to be recomputed from the output)."""
    dirs = 2 if module.bidirectional else 1
    outputs, missing = [], []
    for d in range(dirs):
        row = layer * dirs + d
        output, last_h, last_c, gates, cells = onednn.lstm_layer(
            layer_in, h0[row], c0[row], layer_params(module, layer, d), reverse=d == 1
        )  # [T, B, H], [B, H], [B, H], [T, B, 4, H] or None, [T - 1, B, H] or None
        h_n.append(last_h[None])
        c_n.append(last_c[None])
        outputs.append(output)
        if gates is None:
            missing.append(d)
            continue
        # The workspace holds steps in the order the kernel ran them: reversed for d == 1.
        for k, n in enumerate(("input_gate", "forget_gate", "candidate", "output_gate")):
            gate = gates[:, :, k]  # [T, B, H]
            values[n][layer, d].copy_((gate.flip(0) if d else gate).transpose(0, 1))
        cell = values["cell"][layer, d]  # [B, T, H]
        if d:
            cell[:, 1:].copy_(cells.flip(0).transpose(0, 1))
            cell[:, 0].copy_(last_c)
        else:
            cell[:, :-1].copy_(cells.transpose(0, 1))
            cell[:, -1].copy_(last_c)
        values["hidden"][layer, d].copy_(output.transpose(0, 1))
    return (outputs[0] if dirs == 1 else torch.cat(outputs, -1)), missing


# ---- inputs, states and weights ---------------------------------------------------------------


def _layer_weights(
    module: nn.Module, layer: int, direction: int, dtype: torch.dtype
) -> LayerWeights:
    def get(n: str) -> torch.Tensor | None:
        w = getattr(module, n + suffix(layer, direction), None)
        return None if w is None else w.to(dtype)

    return LayerWeights(
        get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")
    )


def _check_weights(name: str, module: nn.Module) -> None:
    """ValueError naming the first parameter with NaN or Inf values. Fast path: one sum per
    parameter, tested together (a NaN or Inf anywhere makes its sum non-finite)."""
    sums = [p.detach().sum() for p in module.parameters()]
    if not sums or bool(torch.stack(sums).isfinite().all()):
        return
    for pname, p in module.named_parameters():  # a sum can also overflow: only then look closer
        check_finite(p.detach(), f"parameter {pname} of {type(module).__name__} {name!r}")


def _with_tokens(trace: Trace, tokens: Any) -> Trace:
    """The trace with its tokens attached; one list of strings per batch element."""
    per_sequence = (
        [list(tokens)] if tokens and isinstance(tokens[0], str) else [list(t) for t in tokens]
    )
    if len(per_sequence) != trace.batch_size:
        raise ValueError(
            f"tokens: got {len(per_sequence)} sequences for a batch of {trace.batch_size}"
        )
    for b, seq in enumerate(per_sequence):
        if len(seq) != int(trace.lengths[b]):
            raise ValueError(
                f"tokens: sequence {b} has {len(seq)} tokens "
                f"but {int(trace.lengths[b])} recorded steps"
            )
    return Trace(trace.kind, trace.values, trace.lengths, per_sequence, trace.config)
