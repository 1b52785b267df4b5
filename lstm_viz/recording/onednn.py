"""Read the gates straight out of oneDNN's LSTM kernel, instead of computing them again.

On the CPU, PyTorch runs a float32 LSTM layer through oneDNN (``aten::mkldnn_rnn_layer``). In
training mode that kernel keeps, for the backward pass, a workspace holding every step's gate
activations (i, f, g, o) and cell state. Reading them costs a copy; recomputing them (the
general path, ``replay.py``) costs two matrix products over the whole sequence and the
elementwise work, about half the forward's time again.

One call runs one direction: a bidirectional layer is two calls, the backward one with
``reverse=True`` (what PyTorch's own bidirectional oneDNN forward does, one direction at a time).

The workspace layout is oneDNN's own and undocumented, so it is never assumed:

- ``_find_layout`` locates it once per shape (T, B, I, H) and direction, by searching for values
  computed independently (the first two steps' gates and cells, rows 0 and 1, from the weights).
  Measured here: steps are stored in the order the kernel ran them (the backward direction's
  first stored step is the last input position); one step's gates are B rows of 4H floats, each
  row padded to a multiple of 16 floats (and 16 more when 4H*4 bytes is a multiple of 4 KiB);
  the cell states of all but the last step sit further on, B rows of H floats per step (the last
  step's cell is only in the kernel's c_n).
- Every call then checks the layout, for every batch row, at the first and last steps against
  the kernel's own outputs: f * c + i * g from the workspace must equal the stored cell (the
  first step) and its c_n (the last), and o * tanh(c) its hidden output. A wrong step stride or
  row padding reads other memory, another row's or step's gates, and gates in another order or
  before their activations break the identities too (with c0 = 0 the first cell is i * g alone).
  (Every call used to recompute some gates from the weights as well: the first and last steps'
  of every row until issue 23's second pass, row 0's first step until its fourth; at T=100,
  B=16 that product alone cost about 2% of a recording, for what the identities establish.)
- Anything unexpected (no workspace, another layout, a failed check) returns None, and the
  recorder recomputes the gates instead. The parity tests cover both paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

TOLERANCE = 1e-5  # float32 gates and cells from two computations of the same expression
MAX_HITS = 4096  # candidate positions checked when looking for a vector in the workspace
CHUNK = 1 << 20  # floats of workspace scanned at a time when looking for one


@dataclass(frozen=True)
class Layout:
    """Where one direction's gates and cells are in the workspace, in floats. Steps are in the
    order the kernel ran them (reversed for the backward direction)."""

    gate_stride: int  # from one step's gates to the next
    cell_offset: int  # where the first stored cell starts
    cell_stride: int  # from one step's cells to the next
    gate_row: int = 0  # from one batch row's gates to the next (0: 4H, unpadded)
    cell_row: int = 0  # from one batch row's cell to the next (0: H, unpadded)


_LAYOUTS: dict[tuple[int, int, int, int, bool], Layout | None] = {}


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
    reverse: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """One LSTM direction through oneDNN, keeping its workspace.

    x: [T, B, I]; h0, c0: [B, H]; weights: weight_ih, weight_hh, bias_ih, bias_hh; ``reverse``:
    the backward direction (reads x from the end).
    Returns (output [T, B, H] in input order, h_n [B, H], c_n [B, H], gates [T, B, 4, H]
    (i, f, g, o after their activations) or None, cells [T - 1, B, H] or None). Gates and cells
    are in the order the kernel ran the steps: input order forward, reversed with ``reverse``
    (cells: the states after the first T - 1 steps run; the last one is c_n). They are views
    into the workspace: copy them out.
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
            reverse,
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
    run = _Run(x, h0, c0, output, c_n, (weight_ih, weight_hh, bias_ih, bias_hh), reverse)
    key = (steps, batch, x.shape[2], hidden, reverse)
    if key not in _LAYOUTS:
        _LAYOUTS[key] = _find_layout(floats, run)
    layout = _LAYOUTS[key]
    if layout is None:
        return output, h_n, c_n, None, None
    views = _views(floats, layout, steps, batch, hidden)
    if views is None or not _checks(views, run):
        _LAYOUTS[key] = None  # never trust this layout again in this process
        return output, h_n, c_n, None, None
    return output, h_n, c_n, *views


