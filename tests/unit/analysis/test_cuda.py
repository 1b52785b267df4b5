"""The causal tools on a CUDA GPU give what they give on the CPU. Skipped without a GPU.

cuDNN computes RNN gradients only in training mode; attribution must still run (in eval mode,
without dropout) and agree with the CPU.
"""

from __future__ import annotations

import copy

import pytest
import torch

from lstm_viz.analysis.attribution import attribute
from lstm_viz.analysis.patching import logit_diff, patching_sweep
from lstm_viz.models.sequence import ModelConfig, SequenceModel

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def tiny(cell: str) -> SequenceModel:
    torch.manual_seed(0)
    config = ModelConfig(
        cell=cell, vocab_size=9, embedding_size=4, hidden_size=6, num_layers=2, num_outputs=9
    )
    return SequenceModel(config).eval()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("method", ["integrated-gradients", "gradient-x-input", "occlusion"])
def test_attribution_on_cuda_equals_the_cpu(cell, method):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model = tiny(cell)
    ids = torch.tensor([[2, 3, 4, 5, 6, 7, 1]])
    cpu = attribute(model, ids, 3, method)
    gpu_model = copy.deepcopy(model).cuda()
    gpu = attribute(gpu_model, ids.cuda(), 3, method)
    assert not gpu_model.training  # left in eval mode
    torch.testing.assert_close(
        torch.as_tensor(gpu.scores), torch.as_tensor(cpu.scores), atol=1e-4, rtol=1e-4
    )
    if method == "integrated-gradients":
        assert gpu.completeness_error < 0.01


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_patching_sweep_on_cuda_equals_the_cpu(cell):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model = tiny(cell)
    clean = torch.tensor([[2, 3, 4, 5, 6]])
    corrupt = torch.tensor([[8, 3, 4, 5, 6]])
    cpu = patching_sweep(model, clean, corrupt, logit_diff(1, 2))
    gpu = patching_sweep(
        copy.deepcopy(model).cuda(), clean.cuda(), corrupt.cuda(), logit_diff(1, 2)
    )
    torch.testing.assert_close(
        torch.as_tensor(gpu.effects).cpu(), torch.as_tensor(cpu.effects), atol=5e-3, rtol=0
    )  # effects are ratios of logit differences: cuDNN's float32 error (~5e-6) is amplified
