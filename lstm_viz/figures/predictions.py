"""What a language model predicts after each step: the top-k next tokens with probabilities,
the actual next token marked. No streamlit here.

A language model here is a SequenceModel with a vocabulary whose head predicts the next token
(objective "next_token", one output per vocabulary entry).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd
import torch

from lstm_viz.models.vocab import Vocab
from lstm_viz.quantities import display_token


def is_language_model(model: torch.nn.Module, vocab: Vocab | None) -> bool:
    """True for a next-token model over ``vocab`` (its head has one output per token)."""
    config = getattr(model, "config", None)
    return (
        vocab is not None
        and config is not None
        and getattr(config, "objective", None) == "next_token"
        and getattr(config, "num_outputs", None) == len(vocab)
    )


@torch.no_grad()
def next_token_probabilities(model: torch.nn.Module, inputs: torch.Tensor) -> np.ndarray:
    """[1, T] token ids -> [T, V] float64: softmax of the model's next-token logits per step.

    Runs on the model's device in eval mode without changing the model (no train()/to() calls:
    the app shares one cached model between sessions)."""
    was_training = model.training
    if was_training:
        raise ValueError("put the model in eval mode before asking for its predictions")
    device = next(model.parameters()).device
    logits, _ = model(inputs.to(device))  # [1, T, V]
    return torch.softmax(logits[0].double(), dim=-1).cpu().numpy()


def top_k_table(
    probabilities: np.ndarray,
    tokens: Sequence[str],
    vocab: Vocab,
    k: int = 5,
    outputs: np.ndarray | None = None,
    ids: bool = False,
) -> pd.DataFrame:
    """One row per step: what the model read, its k most likely next tokens, and the truth.

    ``probabilities`` [T, O]: one column per head output. ``outputs`` [O] int: the vocabulary id
    each output scores, -1 for none (lstm_viz.models.head.next_token_outputs: an uploaded head
    keeps the file's token order); None: output i scores ``vocab.tokens[i]`` (O == len(vocab)).
    ``ids``: the tokens are the file's token ids (an upload without a vocabulary): every token is
    shown as "id 7". An output that scores no token of ``vocab`` is shown as "output 7".

    Columns: step, reads, next (the actual next token; "" after the last step), p(next),
    rank of next (1 = the model's first choice; None after the last step and for a next token
    no output scores), then top 1..k as "token  p" strings with ✓ on the actual next token, and
    next_token (as the vocabulary has it), top_tokens (the vocabulary's tokens, None for an
    output without one), top_shown (as displayed) and top_probs (lists).
    An unknown actual next token counts as <unk>, which is what the model was trained to say.
    """
    steps, size = probabilities.shape
    if len(tokens) != steps:
        raise ValueError(f"{len(tokens)} tokens for {steps} steps of predictions")
    if outputs is None:
        if size != len(vocab):
            raise ValueError(f"the predictions have {size} entries, the vocabulary {len(vocab)}")
        outputs = np.arange(size)
    elif len(outputs) != size:
        raise ValueError(f"the predictions have {size} entries, the output map {len(outputs)}")
    scored = {int(v): i for i, v in reversed(list(enumerate(outputs))) if v >= 0}  # id -> output

    def shown(token: str) -> str:
        return f"id {token}" if ids else display_token(token)

    def output_name(i: int) -> str:
        return shown(vocab.tokens[outputs[i]]) if outputs[i] >= 0 else f"output {i}"

    k = max(1, min(k, size))
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]  # [T, k]
    rows = []
    for t in range(steps):
        following = vocab.id(tokens[t + 1]) if t + 1 < steps else None
        target = scored.get(following) if following is not None else None
        row = {
            "step": t,
            "reads": shown(tokens[t]),
            "next": shown(tokens[t + 1]) if following is not None else "",
            "p(next)": float(probabilities[t, target]) if target is not None else np.nan,
            "rank of next": (
                int((probabilities[t] > probabilities[t, target]).sum()) + 1
                if target is not None
                else None
            ),
        }
        for j, i in enumerate(top[t]):
            mark = " ✓" if i == target else ""
            row[f"top {j + 1}"] = f"{output_name(i)}  {probabilities[t, i]:.2f}{mark}"
        row["next_token"] = vocab.tokens[following] if following is not None else None
        row["top_tokens"] = [vocab.tokens[outputs[i]] if outputs[i] >= 0 else None for i in top[t]]
        row["top_shown"] = [output_name(i) for i in top[t]]
        row["top_probs"] = [float(probabilities[t, i]) for i in top[t]]
        rows.append(row)
    return pd.DataFrame(rows)


def top_k_chart(table: pd.DataFrame, step: int) -> alt.Chart:
    """Bars of the top-k next tokens after ``step``; the actual next token in red."""
    row = table.iloc[step]
    frame = pd.DataFrame(
        {
            "token": row["top_shown"],
            "probability": row["top_probs"],
            "rank": np.arange(1, len(row["top_tokens"]) + 1),
        }
    )
    frame["actual next"] = [t is not None and t == row["next_token"] for t in row["top_tokens"]]
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("token:N", sort=alt.EncodingSortField("rank"), title=None),
            color=alt.condition(
                alt.datum["actual next"], alt.value("#d62728"), alt.value("#4c78a8")
            ),
            tooltip=["token:N", alt.Tooltip("probability:Q", format=".3f"), "actual next:N"],
        )
        .properties(
            title=f"After step {step} ({row['reads']!r}): next is {row['next']!r}",
            height=30 * len(frame) + 90,  # Streamlit fits title and axes into this height
        )
    )