@dataclass(frozen=True)
class _Run:
    """One kernel call's inputs and outputs, for computing steps independently of it."""

    x: torch.Tensor  # [T, B, I]
    h0: torch.Tensor  # [B, H]
    c0: torch.Tensor
    output: torch.Tensor  # [T, B, H]
    c_n: torch.Tensor  # [B, H]
    weights: tuple[torch.Tensor, ...]
    reverse: bool

    def position(self, k: int) -> int:
        """The input position of the k-th step the kernel ran (k < 0 counts from the end)."""
        steps = self.x.shape[0]
        k = k % steps
        return steps - 1 - k if self.reverse else k

    def gates(self, k: int, rows: int | None = None) -> torch.Tensor:
        """[B, 4, H] gates of the k-th step run, after their activations, from the equations
        (``rows``: only the first that many batch rows)."""
        t = self.position(k)
        if k % self.x.shape[0] == 0:
            h_prev = self.h0
        else:
            h_prev = self.output[t + 1] if self.reverse else self.output[t - 1]
        weight_ih, weight_hh, bias_ih, bias_hh = self.weights
        pre = torch.addmm(bias_ih + bias_hh, self.x[t, :rows], weight_ih.t())
        if h_prev is not self.h0 or self.h0.any():  # a zero initial state adds nothing
            pre.addmm_(h_prev[:rows], weight_hh.t())
        pre = pre.view(pre.shape[0], 4, -1)  # i, f, g, o
        gates = pre.sigmoid()
        gates[:, 2] = pre[:, 2].tanh()
        return gates


def _step_cell(gates: torch.Tensor, c_prev: torch.Tensor) -> torch.Tensor:
    """c = f * c_prev + i * g for [B, 4, H] gates: [B, H]."""
    return gates[:, 1] * c_prev + gates[:, 0] * gates[:, 2]


def _views(floats: torch.Tensor, layout: Layout, steps: int, batch: int, hidden: int):
    gate_row = layout.gate_row or 4 * hidden
    cell_row = layout.cell_row or hidden
    gate_end = (steps - 1) * layout.gate_stride + (batch - 1) * gate_row + 4 * hidden
    cell_end = layout.cell_offset + max(0, steps - 2) * layout.cell_stride
    cell_end += (batch - 1) * cell_row + hidden
    if gate_end > floats.numel() or (steps > 1 and cell_end > floats.numel()):
        return None
    gates = floats.as_strided(
        (steps, batch, 4, hidden), (layout.gate_stride, gate_row, hidden, 1)
    )  # [T, B, 4, H]
    cells = floats.as_strided(
        (steps - 1, batch, hidden), (layout.cell_stride, cell_row, 1), layout.cell_offset
    )  # [T - 1, B, H]
    return gates, cells


def _close(a, b) -> bool:
    """|a - b| <= TOLERANCE * (1 + |b|) everywhere (torch.allclose's test; a NaN anywhere fails).
    NumPy arrays or CPU tensors, read as NumPy views of the same memory: a handful of small
    operations costs less there than in torch (see ``_checks``)."""
    a, b = np.asarray(a), np.asarray(b)
    bound = np.abs(b)
    bound *= TOLERANCE
    bound += TOLERANCE
    return bool((np.abs(a - b) <= bound).all())


