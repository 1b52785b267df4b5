"""Gates read from oneDNN's workspace equal the recomputed ones, and a wrong layout is caught."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lstm_viz import record
from lstm_viz.recording import onednn

pytestmark = pytest.mark.skipif(
    not torch.backends.mkldnn.is_available(), reason="this PyTorch has no oneDNN"
)


@pytest.fixture(autouse=True)
def _layouts_restored():
    """The layout cache is per process: a test that distrusts a layout must not leave it
    distrusted for the tests that run after it in the same worker."""
    saved = dict(onednn._LAYOUTS)
    yield
    onednn._LAYOUTS.clear()
    onednn._LAYOUTS.update(saved)


def recomputed(module, inputs, monkeypatch, **options):
    """The same recording through the general path (gates recomputed from h_t)."""
    with monkeypatch.context() as patch:
        patch.setattr(onednn, "available", lambda *args: False)
        return record(module, inputs, **options)


@pytest.mark.parametrize(
    "steps, batch, layers, batch_first, bidirectional, hidden",
    [
        (1, 1, 1, False, False, 16),
        (2, 1, 2, False, False, 16),
        (3, 2, 1, True, False, 16),
        (50, 1, 2, False, False, 16),
        (37, 5, 2, True, False, 16),
        (1, 3, 1, False, True, 16),
        (2, 1, 1, False, True, 16),
        (23, 1, 2, False, True, 16),
        (19, 4, 2, True, True, 10),  # rows padded: 4H = 40 floats, stored every 48
        (9, 3, 1, False, True, 256),  # 4H*4 bytes a multiple of 4 KiB: 16 floats more per row
    ],
)
def test_workspace_gates_equal_recomputed_gates(
    steps, batch, layers, batch_first, bidirectional, hidden, monkeypatch
):
    torch.manual_seed(steps * 10 + batch)
    lstm = torch.nn.LSTM(
        6, hidden, num_layers=layers, batch_first=batch_first, bidirectional=bidirectional
    )
    dirs = 2 if bidirectional else 1
    shape = (batch, steps, 6) if batch_first else (steps, batch, 6)
    inputs = torch.randn(shape)
    state = tuple(torch.randn(layers * dirs, batch, hidden) * 0.5 for _ in range(2))
    onednn._LAYOUTS.clear()
    output, trace = record(lstm, inputs, initial_state=state)
    found = [key for key, layout in onednn._LAYOUTS.items() if layout is not None]
    assert len(found) == layers * dirs, "the workspace path was not taken for every direction"
    expected_output, expected_trace = recomputed(lstm, inputs, monkeypatch, initial_state=state)
    for name in trace.names:
        torch.testing.assert_close(trace[name], expected_trace[name], rtol=0, atol=1e-6)
    reference, (h_n, c_n) = lstm(inputs, state)
    torch.testing.assert_close(output[0], reference, rtol=0, atol=1e-5)
    torch.testing.assert_close(output[1][0], h_n, rtol=0, atol=1e-5)
    torch.testing.assert_close(output[1][1], c_n, rtol=0, atol=1e-5)
    # The equations hold inside the trace, the last step included (c_{T-1} comes from c_n); the
    # backward direction runs from the end.
    f, i, g, c = trace.forget_gate, trace.input_gate, trace.candidate, trace.cell
    c0 = state[1].view(layers, dirs, 1, batch, hidden).transpose(2, 3)  # [L, D, B, 1, H]
    forward = torch.cat([c0[:, :1], c[:, :1, :, :-1]], dim=3)
    torch.testing.assert_close(c[:, :1], f[:, :1] * forward + (i * g)[:, :1], rtol=0, atol=1e-5)
    if bidirectional:
        backward = torch.cat([c[:, 1:, :, 1:], c0[:, 1:]], dim=3)
        torch.testing.assert_close(
            c[:, 1:], f[:, 1:] * backward + (i * g)[:, 1:], rtol=0, atol=1e-5
        )


# Each way a layout can be wrong: the cells found 8 floats off; every step's gates one row of
# padding (16 floats) or one whole step off in stride (the first step still reads right, so
# only the last step's checks against the kernel's c_n and output can catch it); the rows
# (rows 1 and 2 are checked by the identities with their cells and outputs, not from the weights).
WRONG = {
    "cell offset": lambda g: dataclasses.replace(g, cell_offset=g.cell_offset + 8),
    "gate stride by 16": lambda g: dataclasses.replace(g, gate_stride=g.gate_stride + 16),
    "gate stride by a step": lambda g: dataclasses.replace(g, gate_stride=2 * g.gate_stride),
    "cell stride": lambda g: dataclasses.replace(g, cell_stride=g.cell_stride + 16),
    "gate row": lambda g: dataclasses.replace(g, gate_row=(g.gate_row or 32) + 16),
    "cell row": lambda g: dataclasses.replace(g, cell_row=(g.cell_row or 8) + 16),
}


@pytest.mark.parametrize("wrong", WRONG)
def test_a_wrong_layout_is_caught_and_the_gates_recomputed(monkeypatch, wrong):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(4, 8)
    inputs = torch.randn(20, 3, 4)
    onednn._LAYOUTS.clear()
    record(lstm, inputs)
    (key,) = onednn._LAYOUTS
    onednn._LAYOUTS[key] = WRONG[wrong](onednn._LAYOUTS[key])
    _, trace = record(lstm, inputs)
    assert onednn._LAYOUTS[key] is None  # distrusted from now on
    _, expected = recomputed(lstm, inputs, monkeypatch)
    for name in trace.names:
        torch.testing.assert_close(trace[name], expected[name], rtol=0, atol=1e-6)


# Gates read in another order, or before their activations: the identities with the kernel's
# own cells and outputs catch each (no gate is recomputed from the weights on a later call).
MISREAD = {
    "input and forget gates swapped": lambda g: g[:, :, [1, 0, 2, 3]],
    "candidate and output gate swapped": lambda g: g[:, :, [0, 1, 3, 2]],
    "gates one slot off": lambda g: g.roll(1, dims=2),
    "before the activations": lambda g: torch.cat((g[:, :, :2].logit(), g[:, :, 2:]), 2),
}


@pytest.mark.parametrize("misread", MISREAD)
@pytest.mark.parametrize("initial_state", [False, True])
def test_gates_in_another_order_are_caught_and_recomputed(monkeypatch, misread, initial_state):
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(4, 8)
    inputs = torch.randn(20, 3, 4)
    state = tuple(torch.randn(1, 3, 8) for _ in range(2)) if initial_state else None
    onednn._LAYOUTS.clear()
    record(lstm, inputs, initial_state=state)  # the layout is found from the weights here
    (key,) = onednn._LAYOUTS
    views = onednn._views

    def misread_views(*args):
        gates, cells = views(*args)
        return MISREAD[misread](gates), cells

    monkeypatch.setattr(onednn, "_views", misread_views)
    _, trace = record(lstm, inputs, initial_state=state)
    assert onednn._LAYOUTS[key] is None
    monkeypatch.undo()
    _, expected = recomputed(lstm, inputs, monkeypatch, initial_state=state)
    for name in trace.names:
        torch.testing.assert_close(trace[name], expected[name], rtol=0, atol=1e-6)


def test_other_configurations_take_the_general_path():
    lstm = torch.nn.LSTM(4, 8)
    assert onednn.available(torch.zeros(3, 1, 4), lstm)
    assert not onednn.available(torch.zeros(3, 1, 4, dtype=torch.float64), lstm.double())
    assert not onednn.available(torch.zeros(3, 1, 4), torch.nn.LSTM(4, 8, proj_size=3))
    assert not onednn.available(torch.zeros(3, 1, 4), torch.nn.LSTM(4, 8, bias=False))


@pytest.mark.parametrize("batch_first, as_packed", [(False, False), (True, True)])
def test_padded_sequences_take_the_workspace_path_and_equal_the_packed_run(
    batch_first, as_packed, monkeypatch
):
    """A forward-only LSTM on padded sequences: the kernel runs every row to the longest length;
    each row's steps up to its own length, its final states and the packed output equal the
    recomputed recording and the module's own packed forward."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(3)
    lstm = torch.nn.LSTM(6, 12, num_layers=2, batch_first=batch_first)
    lengths = torch.tensor([4, 9, 1, 7])
    x = torch.randn((4, 9, 6) if batch_first else (9, 4, 6))
    state = tuple(torch.randn(2, 4, 12) * 0.5 for _ in range(2))
    given = pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
    options = (
        {"initial_state": state} if as_packed else {"lengths": lengths, "initial_state": state}
    )
    inputs = given if as_packed else x
    onednn._LAYOUTS.clear()
    (output, (h, c)), trace = record(lstm, inputs, **options)
    assert sum(layout is not None for layout in onednn._LAYOUTS.values()) == 2
    (_, (h_r, c_r)), expected = recomputed(lstm, inputs, monkeypatch, **options)
    for name in trace.names:  # padded steps are NaN in both
        torch.testing.assert_close(trace[name], expected[name], rtol=0, atol=1e-6, equal_nan=True)
    reference, (h_n, c_n) = lstm(given, state)
    ours = output if as_packed else pack_padded_sequence(output, lengths, batch_first, False)
    torch.testing.assert_close(
        pad_packed_sequence(ours, batch_first)[0], pad_packed_sequence(reference, batch_first)[0]
    )
    torch.testing.assert_close((h, c), (h_n, c_n), rtol=0, atol=1e-5)
    torch.testing.assert_close((h, c), (h_r, c_r), rtol=0, atol=1e-6)


