"""An ONNX file whose graph fixes its input length (torch.onnx.export without dynamic_axes, the
way most models are exported): the length is read onto each recurrent layer (RecurrentLayer.steps,
from ONNX shape inference), survives the reading child's reply, and is the default input, so the
check on the file's own runtime (onnxruntime) runs at the length the graph takes.
(The Upload page reads layer.steps for every format: tests/app/test_upload_fixed_steps.py.)"""

from __future__ import annotations

import io
import warnings

import pytest
import torch
from torch import nn

from lstm_viz.importers import inspect_isolated, record_imported

T = 7


class Tagger(nn.Module):
    def __init__(self, cell=nn.LSTM, layers=1):
        super().__init__()
        self.embedding = nn.Embedding(12, 4)
        self.rnn = cell(4, 6, num_layers=layers, batch_first=True)
        self.head = nn.Linear(6, 12)

    def forward(self, ids):
        return self.head(self.rnn(self.embedding(ids))[0])


def export(module: nn.Module, dynamic: bool) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            (torch.zeros(1, T, dtype=torch.long),),
            buffer,
            dynamo=False,
            input_names=["ids"],
            output_names=["logits"],
            dynamic_axes={"ids": {0: "batch", 1: "steps"}} if dynamic else None,
        )
    return buffer.getvalue()


@pytest.mark.parametrize("cell, layers", [(nn.LSTM, 1), (nn.GRU, 2)], ids=["lstm", "gru-2"])
def test_a_fixed_length_is_read_and_the_default_and_onnxruntime_agrees(cell, layers):
    pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    data = export(Tagger(cell, layers), dynamic=False)
    imported = inspect_isolated(data, "fixed.onnx")  # read in the child, as the page does
    assert [layer.steps for layer in imported.layers] == [T]
    recording = record_imported(imported, input="random:")
    assert recording.trace.num_steps == T
    runtime = recording.checks[-1]
    assert runtime.reference.startswith("onnxruntime"), recording.checks
    assert runtime.max_difference < 1e-5, recording.checks


def test_a_free_length_stays_free():
    torch.manual_seed(0)
    imported = inspect_isolated(export(Tagger(), dynamic=True), "free.onnx")
    assert [layer.steps for layer in imported.layers] == [None]
