"""A fast scan for the cell-state recurrence c_t = f_t * c_{t-1} + u_t (with u_t = i_t * g_t)."""

from __future__ import annotations

import math

import torch


def linear_scan(
    decay: torch.Tensor,
    increment: torch.Tensor,
    initial: torch.Tensor,
    reverse: bool = False,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Solve c_t = decay_t * c_{t-1} + increment_t for every t, with c_{-1} = initial.

    decay, increment, out: [T, ...] (any strides); initial: [...]. Returns c, [T, ...].
    With ``reverse`` time runs backwards: c_t = decay_t * c_{t+1} + increment_t, c_T = initial.

    A per-step loop costs T small tensor operations, which dominate for short state vectors.
    Here time is cut into sqrt(T) blocks of sqrt(T) steps. Pass 1 scans every block at once
    from a zero state, keeping only each block's end state and its product of decays; a short
    loop then carries the true state from block to block; pass 2 replays every block at once
    from its true start, writing the output. About 4*sqrt(T) operations, and pass 2 is the
    plain recurrence, so the result is as exact as a step-by-step loop.
    """
    steps = decay.shape[0]
    if out is None:
        out = torch.empty_like(increment)
    block = max(1, math.isqrt(steps))
    num_blocks = steps // block
    span = num_blocks * block  # steps covered by whole blocks; the rest run one by one
    if reverse:
        blocked = slice(steps - span, steps)
        rest = range(steps - span - 1, -1, -1)
        order = range(block - 1, -1, -1)
        block_order = range(num_blocks - 1, -1, -1)
    else:
        blocked = slice(0, span)
        rest = range(span, steps)
        order = range(block)
        block_order = range(num_blocks)

    a = decay[blocked].unflatten(0, (num_blocks, block))  # [blocks, block, ...]
    u = increment[blocked].unflatten(0, (num_blocks, block))
    c = out[blocked].unflatten(0, (num_blocks, block))

    # Pass 1: each block's end state from a zero start, and its total decay.
    end_state = torch.zeros_like(u[:, 0])  # [blocks, ...]
    total_decay = torch.ones_like(a[:, 0])
    for k in order:
        end_state.mul_(a[:, k]).add_(u[:, k])
        total_decay.mul_(a[:, k])

    # Carry the true state into each block.
    start = torch.empty_like(end_state)
    carry = initial.to(end_state.dtype)
    for j in block_order:
        start[j] = carry
        carry = torch.addcmul(end_state[j], total_decay[j], carry)

    # Pass 2: the recurrence itself, every block at once from its true start.
    previous = start
    for k in order:
        torch.addcmul(u[:, k], a[:, k], previous, out=c[:, k])
        previous = c[:, k]

    for t in rest:
        torch.addcmul(increment[t], decay[t], carry, out=out[t])
        carry = out[t]
    return out
