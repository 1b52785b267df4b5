"""Read the gates straight out of oneDNN's LSTM kernel, instead of computing them again.

On the CPU, PyTorch runs a float32 LSTM layer through oneDNN (``aten::mkldnn_rnn_layer``). In
training mode that kernel keeps, for the backward pass, a workspace holding every step's gate
activations (i, f, g, o) and cell state. Reading them costs a copy; recomputing them (the
general path, ``_replay.py``) costs two matrix products over the whole sequence and the
elementwise work, about half the forward's time again.

The workspace layout is oneDNN's own and undocumented, so it is never assumed:

- ``_find_layout`` locates it once per shape (T, B, I, H): the gates start at offset 0, one
  step every ``gate_stride`` floats (B * 4H, sometimes padded), one sequence every 4H; the cell
  states c_0 .. c_{T-2} sit at ``cell_offset``, one step every ``cell_stride`` floats (the last
  one is only in the kernel's c_n). It searches for values computed independently (step 0's
  and step 1's gates and cell from the weights).
- Every call then checks the layout against independently computed numbers: all of step 0's and
  the last step's gates (from the weights, the input and the kernel's hidden output), the first
  cell state, and the last one (f * c_{T-2} + i * g from the workspace must equal the kernel's
  own c_n).
- Anything unexpected (no workspace, another layout, a failed check) returns None, and the
  recorder recomputes the gates instead. The parity tests cover both paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

TOLERANCE = 1e-5  # float32 gates and cells from two computations of the same expression
MAX_PADDING = 1024  # floats of padding per step tried when looking for the step stride


@dataclass(frozen=True)
class Layout:
    gate_stride: int  # floats from one step's gates to the next
    cell_offset: int  # where c_0 starts
    cell_stride: int  # floats from one step's cells to the next


_LAYOUTS: dict[tuple[int, int, int, int], Layout | None] = {}


def available(x: torch.Tensor, module: torch.nn.Module) -> bool:
    """True when this layer can run through oneDNN with a workspace: a CPU float32 LSTM layer
    with biases and without projection, oneDNN enabled."""
    return (
        x.device.type == "cpu"
        and x.dtype == torch.float32
        and getattr(module, "proj_size", 0) == 0
        and module.bias
        and torch.backends.mkldnn.is_available()
        and torch.backends.mkldnn.enabled
        and hasattr(torch.ops.aten, "mkldnn_rnn_layer")
    )


def lstm_layer(
    x: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    weights: list[torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """One forward LSTM direction through oneDNN, keeping its workspace.

    x: [T, B, I]; h0, c0: [B, H]; weights: weight_ih, weight_hh, bias_ih, bias_hh.
    Returns (output [T, B, H], h_n [B, H], c_n [B, H], gates [T, B, 4, H] (i, f, g, o, after
    their activations) or None, cells [T - 1, B, H] (c_0 .. c_{T-2}; c_{T-1} is c_n) or None).
    The gates and cells are views into the workspace: copy them out.
    """
    weight_ih, weight_hh, bias_ih, bias_hh = (w.detach().contiguous() for w in weights)
    x = x.detach().contiguous()  # the kernel reads memory as [T, B, I] (a transpose is not)
    h0, c0 = h0.detach().contiguous(), c0.detach().contiguous()
    steps, batch, _ = x.shape
    hidden = weight_hh.shape[1]
    with torch.enable_grad():  # the kernel returns its workspace only with autograd on
        output, h_n, c_n, workspace = torch.ops.aten.mkldnn_rnn_layer(
            x,
            weight_ih,
            weight_hh,
            bias_ih,
            bias_hh,
            h0[None],
            c0[None],
            False,  # reverse
            [],  # batch_sizes
            2,  # mode: LSTM
            hidden,
            1,  # num_layers
            True,  # has_biases
            False,  # bidirectional
            False,  # batch_first
            True,  # train: keep the workspace
        )
    h_n, c_n = h_n[0], c_n[0]
    if workspace is None or workspace.dtype != torch.uint8 or workspace.numel() % 4:
        return output, h_n, c_n, None, None
    floats = workspace.view(torch.float32)
    key = (steps, batch, x.shape[2], hidden)
    if key not in _LAYOUTS:
        _LAYOUTS[key] = _find_layout(
            floats, x, h0, c0, output, weight_ih, weight_hh, bias_ih, bias_hh
        )
    layout = _LAYOUTS[key]
    if layout is None:
        return output, h_n, c_n, None, None
    views = _views(floats, layout, steps, batch, hidden)
    if views is None or not _checks(
        views, x, h0, c0, output, c_n, weight_ih, weight_hh, bias_ih, bias_hh
    ):
        _LAYOUTS[key] = None  # never trust this layout again in this process
        return output, h_n, c_n, None, None
    return output, h_n, c_n, *views


def _step_gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> torch.Tensor:
    """[B, 4, H] gates after their activations, for one step, straight from the equations."""
    pre = torch.addmm(bias_ih + bias_hh, x_t, weight_ih.t()).addmm_(h_prev, weight_hh.t())
    i, f, g, o = pre.view(pre.shape[0], 4, -1).unbind(1)
    return torch.stack([i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()], dim=1)


def _views(floats: torch.Tensor, layout: Layout, steps: int, batch: int, hidden: int):
    gate_size = batch * 4 * hidden
    gate_end = (steps - 1) * layout.gate_stride + gate_size
    cell_end = layout.cell_offset + (steps - 2) * layout.cell_stride + batch * hidden
    if gate_end > floats.numel() or cell_end > floats.numel():
        return None
    gates = floats.as_strided(
        (steps, batch, 4, hidden), (layout.gate_stride, 4 * hidden, hidden, 1)
    )  # [T, B, 4, H]
    cells = floats.as_strided(
        (steps - 1, batch, hidden), (layout.cell_stride, hidden, 1), layout.cell_offset
    )  # [T - 1, B, H]
    return gates, cells


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(torch.allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE))


def _checks(views, x, h0, c0, output, c_n, weight_ih, weight_hh, bias_ih, bias_hh) -> bool:
    """Step 0's and the last step's gates equal what the equations give; so does the first cell;
    and the last step's update of the last stored cell gives the kernel's own c_n."""
    gates, cells = views
    first = _step_gates(x[0], h0, weight_ih, weight_hh, bias_ih, bias_hh)
    if not _close(gates[0], first):
        return False
    steps = x.shape[0]
    if steps == 1:
        return True
    if not _close(cells[0], first[:, 1] * c0 + first[:, 0] * first[:, 2]):
        return False
    last = _step_gates(x[-1], output[-2], weight_ih, weight_hh, bias_ih, bias_hh)
    if not _close(gates[-1], last):
        return False
    return _close(last[:, 1] * cells[-1] + last[:, 0] * last[:, 2], c_n)


def _find_layout(floats, x, h0, c0, output, weight_ih, weight_hh, bias_ih, bias_hh):
    """Search the workspace for step 0's and step 1's gates and cells; None if not found."""
    steps, batch, _ = x.shape
    hidden = weight_hh.shape[1]
    gate_size = batch * 4 * hidden
    first = _step_gates(x[0], h0, weight_ih, weight_hh, bias_ih, bias_hh)  # [B, 4, H]
    if floats.numel() < gate_size or not _close(floats[:gate_size].view_as(first), first):
        return None
    c_first = first[:, 1] * c0 + first[:, 0] * first[:, 2]  # [B, H]
    gate_stride = gate_size
    if steps > 1:
        second = _step_gates(x[1], output[0], weight_ih, weight_hh, bias_ih, bias_hh)
        c_second = second[:, 1] * c_first + second[:, 0] * second[:, 2]
        for padding in range(0, MAX_PADDING + 1, 16):
            start = gate_size + padding
            if start + gate_size > floats.numel():
                return None
            if _close(floats[start : start + gate_size].view_as(second), second):
                gate_stride = start
                break
        else:
            return None
    if steps == 1:  # no cell is stored: c_0 is the kernel's c_n
        return Layout(gate_stride, 0, 0)
    # The cells: every place the first cell value appears (within tolerance), then the whole
    # vector, then the next step.
    target = c_first.reshape(-1)
    hits = torch.nonzero((floats - target[0]).abs_() <= TOLERANCE).flatten().tolist()
    for offset in hits:
        if offset + target.numel() > floats.numel():
            continue
        if not _close(floats[offset : offset + target.numel()], target):
            continue
        if steps <= 2:  # at most c_0 is stored: no stride to find
            return Layout(gate_stride, offset, target.numel())
        want = c_second.reshape(-1)
        for padding in range(0, MAX_PADDING + 1, 16):
            start = offset + target.numel() + padding
            if start + want.numel() > floats.numel():
                break
            if _close(floats[start : start + want.numel()], want):
                return Layout(gate_stride, offset, start - offset)
    return None