def _checks(views, run: _Run) -> bool:
    """For every batch row, the first and the last step's gates from the workspace agree with
    the kernel's own outputs: f * c_prev + i * g gives the stored cell (the first step, from c0)
    and the kernel's c_n (the last step, from the last stored cell), and o * tanh(c) its hidden
    output at those steps. Both steps are checked in one batch of operations ([2, B, H]).

    A wrong step stride or row padding reads other memory (another step's or row's gates), and
    gates in another order or before their activations break the identities (with c0 = 0 the
    first step's cell is i * g alone, which pins i and g; its output pins o; a nonzero c_prev
    pins f), so all fail. The gates' values were compared with the equations (weights and input)
    when the layout was found (``_find_layout``).

    In NumPy, on views of the same memory: a dozen operations on [2, B, H] right after the kernel
    took 0.34 ms per layer in torch and 0.23 ms in NumPy (T=100, B=16, H=256; each operation's
    fixed cost, not the arithmetic, is what they pay)."""
    gates, cells = (v.numpy() for v in views)  # [T, B, 4, H], [T - 1, B, H]
    output, c0, c_n = run.output.numpy(), run.c0.numpy(), run.c_n.numpy()
    steps = gates.shape[0]
    first, last = run.position(0), run.position(-1)
    if steps > 1:
        ends = gates[:: steps - 1]  # [2, B, 4, H]: the first step and the last
        c_prev = np.stack((c0, cells[-1]))
        want = np.stack((cells[0], c_n, output[first], output[last]))
    else:
        ends, c_prev = gates, c0[None]
        want = np.stack((c_n, output[first]))
    want = want.reshape(2, -1, *c_n.shape)  # [cell, hidden output] x steps x [B, H]
    calc = np.empty_like(want)
    np.multiply(ends[:, :, 1], c_prev, out=calc[0])
    calc[0] += ends[:, :, 0] * ends[:, :, 2]  # f * c_prev + i * g
    np.tanh(want[0], out=calc[1])
    calc[1] *= ends[:, :, 3]  # o * tanh(c)
    return _close(calc, want)


def _locate(floats: torch.Tensor, target: torch.Tensor, start: int = 0) -> int | None:
    """The first offset >= ``start`` where ``floats`` holds ``target`` (within TOLERANCE).

    Scans CHUNK floats at a time and stops at the first match: most targets sit near ``start``,
    and a workspace is tens of MB (5,000 steps of 1,024 units: 100 MB, where scanning it whole
    for each of the five searches made every new input length cost 0.4-0.7 s more)."""
    target = target.reshape(-1)
    size = target.numel()
    if start + size > floats.numel():
        return None
    # Anchor on the element least likely to repeat: furthest from 0 and from +-1 (a saturated
    # gate, a zeroed padding).
    distance = torch.minimum(target.abs(), (target.abs() - 1).abs())
    anchor = int(distance.argmax())
    value = target[anchor]
    checked = 0
    last = floats.numel() - size  # the last offset a match can start at
    for begin in range(start, last + 1, CHUNK):
        end = min(begin + CHUNK, last + 1)  # offsets [begin, end)
        region = floats[begin + anchor : end + anchor]
        hits = torch.nonzero((region - value).abs_() <= TOLERANCE).flatten()
        for hit in hits[: MAX_HITS - checked].tolist():
            offset = begin + hit
            if _close(floats[offset : offset + size], target):
                return offset
        checked += hits.numel()
        if checked >= MAX_HITS:
            return None
    return None


def _find_layout(floats: torch.Tensor, run: _Run) -> Layout | None:
    """Search the workspace for the first two steps' gates and cells, rows 0 and 1; None if
    they are not where a strided layout would put them."""
    steps, batch, _ = run.x.shape
    hidden = run.weights[1].shape[1]
    first = run.gates(0)  # [B, 4, H]
    if floats.numel() < 4 * hidden or not _close(floats[: 4 * hidden], first[0].reshape(-1)):
        return None
    gate_row = 4 * hidden
    if batch > 1:
        gate_row = _locate(floats, first[1], 4 * hidden)
        if gate_row is None:
            return None
    gate_stride = (batch - 1) * gate_row + 4 * hidden
    if steps > 1:
        second = run.gates(1)
        gate_stride = _locate(floats, second[0], gate_stride)
        if gate_stride is None:
            return None
    if steps == 1:  # no cell is stored: the only one is the kernel's c_n
        return Layout(gate_stride, 0, 0, gate_row, hidden)
    c_first = _step_cell(first, run.c0)  # [B, H]
    cell_offset = _locate(floats, c_first[0])
    if cell_offset is None:
        return None
    cell_row = hidden
    if batch > 1:
        found = _locate(floats, c_first[1], cell_offset + hidden)
        if found is None:
            return None
        cell_row = found - cell_offset
    cell_stride = (batch - 1) * cell_row + hidden
    if steps > 2:  # at least two cells are stored: find the step stride
        c_second = _step_cell(second, c_first)
        found = _locate(floats, c_second[0], cell_offset + cell_stride)
        if found is None:
            return None
        cell_stride = found - cell_offset
    return Layout(gate_stride, cell_offset, cell_stride, gate_row, cell_row)
