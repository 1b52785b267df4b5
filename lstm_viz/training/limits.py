"""Limits of one training run, checked from the config before the model is built.

The Train page states them on its form and refuses a run over them with one line; the numbers
are estimates for float32 training with AdamW (see training_memory).
"""

from __future__ import annotations

from lstm_viz.models.sequence import ModelConfig
from lstm_viz.recording.naming import GATE_BLOCKS
from lstm_viz.tasks.base import Task

# What one training run may take, checked before the model is built (check_training_size).
MAX_TRAIN_PARAMETERS = 20_000_000
MAX_TRAIN_MEMORY = 2_000_000_000  # bytes: weights, gradients, optimizer state, activations
TRAIN_LIMITS = (
    f"at most {MAX_TRAIN_PARAMETERS / 1e6:.0f} million parameters and about "
    f"{MAX_TRAIN_MEMORY / 1e9:.0f} GB of training memory (weights, gradients, optimizer state "
    "and one batch's activations)"
)


def training_memory(config: ModelConfig, batch_size: int, steps: int) -> int:
    """Estimated bytes one training step needs (float32): weights, gradients, AdamW's two
    moments and the best copy (5 x 4 bytes per parameter), plus the activations kept for the
    backward pass of a [batch_size, steps] batch (gates and states per layer and direction,
    the input layer and the head, x2 for their gradients)."""
    directions = 2 if config.bidirectional else 1
    gates = GATE_BLOCKS[config.cell]
    per_step = (
        config.num_layers * directions * (gates + 2) * config.hidden_size
        + config.embedding_size
        + config.num_outputs
    )
    return 20 * config.num_parameters() + 8 * batch_size * steps * per_step


def check_training_size(config: ModelConfig, batch_size: int, steps: int) -> None:
    """ValueError (one line, what to make smaller) when a run is over MAX_TRAIN_PARAMETERS or
    MAX_TRAIN_MEMORY. ``steps``: the longest training sequence (see longest_sequence)."""
    parameters = config.num_parameters()
    if parameters > MAX_TRAIN_PARAMETERS:
        raise ValueError(
            f"this model would have {parameters:,} parameters; training is limited to "
            f"{MAX_TRAIN_PARAMETERS:,}: use fewer hidden units, layers or a smaller input size"
        )
    memory = training_memory(config, batch_size, steps)
    if memory > MAX_TRAIN_MEMORY:
        raise ValueError(
            f"training would need about {memory / 1e9:,.1f} GB of memory (batches of "
            f"{batch_size:,} x {steps:,} steps); the limit is {MAX_TRAIN_MEMORY / 1e9:.0f} GB: "
            "use a smaller batch size, shorter sequences or fewer units"
        )


def longest_sequence(task: Task, batch_size: int = 256) -> int:
    """The most steps of any training batch of ``task``."""
    return max(
        (batch.inputs.shape[1] for batch in task.batches("train", batch_size, shuffle=False)),
        default=1,
    )
