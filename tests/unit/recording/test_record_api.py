"""record() on user modules: every recurrent layer recorded, nothing left behind, clear errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_viz import PeepholeLSTM, Trace, record
from tests.toy_models import Classifier


class EncoderDecoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.GRU(4, 8, bidirectional=True)
        self.decoder = nn.LSTM(16, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        encoded, _ = self.encoder(x)
        first, state = self.decoder(encoded)
        second, _ = self.decoder(encoded, state)  # called twice
        return second


class Raises(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.lstm(x)
        raise RuntimeError("boom")


def assert_untouched(module: nn.Module) -> None:
    for m in module.modules():
        assert "forward" not in m.__dict__, f"{type(m).__name__}.forward left patched"
        assert not m._forward_hooks and not m._forward_pre_hooks
        assert not m._backward_hooks


def test_user_module_output_and_trace():
    torch.manual_seed(0)
    model = Classifier(vocab_size=20, hidden=16, head="head").eval()
    ids = torch.randint(0, 20, (3, 7))
    output, trace = record(model, ids)
    with torch.no_grad():
        torch.testing.assert_close(output, model(ids), atol=1e-6, rtol=1e-6)
    assert isinstance(trace, Trace)
    assert trace.forget_gate.shape == (2, 1, 3, 7, 16)
    assert trace.config["module"] == "lstm"
    assert trace.config["batch_first"] is True
    assert_untouched(model)


def test_several_recurrent_modules_and_repeated_calls_are_all_recorded():
    torch.manual_seed(0)
    model = EncoderDecoder().eval()
    x = torch.randn(5, 2, 4)
    output, traces = record(model, x)
    assert list(traces) == ["encoder", "decoder", "decoder#2"]
    assert traces["encoder"].kind == "gru" and traces["encoder"].num_directions == 2
    # The second decoder call starts from the state the first one ended in.
    first, second = traces["decoder"], traces["decoder#2"]
    f, i, g = (second[n][0, 0, :, 0] for n in ("forget_gate", "input_gate", "candidate"))
    carried = first.cell[0, 0, :, -1]
    torch.testing.assert_close(second.cell[0, 0, :, 0], f * carried + i * g, atol=1e-6, rtol=1e-6)
    with torch.no_grad():
        torch.testing.assert_close(output, model(x), atol=1e-6, rtol=1e-6)
    assert_untouched(model)


def test_nothing_remains_after_a_forward_that_raised():
    model = Raises()
    with pytest.raises(RuntimeError, match="boom"):
        record(model, torch.randn(4, 1, 3))
    assert_untouched(model)
    assert model.training  # the training flag is restored too


def test_existing_user_hooks_still_run_and_stay():
    model = Classifier(vocab_size=20, hidden=16, head="head")
    seen = []
    handle = model.lstm.register_forward_hook(lambda m, i, o: seen.append(o[0].shape))
    record(model, torch.randint(0, 20, (2, 5)))
    assert seen == [torch.Size([2, 5, 16])]
    assert len(model.lstm._forward_hooks) == 1
    handle.remove()
    assert_untouched(model)


def test_tokens_are_carried():
    lstm = nn.LSTM(2, 3)
    _, trace = record(lstm, torch.randn(4, 2), tokens=list("abcd"))
    assert trace.tokens == [list("abcd")]
    with pytest.raises(ValueError, match="3 tokens but 4 recorded steps"):
        record(lstm, torch.randn(4, 2), tokens=list("abc"))


def test_lengths_on_a_bare_module_return_padded_output():
    torch.manual_seed(0)
    lstm = nn.LSTM(2, 3, batch_first=True)
    x = torch.randn(3, 5, 2)
    (output, (h_n, c_n)), trace = record(lstm, x, lengths=[5, 2, 4])
    assert output.shape == (3, 5, 3)
    assert (output[1, 2:] == 0).all()
    assert trace.lengths.tolist() == [5, 2, 4]
    assert torch.isnan(trace.cell[0, 0, 1, 2:]).all()
    torch.testing.assert_close(trace.hidden[0, 0, 1, 1], h_n[0, 1])


@pytest.mark.parametrize(
    ("module", "x", "kwargs", "message"),
    [
        (nn.LSTM(3, 4), torch.randn(5, 2, 7), {}, "expects input_size=3 features per step, got 7"),
        (nn.LSTM(3, 4), torch.randn(0, 2, 3), {}, "no time steps"),
        (nn.LSTM(3, 4), torch.randn(5, 2, 3, 1), {}, "got 4-D"),
        (
            nn.LSTM(3, 4),
            torch.randn(5, 2, 3),
            {"lengths": [6, 2]},
            r"exceed the input's 5 time steps",
        ),
        (nn.LSTM(3, 4), torch.randn(5, 2, 3), {"lengths": [0, 2]}, "at least 1"),
        (nn.LSTM(3, 4), torch.randn(5, 2, 3), {"lengths": [5]}, "one length per sequence"),
        (
            nn.LSTM(3, 4),
            torch.randn(5, 2, 3),
            {"lengths": [2, 5], "enforce_sorted": True},
            "not sorted longest first",
        ),
        (
            nn.Linear(3, 4),
            torch.randn(5, 3),
            {},
            "found no nn.LSTM, nn.GRU, nn.RNN, PeepholeLSTM or ConvLSTM",
        ),
        (nn.LSTM(3, 4), torch.randint(0, 3, (5, 3)), {}, "floating-point input"),
        (
            nn.LSTM(3, 4),
            torch.randn(5, 2, 3),
            {"initial_state": (torch.zeros(1, 2, 5), torch.zeros(1, 2, 4))},
            r"h0 must be shaped \[1, 2, 4\]",
        ),
    ],
)
def test_bad_input_gets_a_clear_value_error(module, x, kwargs, message):
    with pytest.raises(ValueError, match=message):
        record(module, x, **kwargs)
    assert_untouched(module)


def test_nan_and_inf_are_named():
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = torch.randn(5, 1, 3)
    x[2, 0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"the input to LSTM 'LSTM' contains 1 NaN and 0 Inf"):
        record(lstm, x)
    with torch.no_grad():
        lstm.weight_hh_l1[0, 0] = float("inf")
    with pytest.raises(
        ValueError, match=r"parameter weight_hh_l1 of LSTM 'LSTM' contains 0 NaN and 1 Inf"
    ):
        record(lstm, torch.randn(5, 1, 3))
    state = (torch.full((2, 1, 4), float("nan")), torch.zeros(2, 1, 4))
    with pytest.raises(ValueError, match="h0 contains 8 NaN"):
        record(nn.LSTM(3, 4, num_layers=2), torch.randn(5, 1, 3), initial_state=state)


def test_weights_are_checked_again_whenever_they_change():
    """Every call checks the weights as they are now: a NaN or Inf written after a first
    recording (in place, by load_state_dict, as a new tensor, by an optimizer step) is named."""
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = torch.randn(5, 1, 3)
    record(lstm, x)
    record(lstm, x)
    with torch.no_grad():
        lstm.weight_ih_l0[1, 2] = float("nan")  # in place
    with pytest.raises(ValueError, match="weight_ih_l0 of LSTM 'LSTM' contains 1 NaN"):
        record(lstm, x)
    with torch.no_grad():
        lstm.weight_ih_l0[1, 2] = 0.5
    record(lstm, x)
    broken = {k: v.clone() for k, v in lstm.state_dict().items()}
    broken["bias_hh_l1"][3] = float("inf")
    lstm.load_state_dict(broken)
    with pytest.raises(ValueError, match="bias_hh_l1 of LSTM 'LSTM' contains 0 NaN and 1 Inf"):
        record(lstm, x)
    lstm.bias_hh_l1 = nn.Parameter(torch.zeros(16))  # a new tensor
    record(lstm, x)
    lstm.bias_hh_l1 = nn.Parameter(torch.full((16,), float("nan")))
    with pytest.raises(ValueError, match="contains 16 NaN"):
        record(lstm, x)
    optimizer = torch.optim.SGD(lstm.parameters(), lr=float("inf"))
    lstm.bias_hh_l1 = nn.Parameter(torch.zeros(16))
    record(lstm, x)
    lstm(x)[0].sum().backward()
    optimizer.step()  # an infinite step: every weight with a gradient is no longer finite
    with pytest.raises(ValueError, match="contains"):
        record(lstm, x)


def test_writes_that_autograd_does_not_see_are_checked_too():
    """.data and NumPy writes leave a parameter's version counter alone: no check may rely on it.
    Large finite weights whose sums overflow are not reported."""
    lstm = nn.LSTM(3, 4)
    x = torch.randn(5, 1, 3)
    record(lstm, x)
    lstm.weight_hh_l0.data[2, 1] = float("nan")
    with pytest.raises(ValueError, match="weight_hh_l0 of LSTM 'LSTM' contains 1 NaN"):
        record(lstm, x)
    lstm.weight_hh_l0.data[2, 1] = 0.0
    record(lstm, x)
    lstm.bias_ih_l0.detach().numpy()[0] = float("-inf")
    with pytest.raises(ValueError, match="bias_ih_l0 of LSTM 'LSTM' contains 0 NaN and 1 Inf"):
        record(lstm, x)
    lstm.bias_ih_l0.data.fill_(3e38)  # each finite, their sum not
    record(lstm, x)


def test_a_module_whose_forward_skips_its_lstm():
    class Skips(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4)

        def forward(self, x):
            return x

    with pytest.raises(ValueError, match="never called its recurrent layers"):
        record(Skips(), torch.randn(2, 3))


def test_lengths_on_a_user_module_is_refused():
    with pytest.raises(ValueError, match="apply to a bare recurrent module"):
        record(
            Classifier(vocab_size=20, hidden=16, head="head"),
            torch.randint(0, 20, (2, 5)),
            lengths=[5, 3],
        )


def test_peephole_inside_a_user_module():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = PeepholeLSTM(3, 5, num_layers=2, batch_first=True)

        def forward(self, x):
            return self.rnn(x)[0]

    model = Model()
    out, trace = record(model, torch.randn(2, 6, 3))
    assert trace.kind == "peephole_lstm"
    assert trace.cell.shape == (2, 1, 2, 6, 5)
    torch.testing.assert_close(trace.hidden[-1, 0], out)
    assert_untouched(model)


def test_threads_recording_one_shared_model_do_not_interfere():
    """A web app shares one cached model between sessions, which record from several threads."""
    from concurrent.futures import ThreadPoolExecutor

    torch.manual_seed(0)
    model = Classifier(vocab_size=20, hidden=16, head="head").eval()
    inputs = [torch.randint(0, 20, (1, 6 + i % 5)) for i in range(24)]
    expected = [record(model, ids)[1].cell for ids in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        traces = list(pool.map(lambda ids: record(model, ids)[1], inputs))
    for trace, cell in zip(traces, expected, strict=True):
        torch.testing.assert_close(trace.cell, cell)
    assert_untouched(model)
