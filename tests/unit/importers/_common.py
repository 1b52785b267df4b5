"""What the importer tests share: a tolerance, torch.save bytes, a typical classifier, and the
check that a trace matches the module's own outputs."""

from __future__ import annotations

import io
import warnings

import torch
from torch import nn

TOL = 1e-5


def torch_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


class Classifier(nn.Module):
    """A typical text classifier: embedding -> LSTM -> linear head on the last step."""

    def __init__(self, vocab: int = 50) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, 10)
        self.lstm = nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
        self.fc = nn.Linear(20, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(ids))
        return self.fc(out[:, -1])


def assert_matches_module(trace, module: nn.Module, x: torch.Tensor) -> None:
    """trace.hidden's last layer equals module(x)'s output at every step; every layer's final h
    (and c) equals h_n (c_n)."""
    with torch.no_grad():
        output, state = module(x)
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    dirs = 2 if module.bidirectional else 1
    size = trace.hidden.shape[-1]
    for d in range(dirs):
        torch.testing.assert_close(
            trace.hidden[-1, d], output[..., d * size : (d + 1) * size], atol=TOL, rtol=0
        )
        last = 0 if d else trace.num_steps - 1
        for k in range(module.num_layers):
            torch.testing.assert_close(
                trace.hidden[k, d, :, last], h_n[k * dirs + d], atol=TOL, rtol=0
            )
            if c_n is not None:
                torch.testing.assert_close(
                    trace.cell[k, d, :, last], c_n[k * dirs + d], atol=TOL, rtol=0
                )


def onnx_export(module: nn.Module, example: torch.Tensor, names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            buffer,
            dynamo=False,
            input_names=["x"],
            output_names=names,
            dynamic_axes={"x": {0: "batch", 1: "steps"}},
        )
    return buffer.getvalue()
