"""Half precision and CUDA. bfloat16 runs on the CPU here; the CUDA tests skip without a GPU."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_viz import record
from tests.unit.reference import reference_record

from .test_recorder_parity import check_configuration

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_bfloat16_module_records_float32_gates_from_its_own_outputs():
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 8, num_layers=2).bfloat16().eval()
    x = torch.randn(20, 3, 4).bfloat16()
    (output, (h_n, c_n)), trace = record(lstm, x)
    with torch.no_grad():
        expected, (want_h, want_c) = lstm(x)
    torch.testing.assert_close(output, expected, atol=0, rtol=0)  # the same fused kernel
    assert trace.cell.dtype == torch.float32
    torch.testing.assert_close(
        trace.hidden[-1, 0].transpose(0, 1), expected.float(), atol=0, rtol=0
    )
    # Gates from bfloat16 states agree with a float64 reference of the bfloat16 weights.
    values, *_ = reference_record(lstm, "lstm", x.double())
    for name in ("input_gate", "forget_gate", "candidate", "output_gate"):
        torch.testing.assert_close(trace[name].double(), values[name], atol=0.05, rtol=0)


@cuda
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("seed", range(8))
def test_cuda_parity(kind, seed):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    configs = [
        dict(
            num_layers=2,
            bidirectional=True,
            batch_first=False,
            bias=True,
            proj_size=0,
            lengths=None,
            packed=False,
        ),
        dict(
            num_layers=3,
            bidirectional=False,
            batch_first=True,
            bias=False,
            proj_size=2 if kind == "lstm" else 0,
            lengths=[7, 3, 5],
            packed=False,
        ),
        dict(
            num_layers=1,
            bidirectional=True,
            batch_first=False,
            bias=True,
            proj_size=0,
            lengths=[2, 7, 4],
            packed=True,
        ),
    ]
    base = configs[seed % len(configs)]
    cfg = dict(
        kind=kind,
        input_size=3,
        hidden_size=6,
        nonlinearity="tanh",
        batch=3,
        steps=7,
        unbatched=False,
        initial_state=seed % 2 == 0,
        dtype=torch.float32,
        seed=seed,
        **base,
    )
    check_configuration(cfg, device="cuda")


@cuda
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cuda_half_precision(dtype):
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 16, num_layers=2, bidirectional=True).cuda().to(dtype).eval()
    x = torch.randn(50, 4, 4, device="cuda", dtype=dtype)
    (output, _), trace = record(lstm, x)
    with torch.no_grad():
        expected, (_, want_c) = lstm(x)
    torch.testing.assert_close(output, expected, atol=0, rtol=0)
    assert trace.cell.device.type == "cpu" and trace.cell.dtype == torch.float32
    torch.testing.assert_close(
        trace.cell[:, 0, :, -1], want_c.float().cpu().view(2, 2, 4, 16)[:, 0], atol=0.05, rtol=0.05
    )
