"""torch's global random generator, shared by every training run in a process.

A server's sessions train in threads of one process. Two things draw from torch's global
generator (the CPU one): a model's initial weights (``nn.Linear``, ``nn.LSTM`` and the rest
draw them when built) and dropout's masks (drawn in every training forward pass). Seeding that
generator and drawing from it while another session does the same mixes the two runs' streams:
the same seed then gave other weights, or other masks, depending on what another user was doing.

- ``seeded(seed)``: a model is built under a lock, right after the generator is seeded.
- ``RandomStream(seed)``: one run's own generator state, swapped in (under the same lock) for
  the forward passes that draw dropout masks, and out again; another run's draws in between
  change nothing. It starts where ``torch.manual_seed(seed)`` would put the global generator, so
  a run alone in its process draws exactly what it drew when it seeded that generator itself.

CUDA's generators are not swapped: a Trainer on a GPU seeds them as before (one GPU run at a
time is reproducible; two at once share them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

_GLOBAL = threading.RLock()  # held while torch's global generator is seeded, drawn or swapped


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's global generator and hold it for the block (build a model's weights in it):
    no other run seeds or draws from it meanwhile."""
    with _GLOBAL:
        torch.manual_seed(seed)
        yield


class RandomStream:
    """One run's own stream of torch's global CPU generator (``active`` swaps it in)."""

    def __init__(self, seed: int) -> None:
        self.state = torch.Generator().manual_seed(seed).get_state()

    @contextmanager
    def active(self) -> Iterator[None]:
        """Within the block, torch's global generator draws from this stream; afterwards it is
        back where it was, and this stream goes on from where the block left it."""
        with _GLOBAL:
            saved = torch.get_rng_state()
            torch.set_rng_state(self.state)
            try:
                yield
            finally:
                self.state = torch.get_rng_state()
                torch.set_rng_state(saved)
