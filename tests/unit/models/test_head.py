"""lstm_viz.models.head: an uploaded head read as next-token scores keeps the file's outputs
and says which output scores which of our tokens; any other head says why not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.figures.predictions import next_token_probabilities, top_k_chart, top_k_table
from lstm_viz.importers import default_choice, head_reading, inspect_file, save_as_checkpoint
from lstm_viz.models import head
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.models.vocab import Vocab


class UsersModel(nn.Module):
    """As the user wrote it: embedding -> 2 x nn.LSTM -> nn.Linear fc 32 -> 50."""

    def __init__(self, outputs: int = 50, bidirectional: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(50, 16)
        self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(32 * (2 if bidirectional else 1), outputs)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.fc(self.lstm(self.embedding(ids))[0])


def imported(tmp_path, model: nn.Module):
    torch.save(model.state_dict(), tmp_path / "x.pt")  # exactly as the user saved it
    layer = inspect_file(tmp_path / "x.pt").layer()
    return layer, default_choice(layer)


def test_the_users_file_opens_as_a_next_token_model(tmp_path):
    torch.manual_seed(0)
    model = UsersModel().eval()
    layer, choice = imported(tmp_path, model)
    assert choice.head == "fc" and head_reading(layer, choice) is None
    checkpoint = load_checkpoint(save_as_checkpoint(tmp_path / "m", layer, choice, filename="x.pt"))
    config, vocab = checkpoint.model.config, checkpoint.vocab
    assert (config.num_outputs, len(vocab)) == (50, 52)  # the file's head; our <pad>, <unk>
    outputs = head.next_token_outputs(checkpoint.info, config.num_outputs, len(vocab))
    assert outputs.tolist() == list(range(2, 52))  # output j scores the token "j"
    assert [vocab.tokens[i] for i in outputs[:3]] == ["0", "1", "2"]
    assert head.only_ids(checkpoint.info)
    ids = [7, 0, 49, 3, 3]
    inputs = torch.tensor([vocab.encode([str(i) for i in ids])])
    ours = next_token_probabilities(checkpoint.model, inputs)  # [T, 50]
    with torch.no_grad():
        theirs = torch.softmax(model(torch.tensor([ids]))[0].double(), -1).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    table = top_k_table(ours, [str(i) for i in ids], vocab, k=3, outputs=outputs, ids=True)
    assert table["p(next)"][1] == pytest.approx(theirs[1, 49])
    assert table["reads"][0] == "id 7" and table["next"][0] == "id 0"
    assert table["top 1"][0].startswith(f"id {int(theirs[0].argmax())}  ")


@pytest.mark.parametrize(
    ("outputs", "bidirectional", "why"),
    [
        (3, False, "its head fc has 3 outputs and its embedding 50 rows, so the outputs are not"),
        (50, True, "its layer is bidirectional"),
    ],
)
def test_other_heads_say_why_they_are_not_next_token_scores(tmp_path, outputs, bidirectional, why):
    layer, choice = imported(tmp_path, UsersModel(outputs, bidirectional))
    assert head_reading(layer, choice).startswith(why)
    checkpoint = load_checkpoint(save_as_checkpoint(tmp_path / "m", layer, choice, filename="x"))
    assert head.next_token_outputs(checkpoint.info, outputs, len(checkpoint.vocab)) is None
    assert head.why_not(checkpoint.info).startswith(why)


def test_runs_round_trip_and_bad_runs_are_refused():
    per_output = [5, -1, 0, 1, 2, 7, -1]
    runs = head.encode_outputs(per_output)
    assert runs == [[0, 5, 1], [2, 0, 3], [5, 7, 1]]
    info = {"head": {"scores": "next_token", "outputs": runs}}
    assert head.next_token_outputs(info, 7, 8).tolist() == per_output
    assert head.next_token_outputs(info, 5, 8) is None  # a run past the head
    assert head.next_token_outputs(info, 7, 7) is None  # an id past the vocabulary
    for bad in ([[0, 1]], [[0, -1, 2]], [[0, 1, True]], "0 1 2", []):
        assert (
            head.next_token_outputs({"head": {"scores": "next_token", "outputs": bad}}, 7, 8)
            is None
        )
    assert head.next_token_outputs({}, 7, 8) is None


def test_outputs_without_a_token_are_named_and_never_marked():
    vocab = Vocab(("<pad>", "<unk>", "a", "b"))
    outputs = np.array([3, -1, 2])  # output 1 scores no token of ours
    probabilities = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    table = top_k_table(probabilities, ["a", "b", "a"], vocab, k=3, outputs=outputs)
    assert table["top 1"][0] == "output 1  0.70"
    assert table["top 2"][0] == "b  0.20 ✓" and table["rank of next"][0] == 2
    assert table["p(next)"][1] == pytest.approx(0.2)  # a is output 2
    chart = top_k_chart(table, 2).to_dict()  # the last step: no next token, nothing marked
    values = next(iter(chart["datasets"].values()))
    assert not any(v["actual next"] for v in values)
