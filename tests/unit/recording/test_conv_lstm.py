"""ConvLSTM: record() equals a plain step-by-step convolutional loop written here on the same
weights, the trace keeps the spatial shape, and bad input is one clear line."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lstm_viz import ConvLSTM, record


def reference(module: ConvLSTM, x: torch.Tensor) -> dict[str, list[torch.Tensor]]:
    """Shi et al. (2015) without peepholes, one gate at a time, float64: per layer, per name,
    [B, T, C, H, W]."""
    size, (kh, kw) = module.hidden_channels, module.kernel_size
    pad = ((kw - 1) // 2, kw - 1 - (kw - 1) // 2, (kh - 1) // 2, kh - 1 - (kh - 1) // 2)
    layer_in = x.double()
    out: dict[str, list[torch.Tensor]] = {}
    for layer in range(module.num_layers):
        w_ih = getattr(module, f"weight_ih_l{layer}").double()
        w_hh = getattr(module, f"weight_hh_l{layer}").double()
        b = getattr(module, f"bias_l{layer}").double()
        batch, steps, _, height, width = layer_in.shape
        h = torch.zeros(batch, size, height, width, dtype=torch.float64)
        c = torch.zeros_like(h)
        seen = {n: [] for n in ("i", "f", "g", "o", "c", "h")}
        for t in range(steps):
            pre = []
            for k in range(4):
                rows = slice(k * size, (k + 1) * size)
                xs = F.conv2d(F.pad(layer_in[:, t], pad), w_ih[rows], b[rows])
                pre.append(xs + F.conv2d(F.pad(h, pad), w_hh[rows]))
            i, f = torch.sigmoid(pre[0]), torch.sigmoid(pre[1])
            g, o = torch.tanh(pre[2]), torch.sigmoid(pre[3])
            c = f * c + i * g
            h = o * torch.tanh(c)
            for n, v in zip(seen, (i, f, g, o, c, h), strict=True):
                seen[n].append(v)
        for n, vs in seen.items():
            out.setdefault(n, []).append(torch.stack(vs, dim=1))
        layer_in = out["h"][-1]
    return out


@pytest.mark.parametrize("kernel", [3, (2, 4)])
def test_record_equals_a_plain_convolution_loop(kernel):
    torch.manual_seed(0)
    module = ConvLSTM(2, 3, kernel_size=kernel, num_layers=2)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-0.6, 0.6)
    x = torch.randn(2, 5, 2, 6, 7)
    (output, _), trace = record(module, x)
    ref = reference(module, x)
    assert trace.kind == "conv_lstm"
    assert trace.config["spatial_shape"] == [3, 6, 7]
    assert trace.hidden.shape == (2, 1, 2, 5, 3 * 6 * 7)
    names = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")
    for ours, theirs in zip(names, ref, strict=True):
        maps = trace.maps(ours)  # [L, D, B, T, C, H, W]
        assert maps.shape == (2, 1, 2, 5, 3, 6, 7)
        for layer in range(2):
            diff = (maps[layer, 0].double() - ref[theirs][layer]).abs().max()
            assert diff < 1e-5, (ours, layer, float(diff))
    assert (output.double() - ref["h"][1]).abs().max() < 1e-5
    # the unit axis is channel x height x width in C order: unit 1*42 + 2*7 + 3 is (1, 2, 3)
    assert trace.cell[1, 0, 1, 4, 1 * 42 + 2 * 7 + 3] == trace.maps("cell")[1, 0, 1, 4, 1, 2, 3]


def test_a_wrong_weight_breaks_the_parity():
    """The parity check above can fail: a changed recurrent weight moves the recording away."""
    torch.manual_seed(1)
    module = ConvLSTM(1, 2, kernel_size=3)
    x = torch.randn(1, 4, 1, 5, 5)
    ref = reference(module, x)
    with torch.no_grad():
        module.weight_hh_l0[0, 0, 1, 1] += 0.5
    _, trace = record(module, x)
    assert (trace.maps("hidden")[0, 0].double() - ref["h"][0]).abs().max() > 1e-3


def test_forward_equals_recording_and_unbatched_input():
    torch.manual_seed(2)
    module = ConvLSTM(1, 2, kernel_size=3, num_layers=2)
    x = torch.randn(3, 1, 4, 4)
    out, (h, c) = module(x)
    (recorded, _), trace = record(module, x)
    assert out.shape == (3, 2, 4, 4) and h.shape == (2, 2, 4, 4)
    assert torch.allclose(out, recorded, atol=1e-6)
    assert trace.batch_size == 1
    assert torch.allclose(trace.maps("cell")[1, 0, 0, -1], c[1], atol=1e-6)


def test_bad_input_is_one_line():
    module = ConvLSTM(1, 2)
    with pytest.raises(ValueError, match="reads 1 input channel"):
        record(module, torch.randn(1, 3, 2, 4, 4))
    with pytest.raises(ValueError, match="reads frames"):
        record(module, torch.randn(3, 4))
    with pytest.raises(ValueError, match="no spatial shape"):
        _, trace = record(torch.nn.LSTM(2, 3), torch.randn(4, 1, 2))
        trace.maps("cell")
