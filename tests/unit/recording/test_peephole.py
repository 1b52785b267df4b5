"""PeepholeLSTM: nn.LSTM's computation plus peepholes, trainable, recorded like the others."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_viz import PeepholeLSTM, record
from tests.unit.reference import reference_record


def twin(lstm: nn.LSTM) -> PeepholeLSTM:
    peep = PeepholeLSTM(
        lstm.input_size,
        lstm.hidden_size,
        lstm.num_layers,
        lstm.bias,
        lstm.batch_first,
        lstm.dropout,
        lstm.bidirectional,
    )
    missing, unexpected = peep.load_state_dict(lstm.state_dict(), strict=False)
    assert not unexpected and all("peephole" in k for k in missing)
    with torch.no_grad():
        for name, p in peep.named_parameters():
            if "peephole" in name:
                p.zero_()
    return peep


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_zero_peepholes_equal_nn_lstm(bidirectional, batch_first):
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    peep = twin(lstm)
    x = torch.randn(4, 6, 3)
    with torch.no_grad():
        want, (want_h, want_c) = lstm(x)
        got, (got_h, got_c) = peep(x)
    for g, w in ((got, want), (got_h, want_h), (got_c, want_c)):
        torch.testing.assert_close(g, w, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_input_matches_nn_lstm_and_reference(bidirectional):
    torch.manual_seed(1)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=bidirectional)
    peep = twin(lstm)
    x = torch.randn(6, 3, 3)
    lengths = [4, 6, 2]
    packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    with torch.no_grad():
        want, (want_h, want_c) = lstm(packed)
    (got, (got_h, got_c)), _ = record(peep, packed)
    torch.testing.assert_close(got.data, want.data, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(got_h, want_h, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(got_c, want_c, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(pad_packed_sequence(got)[0], pad_packed_sequence(want)[0])


@pytest.mark.parametrize(
    "config",
    [
        dict(num_layers=1, bidirectional=False, lengths=None, state=False),
        dict(num_layers=2, bidirectional=True, lengths=[5, 3], state=True),
        dict(num_layers=3, bidirectional=False, lengths=[2, 5], state=True),
    ],
)
def test_trace_equals_reference_with_peepholes(config):
    torch.manual_seed(2)
    peep = PeepholeLSTM(
        3, 4, num_layers=config["num_layers"], bidirectional=config["bidirectional"]
    )
    with torch.no_grad():
        for p in peep.parameters():
            p.mul_(3.0)  # strong peepholes, saturating gates
    x = torch.randn(5, 2, 3)
    rows = config["num_layers"] * (2 if config["bidirectional"] else 1)
    h0 = c0 = None
    if config["state"]:
        h0, c0 = torch.randn(rows, 2, 4), torch.randn(rows, 2, 4)
    (out, (h_n, c_n)), trace = record(
        peep, x, lengths=config["lengths"], initial_state=None if h0 is None else (h0, c0)
    )
    values, ref_out, ref_h, ref_c = reference_record(
        peep, "peephole_lstm", x, config["lengths"], h0, c0
    )
    for name, want in values.items():
        torch.testing.assert_close(
            trace[name].double(), want, atol=1e-5, rtol=1e-5, equal_nan=True, msg=name
        )
    torch.testing.assert_close(out.double(), ref_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(h_n.double(), ref_h, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(c_n.double(), ref_c, atol=1e-5, rtol=1e-5)


def test_peepholes_are_trainable():
    torch.manual_seed(3)
    peep = PeepholeLSTM(2, 3, num_layers=2, dropout=0.1)
    out, _ = peep(torch.randn(7, 4, 2))
    out.pow(2).sum().backward()
    for name, p in peep.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_unbatched_input():
    peep = PeepholeLSTM(2, 3)
    out, (h, c) = peep(torch.randn(5, 2))
    assert out.shape == (5, 3) and h.shape == (1, 3) and c.shape == (1, 3)
