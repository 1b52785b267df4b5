"""An uploaded file says what it holds that nothing reads (a fresh user's training checkpoint:
a convolution and a batch norm in front of the LSTM, the optimizer's state, the epoch)."""

from __future__ import annotations

import io

import torch
from safetensors.torch import save

from lstm_viz.importers._torch import read_pytorch, read_safetensors


class ConvLSTM1d(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv1d(4, 4, 3)
        self.bn = torch.nn.BatchNorm1d(4)
        self.lstm = torch.nn.LSTM(4, 6, batch_first=True)
        self.fc = torch.nn.Linear(6, 2)


def saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def test_a_training_checkpoint_names_what_is_not_read():
    torch.manual_seed(0)
    model = ConvLSTM1d()
    optimizer = torch.optim.Adam(model.parameters())
    model.fc(model.lstm(torch.randn(2, 5, 4))[0]).sum().backward()
    optimizer.step()
    data = saved(
        {"epoch": 3, "model_state_dict": model.state_dict(), "optimizer": optimizer.state_dict()}
    )
    imported = read_pytorch(data, "ckpt.pt")
    assert imported.layer().name == "model_state_dict.lstm"
    (unread,) = [n for n in imported.notes if n.startswith("Not read: ")]
    # conv: weight, bias; bn: weight, bias, running_mean, running_var, num_batches_tracked
    assert "model_state_dict.conv (2), model_state_dict.bn (5), optimizer (" in unread
    assert "fc" not in unread  # the head candidate is read (offered as the head)
    assert "is not run" in unread
    assert "Not read (no tensors): epoch." in imported.notes


def test_a_plain_state_dict_has_nothing_unread():
    lstm = torch.nn.LSTM(4, 6)
    assert read_pytorch(saved(lstm.state_dict()), "lstm.pt").notes == []
    tensors = {k: v.contiguous() for k, v in lstm.state_dict().items()}
    tensors["extra.scale"] = torch.ones(3)
    imported = read_safetensors(save(tensors), "lstm.safetensors")
    notes = [n for n in imported.notes if n.startswith("Not read: 1 tensor that no")]
    assert len(notes) == 1 and "extra (1)" in notes[0]


class EmbeddedLSTM(torch.nn.Module):
    """The usual language model: embedding, a 2-layer LSTM, a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(30, 16)
        self.lstm = torch.nn.LSTM(16, 32, num_layers=2)
        self.head = torch.nn.Linear(32, 30)


def no_tensor_notes(notes: list[str]) -> list[str]:
    return [n for n in notes if n.startswith("Not read (no tensors)")]


def test_a_saved_state_dict_lists_no_entry_as_holding_no_tensors(tmp_path):
    """torch.save(model.state_dict(), "m.pt"): its entries are its tensors, all read."""
    model = EmbeddedLSTM()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    imported = read_pytorch((tmp_path / "m.pt").read_bytes(), "m.pt")
    layer = imported.layer()
    assert (layer.name, layer.num_layers, layer.hidden_size) == ("lstm", 2, 32)
    assert no_tensor_notes(imported.notes) == []
    assert not [n for n in imported.notes if n.startswith("Not read")]


def test_a_checkpoint_lists_only_its_entries_without_tensors(tmp_path):
    model = EmbeddedLSTM()
    optimizer = torch.optim.Adam(model.parameters())  # no step yet: its state holds no tensor
    checkpoint = {
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "epoch": 3,
        "config": {"hidden": 32, "layers": 2},
    }
    torch.save(checkpoint, tmp_path / "ckpt.pt")
    imported = read_pytorch((tmp_path / "ckpt.pt").read_bytes(), "ckpt.pt")
    assert imported.layer().name == "model_state_dict.lstm"
    assert no_tensor_notes(imported.notes) == [
        "Not read (no tensors): optimizer_state_dict, epoch, config."
    ]


def test_a_file_cut_short_is_said_to_be_cut_short():
    """A torch.save file whose end is missing (an interrupted copy or upload): one line that says
    so, not torch's 'PytorchStreamReader failed reading zip archive: failed finding central
    directory'."""
    import pytest

    from lstm_viz.importers._core import ModelFileError

    buffer = io.BytesIO()
    torch.save(torch.nn.LSTM(3, 4).state_dict(), buffer)
    data = buffer.getvalue()
    with pytest.raises(ModelFileError, match="cut short") as raised:
        read_pytorch(data[: len(data) // 2], "m.pt")
    assert "PytorchStreamReader" not in str(raised.value)