@pytest.mark.parametrize("chunk", [5, 7, 16, 1 << 20])
def test_locate_finds_the_first_match_across_chunks(monkeypatch, chunk):
    """_locate scans the workspace a chunk at a time: it finds what a plain scan of every offset
    finds (the first match at or after ``start``), also when the match or its anchor element
    straddles a chunk's end, and None when there is none."""
    monkeypatch.setattr(onednn, "CHUNK", chunk)
    generator = torch.Generator().manual_seed(0)
    floats = torch.rand(200, generator=generator) * 0.5 + 0.2  # no 0, no +-1: no anchor ties
    target = torch.tensor([0.31, -3.5, 0.77, 2.25])  # anchor: -3.5 (furthest from 0 and 1)

    def plain(start: int) -> int | None:  # every offset, in order
        for offset in range(start, floats.numel() - target.numel() + 1):
            if torch.allclose(floats[offset : offset + 4], target, rtol=0, atol=1e-6):
                return offset
        return None

    assert onednn._locate(floats, target) is None
    for at in (3, 6, 13, 61, 131):  # planted copies, some across chunk ends
        floats[at : at + 4] = target
    for start in (0, 3, 4, 7, 14, 62, 100, 132, 197):
        assert onednn._locate(floats, target, start) == plain(start)
