"""SequenceModel: padding never changes a sequence's real predictions."""

from __future__ import annotations

import pytest
import torch

from lstm_viz.models.sequence import ModelConfig, SequenceModel


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("objective", ["step_class", "sequence_class"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "peephole_lstm"])
def test_a_sequence_predicts_the_same_alone_or_in_a_padded_batch(bidirectional, objective, cell):
    torch.manual_seed(0)
    config = ModelConfig(
        cell=cell,
        vocab_size=6,
        embedding_size=4,
        hidden_size=5,
        num_layers=2,
        bidirectional=bidirectional,
        objective=objective,
        num_outputs=3,
    )
    model = SequenceModel(config).eval()
    short, long = torch.randint(1, 6, (1, 4)), torch.randint(1, 6, (1, 7))
    batch = torch.zeros(2, 7, dtype=torch.int64)
    batch[0, :4], batch[1] = short[0], long[0]
    with torch.no_grad():
        together, _ = model(batch, torch.tensor([4, 7]))
        alone, _ = model(short, torch.tensor([4]))
    if objective == "step_class":
        together, alone = together[0, :4], alone[0]
    else:
        together, alone = together[0], alone[0]
    torch.testing.assert_close(together, alone, atol=1e-6, rtol=1e-6)


def test_numeric_input_and_sequence_values():
    config = ModelConfig(input_size=2, objective="sequence_value", num_outputs=1)
    out, _ = SequenceModel(config)(torch.randn(3, 10, 2))
    assert out.shape == (3, 1)
