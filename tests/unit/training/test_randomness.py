"""A server's sessions train in one process: one run's dropout and weights do not depend on
what another run draws from torch's global generator meanwhile."""

from __future__ import annotations

import torch

from lstm_viz.training import Callbacks, TrainConfig, Trainer, build_run
from lstm_viz.training.randomness import RandomStream, seeded
from tests.unit.toy_task import RunningParity
from tests.unit.training.test_trainer import small_model


def trained(disturb: bool) -> dict[str, torch.Tensor]:
    """Two epochs with dropout; with ``disturb``, another 'session' draws from torch's global
    generator after every step, and seeds it once, as a second run would."""
    task = RunningParity(n_train=64, n_val=16)

    def other_session(_progress) -> None:
        if disturb:
            torch.rand(1000)
            torch.manual_seed(12345)

    model = small_model(task, num_layers=2, dropout=0.5)
    config = TrainConfig(epochs=2, device="cpu", seed=3)
    Trainer(model, task, config, Callbacks(on_progress=other_session)).fit()
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_dropout_masks_do_not_depend_on_other_draws():
    alone, disturbed = trained(False), trained(True)
    for name, value in alone.items():
        assert torch.equal(value, disturbed[name]), name


def test_a_stream_starts_where_manual_seed_puts_the_generator_and_goes_on_alone():
    torch.manual_seed(99)
    before = torch.get_rng_state()
    stream = RandomStream(5)
    with stream.active():
        first = torch.rand(3)
    assert torch.equal(torch.get_rng_state(), before)  # the global generator is as it was
    torch.rand(100)  # another run draws
    with stream.active():
        second = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(torch.cat([first, second]), torch.rand(6))


def test_a_build_draws_the_same_weights_whatever_ran_before():
    with seeded(0):
        torch.rand(17)
    small = {"train_size": 8, "validation_size": 4}
    first = build_run("parity", small, {"hidden_size": 4}, save=False)
    torch.rand(31)
    second = build_run("parity", small, {"hidden_size": 4}, save=False)
    weights = second.model.state_dict()
    for name, value in first.model.state_dict().items():
        assert torch.equal(value, weights[name]), name
